"""How fast the tree search runs, and what the tree itself costs.

    python benchmarks/search.py [--runs 3] [--playouts 4000] [--sizes 9 19] [--threads N]
                                [--engine]

For each board size, from the empty board, medians of ``--runs`` searches of ``--playouts``
simulations (a fresh tree each time):

* **search, 1 core**: RAVE with uniform priors and one light rollout per leaf on one thread;
  with ``--engine``, the rollout-only engine's settings instead (``--network none``: PUCT
  with the engine's constants, tree-policy priors, trained rollouts);
* **search, all cores**: the same with ``--threads`` rollout threads (batches of 8 leaves,
  2 in flight per thread, overlapping the tree's work on the calling thread);
* **the tree's share**: the part of the one-core search's time spent outside the rollouts
  (selection, expansion with its priors, backup, and the Python around them);
* **free evaluator**: the tree alone, with uniform priors and a constant value
  (``lambda = 0``, so no rollout is played): what selection, expansion and backup cost by
  themselves, without knowledge;
* **light playouts**: the foundation's playouts alone, measured in the same run, for scale.

The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.rules.game import Game
from go_engine.search.config import SearchConfig, engine_config
from go_engine.search.evaluation import UniformEvaluator
from go_engine.search.mcts import MCTS


def simulations_per_second(size: int, playouts: int, runs: int, *, engine: bool = False,
                           free: bool = False, **settings) -> tuple[float, float]:
    """Median simulations per second of fresh searches from the empty board, and the median
    share of the time spent outside the rollouts (the tree's share; one thread only, where
    the rollouts run inside :meth:`RolloutRunner.run_in_place`). ``engine``: the rollout-only
    engine's search (:func:`engine_config`) instead of the plain :class:`SearchConfig`;
    ``free``: a uniform evaluator with a constant value instead of rollouts."""
    if engine:
        config = engine_config(size, network=False, playouts=playouts, seed=1, **settings)
    else:
        config = SearchConfig(playouts=playouts, seed=1, **settings)
    rates, tree_shares = [], []
    for run in range(runs + 1):  # the first run compiles and warms up
        mcts = MCTS(config, UniformEvaluator(value=0.0) if free else None)
        rollout_seconds = time_calls(mcts.rollouts, "run_in_place")
        start = time.perf_counter()
        mcts.search(Game(size))
        elapsed = time.perf_counter() - start
        if run:
            rates.append(playouts / elapsed)
            tree_shares.append(1.0 - rollout_seconds[0] / elapsed)
        mcts.close()
    return statistics.median(rates), statistics.median(tree_shares)


def time_calls(owner: object, name: str) -> list[float]:
    """Wrap ``owner.name`` so that the seconds spent in it add up in the returned cell."""
    method, seconds = getattr(owner, name), [0.0]

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            seconds[0] += time.perf_counter() - start

    setattr(owner, name, timed)
    return seconds


def playouts_per_second(size: int, runs: int) -> float:
    """Median light playouts per second on one thread (the foundation's figure)."""
    board = Board(size)
    count = max(50, 200000 // (size * size))
    scores = np.zeros(count, np.int64)
    lengths = np.zeros(count, np.int64)
    owned = np.zeros(board.pts.shape[1])
    rates = []
    for run in range(runs + 1):
        start = time.perf_counter()
        core.playout_batch(board.pts, board.meta, board.zobrist, core.seed_rng(run), count,
                           3 * size * size, scores, owned, lengths)
        if run:
            rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--playouts", type=int, default=4000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engine", action="store_true",
                        help="the rollout-only engine's settings (PUCT, tree priors, trained "
                             "rollouts) instead of RAVE with light rollouts")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for size in args.sizes:
        key = f"{size}x{size}"
        one, share = simulations_per_second(size, args.playouts, args.runs, engine=args.engine)
        many, _ = simulations_per_second(size, args.playouts, args.runs, engine=args.engine,
                                         rollout_threads=args.threads)
        free, _ = simulations_per_second(size, args.playouts, args.runs, free=True,
                                         mixing_lambda=0.0)
        light = playouts_per_second(size, args.runs)
        figures |= {f"sims_per_s_{key}": one, f"sims_per_s_all_cores_{key}": many,
                    f"thread_speedup_{key}": many / one, f"tree_share_{key}": share,
                    f"free_evaluator_sims_per_s_{key}": free,
                    f"light_playouts_per_s_{key}": light}
        print(f"{key}: search {one:,.0f} sims/s on 1 core, {many:,.0f} on {args.threads} "
              f"threads ({many / one:.2f}x); the tree's share of a 1-core search (time "
              f"outside the rollouts) {share:.0%}; the tree alone with a free evaluator "
              f"(uniform priors, constant value) {free:,.0f} sims/s; light playouts alone "
              f"{light:,.0f}/s")
    figures["threads"] = args.threads
    figures["engine"] = int(args.engine)
    print(" ".join(f"{name}={value:.3f}" if "share" in name or "speedup" in name
                   else f"{name}={value:.0f}"
                   for name, value in figures.items()))


if __name__ == "__main__":
    main()
