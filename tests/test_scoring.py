"""Counting finished games (area and territory, with dead stones) and the dead-stone estimate."""

from __future__ import annotations

import pytest

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, WHITE, from_gtp
from go_engine.rules.scoring import ScoringRule, score
from go_engine.search.playout import estimate_dead_stones, estimate_ownership

# Black's wall on rows 4 and 1 closes the board; the three white stones inside are dead.
INVADED = """
. X . . .
X X X X X
X O O . X
X O . . X
. X X X .
"""
DEAD_WHITE = {from_gtp(v, 5) for v in ("B3", "C3", "B2")}


def test_area_count_with_dead_stones_removed():
    board = Board.from_ascii(INVADED)
    count = score(board, komi=0.5, dead=DEAD_WHITE)
    assert count.black.stones == 13 and count.black.territory == 12
    assert count.white.stones == 0 and count.white.dead == 3
    assert count.margin == 25 - 0.5
    assert count.result_string() == "B+24.5"


def test_territory_count_uses_prisoners_not_stones():
    board = Board.from_ascii(INVADED)
    count = score(board, komi=0.5, dead=DEAD_WHITE, rule=ScoringRule.TERRITORY)
    assert count.black.prisoners == 3  # the dead white stones
    assert count.total(BLACK) == 12 + 3
    assert count.total(WHITE) == 0.5


def test_counting_every_stone_alive_gives_the_dead_stones_their_points():
    board = Board.from_ascii(INVADED)
    count = score(board, komi=0.5)
    # The white stones now make the three points inside neutral: Black keeps the six outside.
    assert count.white.stones == 3
    assert count.black.territory == 6
    assert count.margin == (13 + 6) - 3 - 0.5


def test_whole_komi_can_draw():
    board = Board.from_ascii("""
        . X O .
        . X O .
        . X O .
        . X O .
    """)
    count = score(board, komi=0)
    assert count.winner is None and count.result_string() == "0"


def test_a_dead_stone_must_be_a_stone():
    with pytest.raises(ValueError, match="dead stone"):
        score(Board(5), komi=0.5, dead={0})


def test_light_playouts_find_the_dead_invaders():
    board = Board.from_ascii(INVADED)
    assert estimate_dead_stones(board, 300, seed=1) == DEAD_WHITE
    owned = estimate_ownership(board, 300, seed=1)
    assert owned.min() > 0.5  # every point ends Black's


def test_no_dead_stones_between_two_living_groups():
    board = Board.from_ascii("""
        . X . O .
        X X . O .
        . X O O O
        X X O . O
        . X O O .
    """)
    assert estimate_dead_stones(board, 300, seed=2) == frozenset()


def test_a_game_ended_by_two_passes_is_still_played_on():
    board = Board.from_ascii(INVADED)
    board.play(25)  # pass
    board.play(25)
    assert board.passes == 2
    assert estimate_dead_stones(board, 200, seed=3) == DEAD_WHITE
