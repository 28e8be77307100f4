"""The engine's free handicap placement."""

from __future__ import annotations

from go_engine.rules.game import fixed_handicap_points
from go_engine.rules.handicap import free_handicap_points


def test_free_handicap_points_spread_out():
    points = free_handicap_points(19, 12)
    assert set(fixed_handicap_points(19, 9)) <= set(points)
    assert len(points) == 12
    assert free_handicap_points(13, 4) == sorted(fixed_handicap_points(13, 4))
