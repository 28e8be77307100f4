"""Move features on ASCII positions: save-atari, self-atari, capture, atari, eyes, neighbours,
distances, response and nakade patterns, and the folded tactics table."""

from __future__ import annotations

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, WHITE, from_gtp
from go_engine.search import patterns as pat
from go_engine.search import policy_features as pf

MAX = 25 * 25


def features(board: Board, captured: np.ndarray | None = None, stamp: int = -2,
             spec: np.ndarray | None = None) -> dict[str, list[int]]:
    """GTP vertex -> feature keys of every legal move of the side to move."""
    spec = pf.tree_spec(reading=True) if spec is None else spec
    spec[pf.SPEC_NAKADE] = 1
    lib3 = np.zeros(board.pts.shape[1], np.int64)
    pat.fill_lib3(board.pts, board.meta, lib3)
    captured = np.full(board.pts.shape[1], -1, np.int64) if captured is None else captured
    points, counts, flags = (np.empty(MAX, np.int64) for _ in range(3))
    keys = np.empty((MAX, pf.MAX_KEYS), np.int64)
    n = pf.position_keys(board.pts, board.meta, lib3, board.to_move, spec, captured, stamp,
                         points, keys, counts, flags)
    flat = {int(q): f for f, q in enumerate(padded_index(board.size)[:-1])}
    from go_engine.rules.coords import to_gtp

    return {to_gtp(flat[int(points[i])], board.size): [int(k) for k in keys[i, :counts[i]]]
            for i in range(n)}


def at(board: Board, vertex: str) -> int:
    return int(padded_index(board.size)[from_gtp(vertex, board.size)])


def tactics(board: Board, vertex: str, own: int) -> int:
    lib3 = np.zeros(board.pts.shape[1], np.int64)
    pat.fill_lib3(board.pts, board.meta, lib3)
    return pf.tactics(board.pts, lib3, at(board, vertex), board.size + 2, own)


FIGHT = """
. . . . . . .
. . O . . . .
. O X O . . .
. . . . . . .
. X . . O O .
. . . . O X .
. . . . . . .
"""


def test_save_atari_capture_and_atari():
    board = Board.from_ascii(FIGHT)  # C5 is in atari; F2 has two liberties
    assert tactics(board, "C4", BLACK) & pf.T_SAVE_ATARI  # the chain gets three liberties
    assert tactics(board, "C3", BLACK) & pf.T_SAVE_ATARI == 0
    assert tactics(board, "C4", WHITE) & pf.T_CAPTURE
    assert tactics(board, "G2", WHITE) & pf.T_ATARI
    assert tactics(board, "G2", WHITE) & pf.T_CAPTURE == 0
    assert tactics(board, "F1", BLACK) & (pf.T_SELF_ATARI | pf.T_SAVE_ATARI) == 0


def test_self_atari():
    board = Board.from_ascii("""
        . . . . .
        . O O . .
        O . O . .
        . . . . .
        . . . . .
    """)
    assert tactics(board, "B3", BLACK) & pf.T_SELF_ATARI  # one liberty left, B2
    assert tactics(board, "B2", BLACK) & pf.T_SELF_ATARI == 0
    assert tactics(board, "B3", WHITE) & (pf.T_SELF_ATARI | pf.T_EYE) == 0


def test_eye_and_suicide_flags():
    board = Board.from_ascii("""
        . X . O .
        X X X O O
        . . X O .
        X X X O O
        . . . O .
    """)
    assert tactics(board, "A5", BLACK) & pf.T_EYE
    assert tactics(board, "A5", WHITE) & pf.T_LEGAL == 0  # suicide
    assert tactics(board, "C5", BLACK) & pf.T_EYE == 0  # D5 is white
    assert tactics(board, "E5", WHITE) & pf.T_EYE
    assert tactics(board, "A3", BLACK) & pf.T_EYE == 0  # B3 is empty


