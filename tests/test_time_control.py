"""The time budget: how long the engine may think under each clock, and clocks running down."""

from __future__ import annotations

import pytest

from go_engine.search.time_control import MIN_SEARCH_SECONDS, Clock, TimeControl, TimeSystem


def test_time_budget():
    absolute = TimeControl(TimeSystem.ABSOLUTE, 600)
    assert absolute.budget(Clock(600), 100) == pytest.approx(6.0)
    assert absolute.budget(Clock(600), 5) == pytest.approx(30.0)  # never fewer than 20 moves
    assert absolute.budget(Clock(0.01), 5) == MIN_SEARCH_SECONDS
    canadian = TimeControl(TimeSystem.CANADIAN, 0, 60, 10)
    assert canadian.budget(Clock(60, 10), 50) == pytest.approx(6.0 - 1.0)
    assert canadian.budget(Clock(10, 2), 50) == pytest.approx(4.0)
    assert canadian.budget(Clock(1, 1), 50) == pytest.approx(0.75)
    with_main = TimeControl(TimeSystem.CANADIAN, 60, 60, 10)
    assert with_main.budget(Clock(1, 0), 50) == pytest.approx(5.0)  # overtime follows
    byoyomi = TimeControl(TimeSystem.BYOYOMI, 0, 30, 5)
    assert byoyomi.budget(Clock(30, 5), 50) == pytest.approx(29.0)
    assert TimeControl().budget(Clock(0), 50) is None


def test_clock_runs_down_without_time_left():
    canadian = TimeControl(TimeSystem.CANADIAN, 10, 20, 2)
    clock = canadian.new_clock()
    canadian.spend(clock, 4)
    assert clock == Clock(6, 0)
    canadian.spend(clock, 7)  # main time runs out: into the first period, one stone played
    assert clock == Clock(19, 1)
    canadian.spend(clock, 5)  # the period's last stone: a fresh period
    assert clock == Clock(20, 2)
    byoyomi = TimeControl(TimeSystem.BYOYOMI, 0, 10, 3)
    clock = byoyomi.new_clock()
    assert clock == Clock(10, 3)
    byoyomi.spend(clock, 4)
    assert clock == Clock(10, 3)
    byoyomi.spend(clock, 11)
    assert clock == Clock(10, 2)
    absolute = TimeControl(TimeSystem.ABSOLUTE, 5)
    clock = absolute.new_clock()
    absolute.spend(clock, 9)
    assert clock == Clock(0, 0)
