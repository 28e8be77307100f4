"""The player's judgement on top of the search: passing, resigning, out-of-turn moves."""

from __future__ import annotations

import pytest

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, RESIGN, WHITE, from_gtp
from go_engine.rules.game import Game, Rules
from go_engine.search.config import SearchConfig
from go_engine.search.player import MCTSPlayer


def game_from_ascii(text: str, to_move: int = BLACK, komi: float = 0.5) -> Game:
    board = Board.from_ascii(text)
    game = Game(board.size, Rules(komi=komi))
    game.setup_stones(board.points_of(BLACK), board.points_of(WHITE), to_move)
    return game


# Black walls off the left, White the right; the white stone B4 sits dead in Black's area.
# Counted now (every stone alive) White wins; Black must capture B4 before passing.
INVADED = """
. . X O .
. O X O .
. . X O .
. . X O .
. . X O .
"""


def test_does_not_pass_when_passing_loses():
    game = game_from_ascii(INVADED, to_move=WHITE, komi=0.5)
    game.play(game.pass_point)  # White passes; counting now, B4 spoils Black's area
    assert game.area_score() < 0
    player = MCTSPlayer(SearchConfig(playouts=300, seed=1, resign_threshold=0))
    decision = player.genmove(game)
    assert decision.move != game.pass_point
    assert game.is_legal(decision.move)


def test_passes_to_end_a_won_game_after_the_opponent_passed():
    game = game_from_ascii("""
        . X . X O
        X X X O .
        . X O O O
        X X X O .
        . X . O .
    """, to_move=WHITE, komi=0.5)
    game.play(game.pass_point)
    assert game.area_score() == 3.5  # C1 is dame; filling it changes nothing
    player = MCTSPlayer(SearchConfig(playouts=200, seed=2))
    assert player.genmove(game).move == game.pass_point


def test_resigns_a_hopeless_game():
    game = game_from_ascii("""
        . O . O .
        O O O O O
        . O . O .
        O O O O O
        . O . O .
    """, to_move=BLACK, komi=7.5)
    player = MCTSPlayer(SearchConfig(playouts=300, seed=3, resign_threshold=0.1,
                                     resign_min_visits=100))
    decision = player.genmove(game)
    assert decision.move == RESIGN
    assert decision.winrate is None
    assert "resignation" in decision.reason


def test_genmove_for_the_colour_not_to_move():
    game = Game(7)
    player = MCTSPlayer(SearchConfig(playouts=50, seed=4))
    decision = player.genmove(game, WHITE)
    assert game.to_move == BLACK and not game.moves  # the game is untouched
    assert game.is_legal(decision.move, WHITE)
    game.play(decision.move, WHITE)
    assert game.board.color_at(decision.move) == WHITE


def test_tree_follows_the_game_between_moves():
    game = Game(7)
    player = MCTSPlayer(SearchConfig(playouts=200, seed=5))
    first = player.genmove(game)
    game.play(first.move)
    game.play(from_gtp("D4", 7) if first.move != from_gtp("D4", 7) else from_gtp("C3", 7))
    player.genmove(game)
    # The root was found again, so it carries the visits of the earlier search beyond the new.
    assert player.mcts.node(player.mcts.root, 7).visits >= 200


def test_comment_reports_win_rate_and_visits():
    game = Game(5)
    decision = MCTSPlayer(SearchConfig(playouts=40, seed=6)).genmove(game)
    text = decision.comment(5)
    assert "winrate" in text and "visits 40" in text


# Counted with every stone alive (Tromp-Taylor) Black wins: the dead black stone B4 spoils
# White's whole left side. A referee that takes dead stones off gives the game to White.
DEAD_INVADER = """
. O . O X . X
O O O O X X X
. . . O X . X
. X . O X X X
. . . O X . X
O O O O X X X
. O . O X . X
"""


def test_does_not_pass_when_dead_stones_would_lose_the_count():
    game = game_from_ascii(DEAD_INVADER, to_move=WHITE, komi=0.5)
    game.play(game.pass_point)
    assert game.area_score() > 0  # Black "wins" with B4 counted alive
    player = MCTSPlayer(SearchConfig(playouts=300, seed=7, resign_threshold=0))
    assert not player._passing_is_safe(game)
    assert player.genmove(game).move != game.pass_point


# The white stone B5 is dead inside Black's living group (columns A-D, with eyes). Counted
# with B5 alive (Tromp-Taylor) Black still wins with komi -2.5, so after White's pass an
# ordinary genmove ends the game by passing and leaves B5 on the board.
DEAD_IN_AREA = """
. X . X O . .
X . X X O . .
. O . X O . .
X . . X O . .
. X . X O . .
X . X X O . .
. X . X O . .
"""


def test_cleanup_captures_dead_stones_before_passing():
    game = game_from_ascii(DEAD_IN_AREA, to_move=WHITE, komi=-2.5)
    game.play(game.pass_point)
    dead = from_gtp("B5", 7)
    player = MCTSPlayer(SearchConfig(playouts=200, seed=8, resign_threshold=0))
    assert player.genmove(game).move == game.pass_point  # the ordinary judgement passes
    moves = []
    for _ in range(12):
        decision = player.genmove(game, cleanup=True)
        if decision.move == game.pass_point:
            break
        assert "cleanup" in decision.reason
        assert not game.board.is_eye_like(decision.move, BLACK)
        moves.append(decision.move)
        game.play(decision.move)
        game.play(game.pass_point)  # White keeps passing
    assert game.board.color_at(dead) == 0, game.board.to_ascii()  # captured before the pass
    assert len(moves) == 4 and set(moves) == {from_gtp(v, 7) for v in ("A5", "B6", "C5", "B4")}
    assert player.cleanup_move(game) is None  # nothing left to clean up


def test_cleanup_never_plays_a_self_atari():
    # White's B5 C5 B4 are dead. A5 would leave the black stone one liberty (A4): White could
    # capture it, so Black approaches from A4, connected to its group.
    game = game_from_ascii("""
        . O O X .
        . O X X .
        X X X . .
        . . . . .
        . . . . .
    """, to_move=BLACK, komi=-2.5)
    player = MCTSPlayer(SearchConfig(playouts=50, seed=9))
    assert player.cleanup_move(game) == from_gtp("A4", 5)
    game.play(from_gtp("A4", 5))
    game.play(game.pass_point)
    assert player.cleanup_move(game) == from_gtp("A5", 5)  # now it captures


class _Stop(Exception):
    pass


def test_a_fixed_move_time_counts_the_walk_down_the_tree(monkeypatch):
    """Following the tree to the new position is part of the move: the search gets what is
    left of ``seconds`` after it, less the reserve for finishing the move."""
    ticks = iter([10.0, 10.3])  # genmove starts; the tree has been followed
    monkeypatch.setattr("go_engine.search.player.time.perf_counter", lambda: next(ticks))
    player = MCTSPlayer(SearchConfig(playouts=0, seconds=1.0, seed=3))
    given = []

    def search(position, **limits):
        given.append(limits["seconds"])
        raise _Stop

    monkeypatch.setattr(player, "_search", search)
    with pytest.raises(_Stop):
        player.genmove(Game(9))
    assert given == [pytest.approx(1.0 - 0.3 - MCTSPlayer.FINISH_SECONDS)]
