"""Time control: the allotment under each clock, the stopping rules on scripted searches, and
whole games on a simulated clock (a referee's clock written here from the rules, independent
of the engine's) that the engine must never lose on time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from go_engine.cli import EngineOptions
from go_engine.interfaces.gtp import GtpEngine
from go_engine.rules.coords import BLACK, WHITE
from go_engine.rules.game import Rules
from go_engine.search.config import SearchConfig
from go_engine.search.player import MCTSPlayer
from go_engine.search.time_control import (
    MIN_SEARCH_SECONDS,
    Allotment,
    Clock,
    MoveTimer,
    TimeConfig,
    TimeControl,
    TimeSystem,
    think,
)

# -- the allotment ------------------------------------------------------------------------------


def test_base_budget_under_each_clock():
    absolute = TimeControl(TimeSystem.ABSOLUTE, 600)
    assert absolute.budget(Clock(600), 100) == pytest.approx(6.0)
    assert absolute.budget(Clock(600), 5) == pytest.approx(30.0)  # never fewer than 20 moves
    assert absolute.budget(Clock(0.5), 5) == pytest.approx(MIN_SEARCH_SECONDS)  # the floor
    assert absolute.budget(Clock(0.01), 5) == pytest.approx(0.0075)  # ...but never past the
    # clock: all but the margin
    canadian = TimeControl(TimeSystem.CANADIAN, 0, 60, 10)
    assert canadian.budget(Clock(60, 10), 50) == pytest.approx(6.0 - 1.0)
    assert canadian.budget(Clock(10, 2), 50) == pytest.approx(4.0)
    assert canadian.budget(Clock(1, 1), 50) == pytest.approx(0.75)
    with_main = TimeControl(TimeSystem.CANADIAN, 60, 60, 10)
    assert with_main.budget(Clock(1, 0), 50) == pytest.approx(5.0)  # overtime follows
    byoyomi = TimeControl(TimeSystem.BYOYOMI, 0, 30, 5)
    assert byoyomi.budget(Clock(30, 5), 50) == pytest.approx(29.0)
    assert TimeControl().budget(Clock(0), 50) is None
    assert TimeControl().allotment(Clock(0), 50) is None


def test_hard_moves_may_stretch_the_allotment_within_the_clock():
    absolute = TimeControl(TimeSystem.ABSOLUTE, 600)
    assert absolute.allotment(Clock(600), 100) == Allotment(6.0, 15.0)  # 2.5 x base
    assert absolute.allotment(Clock(40), 20).limit == pytest.approx(5.0)  # 2.5 x 2 s
    assert absolute.allotment(Clock(2), 1).limit == pytest.approx(0.25)  # a quarter of main
    canadian = TimeControl(TimeSystem.CANADIAN, 0, 60, 10)
    # 5 s a stone; 12.5 s for a hard one still leaves half a share for the 9 others.
    assert canadian.allotment(Clock(60, 10), 50) == Allotment(5.0, 12.5)
    assert canadian.allotment(Clock(10, 3), 50).limit == pytest.approx(10 - 0.5 * 10 / 3 * 2
                                                                        - 1.0)
    assert canadian.allotment(Clock(4, 1), 50) == Allotment(3.0, 3.0)  # the last stone
    byoyomi = TimeControl(TimeSystem.BYOYOMI, 0, 30, 5)
    assert byoyomi.allotment(Clock(30, 3), 50) == Allotment(29.0, 29.0)  # use it or lose it


@pytest.mark.parametrize("system", [TimeSystem.ABSOLUTE, TimeSystem.CANADIAN,
                                    TimeSystem.BYOYOMI])
def test_no_allotment_reaches_past_the_time_at_stake(system):
    rng = np.random.default_rng(3)
    config = TimeConfig()
    for _ in range(2000):
        main, period = float(rng.uniform(0, 300)), float(rng.uniform(0.1, 60))
        stones = int(rng.integers(1, 26))
        control = TimeControl(system, main, 0 if system == TimeSystem.ABSOLUTE else period,
                              0 if system == TimeSystem.ABSOLUTE else stones)
        in_overtime = system != TimeSystem.ABSOLUTE and rng.random() < 0.5
        if in_overtime:
            left = int(rng.integers(1, stones + 1))
            clock = Clock(float(rng.uniform(0.001, period)), left)
        else:
            clock = Clock(float(rng.uniform(0.001, max(main, 0.002))), 0)
        allotment = control.allotment(clock, int(rng.integers(0, 200)), config)
        assert 0 <= allotment.base <= allotment.limit
        if system == TimeSystem.ABSOLUTE:
            stake = clock.seconds
        elif not in_overtime:  # main time, then the first overtime move's share
            first = period / stones if system == TimeSystem.CANADIAN else period
            stake = clock.seconds + first
        else:
            stake = clock.seconds
        assert allotment.limit <= stake - config.margin(min(stake, period if in_overtime
                                                             else stake)) + 1e-9


# -- the stopping rules on scripted searches ----------------------------------------------------


class SimulatedClock:
    """A time source that only moves when told to."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class Snapshot:
    visits: np.ndarray
    playouts: int


