"""A game of Go under explicit rules: history, superko, passes, resignation, handicap, undo, end.

:class:`Rules` is a small frozen dataclass (picklable; it travels to self-play workers).
:class:`Game` owns a :class:`~go_engine.rules.board.Board` and everything the board does not
know: the komi, the ko rule, the moves so far, and how the game ended.

Ko rules (``Rules.ko_rule``):

``simple``       only the immediate recapture of a single stone is forbidden;
``positional``   (default) no move may recreate any earlier board position (stones only);
``situational``  no move may recreate an earlier position with the same player to move.

Undo restores exact snapshots of the board arrays, so it is correct whatever the move did.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from go_engine.rules.board import DEFAULT_ZOBRIST_SEED, Board
from go_engine.rules.coords import (
    BLACK,
    EMPTY,
    RESIGN,
    WHITE,
    check_size,
    color_name,
    opponent,
    to_gtp,
)
from go_engine.rules.masks import legal_mask


class KoRule(StrEnum):
    """Which repetitions are forbidden."""

    SIMPLE = "simple"
    POSITIONAL = "positional"
    SITUATIONAL = "situational"


class IllegalMoveError(ValueError):
    """A move the rules forbid; the message says why."""


@dataclass(frozen=True)
class Rules:
    """The rules a game is played under.

    Attributes:
        komi: points given to White; any real number, half or whole (a whole komi allows draws).
        ko_rule: ``positional`` superko by default (Chinese / Tromp-Taylor style), or
            ``situational`` superko, or ``simple`` ko.
        allow_suicide: whether a move that leaves its own chain without liberties is legal
            (Tromp-Taylor and New Zealand rules allow it; most others do not).
    """

    komi: float = 7.5
    ko_rule: KoRule = KoRule.POSITIONAL
    allow_suicide: bool = False


@dataclass(frozen=True)
class Move:
    """One move of the game record: a colour and a flat point (``PASS`` or ``RESIGN`` too)."""

    color: int
    point: int


def fixed_handicap_points(size: int, stones: int) -> list[int]:
    """The GTP fixed handicap placement (GTP v2 section 4.1.1) as flat points.

    Boards 7x7 and larger take 2 to 4 stones; odd boards from 9x9 take up to 9. The stones sit
    on the third line up to 12x12 and on the fourth line from 13x13.
    """
    check_size(size)
    limit = 9 if size % 2 == 1 and size >= 9 else 4
    if size < 7 or not 2 <= stones <= limit:
        raise ValueError(f"invalid handicap: {stones} stones on {size}x{size}")
    low = 2 if size <= 12 else 3
    high = size - 1 - low
    mid = size // 2

    def at(row: int, col: int) -> int:
        return row * size + col

    corners = [at(high, low), at(low, high), at(low, low), at(high, high)]  # D4 Q16 D16 Q4
    sides = [at(mid, low), at(mid, high)]  # D10 Q10
    top_bottom = [at(high, mid), at(low, mid)]  # K4 K16
    center = [at(mid, mid)]
    layouts = {
        2: corners[:2], 3: corners[:3], 4: corners, 5: corners + center, 6: corners + sides,
        7: corners + sides + center, 8: corners + sides + top_bottom,
        9: corners + sides + top_bottom + center,
    }
    return layouts[stones]


@dataclass
class GameResult:
    """How a game ended: the winner (``None`` for a draw), the margin and why."""

    winner: int | None
    margin: float = 0.0
    by_resignation: bool = False
    details: dict = field(default_factory=dict)

    def sgf(self) -> str:
        """The SGF ``RE`` value: ``B+3.5``, ``W+R``, ``0`` for a draw."""
        if self.winner is None:
            return "0"
        letter = "B" if self.winner == BLACK else "W"
        if self.by_resignation:
            return f"{letter}+R"
        return f"{letter}+{self.margin:g}"


class Game:
    """A game in progress: a board, the rules, the record, and undo."""

    def __init__(self, size: int = 19, rules: Rules | None = None, *,
                 zobrist_seed: int = DEFAULT_ZOBRIST_SEED) -> None:
        self.rules = rules or Rules()
        self.board = Board(size, zobrist_seed=zobrist_seed, allow_suicide=self.rules.allow_suicide)
        self.moves: list[Move] = []
        self.handicap: list[int] = []
        self.resigned: int | None = None
        self._snapshots: list[tuple[np.ndarray, np.ndarray, int | None]] = []
        self._keys: list[int] = []
        self._seen: Counter[int] = Counter()
        self._remember_position()

    # -- basic facts --------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Board size."""
        return self.board.size

    @property
    def komi(self) -> float:
        """Komi given to White."""
        return self.rules.komi

    @property
    def to_move(self) -> int:
        """The colour to play next."""
        return self.board.to_move

    @property
    def pass_point(self) -> int:
        """The flat index of pass."""
        return self.size * self.size

    @property
    def is_over(self) -> bool:
        """Two consecutive passes, or a resignation."""
        return self.resigned is not None or self.board.passes >= 2

    def copy(self) -> Game:
        """An independent copy of the whole game (record, history, board)."""
        other = Game.__new__(Game)
        other.rules = self.rules
        other.board = self.board.copy()
        other.moves = list(self.moves)
        other.handicap = list(self.handicap)
        other.resigned = self.resigned
        other._snapshots = list(self._snapshots)
        other._keys = list(self._keys)
        other._seen = Counter(self._seen)
        return other

    # -- legality -----------------------------------------------------------------------------

    def illegal_reason(self, point: int, color: int | None = None) -> str | None:
        """Why ``color`` may not play ``point`` now, or ``None`` when the move is legal."""
        color = self.to_move if color is None else color
        if self.resigned is not None:
            return "the game is over"
        if point == self.pass_point:
            return None
        if not 0 <= point < self.pass_point:
            return "not a point of the board"
        if self.board.color_at(point) != EMPTY:
            return "the point is occupied"
        if not self.board.is_legal(point, color):
            if self.board.ko_point == point and color == self.to_move:
                return "ko: the stone cannot be retaken at once"
            return "suicide"
        if self.rules.ko_rule != KoRule.SIMPLE:
            key = self._key(self.board.hash_after(point, color), opponent(color))
            if self._seen[key]:
                return f"{self.rules.ko_rule.value} superko: the position repeats"
        return None

    def is_legal(self, point: int, color: int | None = None) -> bool:
        """True when ``color`` (default: the side to move) may play ``point``."""
        return self.illegal_reason(point, color) is None

    def legal_moves(self, color: int | None = None) -> np.ndarray:
        """A boolean mask over the ``size * size + 1`` actions (pass last, always legal)."""
        color = self.to_move if color is None else color
        if self.resigned is not None:
            return np.zeros(self.pass_point + 1, dtype=bool)
        mask = legal_mask(self.board, color)
        if self.rules.ko_rule != KoRule.SIMPLE:
            for point in np.flatnonzero(mask[:-1]):
                key = self._key(self.board.hash_after(int(point), color), opponent(color))
                mask[point] = not self._seen[key]
        return mask

    # -- changes ------------------------------------------------------------------------------

    def play(self, point: int, color: int | None = None) -> int:
        """Play a move (``PASS`` and ``RESIGN`` included) and return the stones it captured.

        Raises :class:`IllegalMoveError` (and changes nothing) when the rules forbid it.
        A colour may move twice in a row, as GTP allows; the record keeps the colours.
        """
        color = self.to_move if color is None else color
        if color not in (BLACK, WHITE):
            raise IllegalMoveError(f"invalid colour {color!r}")
        if point == RESIGN:
            self.resign(color)
            return 0
        reason = self.illegal_reason(point, color)
        if reason is not None:
            raise IllegalMoveError(f"illegal move {to_gtp(point, self.size)}: {reason}")
        self._snapshots.append((self.board.pts.copy(), self.board.meta.copy(), self.resigned))
        captured = self.board.play(point, color)
        self.moves.append(Move(color, point))
        self._remember_position()
        return captured

    def resign(self, color: int | None = None) -> None:
        """``color`` resigns; the game is over. Undo takes it back."""
        color = self.to_move if color is None else color
        self._snapshots.append((self.board.pts.copy(), self.board.meta.copy(), self.resigned))
        self.moves.append(Move(color, RESIGN))
        self.resigned = color
        self._remember_position()

    def undo(self) -> Move:
        """Take back the last move; raise ``IndexError`` when there is none."""
        if not self.moves:
            raise IndexError("no move to undo")
        pts, meta, resigned = self._snapshots.pop()
        self.board.pts[...] = pts
        self.board.meta[...] = meta
        self.resigned = resigned
        self._forget_position()
        return self.moves.pop()

    def place_handicap(self, points: list[int]) -> None:
        """Put handicap stones on an empty board before the first move; White moves next."""
        if self.moves or self.handicap or self.board.stone_count():
            raise IllegalMoveError("handicap stones go on an empty board before any move")
        if len(points) < 2 or len(set(points)) != len(points):
            raise IllegalMoveError("a handicap is two or more distinct points")
        for point in points:
            if not 0 <= point < self.pass_point:
                raise IllegalMoveError("handicap point off the board")
        for point in points:
            self.board.place_setup_stone(point, BLACK)
        self.handicap = list(points)
        self.board.to_move = WHITE
        self._reset_positions()

    def place_fixed_handicap(self, stones: int) -> list[int]:
        """Place the GTP fixed handicap of ``stones`` stones and return their points."""
        points = fixed_handicap_points(self.size, stones)
        self.place_handicap(points)
        return points

    def setup_stones(self, black: list[int], white: list[int], to_move: int = BLACK) -> None:
        """Put setup stones (SGF ``AB``/``AW``) on an empty game before any move."""
        if self.moves:
            raise IllegalMoveError("setup stones go before the first move")
        for point in black:
            self.board.place_setup_stone(point, BLACK)
        for point in white:
            self.board.place_setup_stone(point, WHITE)
        self.board.to_move = to_move
        self._reset_positions()

    # -- results ------------------------------------------------------------------------------

    def area_score(self) -> float:
        """Black's area minus White's, minus komi (Tromp-Taylor, every stone counted alive)."""
        return self.board.area()[0] - self.komi

    def result(self) -> GameResult:
        """The result now: by resignation, or by area scoring counting every stone alive."""
        if self.resigned is not None:
            return GameResult(opponent(self.resigned), by_resignation=True)
        margin = self.area_score()
        if margin == 0:
            return GameResult(None)
        return GameResult(BLACK if margin > 0 else WHITE, abs(margin))

    def __repr__(self) -> str:
        return (f"Game(size={self.size}, komi={self.komi}, moves={len(self.moves)}, "
                f"to_move={color_name(self.to_move)})")

    # -- position history for superko ---------------------------------------------------------

    def _key(self, stone_hash: int, to_move: int) -> int:
        if self.rules.ko_rule == KoRule.SITUATIONAL and to_move == WHITE:
            return stone_hash ^ int(self.board.zobrist[EMPTY, 0])
        return stone_hash

    def _remember_position(self) -> None:
        key = self._key(self.board.hash, self.to_move)
        self._keys.append(key)
        self._seen[key] += 1

    def _forget_position(self) -> None:
        key = self._keys.pop()
        self._seen[key] -= 1

    def _reset_positions(self) -> None:
        self._keys.clear()
        self._seen.clear()
        self._remember_position()
