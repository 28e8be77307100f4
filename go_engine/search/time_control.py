"""Time control: the game's clock, how long the engine may think about a move, and when to stop.

GTP's ``time_settings`` (absolute or Canadian), ``kgs-time_settings`` (none, absolute,
byo-yomi, Canadian) and ``time_left`` fill a :class:`TimeControl` and one :class:`Clock` per
colour. Three steps turn them into a search:

1. :meth:`TimeControl.allotment` gives the move an :class:`Allotment`: a ``base`` for an
   ordinary move and a ``limit`` that a hard move may stretch to. Both keep a safety margin back
   (a quarter of the time at stake, at most :attr:`TimeConfig.safety_seconds`):

   ====================  ==========================================  ==========================
   clock                 base                                        limit
   ====================  ==========================================  ==========================
   absolute              main left / max(20, moves left)             min(extension x base,
                                                                     a quarter of main left)
   main, then overtime   as absolute, but at least a first overtime  the same (never past the
                         move's share                                main time, bar the share)
   Canadian period       period left / stones left, less the margin  up to extension x base,
                                                                     keeping half a share for
                                                                     every other stone
   byo-yomi period       the period less the margin                  the same: unused period
                                                                     time is lost anyway
   ====================  ==========================================  ==========================

2. :class:`MoveTimer` watches one search through snapshots of the root's visit counts and
   decides when to stop:

   * a move is *hard* while the second candidate has at least :attr:`TimeConfig.close_ratio`
     of the best candidate's visits, or the best candidate changed within the last
     :attr:`TimeConfig.unstable_window` of the base; its target is then ``limit``, else
     ``base``;
   * *decided*: the best move cannot be overtaken, because the visits the search can still add
     before the target (the rate so far times the time left) are fewer than the lead of the
     best move over the second: stop early, saving time on easy moves;
   * *base*: past the base time and not hard: stop; a hard move goes on (is *extended*);
   * *limit*: stop.

   Leela Zero's time manager (``UCTSearch::have_alternate_moves``) has the *decided* rule;
   extending an unclear move towards a maximum time is common MCTS practice (Pachi searches
   between a desired and a worst-case time in the same spirit).

3. :func:`think` runs a search in chunks sized to the playout rate and asks the timer after
   each chunk; the time source is injected, so tests can run whole games on a simulated clock.

The engine's own clock runs down with :meth:`TimeControl.spend` when the controller sends no
``time_left``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from go_engine.rules.board import Board


class TimeSystem(StrEnum):
    """The clock a game is played with."""

    NONE = "none"
    ABSOLUTE = "absolute"  # main time only
    CANADIAN = "canadian"  # then ``stones`` moves per period of ``period`` seconds
    BYOYOMI = "byoyomi"  # then ``stones`` periods of ``period`` seconds, one move each


MIN_MOVES_LEFT = 20  # main time is never spread over fewer moves than this
MIN_SEARCH_SECONDS = 0.05  # the least a clock-limited search is given (time allowing)
SAFETY_SECONDS = 1.0  # kept back from every period (at most a quarter of it)

TimeSource = Callable[[], float]
"""Seconds on a monotonic clock (``time.perf_counter``, or a simulated clock in tests)."""


@dataclass(frozen=True)
class TimeConfig:
    """How the engine spreads its clock over the game and over one move.

    Attributes:
        safety_seconds: kept back from the time at stake (main time left, a period), at most a
            quarter of it: it covers what the search does not see (the judgement after the
            search, GTP and network lag).
        min_moves_left: main time is never spread over fewer moves than this.
        min_search_seconds: the least a move gets, when the clock has that much to give.
        extension: a hard move may take up to this many times an ordinary move's share.
        max_main_share: no move takes more than this share of the main time left.
        canadian_reserve: in a Canadian period, each stone still to play after this one keeps
            at least this share of an even split of the period left.
        close_ratio: a move is hard when the second candidate has at least this share of the
            best candidate's visits at the base time.
        unstable_window: a move is hard when the best candidate changed within this share of
            the base time before the check.
        early_share: the *decided* rule waits for this share of the base time...
        early_playouts: ...and for this many playouts, so the playout rate is known.
        check_seconds: the search is looked at about this often (at most a tenth of the base).
        first_chunk: playouts of the first chunk, before the rate is known.
        max_chunk: the most playouts between two looks.
    """

    safety_seconds: float = SAFETY_SECONDS
    min_moves_left: int = MIN_MOVES_LEFT
    min_search_seconds: float = MIN_SEARCH_SECONDS
    extension: float = 2.5
    max_main_share: float = 0.25
    canadian_reserve: float = 0.5
    close_ratio: float = 0.75
    unstable_window: float = 0.25
    early_share: float = 0.1
    early_playouts: int = 64
    check_seconds: float = 0.2
    first_chunk: int = 16
    max_chunk: int = 4096

    def __post_init__(self) -> None:
        if self.extension < 1 or not 0 < self.max_main_share <= 1:
            raise ValueError("extension must be >= 1 and max_main_share in (0, 1]")
        if self.safety_seconds < 0 or self.min_search_seconds < 0 or self.check_seconds <= 0:
            raise ValueError("safety_seconds, min_search_seconds must be >= 0, "
                             "check_seconds > 0")
        if self.first_chunk < 1 or self.max_chunk < self.first_chunk:
            raise ValueError("need 1 <= first_chunk <= max_chunk")

    def margin(self, seconds: float) -> float:
        """The safety margin kept back from ``seconds`` at stake."""
        return min(self.safety_seconds, 0.25 * max(seconds, 0.0))

    def minus_margin(self, seconds: float) -> float:
        """``seconds`` less its safety margin."""
        return max(seconds, 0.0) - self.margin(seconds)


DEFAULT_TIME_CONFIG = TimeConfig()


@dataclass
class Clock:
    """One side's clock as GTP's ``time_left`` reports it: ``seconds`` left in the main time
    (``stones == 0``) or in the current overtime period, where ``stones`` is the moves left
    in the period (Canadian) or the periods left (byo-yomi)."""

    seconds: float
    stones: int = 0


@dataclass(frozen=True)
class Allotment:
    """Seconds for one move: ``base`` for an ordinary move, up to ``limit`` for a hard one."""

    base: float
    limit: float

    def capped(self, seconds: float) -> Allotment:
        """The allotment, neither part over ``seconds`` (a per-move limit such as ``--time``)."""
        return Allotment(min(self.base, seconds), min(self.limit, seconds))


@dataclass(frozen=True)
class TimeControl:
    """A game's time settings and the time a move may take under them."""

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

    def allotment(self, clock: Clock, moves_left: int,
                  config: TimeConfig = DEFAULT_TIME_CONFIG) -> Allotment | None:
        """The time for the next move (see the module's table); ``None`` when unlimited."""
        if self.system == TimeSystem.NONE:
            return None
        if clock.stones <= 0 or not self.has_overtime:
            base, limit, usable = self._main_time(clock, moves_left, config)
        elif self.system == TimeSystem.CANADIAN:
            base, limit, usable = self._canadian(clock, config)
        else:
            base = limit = usable = config.minus_margin(min(clock.seconds, self.period))
        floor = min(config.min_search_seconds, usable)
        base = max(base, floor)
        return Allotment(base, max(base, limit))

    def budget(self, clock: Clock, moves_left: int,
               config: TimeConfig = DEFAULT_TIME_CONFIG) -> float | None:
        """Seconds an ordinary move gets (the allotment's base); ``None`` when unlimited."""
        allotment = self.allotment(clock, moves_left, config)
        return None if allotment is None else allotment.base

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

    # -- the shares -----------------------------------------------------------------------------

    def _first_overtime_share(self, config: TimeConfig) -> float:
        """What the first move of a fresh overtime period gets."""
        per_move = self.period / self.stones if self.system == TimeSystem.CANADIAN else self.period
        return config.minus_margin(per_move)

    def _main_time(self, clock: Clock, moves_left: int,
                   config: TimeConfig) -> tuple[float, float, float]:
        share = clock.seconds / max(config.min_moves_left, moves_left)
        stretched = min(config.extension * share, config.max_main_share * clock.seconds)
        if self.has_overtime:
            base = max(share, self._first_overtime_share(config))
            return base, stretched, base
        usable = config.minus_margin(clock.seconds)
        return min(share, usable), min(stretched, usable), usable

    def _canadian(self, clock: Clock, config: TimeConfig) -> tuple[float, float, float]:
        stones = max(clock.stones, 1)
        per_stone = clock.seconds / stones
        base = config.minus_margin(per_stone)
        reserve = config.canadian_reserve * per_stone * (stones - 1)
        limit = min(config.extension * base,
                    clock.seconds - reserve - config.margin(clock.seconds))
        return base, limit, config.minus_margin(clock.seconds)


