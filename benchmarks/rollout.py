"""Policy rollouts against light playouts on one core, and the rollout policy's accuracy.

Usage::

    python benchmarks/rollout.py [--size 19] [--runs 5] [--seconds 1.0] [--model rollout]
                                 [--games PATH ...] [--eval-games 300] [--no-accuracy]

Measured:

* **policy rollouts, one core**: :func:`go_engine.search.rollout_policy.policy_moves` from the
  empty board until both players pass (moves drawn from the trained linear softmax, own eyes
  never filled), then the Tromp-Taylor count; per CPU-second of the calling thread
  (``time.thread_time``), like the anchors in ``ENV-NOTES.md``. AlphaGo's figure for the same
  thing: about 1,000 simulations per second per thread on an empty 19x19 board (Silver et
  al. 2016, Methods).
* **policy rollouts with tactics**, the same with the tactical answers to the last move first
  (``rollout_tactics``, :mod:`go_engine.search.rollout_tactics`), and **light playouts, one
  core** (:func:`go_engine.rules.board_core.light_moves`, uniform legal non-eye moves),
  measured alternately in the same run.
* **accuracy**: top-1 and top-5 agreement with the expert's move over every position of the
  model's held-out games (the games its training run held out, by game; see
  :meth:`go_engine.data.dataset.GameDataset.heldout_mask`) in ``--games`` (default: the shared
  expert archives, when they are there). AlphaGo's rollout policy: 24.2% top-1.

Each speed is the median of ``--runs`` measurements of ``--seconds`` each. The last line is
machine-readable ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.search import rollout_policy as rp
from go_engine.search.policy_model import load_policy

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def measure(step: Callable[[], int], seconds: float) -> tuple[float, float]:
    """Playouts and moves per CPU-second of this thread, calling ``step`` (moves of one
    playout) until ``seconds`` pass."""
    playouts = moves = 0
    start = time.thread_time()
    while True:
        moves += step()
        playouts += 1
        elapsed = time.thread_time() - start
        if elapsed >= seconds:
            return playouts / elapsed, moves / elapsed


def speeds(size: int, model_name: str, runs: int, seconds: float) -> dict[str, float]:
    """Median playouts/s and moves/s of policy rollouts and light playouts."""
    policy = rp.RolloutPolicy(load_policy(model_name))
    model = policy.kernel_model()
    empty = Board(size)
    ints, floats, ctr = rp.new_state(size)
    no_record = np.empty(0, np.int8)
    rng = core.seed_rng(1)
    limit = 3 * size * size

    def policy_step(tactics: bool = False) -> int:
        board = empty.copy()
        return rp.policy_moves(board.pts, board.meta, board.zobrist, rng, limit, no_record,
                               ints, floats, ctr, model, rp.NO_REPLIES, rp.NO_HISTORY, tactics)

    def tactics_step() -> int:
        return policy_step(True)

    def light_step() -> int:
        board = empty.copy()
        return core.light_moves(board.pts, board.meta, board.zobrist, rng, limit, no_record)

    steps = {"policy": policy_step, "tactics": tactics_step, "light": light_step}
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in steps}
    for step in steps.values():
        step()  # compile outside the clock
    for _ in range(runs):
        for name, step in steps.items():
            rates[name].append(measure(step, seconds))
    out = {}
    for name, values in rates.items():
        out[f"{name}_playouts_per_s"] = statistics.median(v[0] for v in values)
        out[f"{name}_moves_per_s"] = statistics.median(v[1] for v in values)
    return out


def accuracy(model_name: str, games: list[str], eval_games: int) -> dict[str, float]:
    """Top-1/top-5 of the model over its held-out games in ``games``."""
    from go_engine.data.dataset import build_dataset
    from go_engine.training.linear_policy import evaluate

    policy = load_policy(model_name)
    dataset, _ = build_dataset(games)
    heldout = dataset.heldout_mask(policy.info.get("holdout_fraction", 0.02),
                                   policy.info.get("holdout_seed", 0))
    result = evaluate(policy, dataset, np.flatnonzero(heldout)[:eval_games])
    return {"top1": result.top1, "top5": result.top5, "positions": result.positions}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=19)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--model", default="rollout", help="rollout (shipped) or a model file")
    parser.add_argument("--games", nargs="*", default=None,
                        help="archives for the accuracy (default: the shared expert archives)")
    parser.add_argument("--eval-games", type=int, default=300,
                        help="held-out games to score (default 300)")
    parser.add_argument("--no-accuracy", action="store_true", help="measure speed only")
    args = parser.parse_args()

    figures = speeds(args.size, args.model, args.runs, args.seconds)
    policy_rate, light_rate = figures["policy_playouts_per_s"], figures["light_playouts_per_s"]
    print(f"{args.size}x{args.size}, one core, from the empty board (medians of {args.runs} x "
          f"{args.seconds:g} s):")
    print(f"  policy rollouts {policy_rate:9,.0f} playouts/s "
          f"{figures['policy_moves_per_s'] / 1e6:6.2f} M moves/s "
          f"({1e6 / figures['policy_moves_per_s']:.2f} us/move, "
          f"{figures['policy_moves_per_s'] / policy_rate:.0f} moves/playout)")
    tactics_rate = figures["tactics_playouts_per_s"]
    print(f"  with tactics    {tactics_rate:9,.0f} playouts/s "
          f"{figures['tactics_moves_per_s'] / 1e6:6.2f} M moves/s "
          f"({1e6 / figures['tactics_moves_per_s']:.2f} us/move; "
          f"{tactics_rate / policy_rate:.3f} of the plain rollouts)")
    print(f"  light playouts  {light_rate:9,.0f} playouts/s "
          f"{figures['light_moves_per_s'] / 1e6:6.2f} M moves/s "
          f"({1e6 / figures['light_moves_per_s']:.2f} us/move, "
          f"{figures['light_moves_per_s'] / light_rate:.0f} moves/playout)")
    print("  AlphaGo's rollout policy: ~1,000 playouts/s per thread (2 us per move)")
    games = args.games
    if games is None:
        games = [str(p) for p in sorted(SHARED_DATA.glob("*.tar.xz"))]
    result = {"top1": float("nan"), "top5": float("nan"), "positions": 0}
    if not args.no_accuracy and games:
        result = accuracy(args.model, games, args.eval_games)
        print(f"held-out accuracy: top-1 {result['top1']:.2%}, top-5 {result['top5']:.2%} over "
              f"{result['positions']} positions (AlphaGo's rollout policy: 24.2% top-1)")
    pairs = {
        "size": args.size,
        "policy_playouts_per_s": f"{policy_rate:.0f}",
        "tactics_playouts_per_s": f"{tactics_rate:.0f}",
        "tactics_ratio": f"{tactics_rate / policy_rate:.3f}",
        "light_playouts_per_s": f"{light_rate:.0f}",
        "policy_us_per_move": f"{1e6 / figures['policy_moves_per_s']:.3f}",
        "light_us_per_move": f"{1e6 / figures['light_moves_per_s']:.3f}",
        "top1": f"{result['top1']:.4f}", "top5": f"{result['top5']:.4f}",
        "positions": result["positions"],
    }
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))


if __name__ == "__main__":
    main()