def scripted_search(clock: SimulatedClock, shares, cost: float = 0.001):
    """A fake search over 5 moves: each playout costs ``cost`` simulated seconds and goes to
    the moves in the proportions ``shares(total playouts so far)``."""
    done = [0]

    def search(playouts: int, seconds: float) -> Snapshot:
        clock.advance(playouts * cost)
        done[0] += playouts
        visits = np.floor(np.asarray(shares(done[0]), dtype=float) * done[0])
        return Snapshot(visits, playouts)

    return search


def run_timer(shares, base: float = 1.0, limit: float = 2.5, **config) -> MoveTimer:
    clock = SimulatedClock()
    timer = MoveTimer(Allotment(base, limit), clock, TimeConfig(**config))
    think(scripted_search(clock, shares), timer)
    return timer


def test_an_obvious_move_stops_before_the_base_time():
    timer = run_timer(lambda n: [0.97, 0.01, 0.01, 0.01, 0.0])
    assert timer.reason == "decided"
    assert 0.5 < timer.elapsed() < 0.6  # the lead exceeds what the rest of the base can add


def test_a_close_call_is_extended_to_the_limit():
    timer = run_timer(lambda n: [0.45, 0.44, 0.06, 0.05, 0.0])
    assert timer.extended
    assert timer.elapsed() == pytest.approx(2.5, abs=0.05)  # the limit, or just before it
    # when the last look shows the lead can no longer be made up ('decided')
    timer = run_timer(lambda n: [0.45, 0.45, 0.05, 0.05, 0.0])
    assert timer.reason == "limit"


def test_a_close_call_that_settles_stops_once_it_cannot_change():
    # Close at the base time, then the best pulls away: decided before the limit.
    timer = run_timer(lambda n: [0.45, 0.40, 0.1, 0.05, 0] if n < 1300 else
                      [0.85, 0.10, 0.03, 0.02, 0])
    assert timer.extended and timer.reason == "base"  # past the base, and no longer hard
    assert 1.3 <= timer.elapsed() < 1.45


def test_a_late_change_of_mind_is_extended_until_the_new_best_holds():
    def shares(n):  # the second move overtakes at 0.9 s and stays ahead, 45/38
        return [0.45, 0.38, 0.1, 0.07, 0] if n < 900 else [0.38, 0.45, 0.1, 0.07, 0]

    timer = run_timer(shares, close_ratio=0.9)
    assert timer.extended and timer.reason != "limit"
    assert 0.9 + 0.25 <= timer.elapsed() < 1.25  # the window after the change, then stop


def test_chunks_follow_the_rate_and_never_pass_the_limit():
    clock = SimulatedClock()
    timer = MoveTimer(Allotment(0.5, 0.8), clock)
    search = scripted_search(clock, lambda n: [0.4, 0.4, 0.1, 0.1, 0.0], cost=0.002)
    reports = []
    result, done = think(search, timer, progress=reports.append, progress_every=0.2)
    assert timer.reason == "limit"
    assert 0.8 <= timer.elapsed() <= 0.8 + 0.002 + 1e-9  # at most one playout over
    assert done == 400 and result.playouts <= 0.05 / 0.002 + 1  # chunks of ~a tenth of base
    assert 3 <= len(reports) <= 4
    capped = MoveTimer(Allotment(0.5, 0.8), clock)
    _, done = think(search, capped, max_playouts=100)
    assert done == 100 and capped.reason == "playouts"


# -- whole games on a simulated clock -----------------------------------------------------------


class Referee:
    """A server's clock for one player, written from the rules (not from the engine's code):
    absolute, Canadian (``stones`` moves per ``period``) or byo-yomi (``stones`` periods)."""

    def __init__(self, system: TimeSystem, main: float, period: float, stones: int) -> None:
        self.system, self.period, self.stones = system, period, stones
        self.main = main
        self.overtime = False
        self.period_left = period
        self.left = stones  # Canadian: moves left in the period; byo-yomi: periods left
        self.lowest = main  # the least time ever left on the clock

    def charge(self, seconds: float) -> None:
        """A move took ``seconds``; the flag falls (AssertionError) if the time is up."""
        if not self.overtime:
            if seconds <= self.main:
                self.main -= seconds
                self.lowest = min(self.lowest, self.main)
                return
            assert self.system != TimeSystem.ABSOLUTE, "lost on time (absolute)"
            seconds -= self.main
            self.main = 0.0
            self.overtime = True
        if self.system == TimeSystem.CANADIAN:
            self.period_left -= seconds
            assert self.period_left >= 0, "lost on time (Canadian period)"
            self.lowest = min(self.lowest, self.period_left)
            self.left -= 1
            if self.left == 0:
                self.period_left, self.left = self.period, self.stones
        else:
            assert seconds <= self.period, "a byo-yomi period was used up"
            self.lowest = min(self.lowest, self.period - seconds)

    def time_left(self) -> tuple[float, int]:
        """What a server sends with ``time_left``."""
        if not self.overtime:
            return self.main, 0
        if self.system == TimeSystem.CANADIAN:
            return self.period_left, self.left
        return self.period, self.left


