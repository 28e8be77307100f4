"""Light playout speed: one core and all cores, side by side with OpenSpiel's Go as an anchor.

Usage::

    python benchmarks/playouts.py [--runs 5] [--seconds 1.0] [--sizes 9 19] [--threads N]

Measured:

* **engine, one core**: :func:`go_engine.search.playout.play_chunk` (uniform random legal moves
  that do not fill the mover's own eye, until two passes; Tromp-Taylor area score) in the
  calling thread. Rates are per CPU-second of that thread (``time.thread_time``), like the
  anchors in ``ENV-NOTES.md``, so other processes on the machine disturb them less.
* **anchor, one core**: OpenSpiel's Go (C++) driven from a Python loop, each move drawn
  uniformly from ``state.legal_actions()``. That policy does *not* exclude eye-filling (and
  includes pass at every move), and OpenSpiel stops a game after ``2 * size**2`` moves, so its
  games are not the same games: compare moves per second first, playouts per second second.
* **engine, all cores**: :func:`go_engine.search.playout.run_playouts` with ``--threads``
  threads (default ``os.cpu_count()``), in wall-clock playouts per second.

Each figure is the median of ``--runs`` measurements of ``--seconds`` each; engine and anchor
are measured alternately in the same run. The last line printed is machine-readable
``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from go_engine.rules.board import Board
from go_engine.search.playout import chunk_rng, play_chunk, run_playouts


@dataclass(frozen=True)
class Rate:
    """Playouts and moves per second of one measurement (or the medians of several)."""

    playouts_per_s: float
    moves_per_s: float

    @property
    def moves_per_playout(self) -> float:
        """Mean playout length."""
        return self.moves_per_s / self.playouts_per_s if self.playouts_per_s else 0.0


def median_rate(rates: list[Rate]) -> Rate:
    """Medians of each figure over several measurements."""
    return Rate(statistics.median(r.playouts_per_s for r in rates),
                statistics.median(r.moves_per_s for r in rates))


def measure(step: Callable[[], tuple[int, int]], seconds: float,
            clock: Callable[[], float] = time.thread_time) -> Rate:
    """Call ``step`` (returning playouts and moves done) until ``seconds`` of ``clock`` pass."""
    playouts = moves = 0
    start = clock()
    while True:
        done, played = step()
        playouts += done
        moves += played
        elapsed = clock() - start
        if elapsed >= seconds:
            return Rate(playouts / elapsed, moves / elapsed)


def engine_step(size: int, seed: int) -> Callable[[], tuple[int, int]]:
    """A batch of light playouts on one core from the empty board."""
    board = Board(size)
    state = chunk_rng(seed, 0)
    batch = max(1, 20000 // (size * size))

    def step() -> tuple[int, int]:
        stats = play_chunk(board, batch, state)
        return stats.count, int(stats.lengths.sum())

    return step


def all_cores_step(size: int, seed: int, threads: int) -> Callable[[], tuple[int, int]]:
    """A batch of light playouts split over ``threads`` threads.

    Each thread gets about 0.05 s of work per step, so that starting the threads and merging
    their statistics (a millisecond or so) does not hide the parallel speed-up.
    """
    board = Board(size)
    batch = threads * max(1, 400000 // (size * size))
    counter = iter(range(seed, seed + 10**9))

    def step() -> tuple[int, int]:
        stats = run_playouts(board, batch, threads=threads, seed=next(counter))
        return stats.count, int(stats.lengths.sum())

    return step


def openspiel_step(size: int, seed: int) -> Callable[[], tuple[int, int]] | None:
    """One OpenSpiel game of uniformly random legal moves (eye-filling allowed), or ``None``
    when OpenSpiel is not installed."""
    try:
        import pyspiel
    except ImportError:
        return None
    game = pyspiel.load_game("go", {"board_size": size, "komi": 7.5})
    rng = random.Random(seed)

    def step() -> tuple[int, int]:
        state = game.new_initial_state()
        moves = 0
        while not state.is_terminal():
            actions = state.legal_actions()
            state.apply_action(actions[rng.randrange(len(actions))])
            moves += 1
        return 1, moves

    return step


def warm_up(size: int, threads: int) -> None:
    """Compile (or load from numba's cache) and start the thread pool once."""
    play_chunk(Board(size), 2, chunk_rng(0, 0))
    run_playouts(Board(size), 2 * threads, threads=threads)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="measurements per figure (median)")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[9, 19], help="board sizes")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for the all-cores figure (default: all cores)")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def measure_size(size: int, args: argparse.Namespace) -> dict[str, float]:
    """Every figure for one board size, measured alternately ``args.runs`` times."""
    warm_up(size, args.threads)
    engine = engine_step(size, args.seed)
    anchor = openspiel_step(size, args.seed)
    one_wall = engine_step(size, args.seed + 1)
    parallel = all_cores_step(size, args.seed, args.threads)
    rates: dict[str, list[Rate]] = {"engine": [], "anchor": [], "one_wall": [], "parallel": []}
    for _ in range(args.runs):
        rates["engine"].append(measure(engine, args.seconds))
        if anchor is not None:
            rates["anchor"].append(measure(anchor, args.seconds))
        rates["one_wall"].append(measure(one_wall, args.seconds, clock=time.perf_counter))
        rates["parallel"].append(measure(parallel, args.seconds, clock=time.perf_counter))
    ours, wide = median_rate(rates["engine"]), median_rate(rates["parallel"])
    single = median_rate(rates["one_wall"])
    theirs = median_rate(rates["anchor"]) if rates["anchor"] else Rate(0.0, 0.0)
    key = f"{size}x{size}"
    return {
        f"moves_per_s_{key}": ours.moves_per_s,
        f"playouts_per_s_{key}": ours.playouts_per_s,
        f"moves_per_playout_{key}": ours.moves_per_playout,
        f"anchor_moves_per_s_{key}": theirs.moves_per_s,
        f"anchor_playouts_per_s_{key}": theirs.playouts_per_s,
        f"anchor_moves_per_playout_{key}": theirs.moves_per_playout,
        f"ratio_{key}": ours.moves_per_s / theirs.moves_per_s if theirs.moves_per_s else 0.0,
        f"one_thread_wall_playouts_per_s_{key}": single.playouts_per_s,
        f"all_cores_playouts_per_s_{key}": wide.playouts_per_s,
        f"all_cores_speedup_{key}": (wide.playouts_per_s / single.playouts_per_s
                                     if single.playouts_per_s else 0.0),
    }