def test_neighbour_and_distance_features_follow_the_last_two_moves():
    board = Board(9)
    board.play(from_gtp("E5", 9), BLACK)
    board.play(from_gtp("C3", 9), WHITE)  # last move C3, the one before E5
    keys = features(board)
    assert pf.F_NEIGHBOUR + 0 in keys["C4"]  # north of the last move
    assert pf.F_NEIGHBOUR + 4 in keys["D4"]  # north-east
    assert not any(pf.F_NEIGHBOUR <= k < pf.F_NEIGHBOUR + 8 for k in keys["C5"])
    assert pf.F_DIST_LAST + 2 - 1 in keys["C5"]
    assert pf.F_DIST_LAST + 12 - 1 in keys["J9"]  # 6 + 6 from C3
    assert pf.F_DIST_LAST2 + 1 - 1 in keys["E6"]
    rollout = features(board, spec=pf.rollout_spec())
    assert not any(pf.F_DIST_LAST <= k < pf.F_DIST_LAST + pf.MAX_DISTANCE for k in rollout["J9"])
    assert pf.F_LINE + 0 in keys["A1"] and pf.F_LINE + 2 in keys["C4"]


def test_response_patterns_sit_on_the_last_moves_diamond_and_are_symmetric():
    board = Board(9)
    board.play(from_gtp("E5", 9), BLACK)
    responses = {v: [k for k in ks if k >> pat.TAG_SHIFT == pat.TAG_RESPONSE]
                 for v, ks in features(board).items()}
    around = {v for v, ks in responses.items() if ks}
    assert around == {"E6", "E4", "D5", "F5", "D6", "F6", "D4", "F4", "E7", "E3", "C5", "G5"}
    canonical = {v: pat.canonical_key(ks[0]) for v, ks in responses.items() if ks}
    assert canonical["E6"] == canonical["D5"] == canonical["F5"] == canonical["E4"]
    assert canonical["E6"] != canonical["D6"]


def test_nakade_pattern_marks_the_captured_shape():
    board = Board.from_ascii("""
        . . . . . .
        O O O O O .
        O X X X . .
        O O O O O .
        . . . . . .
        . . . . . .
    """, to_move=WHITE)
    captured = np.full(board.pts.shape[1], -1, np.int64)
    stones = [at(board, v) for v in ("B4", "C4", "D4")]
    captured[stones] = 7
    board.play(from_gtp("E4", 6), WHITE)  # captures the three black stones
    keys = features(board, captured, stamp=7)
    nakade = {v: [k for k in ks if k >> pat.TAG_SHIFT == pat.TAG_NAKADE]
              for v, ks in keys.items()}
    assert set(v for v, ks in nakade.items() if ks) == {"B4", "C4", "D4"}
    middle = nakade["C4"][0] & 0xFFF
    assert middle == (1 << 1) | (1 << 3)  # captured east and west of the vital point
    assert pat.canonical_key(nakade["B4"][0]) == pat.canonical_key(nakade["D4"][0])


def test_folded_tactics_table_agrees_with_the_board(rng):
    spec = pf.rollout_spec()
    weights = np.exp(rng.normal(size=pf.N_FIXED))
    grid = pf.fold_tactics(np.ones(pat.N_3X3_CODES, np.float32), spec, weights)
    for seed in range(6):
        board = Board(9)
        core.light_moves(board.pts, board.meta, board.zobrist, core.seed_rng(seed), 40 + 7 * seed,
                         np.empty(0, np.int8))
        lib3 = np.zeros(board.pts.shape[1], np.int64)
        pat.fill_lib3(board.pts, board.meta, lib3)
        for p in padded_index(9)[:-1]:
            if board.pts[core.COLOR, p] != 0:
                continue
            for own in (BLACK, WHITE):
                folded = grid[pat.code_3x3(board.pts, lib3, p, 11, own)]
                if folded == pf.SLOW_PATH:
                    continue
                flags = pf.tactics(board.pts, lib3, p, 11, own)
                expected = 0.0
                if flags & pf.T_LEGAL and not flags & pf.T_EYE:
                    expected = np.prod([weights[f] for bit, f in (
                        (pf.T_SAVE_ATARI, pf.F_SAVE_ATARI), (pf.T_SELF_ATARI, pf.F_SELF_ATARI),
                        (pf.T_CAPTURE, pf.F_CAPTURE), (pf.T_ATARI, pf.F_ATARI)) if flags & bit])
                assert np.isclose(folded, expected, rtol=1e-6)


# -- reading features (tree policy) -------------------------------------------------------------

