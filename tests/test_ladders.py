"""Ladders on hand-drawn shapes, and the compiled reader against a plain Python reader on random
positions.

Boards are drawn top row first (``X`` black, ``O`` white); points are GTP vertices (``A1`` is
the bottom-left corner). In the shapes below White's stone at C3 is the ladder's target.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_features import random_game

from go_engine.features import FEATURE_SETS, encode
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, EMPTY, WHITE, from_gtp, to_gtp

ALPHAGO = FEATURE_SETS["alphago"]

# Black to play: C4 starts a ladder that runs up and to the right, to the top edge; D3 lets
# White out at once (C4 would give three liberties).
LADDER = """
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . . . . . . . . .
    . X O . . . . . .
    . . X X . . . . .
    . . . . . . . . .
"""


def with_stones(text: str, *stones: tuple[str, str], to_move: int = BLACK) -> Board:
    """The diagram with extra stones, e.g. ``("G7", "O")``."""
    board = Board.from_ascii(text, to_move=to_move)
    for vertex, stone in stones:
        board.place_setup_stone(from_gtp(vertex, board.size), BLACK if stone == "X" else WHITE)
    return board


def marked(board: Board, plane: str) -> list[str]:
    """The vertices where a one-plane kind is set."""
    points = np.flatnonzero(encode(board, ALPHAGO)[ALPHAGO.slice_of(plane)][0].ravel())
    return sorted(to_gtp(int(p), board.size) for p in points)


def test_a_plain_ladder_to_the_edge_works_from_the_right_side_only():
    assert marked(Board.from_ascii(LADDER), "ladder_capture") == ["C4"]


@pytest.mark.parametrize("breaker", ["G7", "F6", "H8"])
def test_a_white_stone_on_the_ladder_path_breaks_it(breaker):
    assert marked(with_stones(LADDER, (breaker, "O")), "ladder_capture") == []


def test_a_black_stone_on_the_path_keeps_the_ladder_working():
    assert marked(with_stones(LADDER, ("G7", "X")), "ladder_capture") == ["C4"]


def test_escaping_a_ladder_works_only_with_a_breaker():
    caught = with_stones(LADDER, ("C4", "X"), to_move=WHITE)
    assert marked(caught, "ladder_escape") == []
    broken = with_stones(LADDER, ("C4", "X"), ("G7", "O"), to_move=WHITE)
    assert marked(broken, "ladder_escape") == ["D3"]


def test_an_extension_into_open_space_is_an_escape():
    board = Board.from_ascii("""
        . . . . .
        . . X . .
        . X O . .
        . . X . .
        . . . . .
    """, to_move=WHITE)
    assert marked(board, "ladder_escape") == ["D3"]  # three liberties at once


def test_the_defender_escapes_by_capturing_an_attacking_stone_in_atari():
    # White stones at A3 and B2 leave Black's B3 one liberty, B4: after the atari at C4, White
    # takes B3 instead of running, and the ladder is over.
    assert "C4" not in marked(with_stones(LADDER, ("A3", "O"), ("B2", "O")), "ladder_capture")
    # Either stone alone leaves B3 two liberties, and the same atari works.
    assert "C4" in marked(with_stones(LADDER, ("A3", "O")), "ladder_capture")
    assert "C4" in marked(with_stones(LADDER, ("B2", "O")), "ladder_capture")


def test_a_ladder_against_the_side_to_move_is_not_a_capture_for_it():
    board = Board.from_ascii(LADDER, to_move=WHITE)
    assert marked(board, "ladder_capture") == []
    assert marked(board, "ladder_escape") == []  # C3 is not in atari yet


# -- a plain Python reader --------------------------------------------------------------------


def defender_dies(board: Board, target: int, depth: int) -> bool:
    """The defender (to move) has its chain through ``target`` in atari: True when every
    answer (extend, or capture a touching attacker chain in atari) fails."""
    defender = board.color_at(target)
    answers = set(board.liberties(target))
    for stone in board.chain(target):
        for q in neighbours(stone, board.size):
            if board.color_at(q) == 3 - defender and board.liberty_count(q) == 1:
                answers.update(board.liberties(q))
    for move in sorted(answers):
        if not board.is_legal(move):
            continue
        after = board.copy()
        after.play(move)
        if after.color_at(target) != defender:
            continue
        libs = after.liberty_count(target)
        if libs >= 3 or (libs == 2 and not attacker_wins(after, target, depth - 1)):
            return False
    return True


def attacker_wins(board: Board, target: int, depth: int) -> bool:
    """The attacker (to move) faces a two-liberty chain: True when an atari on either liberty
    leads to its capture."""
    if depth <= 0:
        return False
    for move in board.liberties(target):
        if not board.is_legal(move):
            continue
        after = board.copy()
        after.play(move)
        if after.color_at(target) == EMPTY:
            return True
        if after.liberty_count(target) == 1 and defender_dies(after, target, depth - 1):
            return True
    return False


def neighbours(point: int, size: int) -> list[int]:
    row, col = divmod(point, size)
    return [r * size + c for r, c in ((row - 1, col), (row + 1, col), (row, col - 1),
                                      (row, col + 1)) if 0 <= r < size and 0 <= c < size]


def reference_planes(board: Board) -> tuple[set[int], set[int]]:
    """Ladder capture and ladder escape points by the plain reader."""
    capture, escape = set(), set()
    me = board.to_move
    for p in range(board.size * board.size):
        color = board.color_at(p)
        if color == EMPTY:
            continue
        libs = board.liberties(p)
        if color != me and len(libs) == 2:
            for move in libs:
                if move in capture or not board.is_legal(move):
                    continue
                after = board.copy()
                after.play(move)
                if after.liberty_count(p) == 1 and defender_dies(after, p, 50):
                    capture.add(move)
        elif color == me and len(libs) == 1 and board.is_legal(libs[0]):
            after = board.copy()
            after.play(libs[0])
            if after.color_at(p) == me:
                n = after.liberty_count(p)
                if n >= 3 or (n == 2 and not attacker_wins(after, p, 50)):
                    escape.add(libs[0])
    return capture, escape


def test_the_reference_reader_agrees_on_the_drawn_shapes():
    assert reference_planes(Board.from_ascii(LADDER))[0] == {from_gtp("C4", 9)}
    assert reference_planes(with_stones(LADDER, ("G7", "O")))[0] == set()


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_compiled_ladders_match_the_plain_reader_in_random_games(seed):
    size = 9
    board = Board(size)
    found = 0
    for i, move in enumerate(random_game(size, 90, seed)):
        board.play(move)
        if i % 3:
            continue
        planes = encode(board, ALPHAGO)
        capture = set(np.flatnonzero(planes[ALPHAGO.slice_of("ladder_capture")][0].ravel()))
        escape = set(np.flatnonzero(planes[ALPHAGO.slice_of("ladder_escape")][0].ravel()))
        want_capture, want_escape = reference_planes(board)
        assert capture == want_capture, (i, board)
        assert escape == want_escape, (i, board)
        found += len(capture) + len(escape)
    assert found > 0  # the games did give the reader work


def test_the_board_pool_grows_when_a_read_needs_more_copies():
    from go_engine.features import ladders

    board = Board(9)
    reads = 0
    for i, move in enumerate(random_game(9, 80, seed=31)):
        board.play(move)
        if i % 4:
            continue
        default = ladders.new_workspace(board.pts, board.meta)
        pool_pts, pool_meta, nodes, opts = ladders.new_workspace(board.pts, board.meta)
        tiny = (pool_pts[:1].copy(), pool_meta[:1].copy(), nodes, opts)
        for p in range(81):
            libs = board.liberties(p) if board.color_at(p) == 3 - board.to_move else []
            if len(libs) != 2:
                continue
            target, move = board._padded[p], board._padded[libs[0]]
            if not board.is_legal(libs[0]):
                continue
            want, default = ladders.read_ladder(board.pts, board.meta, board.zobrist, target,
                                                ladders.ATTACK, move, default)
            got, tiny = ladders.read_ladder(board.pts, board.meta, board.zobrist, target,
                                            ladders.ATTACK, move, tiny)
            assert got == want
            reads += 1
    assert reads > 0 and tiny[0].shape[0] > 1  # some read needed a second slot
