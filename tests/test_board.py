"""The board on hand-drawn positions: captures, ko, suicide, chains, hashing and area.

Boards are drawn top row first (``X`` black, ``O`` white); moves are GTP vertices, so ``A1`` is
the bottom left corner of every diagram.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import board_from_ascii, grid_from_board, reference_area

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, EMPTY, WHITE, from_gtp, to_gtp


def at(board: Board, vertex: str) -> int:
    """The flat point of a GTP vertex on ``board``."""
    return from_gtp(vertex, board.size)


def rows(text: str) -> list[str]:
    """An ASCII diagram as rows without spaces, for comparison."""
    return [line.replace(" ", "") for line in text.strip().splitlines() if line.strip()]


def assert_position(board: Board, text: str) -> None:
    """The board shows exactly the stones of ``text``."""
    assert rows(board.to_ascii()) == rows(text), "\n" + board.to_ascii()


def vertices(board: Board, points: list[int]) -> list[str]:
    return sorted(to_gtp(p, board.size) for p in points)


# -- construction and text --------------------------------------------------------------------


def test_ascii_round_trip_and_queries():
    text = """
        . X O . .
        X X O . .
        . . . . .
        . . . O .
        X . . . .
    """
    board = board_from_ascii(text, to_move=WHITE)
    assert_position(board, text)
    assert board.to_move == WHITE
    assert board.stone_count() == 7
    assert board.color_at(at(board, "B5")) == BLACK
    assert board.color_at(at(board, "C4")) == WHITE
    assert board.color_at(at(board, "A5")) == EMPTY
    assert vertices(board, board.points_of(BLACK)) == ["A1", "A4", "B4", "B5"]
    assert vertices(board, board.chain(at(board, "A4"))) == ["A4", "B4", "B5"]
    assert vertices(board, board.liberties(at(board, "B5"))) == ["A3", "A5", "B3"]
    assert vertices(board, board.liberties(at(board, "C5"))) == ["C3", "D4", "D5"]
    assert board.stones().shape == (5, 5)


def test_bad_diagrams_raise():
    with pytest.raises(ValueError):
        board_from_ascii(". X\n. . .")  # not square
    with pytest.raises(ValueError):
        board_from_ascii(". Z\n. .")  # unknown character
    with pytest.raises(ValueError):
        board_from_ascii("X O\nO .")  # X has no liberty
    board = board_from_ascii(". .\n. X")
    with pytest.raises(ValueError):
        board.place_setup_stone(at(board, "B1"), WHITE)  # occupied
    with pytest.raises(ValueError):
        board.liberties(at(board, "A1"))  # no stone there


# -- captures ---------------------------------------------------------------------------------


def test_single_stone_capture_in_the_centre():
    board = board_from_ascii("""
        . . . . .
        . . X . .
        . X O X .
        . . . . .
        . . . . .
    """)
    assert board.play(at(board, "C2")) == 1
    assert_position(board, """
        . . . . .
        . . X . .
        . X . X .
        . . X . .
        . . . . .
    """)
    assert board.captures(BLACK) == 1 and board.captures(WHITE) == 0
    assert board.to_move == WHITE


def test_capture_on_the_edge_and_in_the_corner():
    board = board_from_ascii("""
        . X O X .
        . . . . .
        . . . . .
        X . . . .
        O . . . .
    """)
    assert board.play(at(board, "C4")) == 1
    assert board.play(at(board, "E1"), WHITE) == 0
    assert board.play(at(board, "B1"), BLACK) == 1
    assert_position(board, """
        . X . X .
        . . X . .
        . . . . .
        X . . . .
        . X . . O
    """)
    assert board.captures(BLACK) == 2


def test_two_stone_capture_in_the_corner():
    board = board_from_ascii("""
        . . . . .
        . . . . .
        . . . . .
        X X . . .
        O O . . .
    """)
    assert board.play(at(board, "C1")) == 2
    assert_position(board, """
        . . . . .
        . . . . .
        . . . . .
        X X . . .
        . . X . .
    """)
    assert board.captures(BLACK) == 2


def test_one_move_captures_two_separate_chains():
    board = board_from_ascii("""
        . O X . .
        O X . . .
        X . . . .
        . . . . .
        . . . . .
    """)
    assert board.is_legal(at(board, "A5"))  # no liberty of its own, but it captures
    assert board.play(at(board, "A5")) == 2
    assert_position(board, """
        X . X . .
        . X . . .
        X . . . .
        . . . . .
        . . . . .
    """)


SNAKE = """
    . . . . . . .
    . X X X X X .
    X O O O O O X
    X O X X X . .
    X O O O O O X
    . X X X X X .
    . . . . . . .
