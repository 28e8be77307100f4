"""The ``go-engine train-sl`` subcommand and ``evaluate-policy`` for network checkpoints.

``train-sl`` reads expert games (SGF files, folders, ``.tar.xz`` archives, or a dataset
``.npz`` written by :meth:`GameDataset.save`), keeps the games of one board size, holds out a
seeded share of whole games and trains a policy/value network on the rest
(:mod:`go_engine.training.supervised`). The run's folder gets ``latest.pt`` (resumable),
``model.pt`` (the weights alone, what ``--network`` takes), ``metrics.jsonl`` and TensorBoard
logs. The same command runs on the CPU and on a GPU.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from go_engine.data.dataset import GameDataset

if TYPE_CHECKING:
    from go_engine.training.supervised import SLConfig, Trainer
    from networks.go.checkpoint import Checkpoint


def add_train_sl_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``go-engine train-sl``."""
    from go_engine.training.commands import _add_io_arguments, _add_split_arguments
    from go_engine.training.sl_config import SLConfig

    defaults = SLConfig()
    parser.add_argument("--games", nargs="+", required=True, metavar="PATH",
                        help="SGF files, folders, .tar.xz archives or a dataset .npz")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="the run's folder (resumes when it holds latest.pt)")
    parser.add_argument("--net", default=defaults.net,
                        help=f"network size bBcC (default {defaults.net})")
    parser.add_argument("--features", default=defaults.features,
                        help=f"input feature set (default {defaults.features})")
    parser.add_argument("--board-size", type=int, default=19,
                        help="train on the games of this size (default 19)")
    parser.add_argument("--max-games", type=int, default=None,
                        help="read at most this many games from the sources")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate,
                        help=f"AdamW's peak step size (default {defaults.learning_rate})")
    parser.add_argument("--weight-decay", type=float, default=defaults.weight_decay)
    parser.add_argument("--value-weight", type=float, default=defaults.value_weight,
                        help=f"value loss weight (default {defaults.value_weight})")
    parser.add_argument("--steps", type=int, default=defaults.steps,
                        help="stop after this many steps (0: no step limit)")
    parser.add_argument("--max-minutes", type=float, default=defaults.max_minutes,
                        help="stop after this much training time (0: no limit)")
    parser.add_argument("--epochs", type=int, default=defaults.epochs,
                        help=f"passes over the positions at most (default {defaults.epochs})")
    parser.add_argument("--eval-every", type=int, default=defaults.eval_every)
    parser.add_argument("--eval-positions", type=int, default=defaults.eval_positions)
    parser.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every)
    parser.add_argument("--workers", type=int, default=defaults.workers,
                        help=f"data-loader processes (default {defaults.workers})")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default=defaults.device)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--no-symmetries", action="store_true",
                        help="train on the positions as played (no random symmetry)")
    parser.add_argument("--init-from", metavar="CHECKPOINT", default=None,
                        help="start from these weights (same --net and --features); the "
                             "optimiser and schedule start afresh")
    parser.add_argument("--no-quantize", action="store_true",
                        help="do not make the 8-bit model (model.int8.onnx) the engine runs "
                             "on a CPU; go-engine quantize-network makes it later")
    _add_split_arguments(parser)
    _add_io_arguments(parser)