# White's stone at C3 has two liberties: Black's C4 starts a ladder to the top edge, D3 lets
# White out (the same shape as tests/test_ladders.py).
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


def reading(keys: list[int]) -> set[int]:
    """The reading feature keys among a candidate's keys."""
    return {k for k in keys if pf.F_LIBERTIES <= k < pf.N_FIXED}


def test_ladder_capture_is_read_and_a_breaker_undoes_it():
    keys = features(Board.from_ascii(LADDER))
    assert pf.F_LADDER_CAPTURE in keys["C4"]
    assert pf.F_LADDER_CAPTURE not in keys["D3"]  # an atari too, but White runs out
    broken = Board.from_ascii(LADDER)
    broken.place_setup_stone(from_gtp("G7", 9), WHITE)
    assert pf.F_LADDER_CAPTURE not in features(broken)["C4"]


def test_escaping_a_working_ladder_fails_and_a_breaker_lets_it_out():
    board = Board.from_ascii(LADDER)
    board.play(from_gtp("C4", 9), BLACK)  # atari; White's only way out is D3
    keys = features(board)
    assert {pf.F_LADDER_FAIL, pf.F_SAVE_SIZE + 0, pf.F_SAVE_LAST} <= reading(keys["D3"])
    assert pf.F_LADDER_ESCAPE not in keys["D3"]
    assert pf.F_LIBERTIES + 3 in keys["D3"]  # two liberties after the extension
    assert not reading(keys["D4"]) & {pf.F_SAVE_LAST, pf.F_LADDER_FAIL, pf.F_LADDER_ESCAPE}
    broken = Board.from_ascii(LADDER)
    broken.place_setup_stone(from_gtp("G7", 9), WHITE)
    broken.play(from_gtp("C4", 9), BLACK)
    escape = reading(features(broken)["D3"])
    assert pf.F_LADDER_ESCAPE in escape and pf.F_LADDER_FAIL not in escape


# White's C4-D4 is in atari (its liberty is D3).
POCKET = """
    . . . . . . .
    . . . . . . .
    . . X X . . .
    . X O O X . .
    . . X . X . .
    . . . . . . .
    . . . . . . .
"""


def test_self_atari_and_capture_sizes_and_capturing_the_last_move():
    keys = features(Board.from_ascii(POCKET, to_move=WHITE))
    # D3 joins the chain in atari but leaves three stones with one liberty (D2).
    assert {pf.F_LIBERTIES + 1, pf.F_SAVE_SIZE + 1, pf.F_LADDER_FAIL} <= reading(keys["D3"])
    assert pf.F_LIBERTIES + 5 in keys["F6"]  # an open point: four liberties
    assert pf.F_CAPTURE_SIZE + 0 in features(Board.from_ascii(POCKET))["D3"]  # two stones
    board = Board.from_ascii(POCKET, to_move=WHITE)
    board.play(from_gtp("D3", 7), WHITE)
    keys = features(board)  # Black: D2 captures three stones, the last move among them
    assert {pf.F_CAPTURE_SIZE + 1, pf.F_CAPTURE_LAST} <= reading(keys["D2"])
    assert pf.F_CAPTURE_LAST not in keys["F6"]


def test_atari_sizes_and_a_lone_self_atari():
    board = Board.from_ascii("""
        . . . . . . .
        . . . . . . .
        . . X O X . .
        . . X O X . .
        . . . . . . .
        . . . . . . .
        . . . . . . .
    """)  # White's D5-D4 has two liberties, D6 and D3
    keys = features(board)
    assert pf.F_ATARI_SIZE + 0 in keys["D6"] and pf.F_ATARI in keys["D6"]
    assert not any(pf.F_ATARI_SIZE <= k < pf.F_ATARI_SIZE + 2 for k in keys["A1"])
    corner = features(Board.from_ascii("""
        . . X
        . X .
        . . .
    """, to_move=WHITE))
    assert pf.F_LIBERTIES + 0 in corner["B3"]  # one stone, one liberty (A3)


def test_only_a_spec_that_asks_has_reading_features():
    for spec in (pf.rollout_spec(), pf.tree_spec()):
        keys = features(Board.from_ascii(LADDER), spec=spec)
        assert not any(reading(ks) for ks in keys.values())