"""


def test_snake_capture():
    board = board_from_ascii(SNAKE)
    assert board.liberty_count(at(board, "B5")) == 1
    assert board.play(at(board, "F4")) == 11
    assert_position(board, """
        . . . . . . .
        . X X X X X .
        X . . . . . X
        X . X X X X .
        X . . . . . X
        . X X X X X .
        . . . . . . .
    """)
    assert board.captures(BLACK) == 11
    assert vertices(board, board.liberties(at(board, "C4"))) == [
        "B4", "C3", "C5", "D3", "D5", "E3", "E5", "F3", "F5", "G4"]


def test_snake_can_capture_the_inner_stones_first():
    board = board_from_ascii(SNAKE, to_move=WHITE)
    assert board.play(at(board, "F4")) == 3
    assert [board.color_at(at(board, v)) for v in ("C4", "D4", "E4")] == [EMPTY] * 3
    assert board.liberty_count(at(board, "F4")) == 4  # C4 D4 E4 G4
    assert board.captures(WHITE) == 3


def test_snapback_is_not_ko():
    board = board_from_ascii("""
        . . X O .
        X X X O .
        O O O O .
        . . . . .
        . . . . .
    """, to_move=WHITE)
    board.play(at(board, "B5"))  # the throw-in
    assert board.liberty_count(at(board, "C5")) == 1
    assert board.play(at(board, "A5")) == 1
    assert board.ko_point is None  # the capturing chain has five stones
    assert board.is_legal(at(board, "B5"))
    assert board.play(at(board, "B5")) == 5
    assert_position(board, """
        . O . O .
        . . . O .
        O O O O .
        . . . . .
        . . . . .
    """)
    assert board.captures(WHITE) == 5 and board.captures(BLACK) == 1


# -- ko ---------------------------------------------------------------------------------------

KO = """
    . X O . .
    X O . O .
    . X O . .
    . . . . .
    . . . . .
"""


def test_simple_ko_forbids_the_immediate_retake():
    board = board_from_ascii(KO)
    assert board.ko_point is None
    assert board.play(at(board, "C4")) == 1
    assert board.ko_point == at(board, "B4")
    assert not board.is_legal(at(board, "B4"))  # White to move may not retake
    assert board.is_legal(at(board, "B4"), BLACK)  # the ko binds only the side to move
    board.play(at(board, "E1"))  # a ko threat
    assert board.ko_point is None
    board.play(at(board, "D1"))  # answered
    assert board.is_legal(at(board, "B4"))
    assert board.play(at(board, "B4")) == 1
    assert board.ko_point == at(board, "C4")
    assert not board.is_legal(at(board, "C4"))


def test_pass_clears_the_ko():
    board = board_from_ascii(KO)
    board.play(at(board, "C4"))
    board.play(board.size * board.size)
    assert board.ko_point is None
    assert board.passes == 1
    assert board.last_move == board.size * board.size


def test_capturing_one_stone_with_room_to_spare_is_not_ko():
    board = board_from_ascii("""
        . . . . .
        . . . . .
        . . . . .
        . . . . .
        O X . . .
    """)
    assert board.play(at(board, "A2")) == 1
    assert board.ko_point is None  # A2 has the liberties A1, A3 and B2


def test_capture_that_leaves_a_two_stone_chain_in_atari_is_not_ko():
    board = board_from_ascii("""
        . X O X .
        . O . O .
        . O X O .
        . . O . .
        . . . . .
    """)
    assert board.play(at(board, "C4")) == 1  # takes C5 and joins C3: one liberty, two stones
    assert board.liberties(at(board, "C4")) == [at(board, "C5")]
    assert board.ko_point is None
    assert board.is_legal(at(board, "C5"))
    assert board.play(at(board, "C5")) == 2


# -- suicide ----------------------------------------------------------------------------------

SUICIDE = """
    X X . O .
    O O O O .
    . . . . .
    . . . . .
    . . . . .