ROWS = [  # (figure name without the size, label, format)
    ("moves_per_s", "engine moves/s, 1 core", "{:,.0f}"),
    ("playouts_per_s", "engine playouts/s, 1 core", "{:,.0f}"),
    ("moves_per_playout", "engine moves per playout", "{:.1f}"),
    ("anchor_moves_per_s", "OpenSpiel moves/s, 1 core", "{:,.0f}"),
    ("anchor_playouts_per_s", "OpenSpiel playouts/s, 1 core", "{:,.0f}"),
    ("anchor_moves_per_playout", "OpenSpiel moves per playout", "{:.1f}"),
    ("ratio", "moves/s: engine / OpenSpiel", "{:.1f}x"),
    ("one_thread_wall_playouts_per_s", "engine playouts/s, 1 thread, wall", "{:,.0f}"),
    ("all_cores_playouts_per_s", "engine playouts/s, {threads} threads, wall", "{:,.0f}"),
    ("all_cores_speedup", "speed-up, {threads} threads / 1 thread", "{:.2f}x"),
]


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the benchmark, print the table and the machine-readable line; return the figures."""
    args = parse_args(argv)
    figures: dict[str, float] = {}
    for size in args.sizes:
        figures.update(measure_size(size, args))
    has_anchor = openspiel_step(args.sizes[0], 0) is not None
    table = Table(title=f"Light playouts: medians of {args.runs} x {args.seconds:g} s; "
                        "1 core = per CPU-second of the thread")
    table.add_column("figure")
    for size in args.sizes:
        table.add_column(f"{size}x{size}", justify="right")
    for name, label, form in ROWS:
        if name.startswith(("anchor", "ratio")) and not has_anchor:
            continue
        cells = [form.format(figures[f"{name}_{size}x{size}"]) for size in args.sizes]
        table.add_row(label.format(threads=args.threads), *cells)
    console = Console()
    console.print(table)
    console.print(ANCHOR_NOTE if has_anchor else "OpenSpiel (pyspiel) is not installed: no "
                  "anchor figures.")
    figures["threads"] = args.threads
    print(" ".join(f"{name}={value:.0f}" if "per_s" in name or name == "threads"
                   else f"{name}={value:.2f}" for name, value in figures.items()))
    return figures


ANCHOR_NOTE = (
    "Anchor: OpenSpiel's Go (C++) from a Python loop, each move uniform over legal_actions(). "
    "Unlike the engine's light playouts it does NOT exclude filling one's own eyes, may pass at "
    "any move, and stops at 2 * size**2 moves, so its games differ; compare moves/s first. "
    "Thread figures are wall clock and share the machine with whatever else runs.")


if __name__ == "__main__":
    main()
