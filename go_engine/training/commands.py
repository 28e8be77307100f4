"""The ``go-engine train-rollout`` and ``go-engine evaluate-policy`` subcommands.

``train-rollout`` reads expert games (SGF files, folders, ``.tar.xz`` archives), holds out a
seeded share of whole games, builds the pattern dictionary, trains the rollout (or, with
``--kind tree``, the tree) policy by maximum likelihood and prints its accuracy on the
held-out games; the model file records how it was made. ``evaluate-policy`` prints a model's
top-1/top-5 accuracy on any games and its cost per move, ending with a ``key=value`` line.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from go_engine.data.dataset import (
    DEFAULT_CACHE_DIR,
    DEFAULT_HOLDOUT_FRACTION,
    DEFAULT_HOLDOUT_SEED,
    GameDataset,
    build_dataset,
)


def add_train_rollout_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``go-engine train-rollout``."""
    parser.add_argument("--games", nargs="+", required=True, metavar="PATH",
                        help="SGF files, folders of them or .tar.xz archives")
    parser.add_argument("--out", required=True, metavar="FILE", help="the model file (.npz)")
    parser.add_argument("--kind", choices=["rollout", "tree"], default="rollout",
                        help="the feature set: rollout (default) or tree policy")
    parser.add_argument("--reading", action="store_true",
                        help="tree policy only: add the reading features (exact liberties, "
                             "chain sizes, ladders; about 3x slower priors)")
    parser.add_argument("--max-games", type=int, default=None,
                        help="read at most this many games from the sources")
    parser.add_argument("--train-games", type=int, default=0,
                        help="train on a seeded random subset of this many games (0: all)")
    parser.add_argument("--epochs", type=int, default=1, help="passes over the games")
    parser.add_argument("--learning-rate", type=float, default=0.05, help="AdaGrad step size")
    parser.add_argument("--min-played", type=int, default=4,
                        help="keep patterns played at least this often")
    parser.add_argument("--min-seen", type=int, default=200,
                        help="...or seen about this often as a candidate")
    parser.add_argument("--dictionary-games", type=int, default=0,
                        help="games that build the pattern dictionary (0: all)")
    _add_split_arguments(parser)
    parser.add_argument("--eval-games", type=int, default=1000,
                        help="held-out games for the final accuracy (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="shuffling seed")
    _add_io_arguments(parser)


def add_evaluate_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``go-engine evaluate-policy``."""
    parser.add_argument("--model", default="rollout",
                        help="rollout, tree or balanced (the shipped models), a model file "
                             "(.npz) or a network checkpoint (.pt)")
    parser.add_argument("--games", nargs="+", required=True, metavar="PATH",
                        help="SGF files, folders of them or .tar.xz archives")
    parser.add_argument("--max-games", type=int, default=None,
                        help="use at most this many games")
    parser.add_argument("--split", choices=["all", "heldout", "train"], default="all",
                        help="all games, or the model's held-out (or training) share")
    _add_split_arguments(parser, defaults=False)
    parser.add_argument("--max-positions", type=int, default=20_000,
                        help="networks: evaluate a seeded sample of this many positions")
    parser.add_argument("--batch-size", type=int, default=256,
                        help="networks: positions per forward pass (default 256)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="networks: where to run (default auto)")
    _add_io_arguments(parser)


def _add_split_arguments(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    fraction = DEFAULT_HOLDOUT_FRACTION if defaults else None
    seed = DEFAULT_HOLDOUT_SEED if defaults else None
    parser.add_argument("--holdout-fraction", type=float, default=fraction,
                        help=f"share of games held out (default {DEFAULT_HOLDOUT_FRACTION}"
                             f"{'' if defaults else ', or the model’s'})")
    parser.add_argument("--holdout-seed", type=int, default=seed,
                        help="seed of the held-out choice (by game)")


def _add_io_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", default=str(DEFAULT_CACHE_DIR),
                        help=f"dataset cache (default {DEFAULT_CACHE_DIR}; 'none': no cache)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _load_games(args: argparse.Namespace) -> GameDataset:
    cache = None if args.cache_dir == "none" else args.cache_dir
    start = time.perf_counter()
    dataset, report = build_dataset(args.games, args.max_games, cache, not args.no_progress)
    source = "cache" if report.cached else f"{report.records} records"
    skipped = "" if report.cached else (f", {report.unreadable} unreadable, "
                                        f"{report.illegal} with illegal moves")
    print(f"games: {len(dataset)} ({dataset.num_moves} moves) from {source}{skipped} "
          f"in {time.perf_counter() - start:.1f} s", flush=True)
    return dataset


@contextmanager
def _progress(enabled: bool):
    """A ``progress(label, done, total)`` callback drawing rich bars (or nothing)."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(), transient=False) as bar:
        tasks: dict[str, int] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done)

        yield update