def estimated_moves_left(board: Board) -> int:
    """A rough count of the moves the side to move still has to play: a third of the empty
    points."""
    empty = board.size * board.size - board.stone_count()
    return empty // 3


# -- one move -----------------------------------------------------------------------------------


class MoveTimer:
    """When to stop thinking about one move (see the module's rules).

    Args:
        allotment: the move's base and limit.
        now: the time source; the move's clock starts when the timer is made.
        config: the thresholds.
    """

    def __init__(self, allotment: Allotment, now: TimeSource = time.perf_counter,
                 config: TimeConfig = DEFAULT_TIME_CONFIG) -> None:
        self.allotment = allotment
        self.now = now
        self.config = config
        self.start = now()
        self.extended = False
        self.reason = ""  # why it stopped: decided, base, limit (think: playouts, interrupted)
        self._best: int | None = None
        self._best_since = 0.0

    def elapsed(self) -> float:
        """Seconds since the timer was made."""
        return self.now() - self.start

    def remaining(self) -> float:
        """Seconds left before the limit (negative once past it)."""
        return self.allotment.limit - self.elapsed()

    def next_chunk(self, playouts_done: int) -> int:
        """Playouts to run before the next look: about ``check_seconds`` (a tenth of the base
        at most) at the rate so far, never (much) past the limit."""
        config = self.config
        elapsed = self.elapsed()
        if playouts_done <= 0 or elapsed <= 0:
            return config.first_chunk
        rate = playouts_done / elapsed
        interval = min(config.check_seconds, self.allotment.base / 10)
        left = max(self.allotment.limit - elapsed, 0.0)
        chunk = min(rate * interval, rate * left, config.max_chunk)
        return max(1, int(chunk))

    def should_stop(self, visits: np.ndarray, playouts_done: int) -> bool:
        """Look at the root's visit counts after ``playouts_done`` playouts of this move's
        search; True when the search should stop (:attr:`reason` says why)."""
        elapsed = self.elapsed()
        base, limit = self.allotment.base, self.allotment.limit
        if elapsed >= limit:
            return self._stop("limit")
        order = np.argsort(-np.asarray(visits), kind="stable")
        best = int(order[0])
        first = float(visits[best])
        second = float(visits[order[1]]) if len(order) > 1 else 0.0
        if best != self._best:
            self._best, self._best_since = best, elapsed
        hard = self._is_hard(first, second, elapsed)  # then the target is the limit
        if elapsed >= base and not hard:
            return self._stop("base")
        target = limit if hard else base
        early = self.config.early_share * base
        if playouts_done >= self.config.early_playouts and elapsed > 0 and elapsed >= early:
            still_possible = playouts_done / elapsed * max(target - elapsed, 0.0)
            if first - second > still_possible:
                return self._stop("decided")
        self.extended = self.extended or elapsed >= base
        return False

    def _is_hard(self, first: float, second: float, elapsed: float) -> bool:
        close = first > 0 and second >= self.config.close_ratio * first
        unstable = elapsed - self._best_since < self.config.unstable_window * self.allotment.base
        return close or unstable

    def _stop(self, reason: str) -> bool:
        self.reason = reason
        return True