class CostedSearch:
    """The player's MCTS, with every playout costing simulated time."""

    def __init__(self, mcts, clock: SimulatedClock, cost: float) -> None:
        self.mcts, self.clock, self.cost = mcts, clock, cost

    def search(self, game, **limits):
        result = self.mcts.search(game, **limits)
        self.clock.advance(result.playouts * self.cost)
        return result

    def __getattr__(self, name):
        return getattr(self.mcts, name)


def timed_engine(clock: SimulatedClock, size: int = 9, cost: float = 0.01,
                 seed: int = 1) -> GtpEngine:
    config = SearchConfig(playouts=10**7, seed=seed, resign_threshold=0.0)
    player = MCTSPlayer(config)
    player.mcts = CostedSearch(player.mcts, clock, cost)
    return GtpEngine(EngineOptions(size, Rules(komi=7.5), config), player, now=clock)


def answer(engine: GtpEngine, line: str) -> str:
    response = engine.handle_line(line)
    assert response is not None and response.startswith("="), (line, response)
    return response[1:].strip()


SETTINGS = {
    TimeSystem.ABSOLUTE: "kgs-time_settings absolute 20",
    TimeSystem.CANADIAN: "kgs-time_settings canadian 4 6 5",
    TimeSystem.BYOYOMI: "kgs-time_settings byoyomi 4 1.5 3",
}


@pytest.mark.parametrize("system, send_time_left", [
    (TimeSystem.ABSOLUTE, True), (TimeSystem.CANADIAN, True), (TimeSystem.BYOYOMI, True),
    (TimeSystem.CANADIAN, False)])
def test_a_game_on_a_simulated_clock_never_runs_out_of_time(system, send_time_left):
    # Time the referee charges beyond the engine's search (network, judgement). Without
    # time_left the engine cannot see it and its own clock drifts: keep it to local pipes.
    lag = 0.05 if send_time_left else 0.01
    clock = SimulatedClock()
    engine = timed_engine(clock)
    answer(engine, SETTINGS[system])
    words = SETTINGS[system].split()[2:]
    main = float(words[0])
    period = float(words[1]) if len(words) > 1 else 0.0
    stones = int(words[2]) if len(words) > 2 else 0
    referees = {c: Referee(system, main, period, stones) for c in (BLACK, WHITE)}
    spent: list[tuple[float, float, str]] = []  # (seconds, base, why it stopped)
    for ply in range(60):
        color = BLACK if ply % 2 == 0 else WHITE
        name = "b" if color == BLACK else "w"
        if send_time_left:
            seconds, count = referees[color].time_left()
            answer(engine, f"time_left {name} {seconds:.3f} {count}")
        start = clock()
        vertex = answer(engine, f"genmove {name}")
        timer = engine.last_timer
        spent.append((clock() - start, timer.allotment.base, timer.reason, timer.extended))
        clock.advance(lag)
        referees[color].charge(clock() - start)
        if engine.game.is_over or vertex == "resign":
            break
    assert len(spent) >= 40  # many moves (the game may end by passes after 40)
    for referee in referees.values():
        assert referee.lowest >= 0
    # Easy moves stopped before their base time, hard ones went past it.
    easy = [seconds / base for seconds, base, why, extended in spent
            if why == "decided" and not extended]
    hard = [seconds / base for seconds, base, _, extended in spent if extended]
    assert easy and max(easy) < 1.0
    if system != TimeSystem.BYOYOMI:  # in a byo-yomi period the base is the whole period
        assert hard and min(hard) > 1.0
    engine.close()


@pytest.mark.parametrize("clock_playouts, expect_capped", [(None, True), (0, False)])
def test_the_clockless_playout_cap_binds_under_a_clock_only_when_asked(clock_playouts,
                                                                       expect_capped):
    """``go-engine gtp`` without ``--playouts`` searches 5,000 playouts a move with no clock,
    but under a GUI's clock the clock alone decides (``clock_playouts=0``)."""
    clock = SimulatedClock()
    config = SearchConfig(playouts=50, seed=1, resign_threshold=0.0)
    player = MCTSPlayer(config)
    player.mcts = CostedSearch(player.mcts, clock, 0.001)
    options = EngineOptions(9, Rules(komi=7.5), config, clock_playouts=clock_playouts)
    engine = GtpEngine(options, player, now=clock)
    answer(engine, "genmove b")
    assert engine.last_decision.search.playouts == 50  # no clock: the config's cap
    answer(engine, "kgs-time_settings absolute 60")
    answer(engine, "genmove w")
    playouts = engine.last_decision.search.playouts
    assert (playouts == 50) if expect_capped else (playouts > 50)
    engine.close()
