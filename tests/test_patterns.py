"""Pattern codes, their symmetries and colour swap, liberty counts, and the hash table."""

from __future__ import annotations

import numpy as np
import pytest

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, WHITE
from go_engine.search import patterns as pat

# A corner fight: black stones with 1, 2 and 3+ liberties, white ones too.
POSITION = """
. X O . . . .
X O O . X . .
. X . . . O .
. . X X . . .
. O . . . . .
. . . . X . .
. . . . . . .
"""


def rotate(text: str, turns: int = 1, flip: bool = False) -> str:
    """The ASCII board rotated by 90 degrees ``turns`` times (and mirrored)."""
    grid = np.array([row.split() for row in text.strip().splitlines()])
    grid = np.rot90(grid, turns)
    if flip:
        grid = grid[:, ::-1]
    return "\n".join(" ".join(row) for row in grid)


def swap_colours(text: str) -> str:
    return text.replace("X", "x").replace("O", "X").replace("x", "O")


def lib3_of(board: Board) -> np.ndarray:
    lib3 = np.zeros(board.pts.shape[1], np.int64)
    pat.fill_lib3(board.pts, board.meta, lib3)
    return lib3


def canonical_codes(board: Board, own: int, diamond: bool = False) -> list[int]:
    """Sorted canonical codes of every empty point's pattern."""
    lib3 = lib3_of(board)
    width = board.size + 2
    out = []
    for p in padded_index(board.size)[:-1]:
        if board.pts[core.COLOR, p] == 0:
            if diamond:
                out.append(pat.canonical_diamond(pat.code_diamond(board.pts, lib3, p, width, own)))
            else:
                out.append(pat.canonical_3x3(pat.code_3x3(board.pts, lib3, p, width, own)))
    return sorted(out)


def test_lib3_is_the_liberty_count_capped_at_three():
    board = Board.from_ascii(POSITION)
    lib3 = lib3_of(board)
    for point in board.points_of(BLACK) + board.points_of(WHITE):
        head = board.pts[core.HEAD, padded_index(board.size)[point]]
        assert lib3[head] == min(3, board.liberty_count(point))


@pytest.mark.parametrize("turns,flip", [(1, False), (2, False), (3, False), (0, True), (1, True)])
def test_patterns_are_invariant_under_the_symmetries(turns, flip):
    board = Board.from_ascii(POSITION)
    turned = Board.from_ascii(rotate(POSITION, turns, flip))
    for own in (BLACK, WHITE):
        assert canonical_codes(board, own) == canonical_codes(turned, own)
        assert canonical_codes(board, own, True) == canonical_codes(turned, own, True)


def test_patterns_are_invariant_under_colour_swap_for_the_other_player():
    board = Board.from_ascii(POSITION)
    swapped = Board.from_ascii(swap_colours(POSITION))
    assert canonical_codes(board, BLACK) == canonical_codes(swapped, WHITE)
    assert canonical_codes(board, WHITE, True) == canonical_codes(swapped, BLACK, True)
    assert canonical_codes(board, BLACK) != canonical_codes(board, WHITE)


def test_swap_of_a_code_is_the_code_seen_by_the_other_colour():
    board = Board.from_ascii(POSITION)
    lib3 = lib3_of(board)
    width = board.size + 2
    for p in padded_index(board.size)[:-1]:
        black = pat.code_3x3(board.pts, lib3, p, width, BLACK)
        assert pat.swap_3x3(black) == pat.code_3x3(board.pts, lib3, p, width, WHITE)
        diamond = pat.code_diamond(board.pts, lib3, p, width, BLACK)
        assert pat.swap_diamond(diamond) == pat.code_diamond(board.pts, lib3, p, width, WHITE)


def test_a_3x3_code_reads_states_with_liberties():
    board = Board.from_ascii(POSITION)
    lib3 = lib3_of(board)
    width = board.size + 2
    p = padded_index(board.size)[0]  # the top-left corner
    code = pat.code_3x3(board.pts, lib3, p, width, BLACK)
    north, east, south, west = ((code >> (3 * i)) & 7 for i in range(4))
    assert north == pat.STATE_OFF and west == pat.STATE_OFF
    assert east == 2  # an own stone with one liberty (the corner itself)
    assert south == 3  # an own stone with two liberties
    assert (code >> 12) & 3 == 1  # north-east diagonal off the board
    assert (code >> 14) & 3 == 3  # south-east diagonal: the white stone b6


def test_fast_canonical_forms_match_brute_force(rng):
    perm = pat.SYMMETRY_PERM
    for _ in range(300):
        code3 = int(rng.integers(0, 1 << 20))
        diamond = int(rng.integers(0, 1 << 36))
        index = int(rng.integers(0, 12))
        keys = [pat.make_key(pat.TAG_3X3, code3), pat.make_key(pat.TAG_DIAMOND, diamond),
                pat.make_key(pat.TAG_RESPONSE, 5 << 40 | index << 36 | diamond),
                pat.make_key(pat.TAG_NAKADE, int(rng.integers(0, 4096)))]
        for key in keys:
            canonical = pat.canonical_key(key)
            assert canonical == pat.canonical_key_reference(key, perm)
            for s in range(8):
                assert pat.canonical_key(pat.transform_key(key, s, perm)) == canonical
            assert pat.swap_key(pat.swap_key(key)) == key


def test_response_targets_cover_symmetric_places():
    # An empty diamond is symmetric under all 8 symmetries: N, E, S and W are one place.
    key = pat.canonical_key(pat.make_key(pat.TAG_RESPONSE, 2 << 40 | 1 << 36))
    contexts, masks = pat.response_targets(np.array([key]))
    assert contexts[0] == pat.make_key(pat.TAG_CONTEXT, 2 << 40)
    assert masks[0] == 0b1111


def test_hash_table_finds_what_it_holds():
    keys = np.array([pat.make_key(pat.TAG_3X3, c) for c in (5, 77, 1 << 19)], np.int64)
    table = pat.build_table(keys, np.array([10, 11, 12]), np.array([1.0, 2.0, 3.0]))
    assert len(table) >= 2 * len(keys) and (len(table) & (len(table) - 1)) == 0
    for key, index, weight in zip(keys, (10, 11, 12), (1.0, 2.0, 3.0), strict=True):
        slot = pat.table_slot(table, key)
        assert table[slot]["index"] == index and table[slot]["weight"] == weight
    assert pat.table_slot(table, pat.make_key(pat.TAG_3X3, 6)) == -1


def test_bit_twiddled_orientations_are_the_symmetry_permutations(rng):
    perm = pat.SYMMETRY_PERM
    for _ in range(200):
        diamond = int(rng.integers(0, 1 << 36))
        code3 = int(rng.integers(0, 1 << 20))
        for s in range(8):
            assert pat.diamond_orientation(diamond, s) == pat._permute_code(diamond, 12, perm, s)
            assert pat.orient_3x3(code3, s) == pat._permute_3x3(code3, perm, s)
    # a quarter turn moves the north neighbour east; symmetry 4 mirrors east and west
    assert perm[1, 0] == 1 and perm[4, 1] == 3 and perm[4, 4] == 7
