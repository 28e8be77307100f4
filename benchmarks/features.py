"""Feature encoding speed: microseconds per 19x19 position for each feature set, on one core.

Usage::

    python benchmarks/features.py [--games 5] [--runs 5] [--archive PATH]

Positions come from real games: the first ``--games`` records of the KGS archive
(``../shared/data/kgs6d_19x19.tar.xz`` by default) are replayed and every position from move
20 on is kept (when the archive is missing, seeded random light playouts stand in). Two figures
per set:

* **kernel**: :func:`go_engine.features.encode_batch_into` over all the positions in one
  compiled call, divided by the number of positions (what a data loader that replays games in
  numba pays);
* **python**: :func:`go_engine.features.encode` called once per position from Python (what a
  search pays per leaf, call overhead included);
* **no ladders**: the kernel figure for the same set without its two ladder planes, to show
  what the ladder reader costs.

Each figure is the median of ``--runs`` runs, timed with ``time.thread_time`` (CPU time of the
calling thread). The last line printed is machine-readable ``key=value`` pairs (kernel figures).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from go_engine.features import FEATURE_SETS, FeatureSet, encode, encode_batch_into
from go_engine.rules import board_core as core
from go_engine.rules.board import Board

DEFAULT_ARCHIVE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / \
    "kgs6d_19x19.tar.xz"


def game_positions(archive: Path, games: int, first_move: int = 20) -> list[Board]:
    """Every position from ``first_move`` on of the first ``games`` 19x19 records."""
    from go_engine.data.dataset import read_games

    dataset, _, _ = read_games([archive], max_games=games)
    boards = []
    for g in range(len(dataset)):
        record = dataset.game(g)
        if record.size != 19:
            continue
        board = Board(19)
        for point in record.setup_black:
            board.place_setup_stone(point, 1)
        for point in record.setup_white:
            board.place_setup_stone(point, 2)
        for i, (color, point) in enumerate(zip(record.colors, record.points, strict=True)):
            board.play(point, color)
            if i + 1 >= first_move:
                boards.append(board.copy())
    return boards


def playout_positions(count: int, seed: int = 7) -> list[Board]:
    """Stand-in positions: random light playouts stopped after 150 to 250 moves."""
    rng = np.random.default_rng(seed)
    boards = []
    for i in range(count):
        board = Board(19)
        state = core.seed_rng(seed + i)
        moves = int(rng.integers(150, 250))
        core.light_moves(board.pts, board.meta, board.zobrist, state, moves,
                         np.empty(0, dtype=np.int8))
        boards.append(board)
    return boards


def time_kernel(boards: list[Board], code: np.ndarray, planes: int) -> float:
    """Microseconds per position of one compiled batch call."""
    pts = np.stack([b.pts for b in boards])
    meta = np.stack([b.meta for b in boards])
    out = np.empty((len(boards), planes, 19, 19), dtype=np.float32)
    start = time.thread_time()
    encode_batch_into(pts, meta, boards[0].zobrist, code, out)
    return (time.thread_time() - start) / len(boards) * 1e6


def time_python(boards: list[Board], name: str) -> float:
    """Microseconds per position of one :func:`encode` call per position."""
    start = time.thread_time()
    for board in boards:
        encode(board, name)
    return (time.thread_time() - start) / len(boards) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    args = parser.parse_args()
    if args.archive.exists():
        boards = game_positions(args.archive, args.games)
        source = f"{args.games} games of {args.archive.name}"
    else:
        boards = playout_positions(200)
        source = "random light playouts (archive not found)"
    stones = statistics.mean(b.stone_count() for b in boards)
    print(f"{len(boards)} positions from {source}, {stones:.0f} stones on average")
    figures = {}
    for name, fs in FEATURE_SETS.items():
        time_kernel(boards[:2], fs.code, fs.num_planes)  # compile or load the cache
        encode(boards[0], name)
        kernel = statistics.median(time_kernel(boards, fs.code, fs.num_planes)
                                   for _ in range(args.runs))
        python = statistics.median(time_python(boards, name) for _ in range(args.runs))
        plain = FeatureSet(name, 0, tuple(p for p in fs.planes if not p.startswith("ladder")))
        no_ladders = statistics.median(time_kernel(boards, plain.code, plain.num_planes)
                                       for _ in range(args.runs))
        figures[name] = kernel
        print(f"{name:14s} {fs.num_planes:3d} planes  kernel {kernel:6.1f}  python {python:6.1f}"
              f"  no ladders {no_ladders:6.1f}  (us/position)")
    print(" ".join(f"{name}_us={us:.1f}" for name, us in figures.items()))


if __name__ == "__main__":
    main()
