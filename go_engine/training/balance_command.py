"""The ``go-engine balance-rollout`` subcommand: simulation balancing of the rollout policy.

It reads finished games (SGF files, folders, archives; meant for the engine's own match
records, whose results are the targets), holds out a seeded share of whole games, prints how
well the starting policy's rollouts predict the held-out results, balances the policy on the
other games (:mod:`go_engine.training.simulation_balancing`), prints the same figures for the
result and saves it; the last line is ``key=value``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from go_engine.training.commands import _add_io_arguments, _load_games, _progress


def add_balance_rollout_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``go-engine balance-rollout``."""
    parser.add_argument("--games", nargs="+", required=True, metavar="PATH",
                        help="finished games with results (SGF files, folders, archives)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the model file (.npz)")
    parser.add_argument("--start", default="rollout",
                        help="the rollout model to start from: rollout (shipped) or a file")
    parser.add_argument("--max-games", type=int, default=None,
                        help="read at most this many games from the sources")
    parser.add_argument("--epochs", type=int, default=1, help="passes over the positions")
    parser.add_argument("--learning-rate", type=float, default=0.02, help="AdaGrad step size")
    parser.add_argument("--value-rollouts", type=int, default=16,
                        help="rollouts estimating each position's value (default 16)")
    parser.add_argument("--gradient-rollouts", type=int, default=16,
                        help="rollouts estimating its gradient (default 16)")
    parser.add_argument("--temperature", type=float, default=0.7,
                        help="the rollout temperature the model will be played at (default "
                             "0.7, the rollout-only engine's)")
    parser.add_argument("--holdout-fraction", type=float, default=0.15,
                        help="share of games held out to measure the result (default 0.15)")
    parser.add_argument("--holdout-seed", type=int, default=0,
                        help="seed of the held-out choice (by game)")
    parser.add_argument("--eval-rollouts", type=int, default=64,
                        help="rollouts per held-out position (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="position order and rollouts")
    _add_io_arguments(parser)


def run_balance_rollout(args: argparse.Namespace) -> int:
    """``go-engine balance-rollout``: measure, balance, measure again, save."""
    from go_engine.search.policy_model import load_policy
    from go_engine.training.simulation_balancing import (
        BalanceConfig,
        balance,
        positions_of,
        rollout_value_error,
    )

    try:
        start = load_policy(args.start)
        config = BalanceConfig(
            value_rollouts=args.value_rollouts, gradient_rollouts=args.gradient_rollouts,
            learning_rate=args.learning_rate, epochs=args.epochs,
            temperature=args.temperature, seed=args.seed)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if start.kind != "rollout":
        print(f"error: {args.start} is a {start.kind} policy; balancing tunes rollouts",
              file=sys.stderr)
        return 2
    dataset = _load_games(args)
    heldout = dataset.heldout_mask(args.holdout_fraction, args.holdout_seed)
    train = positions_of(dataset, np.flatnonzero(~heldout), config)
    test = positions_of(dataset, np.flatnonzero(heldout), config)
    if len(train) == 0 or len(test) == 0:
        print("error: no positions to balance on or to measure (games without results?)",
              file=sys.stderr)
        return 2
    print(f"positions: {len(train)} to balance on, {len(test)} held out", flush=True)

    def measure(policy):
        return rollout_value_error(policy.with_temperature(args.temperature), dataset, test,
                                   args.eval_rollouts, args.seed + 1)

    before = measure(start)
    print(f"before: held-out mse {before.mse:.4f}, correlation {before.correlation:.3f}",
          flush=True)
    begin = time.perf_counter()
    with _progress(not args.no_progress) as progress:
        step = None if progress is None else lambda d, t, _: progress("positions", d, t)
        policy = balance(start, dataset, train, config, step)
    seconds = time.perf_counter() - begin
    after = measure(policy)
    print(f"after:  held-out mse {after.mse:.4f}, correlation {after.correlation:.3f} "
          f"({seconds:.0f} s)")
    policy.info["balanced"].update({
        "command": "go-engine balance-rollout " + shlex.join(sys.argv[2:]),
        "sources": [Path(p).name for p in args.games], "start": args.start,
        "heldout_positions": after.positions, "heldout_mse_before": round(before.mse, 5),
        "heldout_mse_after": round(after.mse, 5)})
    policy.save(args.out)
    print(f"saved {args.out}; play it with --set rollout_policy={args.out}")
    print(f"mse_before={before.mse:.5f} mse_after={after.mse:.5f} "
          f"corr_before={before.correlation:.4f} corr_after={after.correlation:.4f} "
          f"positions={len(train)} heldout_positions={after.positions}")
    return 0
