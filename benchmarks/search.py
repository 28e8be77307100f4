"""How fast the tree search runs, and what the tree itself costs.

    python benchmarks/search.py [--runs 3] [--playouts 4000] [--sizes 9 19] [--threads N]

For each board size, from the empty board, medians of ``--runs`` searches of ``--playouts``
simulations (a fresh tree each time):

* **search, 1 core**: RAVE with one light rollout per leaf on one thread;
* **search, all cores**: the same with ``--threads`` rollout threads (batch 8 per thread);
* **tree only**: a free evaluator (uniform priors, constant value, ``lambda = 0``, so no
  rollout is played): what selection, expansion and backup cost by themselves;
* **light playouts**: the foundation's playouts alone, measured in the same run, for scale.

The tree's share of a simulation is estimated as (1 / tree-only rate) / (1 / search rate).
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
from go_engine.search.config import SearchConfig
from go_engine.search.evaluation import UniformEvaluator
from go_engine.search.mcts import MCTS


def simulations_per_second(size: int, playouts: int, runs: int, **settings) -> float:
    """Median simulations per second of fresh searches from the empty board."""
    free = settings.pop("free", False)
    config = SearchConfig(playouts=playouts, seed=1, **settings)
    rates = []
    for run in range(runs + 1):  # the first run compiles and warms up
        evaluator = UniformEvaluator(value=0.0) if free else None
        mcts = MCTS(config, evaluator)
        start = time.perf_counter()
        mcts.search(Game(size))
        if run:
            rates.append(playouts / (time.perf_counter() - start))
        mcts.close()
    return statistics.median(rates)


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
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for size in args.sizes:
        key = f"{size}x{size}"
        one = simulations_per_second(size, args.playouts, args.runs)
        many = simulations_per_second(size, args.playouts, args.runs,
                                      rollout_threads=args.threads, batch_size=8 * args.threads)
        tree = simulations_per_second(size, args.playouts, args.runs, free=True,
                                      mixing_lambda=0.0)
        light = playouts_per_second(size, args.runs)
        figures |= {f"sims_per_s_{key}": one, f"sims_per_s_all_cores_{key}": many,
                    f"tree_only_sims_per_s_{key}": tree, f"light_playouts_per_s_{key}": light,
                    f"tree_share_{key}": one / tree}
        print(f"{key}: search {one:,.0f} sims/s on 1 core, {many:,.0f} on {args.threads} "
              f"threads; tree alone {tree:,.0f} sims/s; light playouts alone {light:,.0f}/s; "
              f"the tree takes {one / tree:.0%} of a simulation")
    figures["threads"] = args.threads
    print(" ".join(f"{name}={value:.3f}" if "share" in name else f"{name}={value:.0f}"
                   for name, value in figures.items()))


if __name__ == "__main__":
    main()
