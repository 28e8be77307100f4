"""Counting a finished game: area (Chinese / Tromp-Taylor) and territory (Japanese-style)
scoring given a set of dead stones. Which stones are dead is judged elsewhere (by the players,
or estimated from playouts by :func:`go_engine.search.playout.estimate_dead_stones`).

Both scorers first take the dead stones off the board (they become prisoners of the other
side), then find each empty region's owner: the colour of every stone the region touches, or
nobody when it touches both colours (dame, seki).

* area:      stones on the board + empty regions owned; prisoners do not count.
* territory: empty regions owned + prisoners (captures during the game and dead stones).
  Territory counting here does not remove the points of a seki or of dame; it is the usual
  approximation, good for showing a breakdown.

The margin is always Black minus White after komi: positive means Black wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, EMPTY, WHITE


class ScoringRule(StrEnum):
    """How a finished game is counted."""

    AREA = "area"
    TERRITORY = "territory"


@dataclass(frozen=True)
class SideScore:
    """One side's part of the count."""

    stones: int
    territory: int
    prisoners: int
    dead: int  # of this side's own stones, removed as dead


@dataclass(frozen=True)
class ScoreBreakdown:
    """A full count: each side's parts, komi, the rule, and the margin (Black minus White)."""

    rule: ScoringRule
    black: SideScore
    white: SideScore
    komi: float

    def total(self, color: int) -> float:
        """Points of ``color`` (White's include komi)."""
        side = self.black if color == BLACK else self.white
        points = side.territory + (side.stones if self.rule == ScoringRule.AREA else side.prisoners)
        return points + (self.komi if color == WHITE else 0.0)

    @property
    def margin(self) -> float:
        """Black's points minus White's points, komi included."""
        return self.total(BLACK) - self.total(WHITE)

    @property
    def winner(self) -> int | None:
        """``BLACK``, ``WHITE`` or ``None`` for a draw."""
        if self.margin == 0:
            return None
        return BLACK if self.margin > 0 else WHITE

    def result_string(self) -> str:
        """``B+3.5``, ``W+0.5`` or ``0`` (draw), as SGF's ``RE`` writes it."""
        if self.winner is None:
            return "0"
        return f"{'B' if self.winner == BLACK else 'W'}+{abs(self.margin):g}"


def score(board: Board, komi: float, dead: frozenset[int] | set[int] = frozenset(),
          rule: ScoringRule = ScoringRule.AREA) -> ScoreBreakdown:
    """Count ``board`` with ``dead`` stones (flat points) removed, under ``rule``."""
    rule = ScoringRule(rule)
    dead_count = {BLACK: 0, WHITE: 0}
    for point in dead:
        color = board.color_at(point)
        if color == EMPTY:
            raise ValueError("a dead stone must be a stone")
        dead_count[color] += 1
    cleaned = _without(board, dead)
    _, owner = cleaned.area()
    stones = cleaned.stones()
    sides = {}
    for color, sign in ((BLACK, 1), (WHITE, -1)):
        other = WHITE if color == BLACK else BLACK
        sides[color] = SideScore(
            stones=int(np.sum(stones == color)),
            territory=int(np.sum((owner == sign) & (stones == EMPTY))),
            prisoners=board.captures(color) + dead_count[other],
            dead=dead_count[color],
        )
    return ScoreBreakdown(rule, sides[BLACK], sides[WHITE], komi)


def _without(board: Board, removed: frozenset[int] | set[int]) -> Board:
    """A copy of ``board`` with the stones on ``removed`` lifted (chains rebuilt from scratch)."""
    stones = board.stones().ravel()
    stones[list(removed)] = EMPTY
    fresh = Board(board.size)
    index = padded_index(board.size)
    for p in np.flatnonzero(stones):
        core.place_stone(fresh.pts, fresh.meta, fresh.zobrist, index[p], int(stones[p]))
    return fresh