"""


def test_suicide_is_illegal_by_default():
    board = board_from_ascii(SUICIDE)
    assert not board.is_legal(at(board, "C5"))  # three black stones without liberty
    corner = board_from_ascii("""
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
    """)
    assert not corner.is_legal(at(corner, "A1"))
    assert corner.is_legal(at(corner, "A1"), WHITE)


def test_single_stone_suicide_when_allowed():
    board = board_from_ascii("""
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
    """, allow_suicide=True)
    before = board.hash
    assert board.is_legal(at(board, "A1"))
    assert board.play(at(board, "A1")) == 0
    assert board.color_at(at(board, "A1")) == EMPTY
    assert board.captures(WHITE) == 1 and board.captures(BLACK) == 0
    assert board.hash == before
    assert board.to_move == WHITE


def test_multi_stone_suicide_removes_own_stones_and_credits_the_opponent():
    board = board_from_ascii(SUICIDE, allow_suicide=True)
    predicted = board.hash_after(at(board, "C5"), BLACK)
    assert board.play(at(board, "C5")) == 0
    assert_position(board, """
        . . . O .
        O O O O .
        . . . . .
        . . . . .
        . . . . .
    """)
    assert board.captures(WHITE) == 3 and board.captures(BLACK) == 0
    assert board.hash == predicted == board_from_ascii(board.to_ascii()).hash
    assert vertices(board, board.liberties(at(board, "A4"))) == [
        "A3", "A5", "B3", "B5", "C3", "C5", "D3", "E4", "E5"]


# -- eyes, hashing, area ----------------------------------------------------------------------


def test_eye_like_points():
    board = board_from_ascii("""
        . X . X .
        X . X O X
        . X O . O
        X X . O .
        . X X . .
    """)
    assert board.is_eye_like(at(board, "A5"), BLACK)  # corner eye
    assert board.is_eye_like(at(board, "B4"), BLACK)  # one enemy diagonal in the centre is fine
    assert not board.is_eye_like(at(board, "C5"), BLACK)  # edge with an enemy diagonal
    assert board.is_eye_like(at(board, "A1"), BLACK)
    assert not board.is_eye_like(at(board, "D3"), BLACK)
    assert not board.is_eye_like(at(board, "A5"), WHITE)
    assert not board.is_eye_like(at(board, "B5"), BLACK)  # occupied


def test_hash_depends_on_the_stones_only():
    assert Board(9).hash == 0
    first = Board(9)
    for vertex in ("C3", "G7", "D4", "F6"):
        first.play(from_gtp(vertex, 9))
    second = Board(9)
    for vertex in ("D4", "F6", "C3", "G7"):
        second.play(from_gtp(vertex, 9))
    assert first.hash == second.hash != 0
    second.play(from_gtp("E5", 9))
    assert first.hash != second.hash


def test_hash_after_a_capture_matches_the_drawn_result():
    board = board_from_ascii(SNAKE)
    predicted = board.hash_after(at(board, "F4"), BLACK)
    board.play(at(board, "F4"))
    assert board.hash == predicted == board_from_ascii(board.to_ascii()).hash


def test_zobrist_seed_changes_the_keys():
    a = Board(9)
    b = Board(9, zobrist_seed=7)
    a.play(40)
    b.play(40)
    assert a.hash != b.hash


def test_copy_is_independent():
    board = board_from_ascii(KO)
    copy = board.copy()
    board.play(at(board, "C4"))
    assert copy.color_at(at(copy, "B4")) == WHITE
    assert copy.ko_point is None and copy.to_move == BLACK
    assert copy.hash != board.hash


FINISHED = """
    X . X O .
    X X . O O
    . X X O .
    X X O O O
    . X . O .
"""


def test_area_of_a_finished_position_matches_a_hand_count():
    board = board_from_ascii(FINISHED)
    score, owner = board.area()
    # Black: 9 stones + B5, A3, A1 = 12. White: 8 stones + E5, E3, E1 = 11.
    # C4 and C1 touch both colours: neutral.
    assert score == 12 - 11
    assert (owner == 1).sum() == 12 and (owner == -1).sum() == 11
    assert owner[1, 2] == 0 and owner[4, 2] == 0
    assert owner[0, 1] == 1 and owner[2, 4] == -1
    assert score == reference_area(grid_from_board(board))


def test_area_of_an_empty_board_and_of_a_lone_stone():
    assert Board(9).area()[0] == 0
    board = Board(9)
    board.play(40)
    assert board.area()[0] == 81
    assert (board.area()[1] == 1).all()
    board.play(41)
    assert board.area()[0] == 0
    assert np.count_nonzero(board.area()[1]) == 2


def test_each_stone_remembers_the_move_count_when_it_was_placed():
    from go_engine.rules import board_core as core

    board = Board.from_ascii("""
        X . .
        . . .
        . . .
    """)
    board.play(at(board, "C1"))  # move 0
    board.play(at(board, "A1"))  # move 1
    board.play(board.size * board.size)  # a pass counts as a move
    board.play(at(board, "B2"))  # move 3
    placed = {v: int(board.pts[core.PLACED, board._padded[at(board, v)]])
              for v in ("A3", "C1", "A1", "B2")}
    # The setup stone counts as placed long before the game began (a handicap stone is not
    # a recent move to the network's "turns since" planes).
    assert placed == {"A3": core.SETUP_PLACED, "C1": 0, "A1": 1, "B2": 3}
