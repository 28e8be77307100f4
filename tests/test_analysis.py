"""Search statistics as candidates, and Leela Zero's ``info`` lines written and read back."""

from __future__ import annotations

import numpy as np
import pytest

from go_engine.interfaces.analysis import (
    Candidate,
    candidates,
    info_line,
    lower_confidence_bound,
    parse_info_line,
)
from go_engine.rules.coords import from_gtp
from go_engine.rules.game import Game
from go_engine.search.config import SearchConfig
from go_engine.search.mcts import SearchResult
from go_engine.search.player import MCTSPlayer


def result_on_5x5(visits: dict[str, int], q: dict[str, float]) -> SearchResult:
    """A hand-made search result on 5x5 with uniform priors."""
    n, value = np.zeros(26), np.zeros(26)
    for vertex, count in visits.items():
        n[from_gtp(vertex, 5)] = count
        value[from_gtp(vertex, 5)] = q[vertex]
    best = int(np.argmax(n))
    variations = {from_gtp(v, 5): [from_gtp(v, 5), from_gtp("C3", 5)] for v in visits}
    return SearchResult(best, n, value, np.full(26, 1 / 26), int(n.sum()), 0.1,
                        variations[best], variations)


def test_lower_confidence_bound():
    assert lower_confidence_bound(0.6, 0) == 0.0 and lower_confidence_bound(0.6, 1) == 0.0
    assert lower_confidence_bound(0.5, 100) == pytest.approx(0.5 - 1.96 * 0.05)
    assert lower_confidence_bound(1.0, 10) == 1.0  # no spread
    assert lower_confidence_bound(0.01, 4) == 0.0  # clamped
    assert lower_confidence_bound(0.6, 1000) > lower_confidence_bound(0.6, 100)


def test_candidates_are_ranked_by_visits_then_win_rate():
    result = result_on_5x5({"C3": 40, "B2": 25, "D4": 25, "A1": 1},
                           {"C3": 0.2, "B2": -0.1, "D4": 0.3, "A1": 1.0})
    ranked = candidates(result)
    assert [c.move for c in ranked] == [from_gtp(v, 5) for v in ("C3", "D4", "B2", "A1")]
    assert [c.order for c in ranked] == [0, 1, 2, 3]
    assert ranked[0].winrate == pytest.approx(0.6) and ranked[3].lcb == 0.0
    assert ranked[1].pv == (from_gtp("D4", 5), from_gtp("C3", 5))
    assert len(candidates(result, limit=2)) == 2


def test_info_line_format_and_round_trip():
    result = result_on_5x5({"C3": 40, "B2": 25}, {"C3": 0.2, "B2": -0.1})
    line = info_line(candidates(result), 5)
    assert line == ("info move C3 visits 40 winrate 6000 prior 384 lcb 4481 order 0 pv C3 C3 "
                    "info move B2 visits 25 winrate 4500 prior 384 lcb 2549 order 1 pv B2 C3")
    back = parse_info_line(line, 5)
    assert [(c.move, c.visits, c.order, c.pv) for c in back] == [
        (c.move, c.visits, c.order, c.pv) for c in candidates(result)]
    assert back[0].winrate == 0.6 and back[1].lcb == 0.2549
    assert info_line([], 5) == ""


def test_reads_leela_zeros_own_lines():
    # Leela Zero 0.17 on 19x19 (fields as its UCTSearch::output_analysis writes them).
    line = ("info move Q16 visits 9 winrate 4415 prior 1630 lcb 3970 order 0 pv Q16 D4 Q3 "
            "info move pass visits 1 winrate 1200 prior 3 lcb 0 order 1 pv pass")
    first, second = parse_info_line(line, 19)
    assert first == Candidate(from_gtp("Q16", 19), 9, 0.4415, 0.163, 0.397, 0,
                              (from_gtp("Q16", 19), from_gtp("D4", 19), from_gtp("Q3", 19)))
    assert second.move == 361 and second.pv == (361,)
    for bad in ["move D4 visits 3", "info move D4 visits 3 winrate 5000 pv D4",
                "info move D4 visits x winrate 1 prior 1 lcb 1 order 0 pv D4"]:
        with pytest.raises(ValueError):
            parse_info_line(bad, 19)


def test_a_real_search_gives_consistent_candidates():
    player = MCTSPlayer(SearchConfig(playouts=300, seed=4))
    result = player.analyze(Game(7))
    ranked = candidates(result)
    assert sum(c.visits for c in ranked) == int(result.visits.sum())
    assert ranked[0].move == result.move
    assert all(c.pv[0] == c.move for c in ranked)
    assert all(len(c.pv) > 1 for c in ranked[:3])  # the top moves have variations
    player.close()
