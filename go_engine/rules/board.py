"""A readable Python face on the numba board core: one position, in flat coordinates.

:class:`Board` knows stones, chains, captures, the simple-ko point, the side to move and the
hash. It does not know history, superko, komi or the end of the game: that is
:class:`go_engine.rules.game.Game`. Points are flat indices (see :mod:`go_engine.rules.coords`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.coords import BLACK, EMPTY, WHITE, check_size, to_gtp

DEFAULT_ZOBRIST_SEED = 20161

ASCII_STONES = {".": EMPTY, "+": EMPTY, "X": BLACK, "x": BLACK, "O": WHITE, "o": WHITE}
ASCII_OF = {EMPTY: ".", BLACK: "X", WHITE: "O"}


@lru_cache(maxsize=64)
def zobrist_table(size: int, seed: int = DEFAULT_ZOBRIST_SEED) -> np.ndarray:
    """The shared, read-only Zobrist table of a board size and seed."""
    table = core.make_zobrist(size, seed)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=64)
def padded_index(size: int) -> np.ndarray:
    """``padded_index(size)[p]`` is the padded point of flat point ``p``; pass maps to -1."""
    rows, cols = np.divmod(np.arange(size * size), size)
    table = np.append((rows + 1) * (size + 2) + cols + 1, -1).astype(np.int64)
    table.setflags(write=False)
    return table


@lru_cache(maxsize=64)
def flat_index(size: int) -> np.ndarray:
    """``flat_index(size)[q]`` is the flat point of padded point ``q`` (-1 on the border)."""
    table = np.full((size + 2) ** 2, -1, dtype=np.int64)
    table[padded_index(size)[:-1]] = np.arange(size * size)
    table.setflags(write=False)
    return table


class Board:
    """One Go position: stones, chains, simple ko, captures, side to move and Zobrist hash."""

    __slots__ = ("size", "pts", "meta", "zobrist", "_padded", "_flat")

    def __init__(self, size: int = 19, *, zobrist_seed: int = DEFAULT_ZOBRIST_SEED,
                 allow_suicide: bool = False) -> None:
        self.size = check_size(size)
        self.pts, self.meta = core.new_arrays(size)
        self.meta[core.M_ALLOW_SUICIDE] = int(allow_suicide)
        self.zobrist = zobrist_table(size, zobrist_seed)
        self._padded = padded_index(size)
        self._flat = flat_index(size)

    # -- construction -------------------------------------------------------------------------

    def copy(self) -> Board:
        """An independent copy (the Zobrist table is shared; it is read-only)."""
        other = Board.__new__(Board)
        other.size = self.size
        other.pts = self.pts.copy()
        other.meta = self.meta.copy()
        other.zobrist = self.zobrist
        other._padded = self._padded
        other._flat = self._flat
        return other

    @classmethod
    def from_ascii(cls, text: str, to_move: int = BLACK, **kwargs) -> Board:
        """Build a board from rows of ``X`` (black), ``O`` (white) and ``.``, top row first.

        Spaces are ignored, so boards may be written ``X . O``. Stones are placed as setup
        stones; chains that would have no liberties are a mistake in the text and raise.
        """
        rows = [line.replace(" ", "") for line in text.strip().splitlines() if line.strip()]
        size = len(rows)
        if any(len(row) != size for row in rows):
            raise ValueError("an ASCII board must be square")
        board = cls(size, **kwargs)
        for row, line in enumerate(rows):
            for col, char in enumerate(line):
                if ASCII_STONES.get(char) is None:
                    raise ValueError(f"unknown board character {char!r}")
                if ASCII_STONES[char] != EMPTY:
                    board.place_setup_stone(row * size + col, ASCII_STONES[char])
        board.meta[core.M_TO_MOVE] = to_move
        return board

    def place_setup_stone(self, point: int, color: int) -> None:
        """Put a stone on an empty point outside the flow of the game (handicap, SGF setup)."""
        if self.color_at(point) != EMPTY:
            raise ValueError(f"{to_gtp(point, self.size)} is already occupied")
        before = self.stone_count()
        core.place_setup_stone(self.pts, self.meta, self.zobrist, self._padded[point], color)
        if self.stone_count() != before + 1:
            raise ValueError(f"setup stone at {to_gtp(point, self.size)} would capture or die")

    # -- queries ------------------------------------------------------------------------------

    @property
    def to_move(self) -> int:
        """The colour to play next."""
        return int(self.meta[core.M_TO_MOVE])

    @to_move.setter
    def to_move(self, color: int) -> None:
        self.meta[core.M_TO_MOVE] = color

    @property
    def hash(self) -> int:
        """Zobrist hash of the stones (positional)."""
        return int(self.meta[core.M_HASH])

    @property
    def ko_point(self) -> int | None:
        """The point the side to move may not take back because of simple ko, or ``None``."""
        ko = int(self.meta[core.M_KO_POINT])
        return None if ko < 0 else int(self._flat[ko])

    @property
    def passes(self) -> int:
        """Consecutive passes at the end of the move sequence."""
        return int(self.meta[core.M_PASSES])

    @property
    def last_move(self) -> int | None:
        """The last move played (flat point or pass), or ``None`` before the first move."""
        last = int(self.meta[core.M_LAST_MOVE])
        if last == core.NO_MOVE:
            return None
        return self.size * self.size if last < 0 else int(self._flat[last])

    def captures(self, color: int) -> int:
        """Stones ``color`` has captured so far."""
        index = core.M_CAPTURED_BY_BLACK if color == BLACK else core.M_CAPTURED_BY_WHITE
        return int(self.meta[index])

    def color_at(self, point: int) -> int:
        """``EMPTY``, ``BLACK`` or ``WHITE`` at a flat point."""
        return int(self.pts[core.COLOR, self._padded[point]])

    def stones(self) -> np.ndarray:
        """An ``int8 [size, size]`` array of colours, row 0 at the top."""
        return self.pts[core.COLOR, self._padded[:-1]].astype(np.int8).reshape(self.size,
                                                                                self.size)

    def stone_count(self) -> int:
        """Stones on the board, both colours."""
        return self.size * self.size - int(self.meta[core.M_NUM_EMPTY])

    def points_of(self, color: int) -> list[int]:
        """Sorted flat points holding ``color``."""
        return [int(p) for p in np.flatnonzero(self.stones().ravel() == color)]

    def chain(self, point: int) -> list[int]:
        """Sorted flat points of the chain through the stone at ``point``."""
        self._require_stone(point)
        return sorted(int(self._flat[q]) for q in core.chain_stones(self.pts, self._padded[point]))

    def liberties(self, point: int) -> list[int]:
        """Sorted flat points of the exact liberties of the chain through ``point``."""
        self._require_stone(point)
        padded = core.chain_liberties(self.pts, self.meta, self._padded[point])
        return sorted(int(self._flat[q]) for q in padded)

    def liberty_count(self, point: int) -> int:
        """Number of distinct liberties of the chain through ``point``."""
        return len(self.liberties(point))

    def is_legal(self, point: int, color: int | None = None) -> bool:
        """Empty, not the simple-ko point, not suicide (unless allowed). Pass is legal."""
        if point == self.size * self.size:
            return True
        if not 0 <= point < self.size * self.size:
            return False
        color = self.to_move if color is None else color
        return bool(core.is_legal(self.pts, self.meta, self._padded[point], color))

    def is_eye_like(self, point: int, color: int) -> bool:
        """True when ``point`` is empty and looks like ``color``'s own eye (playout rule)."""
        return self.color_at(point) == EMPTY and bool(
            core.is_eye_like(self.pts, self.meta, self._padded[point], color))

    def hash_after(self, point: int, color: int) -> int:
        """Hash of the stones after ``color`` plays the legal move ``point``."""
        return int(core.hash_after(self.pts, self.meta, self.zobrist, self._padded[point], color))

    def area(self) -> tuple[int, np.ndarray]:
        """Tromp-Taylor area: (black minus white, ``int8 [size, size]`` owner: +1 B, -1 W)."""
        owner = np.zeros(self.pts.shape[1], dtype=np.int8)
        score = core.area_owner(self.pts, self.meta, owner)
        return int(score), owner[self._padded[:-1]].reshape(self.size, self.size)

    # -- changes ------------------------------------------------------------------------------

    def play(self, point: int, color: int | None = None) -> int:
        """Play ``point`` (or pass) for ``color`` without any legality check; return captures."""
        color = self.to_move if color is None else color
        return int(core.play(self.pts, self.meta, self.zobrist, self._padded[point], color))

    # -- text ---------------------------------------------------------------------------------

    def to_ascii(self) -> str:
        """Rows of ``X``, ``O`` and ``.``, top row first (the inverse of :meth:`from_ascii`)."""
        grid = self.stones()
        return "\n".join(" ".join(ASCII_OF[int(c)] for c in row) for row in grid)

    def __str__(self) -> str:
        return self.to_ascii()

    def __repr__(self) -> str:
        return f"Board(size={self.size}, to_move={self.to_move}, stones={self.stone_count()})"

    def _require_stone(self, point: int) -> None:
        if not 0 <= point < self.size * self.size or self.color_at(point) == EMPTY:
            raise ValueError(f"no stone at {to_gtp(point, self.size)}")
