"""Shared test helpers: ASCII boards, seeded generators, the GNU Go binary; and the compiled
kernels warmed before the first test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from go_engine.data.archives import MoveList
from go_engine.data.dataset import GameDataset
from go_engine.interfaces.gtp_client import GtpClient, find_gnugo
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, WHITE


@pytest.fixture
def gnugo_path() -> str:
    path = find_gnugo()
    if path is None:
        pytest.fail("GNU Go is required (apt-get install gnugo)")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def board_from_ascii(text: str, **kwargs) -> Board:
    """Shorthand for :meth:`Board.from_ascii`."""
    return Board.from_ascii(text, **kwargs)


def style_games(count: int, size: int = 9, moves: int = 30, seed: int = 0,
                decided: bool = False) -> GameDataset:
    """Seeded games in a learnable local style: answer next to the last move when possible.
    With ``decided``, Black wins the even games and White the odd ones (else no result)."""
    rng = np.random.default_rng(seed)
    games = []
    for g in range(count):
        board = Board(size)
        colors, points = [], []
        for _ in range(moves):
            legal = [p for p in range(size * size) if board.is_legal(p)
                     and not board.is_eye_like(p, board.to_move)]
            if not legal:
                break
            last = board.last_move
            near = [p for p in legal if last is not None and last < size * size
                    and abs(p // size - last // size) + abs(p % size - last % size) == 1]
            move = int(rng.choice(near)) if near else int(rng.choice(legal))
            colors.append(board.to_move)
            points.append(move)
            board.play(move)
        winner = (BLACK if g % 2 == 0 else WHITE) if decided else 0
        games.append(MoveList(size, tuple(colors), tuple(points), winner=winner))
    return GameDataset.from_move_lists(games)


WARM_MARK = ".go-engine-warmed"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile the engine's kernels once, as ``.ci/setup`` does, before tests that give engine
    processes deadlines: the numba cache is keyed by the kernels' sources
    (:mod:`go_engine.compile_cache`), so after any kernel-side edit everything compiles anew,
    which takes longer than a GTP test waits for a move. A mark in the cache directory makes
    this a no-op once done."""
    from go_engine import compile_cache

    cache = Path(os.environ.get("NUMBA_CACHE_DIR") or compile_cache.cache_dir_for())
    mark = cache / WARM_MARK
    if mark.exists():
        return
    done = subprocess.run(engine_command("gtp", "--size", "9", "--playouts", "30"),
                          input="genmove b\nquit\n", text=True, capture_output=True,
                          timeout=1200, check=False)
    if done.returncode == 0 and cache.is_dir():
        mark.touch()


def engine_command(*extra: str) -> list[str]:
    """``go-engine ARGS``: the console script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("go-engine")
    if script.exists():
        return [str(script), *extra]
    return [sys.executable, "-m", "go_engine", *extra]


# -- a from-scratch reference model of the rules (pure Python, no shared code with the core) --


def grid_from_board(board: Board) -> list[list[int]]:
    """The board's colours as a list of rows (row 0 at the top)."""
    return [[int(c) for c in row] for row in board.stones()]


def reference_neighbours(size: int, row: int, col: int):
    """The on-board orthogonal neighbours of ``(row, col)``."""
    for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
        if 0 <= r < size and 0 <= c < size:
            yield r, c


def reference_group(grid: list[list[int]], row: int, col: int) -> tuple[set, set]:
    """Flood-fill the chain through a stone: ``(stones, liberties)`` as sets of ``(row, col)``."""
    size = len(grid)
    color = grid[row][col]
    stones, liberties, todo = {(row, col)}, set(), [(row, col)]
    while todo:
        r, c = todo.pop()
        for q in reference_neighbours(size, r, c):
            value = grid[q[0]][q[1]]
            if value == 0:
                liberties.add(q)
            elif value == color and q not in stones:
                stones.add(q)
                todo.append(q)
    return stones, liberties


def reference_play(grid: list[list[int]], row: int, col: int, color: int,
                   allow_suicide: bool = False):
    """Play ``color`` at ``(row, col)`` on a copy of ``grid`` by the book: remove opponent chains
    left without liberties, then the mover's own chain if it has none.

    Returns ``(new_grid, captured, lost)``, or ``None`` when the point is occupied or the move
    is suicide and suicide is not allowed. Ko is the caller's business.
    """
    size = len(grid)
    if grid[row][col] != 0:
        return None
    new = [list(line) for line in grid]
    new[row][col] = color
    captured = 0
    for r, c in reference_neighbours(size, row, col):
        if new[r][c] == 3 - color:
            stones, liberties = reference_group(new, r, c)
            if not liberties:
                captured += len(stones)
                for sr, sc in stones:
                    new[sr][sc] = 0
    stones, liberties = reference_group(new, row, col)
    lost = 0
    if not liberties:
        if not allow_suicide:
            return None
        lost = len(stones)
        for sr, sc in stones:
            new[sr][sc] = 0
    return new, captured, lost


def reference_area(grid: list[list[int]]) -> int:
    """Tromp-Taylor area, black minus white, by flood-filling every empty region."""
    size = len(grid)
    score = sum((v == 1) - (v == 2) for line in grid for v in line)
    seen = set()
    for row in range(size):
        for col in range(size):
            if grid[row][col] != 0 or (row, col) in seen:
                continue
            region, reaches, todo = {(row, col)}, set(), [(row, col)]
            while todo:
                r, c = todo.pop()
                for q in reference_neighbours(size, r, c):
                    value = grid[q[0]][q[1]]
                    if value == 0 and q not in region:
                        region.add(q)
                        todo.append(q)
                    elif value != 0:
                        reaches.add(value)
            seen |= region
            if reaches == {1}:
                score += len(region)
            elif reaches == {2}:
                score -= len(region)
    return score


@pytest.fixture
def gnugo(gnugo_path: str):
    """A GNU Go process in GTP mode (default rules: simple ko, no suicide)."""
    with GtpClient([gnugo_path, "--mode", "gtp"]) as client:
        yield client


@pytest.fixture
def one_torch_thread():
    """One torch thread for the test (the machine runs other processes; two intra-op threads
    were no faster here), restored afterwards. Torch is imported here, not at collection, so
    tests of numpy code never load it."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