def load_games(paths: list[str], args: argparse.Namespace) -> GameDataset:
    """The games of ``paths``: a dataset ``.npz`` as it is, anything else through the
    cached SGF reader."""
    from go_engine.training.commands import _load_games

    if len(paths) == 1 and paths[0].endswith(".npz"):
        start = time.perf_counter()
        dataset = GameDataset.load(paths[0])
        if args.max_games is not None:
            dataset = dataset.subset(np.arange(min(args.max_games, len(dataset))))
        print(f"games: {len(dataset)} ({dataset.num_moves} moves) from {paths[0]} in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
        return dataset
    return _load_games(args)


def run_train_sl(args: argparse.Namespace) -> int:
    """``go-engine train-sl``: train (or resume), then print the held-out figures."""
    from go_engine.training.supervised import SLConfig, Trainer

    try:
        config = SLConfig(
            net=args.net, features=args.features, batch_size=args.batch_size,
            learning_rate=args.learning_rate, weight_decay=args.weight_decay,
            value_weight=args.value_weight, steps=args.steps, max_minutes=args.max_minutes,
            epochs=args.epochs, eval_every=args.eval_every, eval_positions=args.eval_positions,
            checkpoint_every=args.checkpoint_every, workers=args.workers, device=args.device,
            seed=args.seed, symmetries=not args.no_symmetries, init_from=args.init_from or "")
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dataset = load_games(args.games, args)
    dataset = dataset.subset(dataset.sizes == args.board_size)
    heldout = dataset.heldout_mask(args.holdout_fraction, args.holdout_seed)
    train_games, heldout_games = np.flatnonzero(~heldout), np.flatnonzero(heldout)
    if len(train_games) == 0 or len(heldout_games) == 0:
        print(f"error: {len(dataset)} games of size {args.board_size}: need training and "
              "held-out games both", file=sys.stderr)
        return 2
    info = {"command": "go-engine train-sl " + shlex.join(sys.argv[2:]),
            "sources": [Path(p).name for p in args.games], "board_size": args.board_size,
            "holdout_fraction": args.holdout_fraction, "holdout_seed": args.holdout_seed,
            "train_games": int(len(train_games)), "heldout_games": int(len(heldout_games))}
    from networks.go.checkpoint import CheckpointError

    try:
        trainer = Trainer(config, dataset, train_games, heldout_games, Path(args.out),
                          info=info)
    except (CheckpointError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"training {config.net} on {config.features} ({trainer.feature_set.num_planes} "
          f"planes), {trainer.model.num_parameters():,} parameters, device "
          f"{trainer.device}; {len(train_games)} games ({trainer.batches.num_positions} "
          f"positions) for training, {len(heldout_games)} held out", flush=True)
    with _StepBar(not args.no_progress, config, trainer) as on_step:
        metrics = trainer.run(on_step)
    model_path = trainer.save_model()
    state = trainer.state
    rate = state.step * config.batch_size / max(state.seconds, 1e-9)
    print(f"saved {model_path} ({model_path.stat().st_size / 1e6:.1f} MB) after {state.step} "
          f"steps, {state.seconds / 60:.1f} min")
    figures = {"top1": f"{metrics['top1']:.4f}", "top5": f"{metrics['top5']:.4f}",
               "value_mse": f"{metrics['value_mse']:.4f}",
               "value_mse01": f"{metrics['value_mse01']:.4f}",
               "positions": int(metrics["positions"]), "steps": state.step,
               "train_positions_per_second": f"{rate:.0f}"}
    if not args.no_quantize:
        figures.update(_quantize(model_path, dataset, train_games, heldout_games, config))
    print(" ".join(f"{key}={value}" for key, value in figures.items()))
    return 0


def _quantize(model_path: Path, dataset: GameDataset, train_games: np.ndarray,
              heldout_games: np.ndarray, config: SLConfig) -> dict[str, str]:
    """Make the trained network's 8-bit model beside it (what the engine runs on a CPU);
    return its held-out top-1 and agreement with the float network, or nothing when ONNX
    Runtime is missing or the export fails (the engine then runs the float network)."""
    from go_engine.training.quantize_command import quantize_checkpoint

    try:
        report = quantize_checkpoint(model_path, dataset, train_games, heldout_games,
                                     eval_positions=min(config.eval_positions, 5000),
                                     seed=config.seed)
    except Exception as error:  # optional: a missing onnxruntime must not fail the run
        print(f"no 8-bit model ({type(error).__name__}: {error}); the engine will run the "
              f"float network", file=sys.stderr)
        return {}
    print(report.describe())
    return {"top1_int8": f"{report.int8_metrics['top1']:.4f}",
            "agreement_int8": f"{report.agreement:.4f}"}


class _StepBar:
    """A rich progress bar over the run's progress (steps, time or epochs)."""

    def __init__(self, enabled: bool, config: SLConfig, trainer: Trainer) -> None:
        self.enabled, self.config, self.trainer = enabled, config, trainer
        self.bar = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        from go_engine.training.supervised import progress_of

        self.bar = Progress(TextColumn("training"), BarColumn(),
                            TextColumn("{task.percentage:>5.1f}% step {task.fields[step]}"),
                            TimeRemainingColumn())
        self.bar.start()
        task = self.bar.add_task("train", total=1.0, step=0)
        steps_per_epoch = len(self.trainer.batches)

        def on_step(state) -> None:
            if state.step % 10 == 0:
                self.bar.update(task, completed=progress_of(self.config, state,
                                                            steps_per_epoch), step=state.step)

        return on_step

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def network_games(dataset: GameDataset, checkpoint: Checkpoint, split: str,
                  args: argparse.Namespace) -> np.ndarray:
    """The games of ``dataset`` on the network's board size, all of them or its held-out
    (``split="heldout"``) or training share, split as the checkpoint's training run split
    them unless ``args`` gives ``holdout_fraction`` or ``holdout_seed``."""
    size = int(checkpoint.extra.get("board_size", 19))
    games = np.flatnonzero(dataset.sizes == size)
    if split == "all":
        return games
    fraction = args.holdout_fraction
    if fraction is None:
        fraction = checkpoint.extra.get("holdout_fraction")
    seed = args.holdout_seed
    if seed is None:
        seed = checkpoint.extra.get("holdout_seed")
    heldout = dataset.heldout_mask(*(v for v in (fraction, seed) if v is not None))
    games = games[heldout[games] if split == "heldout" else ~heldout[games]]
    print(f"{split} games: {len(games)} (fraction {fraction}, seed {seed})")
    return games


def run_evaluate_network(args: argparse.Namespace) -> int:
    """``go-engine evaluate-policy --model FILE.pt``: a network's move prediction, value MSE
    and positions per second on (a sample of) the chosen games."""
    import torch

    from go_engine.search.network_evaluator import load_network
    from go_engine.training.sl_data import sample_positions
    from go_engine.training.supervised import HeldOut, evaluate
    from networks.go.checkpoint import CheckpointError
    from networks.go.inference import resolve_device

    try:
        device = resolve_device(args.device)
        checkpoint, feature_set = load_network(args.model, map_location=device)
    except (CheckpointError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    dataset = load_games(args.games, args)
    games = network_games(dataset, checkpoint, args.split, args)
    picked = sample_positions(dataset, games, args.max_positions, seed=0)
    start = time.perf_counter()
    heldout = HeldOut.encode(dataset, *picked, feature_set)
    encode_seconds = time.perf_counter() - start
    model = checkpoint.model.to(device).to(memory_format=torch.channels_last)
    start = time.perf_counter()
    metrics = evaluate(model, heldout, device, batch_size=args.batch_size)
    seconds = time.perf_counter() - start
    count = int(metrics["positions"])
    rate = count / max(seconds, 1e-9)
    print(f"model: {args.model} ({checkpoint.net_config}, features {feature_set.name}, "
          f"step {checkpoint.step}) on {device}")
    print(f"top-1 accuracy {metrics['top1']:.2%}, top-5 {metrics['top5']:.2%}, value MSE "
          f"{metrics['value_mse']:.3f} on outcomes in {{-1, 1}} ({metrics['value_mse01']:.3f} "
          f"in {{0, 1}}; AlphaGo 0.234) over {count} positions; "
          f"{rate:.0f} positions/s at batch {args.batch_size} "
          f"(+ {encode_seconds / max(count, 1) * 1e6:.0f} us/position for the features)")
    print(f"top1={metrics['top1']:.4f} top5={metrics['top5']:.4f} "
          f"value_mse={metrics['value_mse']:.4f} value_mse01={metrics['value_mse01']:.4f} "
          f"positions={count} positions_per_second={rate:.0f}")
    return 0
