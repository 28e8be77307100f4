"""Time control: the game's clock settings and how long the engine may think about a move.

GTP's ``time_settings`` (absolute or Canadian), ``kgs-time_settings`` (none, absolute,
byo-yomi, Canadian) and ``time_left`` fill a :class:`TimeControl` and one :class:`Clock` per
colour. :meth:`TimeControl.budget` turns them into seconds for the next search. The budget is
deliberately simple and safe (a share of the main time, the period's time per stone in
overtime, always keeping a margin back); the search issue refines it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from go_engine.rules.board import Board


class TimeSystem(StrEnum):
    """The clock a game is played with."""

    NONE = "none"
    ABSOLUTE = "absolute"  # main time only
    CANADIAN = "canadian"  # then ``stones`` moves per period of ``period`` seconds
    BYOYOMI = "byoyomi"  # then ``stones`` periods of ``period`` seconds, one move each


MIN_MOVES_LEFT = 20  # main time is never spread over fewer moves than this
MIN_SEARCH_SECONDS = 0.05  # the least a clock-limited search is given
SAFETY_SECONDS = 1.0  # kept back from every period (at most a quarter of it)


def _minus_margin(seconds: float) -> float:
    return seconds - min(SAFETY_SECONDS, 0.25 * seconds)


@dataclass
class Clock:
    """One side's clock as GTP's ``time_left`` reports it: ``seconds`` left in the main time
    (``stones == 0``) or in the current overtime period, where ``stones`` is the moves left
    in the period (Canadian) or the periods left (byo-yomi)."""

    seconds: float
    stones: int = 0


@dataclass(frozen=True)
class TimeControl:
    """A game's time settings and the simple budget the engine thinks with."""

    system: TimeSystem = TimeSystem.NONE
    main: float = 0.0
    period: float = 0.0
    stones: int = 0

    @classmethod
    def from_gtp(cls, main: float, period: float, stones: int) -> TimeControl:
        """GTP's ``time_settings``: no period is absolute time; a period of 0 stones means no
        limits (GTP section 4.2); anything else is Canadian overtime."""
        if period <= 0:
            return cls(TimeSystem.ABSOLUTE, main) if main > 0 else cls()
        if stones == 0:
            return cls()
        return cls(TimeSystem.CANADIAN, main, period, stones)

    @property
    def has_overtime(self) -> bool:
        """True when some overtime follows the main time."""
        return self.system in (TimeSystem.CANADIAN, TimeSystem.BYOYOMI)

    def new_clock(self) -> Clock:
        """A clock at the start of the game."""
        if self.main <= 0 and self.has_overtime:
            return Clock(self.period, self.stones)
        return Clock(self.main, 0)

    def budget(self, clock: Clock, moves_left: int) -> float | None:
        """Seconds to think about the next move; ``None`` when there is no limit.

        In main time: the time left over ``max(20, moves_left)`` moves, but never less than a
        first overtime move would get when overtime follows. In overtime: the period's time
        over its stones (Canadian) or the whole period (byo-yomi). Every share keeps back a
        margin of a quarter of it, at most :data:`SAFETY_SECONDS`.
        """
        if self.system == TimeSystem.NONE:
            return None
        if clock.stones <= 0 or not self.has_overtime:
            share = clock.seconds / max(MIN_MOVES_LEFT, moves_left)
            if self.has_overtime:
                first = self.period / (self.stones if self.system == TimeSystem.CANADIAN else 1)
                share = max(share, _minus_margin(first))
            else:
                share = min(share, _minus_margin(clock.seconds))
        elif self.system == TimeSystem.CANADIAN:
            share = _minus_margin(clock.seconds / clock.stones)
        else:
            share = _minus_margin(min(clock.seconds, self.period))
        return max(MIN_SEARCH_SECONDS, share)

    def spend(self, clock: Clock, seconds: float) -> None:
        """Run ``clock`` down by a move that took ``seconds`` (used until the controller sends
        ``time_left``, which overrides it)."""
        if self.system == TimeSystem.NONE:
            return
        clock.seconds -= seconds
        if not self.has_overtime:
            clock.seconds = max(clock.seconds, 0.0)
            return
        if clock.stones <= 0:
            if clock.seconds >= 0:
                return
            clock.seconds += self.period  # the main time ran out during this move
            clock.stones = self.stones
        if self.system == TimeSystem.CANADIAN:
            clock.stones -= 1
            if clock.stones <= 0 or clock.seconds <= 0:
                clock.seconds, clock.stones = self.period, self.stones
        else:
            if clock.seconds < 0:
                clock.stones = max(1, clock.stones - 1)
            clock.seconds = self.period


def estimated_moves_left(board: Board) -> int:
    """A rough count of the moves the side to move still has to play: a third of the empty
    points."""
    empty = board.size * board.size - board.stone_count()
    return empty // 3
