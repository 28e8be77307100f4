"""Light playouts from a position, on several cores: win rates, mean score and ownership.

A *light playout* plays uniformly random legal moves that do not fill the mover's own eye (see
:func:`go_engine.rules.board_core.random_light_move`) until both players pass, then scores the
final position by Tromp-Taylor area. Playouts know simple ko only (no superko); a move cap of
``max_moves_factor * size**2`` moves guards against the rare long cycle.

Work is split into one chunk per thread. Chunk ``i`` gets ``count // threads`` playouts (one
more for the first ``count % threads`` chunks) and its own xorshift state drawn from
``(seed, i)``, so results depend on ``(seed, threads)`` only, never on how the threads were
scheduled. The kernels release the GIL (numba ``nogil``), so a
:class:`~concurrent.futures.ThreadPoolExecutor` runs the chunks on separate cores; each chunk
plays on its own scratch copy of the board.

>>> from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, WHITE
>>> stats = run_playouts(Board(9), 200, komi=7.5, seed=1)
>>> 0.0 <= stats.black_win_rate <= 1.0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, WHITE
from go_engine.rules.game import Game

DEFAULT_KOMI = 7.5


@dataclass(frozen=True)
class PlayoutConfig:
    """How playouts are run.

    Attributes:
        max_moves_factor: a playout stops after ``max_moves_factor * size**2`` moves even
            without two passes (a guard against superko cycles, which light playouts ignore).
        threads: chunks run in parallel, one per thread, each on its own scratch board.
        seed: seed of the per-thread random streams; the same ``(seed, threads)`` gives the
            same results.
    """

    max_moves_factor: int = 3
    threads: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.max_moves_factor < 1:
            raise ValueError("max_moves_factor must be at least 1")
        if self.threads < 1:
            raise ValueError("threads must be at least 1")


@dataclass(frozen=True)
class PlayoutStats:
    """What a set of playouts found. Scores are Black's area minus White's, before komi.

    Attributes:
        count: playouts played.
        komi: points given to White when counting wins.
        scores: ``int64 [count]``, each playout's area score (no komi).
        lengths: ``int64 [count]``, moves each playout played, passes included.
        ownership: ``float64 [size, size]``, the mean final owner of each point (+1 Black,
            -1 White, 0 neutral), row 0 at the top.
        max_moves: the move cap each playout ran under.
    """

    count: int
    komi: float
    scores: np.ndarray
    lengths: np.ndarray
    ownership: np.ndarray
    max_moves: int

    @property
    def mean_score(self) -> float:
        """Mean of Black's area minus White's (no komi)."""
        return float(self.scores.mean()) if self.count else 0.0

    @property
    def black_wins(self) -> int:
        """Playouts Black wins once komi is counted."""
        return int((self.scores > self.komi).sum())

    @property
    def white_wins(self) -> int:
        """Playouts White wins once komi is counted."""
        return int((self.scores < self.komi).sum())

    @property
    def draws(self) -> int:
        """Playouts drawn (possible only with a whole-number komi)."""
        return self.count - self.black_wins - self.white_wins

    @property
    def black_win_rate(self) -> float:
        """Black's share of the results, a draw counting half."""
        if not self.count:
            return 0.5
        return (self.black_wins + 0.5 * self.draws) / self.count

    @property
    def mean_length(self) -> float:
        """Mean number of moves per playout, passes included."""
        return float(self.lengths.mean()) if self.count else 0.0

    @property
    def capped(self) -> int:
        """Playouts stopped by the move cap rather than by two passes (an upper bound: a
        playout whose last move was its second pass exactly at the cap counts too)."""
        return int((self.lengths >= self.max_moves).sum())


def split_count(count: int, threads: int) -> list[int]:
    """Playouts per chunk: ``count`` split as evenly as possible over ``threads`` chunks."""
    base, extra = divmod(count, threads)
    return [base + (1 if i < extra else 0) for i in range(threads)]


def chunk_rng(seed: int, index: int) -> np.ndarray:
    """The xorshift state of chunk ``index`` under ``seed`` (independent streams)."""
    state = np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)
    state[0] |= np.uint64(1)
    return state