class _Snapshot(Protocol):
    """What :func:`think` needs of a search result."""

    visits: np.ndarray
    playouts: int


def think(search: Callable[[int, float], _Snapshot], timer: MoveTimer, *, max_playouts: int = 0,
          interrupted: Callable[[], bool] | None = None,
          progress: Callable[[_Snapshot], None] | None = None,
          progress_every: float = 0.5) -> tuple[_Snapshot, int]:
    """Run ``search(playouts, seconds)`` in chunks until ``timer`` says stop, ``max_playouts``
    (0: no cap) are done or ``interrupted()`` is true; ``progress`` gets the result every
    ``progress_every`` seconds of the timer's clock. Returns the last result and the playouts
    of all chunks. ``seconds`` is the time left before the limit, a backstop for the search's
    own clock."""
    done = 0
    last_report = timer.elapsed()
    while True:
        chunk = timer.next_chunk(done)
        if max_playouts:
            chunk = max(1, min(chunk, max_playouts - done))
        result = search(chunk, max(timer.remaining(), 1e-3))
        done += result.playouts
        if progress is not None and timer.elapsed() - last_report >= progress_every:
            progress(result)
            last_report = timer.elapsed()
        if max_playouts and done >= max_playouts:
            timer.reason = "playouts"
            break
        if interrupted is not None and interrupted():
            timer.reason = "interrupted"
            break
        if timer.should_stop(result.visits, done):
            break
    return result, done