def run_train_rollout(args: argparse.Namespace) -> int:
    """``go-engine train-rollout``: train, report the held-out accuracy, save the model."""
    from go_engine.search.policy_features import tree_spec
    from go_engine.training.linear_policy import TrainConfig, evaluate, train

    if args.reading and args.kind != "tree":
        print("error: --reading is for --kind tree (rollouts cannot compute those features)",
              file=sys.stderr)
        return 2
    dataset = _load_games(args)
    heldout = dataset.heldout_mask(args.holdout_fraction, args.holdout_seed)
    train_games = np.flatnonzero(~heldout)
    if 0 < args.train_games < len(train_games):
        pick = np.random.default_rng(args.seed).choice(len(train_games), args.train_games,
                                                       replace=False)
        train_games = train_games[np.sort(pick)]
    eval_games = np.flatnonzero(heldout)[:args.eval_games]
    if len(train_games) == 0:
        print("error: no training games", file=sys.stderr)
        return 2
    print(f"training games: {len(train_games)}, held-out games: {int(heldout.sum())}",
          flush=True)
    spec = tuple(tree_spec(reading=True).tolist()) if args.reading else None
    config = TrainConfig(kind=args.kind, epochs=args.epochs, learning_rate=args.learning_rate,
                         min_played=args.min_played, min_seen=args.min_seen,
                         dictionary_games=args.dictionary_games, seed=args.seed, spec=spec)
    start = time.perf_counter()
    with _progress(not args.no_progress) as progress:
        policy = train(dataset, train_games, config, progress=progress)
        seconds = time.perf_counter() - start
        print(f"patterns: {policy.num_patterns} {policy.pattern_counts()}; trained in "
              f"{seconds:.0f} s", flush=True)
        accuracy = evaluate(policy, dataset, eval_games,
                            None if progress is None else lambda d, t: progress("held-out", d, t))
    policy.info.update({
        "command": "go-engine train-rollout " + shlex.join(sys.argv[2:] if len(sys.argv) > 2
                                                           else []),
        "sources": [Path(p).name for p in args.games], "max_games": args.max_games,
        "holdout_fraction": args.holdout_fraction, "holdout_seed": args.holdout_seed,
        "train_games": int(len(train_games)), "epochs": args.epochs,
        "dictionary_games": args.dictionary_games, "min_played": args.min_played,
        "min_seen": args.min_seen, "learning_rate": args.learning_rate,
        "train_seconds": round(seconds), "heldout_games": int(len(eval_games)),
        "heldout_top1": round(accuracy.top1, 4), "heldout_top5": round(accuracy.top5, 4),
        "heldout_positions": accuracy.positions,
    })
    policy.save(args.out)
    print(f"saved {args.out} ({Path(args.out).stat().st_size / 1e6:.2f} MB)")
    print(f"top1={accuracy.top1:.4f} top5={accuracy.top5:.4f} positions={accuracy.positions} "
          f"train_positions={policy.info['train_positions_per_epoch']}")
    return 0


def run_evaluate_policy(args: argparse.Namespace) -> int:
    """``go-engine evaluate-policy``: accuracy and cost per move of a model on games."""
    if args.model.endswith(".pt"):
        from go_engine.training.sl_commands import run_evaluate_network

        return run_evaluate_network(args)
    from go_engine.search.policy_model import load_policy
    from go_engine.training.linear_policy import evaluate, rollout_cost

    try:
        policy = load_policy(args.model)
    except (OSError, ValueError) as error:
        print(f"error: cannot load model {args.model!r}: {error}", file=sys.stderr)
        return 2
    dataset = _load_games(args)
    games = np.arange(len(dataset))
    if args.split != "all":
        fraction = args.holdout_fraction
        if fraction is None:
            fraction = policy.info.get("holdout_fraction", DEFAULT_HOLDOUT_FRACTION)
        seed = args.holdout_seed
        if seed is None:
            seed = policy.info.get("holdout_seed", DEFAULT_HOLDOUT_SEED)
        heldout = dataset.heldout_mask(fraction, seed)
        games = np.flatnonzero(heldout if args.split == "heldout" else ~heldout)
        print(f"{args.split} games: {len(games)} (fraction {fraction}, seed {seed})")
    with _progress(not args.no_progress) as progress:
        accuracy = evaluate(policy, dataset, games,
                            None if progress is None else lambda d, t: progress("positions", d, t))
    cost = accuracy.us_per_move
    if policy.kind == "rollout":
        cost = rollout_cost(policy, dataset, games[:200])
    how = ("a rollout draw and incremental update" if policy.kind == "rollout"
           else "every legal move's features from scratch")
    print(f"model: {args.model} ({policy.kind}, {policy.num_patterns} patterns)")
    print(f"top-1 accuracy {accuracy.top1:.2%}, top-5 {accuracy.top5:.2%} over "
          f"{accuracy.positions} positions; {cost:.2f} us per move ({how})")
    print(f"top1={accuracy.top1:.4f} top5={accuracy.top5:.4f} positions={accuracy.positions} "
          f"us_per_move={cost:.2f}")
    return 0