def _unpack(position: Board | Game, komi: float | None) -> tuple[Board, float]:
    if isinstance(position, Game):
        return position.board, position.komi if komi is None else komi
    return position, DEFAULT_KOMI if komi is None else komi


def play_chunk(position: Board | Game, count: int, rng_state: np.ndarray, *,
               komi: float | None = None, max_moves_factor: int = 3) -> PlayoutStats:
    """Run ``count`` playouts in the calling thread, drawing from ``rng_state`` (advanced).

    ``komi`` defaults to the game's komi for a :class:`Game`, else :data:`DEFAULT_KOMI`.
    """
    board, komi = _unpack(position, komi)
    max_moves = max_moves_factor * board.size * board.size
    scores = np.zeros(count, dtype=np.int64)
    lengths = np.zeros(count, dtype=np.int64)
    padded_ownership = np.zeros(board.pts.shape[1], dtype=np.float64)
    core.playout_batch(board.pts, board.meta, board.zobrist, rng_state, count, max_moves,
                       scores, padded_ownership, lengths)
    ownership = padded_ownership[padded_index(board.size)[:-1]].reshape(board.size, board.size)
    return PlayoutStats(count, float(komi), scores, lengths, ownership, max_moves)


def merge_stats(parts: Sequence[PlayoutStats]) -> PlayoutStats:
    """One :class:`PlayoutStats` for the union of ``parts`` (same position, komi and cap)."""
    if not parts:
        raise ValueError("nothing to merge")
    count = sum(part.count for part in parts)
    ownership = np.zeros_like(parts[0].ownership)
    for part in parts:
        ownership += part.ownership * part.count
    if count:
        ownership /= count
    return PlayoutStats(count, parts[0].komi,
                        np.concatenate([part.scores for part in parts]),
                        np.concatenate([part.lengths for part in parts]),
                        ownership, parts[0].max_moves)


def run_playouts(position: Board | Game, count: int, *, threads: int | None = None,
                 seed: int | None = None, komi: float | None = None,
                 config: PlayoutConfig | None = None) -> PlayoutStats:
    """Play ``count`` light playouts from ``position`` and summarise them.

    ``threads`` and ``seed`` override the ones in ``config``. ``komi`` defaults to the game's
    komi when ``position`` is a :class:`Game`, else :data:`DEFAULT_KOMI`. The position itself is
    not changed. Same ``(seed, threads)``, same result.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    config = config or PlayoutConfig()
    threads = config.threads if threads is None else threads
    seed = config.seed if seed is None else seed
    if threads < 1:
        raise ValueError("threads must be at least 1")
    counts = split_count(count, threads)
    states = [chunk_rng(seed, i) for i in range(threads)]

    def run(i: int) -> PlayoutStats:
        return play_chunk(position, counts[i], states[i], komi=komi,
                          max_moves_factor=config.max_moves_factor)

    if threads == 1:
        return run(0)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return merge_stats(list(pool.map(run, range(threads))))


def estimate_ownership(position: Board | Game, playouts: int = 400, *, seed: int = 0,
                       threads: int = 1) -> np.ndarray:
    """Mean final owner of every point over light playouts, ``float [size, size]`` in [-1, 1]
    (+1 Black). Both players get a fresh turn: a game ended by two passes is played on."""
    board = (position.board if isinstance(position, Game) else position).copy()
    board.meta[core.M_PASSES] = 0
    return run_playouts(board, playouts, seed=seed, threads=threads).ownership


def estimate_dead_stones(position: Board | Game, playouts: int = 400, *, seed: int = 0,
                         threads: int = 1, threshold: float = 0.2) -> frozenset[int]:
    """Stones the playouts mostly give to the other side: a black stone on a point whose mean
    owner is below ``-threshold`` is dead, and a white one above ``threshold``."""
    board = position.board if isinstance(position, Game) else position
    owned = estimate_ownership(board, playouts, seed=seed, threads=threads).ravel()
    stones = board.stones().ravel()
    dead = ((stones == BLACK) & (owned < -threshold)) | ((stones == WHITE) & (owned > threshold))
    return frozenset(int(p) for p in np.flatnonzero(dead))
