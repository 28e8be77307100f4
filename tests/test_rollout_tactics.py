"""The rollouts' tactical answers: take a chain the last move left in atari, save an own chain it
put in atari, and checks of every answer against play on a copy along seeded random games.

Boards are drawn top row first (``X`` black, ``O`` white); points are GTP vertices (``A1`` is
the bottom-left corner). Each diagram is the position *before* the last move, which the test
then plays.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_features import random_game

from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, WHITE, from_gtp, from_padded, to_gtp, to_padded
from go_engine.rules.game import Game, Rules
from go_engine.search import rollout_policy as rp
from go_engine.search.config import Rollouts, SearchConfig, engine_config
from go_engine.search.mcts import MCTS
from go_engine.search.rollout_tactics import NO_REPLY, extension_liberties, tactical_reply

# White to play C3 next to a lone black stone that White surrounds on three sides.
POCKET = """
    . . . . . . .
    . . . . . . .
    . . O . . . .
    . O . O . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
"""

# White's D5 ataris Black's D4 (liberty E4, open on three sides).
ATARI = """
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . O X . . .
    . . . O . . .
    . . . . . . .
    . . . . . . .
"""

# As ATARI, and White's C4 is itself in atari (Black's B4 and C5; its liberty is C3).
COUNTER = """
    . . . . . . .
    . . . . . . .
    . . X . . . .
    . X O X . . .
    . . . O . . .
    . . . . . . .
    . . . . . . .
"""

# White's E1 ataris Black's D1; extending on D2 would leave one liberty (D3).
HOPELESS = """
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . . . . . .
    . . O . O . .
    . . O X . . .
"""

# White's E4 ataris both Black's D4-D5 (liberty E5 left) and Black's F4 (F5 left).
DOUBLE = """
    . . . . . . .
    . . . O . . .
    . . O X . . .
    . . O X . X O
    . . . O . O .
    . . . . . . .
    . . . . . . .
"""


def after(text: str, vertex: str, color: int) -> Board:
    """The diagram after ``color`` plays ``vertex``."""
    board = Board.from_ascii(text, to_move=color)
    board.play(from_gtp(vertex, board.size))
    return board


def answer(board: Board) -> str | None:
    """The tactical reply as a GTP vertex (None: no reply)."""
    reply = tactical_reply(board.pts, board.meta)
    return None if reply == NO_REPLY else to_gtp(from_padded(int(reply), board.size), board.size)


def test_a_stone_played_into_atari_is_taken():
    board = Board.from_ascii(POCKET, to_move=BLACK)
    board.play(from_gtp("C4", 7))  # Black's stone in White's pocket: one liberty, C3
    assert answer(board) == "C3"


def test_an_atari_is_answered_by_extending_when_that_gets_out():
    assert answer(after(ATARI, "D5", WHITE)) == "E4"


def test_capturing_an_attacker_in_atari_comes_before_extending():
    assert answer(after(COUNTER, "D5", WHITE)) == "C3"


def test_a_chain_that_cannot_get_out_is_left_to_the_policy():
    assert answer(after(HOPELESS, "E1", WHITE)) is None


def test_of_two_chains_in_atari_the_bigger_is_saved():
    board = after(DOUBLE, "E4", WHITE)
    assert board.liberty_count(from_gtp("F4", 7)) == 1
    assert answer(board) == "E5"


def test_no_answer_at_the_start_after_a_pass_or_to_a_quiet_move():
    board = Board(7)
    assert answer(board) is None
    board.play(from_gtp("D4", 7))
    assert answer(board) is None
    board.play(49)  # pass
    assert answer(board) is None


def libs_after(board: Board, point: int) -> tuple[int, int]:
    """Liberties of the chain through ``point`` after the side to move plays it, and the
    stones that move captures."""
    copy = board.copy()
    captured = copy.play(point)
    return copy.liberty_count(point), captured


def neighbours(point: int, size: int) -> list[int]:
    """The on-board neighbours of ``point`` (unpadded)."""
    row, col = divmod(point, size)
    return [r * size + c for r, c in ((row - 1, col), (row + 1, col), (row, col - 1),
                                      (row, col + 1)) if 0 <= r < size and 0 <= c < size]


@pytest.mark.parametrize("seed", [3, 17, 29])
def test_every_answer_along_random_games_does_what_it_says(seed):
    """After every move of a seeded random game: a chain of the last move in atari is taken;
    otherwise an answer saves one of the own chains in atari next to the last move (it is
    legal, and that chain then has two liberties or more), there is no answer when no such
    chain is there, and there is one whenever such a chain can extend to two liberties.
    ``extension_liberties`` matches play on a copy at every empty point (a lower bound where
    the move captures)."""
    size = 9
    board = Board(size)
    answered = 0
    for move in random_game(size, 120, seed):
        board.play(move)
        last = board.last_move
        reply = tactical_reply(board.pts, board.meta)
        color = board.to_move
        if last is None or last == size * size:  # a pass
            assert reply == NO_REPLY
            continue
        own = {board.chain(n)[0] for n in neighbours(last, size) if board.color_at(n) == color}
        in_atari = [c for c in own if board.liberty_count(c) == 1]
        if board.liberty_count(last) == 1:
            assert from_padded(int(reply), size) == board.liberties(last)[0]
        elif reply != NO_REPLY:
            point = from_padded(int(reply), size)
            assert in_atari and board.is_legal(point)
            copy = board.copy()
            copy.play(point)
            assert any(copy.color_at(c) == color and copy.liberty_count(c) >= 2
                       for c in in_atari)
            answered += 1
        else:
            for chain in in_atari:
                extension = board.liberties(chain)[0]
                if board.is_legal(extension):
                    libs, captured = libs_after(board, extension)
                    assert captured or libs < 2  # else extending would have been the answer
        for p in range(size * size):
            if board.is_legal(p) and not board.is_eye_like(p, color):
                libs, captured = libs_after(board, p)
                counted = extension_liberties(board.pts, to_padded(p, size), color, size + 2)
                if captured:
                    assert counted <= min(libs, 3)
                else:
                    assert counted == min(libs, 3)
    assert answered > 0


def test_a_rollout_with_tactics_plays_the_answer_first():
    board = after(ATARI, "D5", WHITE)
    policy = rp.RolloutPolicy()
    ints, floats, ctr = rp.new_state(7)
    played = rp.policy_moves(board.pts, board.meta, board.zobrist, core.seed_rng(5), 1,
                             np.empty(0, np.int8), ints, floats, ctr, policy.kernel_model(),
                             rp.NO_REPLIES, rp.NO_HISTORY, True)
    assert played == 1 and board.last_move == from_gtp("E4", 7)
    assert board.liberty_count(from_gtp("D4", 7)) == 3


def test_tactics_need_trained_rollouts_and_a_search_with_them_reads_a_capture():
    with pytest.raises(ValueError, match="trained rollouts"):
        SearchConfig(rollouts=Rollouts.LIGHT, rollout_tactics=True)
    # The white group's last liberty is C1: capturing it wins the game.
    board = Board.from_ascii("""
        . . X . .
        . X O X .
        X O O O X
        . X O O X
        . X . X .
    """)
    game = Game(5, Rules(komi=0.5))
    game.setup_stones(board.points_of(BLACK), board.points_of(WHITE), BLACK)
    config = engine_config(5, network=False, playouts=400, rollout_tactics=True, seed=1)
    result = MCTS(config).search(game)
    assert result.move == from_gtp("C1", 5)
    assert result.winrate() > 0.9
