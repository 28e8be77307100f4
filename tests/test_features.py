"""Network input features on hand-drawn positions, random-play checks against really playing
each move, and the eight board symmetries.

Boards are drawn top row first (``X`` black, ``O`` white); points are GTP vertices, so ``A1`` is
the bottom-left corner of every diagram. Plane values are read as "which of the kind's planes is
set at this point" (``None`` when none is).
"""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from go_engine.features import (
    FEATURE_SETS,
    PLANES,
    FeatureSet,
    encode,
    encode_batch,
    encode_into,
    get_feature_set,
)
from go_engine.features import symmetry as sym
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, EMPTY, WHITE, from_gtp, to_gtp

ALPHAGO = FEATURE_SETS["alphago"]
COMPACT = FEATURE_SETS["compact"]
MOVE_PLANES = ("capture_size", "self_atari_size", "liberties_after", "sensibleness",
               "ladder_capture", "ladder_escape")


def kind_planes(board: Board, plane: str, fs: FeatureSet = ALPHAGO) -> np.ndarray:
    """The ``[count, N, N]`` planes of one kind."""
    return encode(board, fs)[fs.slice_of(plane)]


def value_at(board: Board, plane: str, vertex: str, fs: FeatureSet = ALPHAGO) -> int | None:
    """Index of the plane of ``plane``'s kind set at ``vertex``, or ``None``."""
    row, col = divmod(from_gtp(vertex, board.size), board.size)
    hot = np.flatnonzero(kind_planes(board, plane, fs)[:, row, col])
    assert len(hot) <= 1, f"{plane} is not one-hot at {vertex}"
    return int(hot[0]) if len(hot) else None


def play(board: Board, *vertices: str) -> Board:
    """Play GTP vertices (or ``pass``) in turn."""
    for vertex in vertices:
        board.play(from_gtp(vertex, board.size))
    return board


# -- sets and registry ------------------------------------------------------------------------


def test_the_sets_have_the_documented_sizes_and_versions():
    assert ALPHAGO.num_planes == 48
    assert FEATURE_SETS["alphago_value"].num_planes == 49
    assert COMPACT.num_planes == 19
    for fs in FEATURE_SETS.values():
        assert isinstance(fs.version, int) and fs.version >= 1
        assert fs.code.dtype == np.int64 and len(fs.code) == len(fs.planes)
    assert get_feature_set("compact") is COMPACT
    assert get_feature_set(COMPACT) is COMPACT


def test_an_unknown_set_or_plane_names_the_valid_ones():
    with pytest.raises(ValueError, match="alphago.*compact"):
        get_feature_set("alphazero")
    with pytest.raises(ValueError, match="unknown planes"):
        FeatureSet("bad", 1, ("stones", "history"))


def test_every_registered_plane_encodes_alone_as_it_does_inside_a_set():
    board = play(Board(9), "E5", "D5", "D4", "C4", "E4", "pass", "F6")
    everything = FeatureSet("all", 0, tuple(PLANES))
    together = encode(board, everything)
    for name, plane in PLANES.items():
        alone = encode(board, FeatureSet(name, 0, (name,)))
        assert alone.shape == (plane.count, 9, 9)
        assert np.array_equal(alone, together[everything.slice_of(name)]), name


def test_wrongly_shaped_output_is_refused():
    board = Board(9)
    out = np.zeros((ALPHAGO.num_planes - 1, 9, 9), dtype=np.float32)
    with pytest.raises(ValueError):
        encode_into(board.pts, board.meta, board.zobrist, ALPHAGO.code, out)


# -- stones, constants, colour ----------------------------------------------------------------

SMALL = """
    X O . . .
    . X . . .
    . . O . .
    . . . . .
    . . . . X
"""


@pytest.mark.parametrize("to_move", [BLACK, WHITE])
def test_colour_planes_are_seen_from_the_side_to_move(to_move):
    board = Board.from_ascii(SMALL, to_move=to_move)
    own, opponent, empty = kind_planes(board, "stones")
    stones = board.stones()
    assert np.array_equal(own, stones == to_move)
    assert np.array_equal(opponent, stones == 3 - to_move)
    assert np.array_equal(empty, stones == EMPTY)
    value = encode(board, "alphago_value")
    assert np.array_equal(value[:48], encode(board, "alphago"))
    assert (value[48] == (1.0 if to_move == BLACK else 0.0)).all()


def test_ones_and_zeros():
    board = Board.from_ascii(SMALL)
    assert (kind_planes(board, "ones") == 1).all()
    assert (kind_planes(board, "zeros") == 0).all()
    assert encode(board, ALPHAGO).dtype == np.float32


# -- turns since ------------------------------------------------------------------------------


def test_turns_since_counts_moves_and_passes_back_from_now():
    board = play(Board(7), "D4", "C3", "pass", "E5", "C5", "E3", "B2", "F6", "B6", "F2")
    expected = {"D4": 7, "C3": 7, "E5": 6, "C5": 5, "E3": 4, "B2": 3, "F6": 2, "B6": 1,
                "F2": 0}  # 10 moves played: D4 is 10 moves old, C3 9 (both ">= 8")
    for vertex, index in expected.items():
        assert value_at(board, "turns_since", vertex) == index, vertex
    assert kind_planes(board, "turns_since").sum() == len(expected)  # nothing on empty points
    last = {"F2": 0, "B6": 1, "F6": 2, "B2": 3, "E3": None, "D4": None}
    for vertex, index in last.items():
        assert value_at(board, "last_moves_4", vertex, COMPACT) == index, vertex


def test_a_pass_leaves_its_last_move_plane_empty():
    board = play(Board(5), "C4", "D4", "pass")
    assert value_at(board, "turns_since", "C4") == 2
    assert value_at(board, "turns_since", "D4") == 1
    planes = kind_planes(board, "last_moves_4", COMPACT)
    assert [int(plane.sum()) for plane in planes] == [0, 1, 1, 0]


def test_setup_stones_of_the_current_move_count_as_old():
    board = Board.from_ascii(SMALL)
    assert value_at(board, "turns_since", "A5") == 7
    assert kind_planes(board, "last_moves_4", COMPACT).sum() == 0


def test_a_stone_on_a_point_freed_by_a_capture_is_new():
    board = Board.from_ascii("""
        . X . . .
        X O . . .
        . X . . .
        . . . . .
        . . . . .
    """)
    play(board, "C4", "pass", "B4")  # C4 takes B4; Black fills the point again
    assert board.color_at(from_gtp("B4", 5)) == BLACK
    assert value_at(board, "turns_since", "B4") == 0
    assert value_at(board, "turns_since", "C4") == 2


# -- liberties --------------------------------------------------------------------------------

CHAINS = """
    . . . . .
    . X X O .
    . O X O .
    . . O . .
    . . . . .
"""


def test_liberties_of_each_chain_on_its_stones():
    board = Board.from_ascii(CHAINS)
    for vertices, libs in ((("B4", "C4", "C3"), 3), (("D4", "D3"), 4), (("B3",), 2),
                           (("C2",), 3)):
        for vertex in vertices:
            assert value_at(board, "liberties", vertex) == libs - 1, vertex
    assert value_at(board, "liberties", "A1") is None


def test_eight_or_more_liberties_share_the_last_plane():
    board = play(Board(9), "D5", "pass", "E5", "pass", "F5", "pass", "G5")
    assert value_at(board, "liberties", "E5") == 7  # ten liberties


def test_compact_liberty_planes_split_own_and_opponent_chains():
    board = Board.from_ascii(CHAINS, to_move=WHITE)
    assert value_at(board, "own_liberties_3", "B3", COMPACT) == 1
    assert value_at(board, "own_liberties_3", "D4", COMPACT) == 2
    assert value_at(board, "own_liberties_3", "C4", COMPACT) is None
    assert value_at(board, "opponent_liberties_3", "C4", COMPACT) == 2
    assert value_at(board, "opponent_liberties_3", "D4", COMPACT) is None


# -- captures, self-atari, liberties after the move -------------------------------------------

TWO_CHAINS_IN_ATARI = """
    . . . . . . .
    . . . X . . .
    . . X O X X .
    . . . . O O X
    . . . . X X .
    . . . . . . .
    . . . . . . .
"""


def test_one_move_captures_two_chains_and_gains_their_points_as_liberties():
    board = Board.from_ascii(TWO_CHAINS_IN_ATARI)
    assert value_at(board, "capture_size", "D4") == 3
    # D4 keeps C4 and D3, and gains D5 and E4 from the capture (F4 does not touch it).
    assert value_at(board, "liberties_after", "D4") == 3
    assert value_at(board, "capture_size", "C4") == 0  # legal, captures nothing
    assert value_at(board, "capture_size", "D5") is None  # occupied


def test_seven_or_more_captured_stones_share_the_last_plane():
    board = Board.from_ascii("""
        X X X X X
        O O O O X
        O O O O X
        . X X X X
        X X . . .
    """)
    assert value_at(board, "capture_size", "A2") == 7
    # A2 joins the chain at B2, A1 and B1 (liberties C1, D1, E1 and the eight freed points).
    assert value_at(board, "liberties_after", "A2") == 7


def test_a_captured_stone_touching_the_joined_chain_only_is_a_liberty_too():
    board = Board.from_ascii("""
        . . . . .
        . O X . .
        X . O X .
        . X O X .
        . . X . .
    """)
    # B3 joins A3 and B2 and captures C3 and C2: C3 touches B3, C2 only touches B2.
    assert value_at(board, "capture_size", "B3") == 2
    after = board.copy()
    after.play(from_gtp("B3", 5))
    assert {"C3", "C2"} <= {to_gtp(p, 5) for p in after.liberties(from_gtp("B3", 5))}
    assert value_at(board, "liberties_after", "B3") == after.liberty_count(from_gtp("B3", 5)) - 1


def test_self_atari_size_and_suicide():
    board = Board.from_ascii("""
        . . . . .
        . O O O .
        O X X . .
        . O O O .
        . . . . .
    """)
    assert value_at(board, "self_atari_size", "D3") == 2  # three stones, liberty E3
    assert value_at(board, "liberties_after", "D3") == 0
    assert value_at(board, "self_atari_size", "A5") is None  # two liberties
    board.place_setup_stone(from_gtp("E3", 5), WHITE)
    for plane in MOVE_PLANES:  # D3 is now suicide
        assert value_at(board, plane, "D3") is None, plane


def test_sensibleness_is_off_on_an_own_eye_and_on_for_a_false_one():
    board = Board.from_ascii("""
        . X . . .
        X X . O .
        . . . . .
        . . O . .
        . . . X .
    """)
    assert value_at(board, "liberties_after", "A5") is not None  # legal ...
    assert value_at(board, "sensibleness", "A5") is None  # ... but Black's own eye
    assert value_at(board, "sensibleness", "C3") == 0
    false_eye = Board.from_ascii("""
        . X . . .
        X O . . .
        . . . . .
        . . . . .
        . . . . .
    """)
    assert value_at(false_eye, "sensibleness", "A5") == 0  # White's B4 spoils the eye


def test_the_ko_point_is_marked_and_no_move_plane_is_set_there():
    board = Board.from_ascii("""
        . X O . .
        X O . O .
        . X O . .
        . . . . .
        . . . . .
    """)
    play(board, "C4")
    assert board.ko_point == from_gtp("B4", 5)
    assert value_at(board, "ko_point", "B4", COMPACT) == 0
    assert kind_planes(board, "ko_point", COMPACT).sum() == 1
    for plane in MOVE_PLANES:
        assert value_at(board, plane, "B4") is None, plane
    play(board, "pass")
    assert kind_planes(board, "ko_point", COMPACT).sum() == 0


# -- random play against really playing each move ---------------------------------------------


def random_game(size: int, moves: int, seed: int) -> list[int]:
    """A seeded game of legal moves that do not fill an own eye (pass when none is left)."""
    rng = np.random.default_rng(seed)
    board = Board(size)
    played = []
    for _ in range(moves):
        legal = [p for p in range(size * size)
                 if board.is_legal(p) and not board.is_eye_like(p, board.to_move)]
        move = int(rng.choice(legal)) if legal else size * size
        board.play(move)
        played.append(move)
    return played


def expected_move_planes(board: Board) -> dict[str, np.ndarray]:
    """Capture size, self-atari size and liberties after, found by playing every legal move on a
    copy of ``board`` and counting."""
    size = board.size
    out = {name: np.full(size * size, -1) for name in ("capture", "self_atari", "libs_after")}
    for p in range(size * size):
        if not board.is_legal(p):
            continue
        after = board.copy()
        captured = after.play(p)
        libs = after.liberty_count(p)
        out["capture"][p] = min(captured, 7)
        out["libs_after"][p] = min(libs, 8) - 1
        out["self_atari"][p] = min(len(after.chain(p)), 8) - 1 if libs == 1 else -1
    return out


def one_hot_index(planes: np.ndarray) -> np.ndarray:
    """Per flat point, the index of the set plane, or -1."""
    flat = planes.reshape(planes.shape[0], -1)
    return np.where(flat.any(axis=0), flat.argmax(axis=0), -1)


def test_move_planes_match_playing_every_move_during_random_games():
    for seed, moves in ((1, 120), (2, 80)):
        board = Board(9)
        for move in random_game(9, moves, seed):
            planes = encode(board, ALPHAGO)
            expected = expected_move_planes(board)
            got = {"capture": planes[ALPHAGO.slice_of("capture_size")],
                   "self_atari": planes[ALPHAGO.slice_of("self_atari_size")],
                   "libs_after": planes[ALPHAGO.slice_of("liberties_after")]}
            for name, want in expected.items():
                assert np.array_equal(one_hot_index(got[name]), want), (name, board)
            liberties = one_hot_index(planes[ALPHAGO.slice_of("liberties")])
            for p in range(81):
                want = board.liberty_count(p) - 1 if board.color_at(p) != EMPTY else -1
                assert liberties[p] == min(want, 7)
            board.play(move)


# -- batches and compiled callers -------------------------------------------------------------


@njit
def _encode_many(pts, meta, zob, code, out):
    for b in range(pts.shape[0]):
        encode_into(pts[b], meta[b], zob, code, out[b])


def test_batches_and_compiled_callers_agree_with_encode():
    moves = random_game(9, 40, seed=5)
    boards, board = [], Board(9)
    for move in moves[:12]:
        board.play(move)
        boards.append(board.copy())
    for fs in FEATURE_SETS.values():
        single = np.stack([encode(b, fs) for b in boards])
        assert np.array_equal(encode_batch(boards, fs.name), single)
        out = np.full((len(boards), fs.num_planes, 9, 9), 7, dtype=np.float32)
        _encode_many(np.stack([b.pts for b in boards]), np.stack([b.meta for b in boards]),
                     boards[0].zobrist, fs.code, out)
        assert np.array_equal(out, single)


def test_encode_leaves_the_board_alone():
    board = Board(9)
    for move in random_game(9, 60, seed=9):
        board.play(move)
    pts, meta = board.pts.copy(), board.meta.copy()
    encode(board, "alphago")
    assert np.array_equal(board.pts, pts) and np.array_equal(board.meta, meta)


# -- symmetries -------------------------------------------------------------------------------


@pytest.mark.parametrize("s", range(8))
def test_every_symmetry_composed_with_its_inverse_is_the_identity(s):
    rng = np.random.default_rng(s)
    planes = rng.random((2, 3, 5, 5))
    policy = rng.random((4, 26))
    assert np.array_equal(sym.inverse_planes(sym.transform_planes(planes, s), s), planes)
    assert np.array_equal(sym.transform_planes(sym.inverse_planes(planes, s), s), planes)
    assert np.array_equal(sym.inverse_policy(sym.transform_policy(policy, s), s), policy)
    moved = sym.transform_policy(policy, s)
    assert np.array_equal(moved[:, -1], policy[:, -1])  # pass stays last
    for p in range(25):
        assert moved[0, sym.transform_move(p, s, 5)] == policy[0, p]


def test_the_symmetries_are_the_eight_distinct_ones_named_in_the_table():
    grid = np.arange(16).reshape(4, 4)
    seen = {sym.transform_planes(grid, s).tobytes() for s in range(8)}
    assert len(seen) == 8
    assert np.array_equal(sym.transform_planes(grid, 1), np.rot90(grid, 1))
    assert np.array_equal(sym.transform_planes(grid, 2), np.rot90(grid, 2))
    assert np.array_equal(sym.transform_planes(grid, 3), np.rot90(grid, 3))
    assert np.array_equal(sym.transform_planes(grid, 4), np.fliplr(grid))
    assert np.array_equal(sym.transform_planes(grid, 5), np.flipud(grid))
    assert np.array_equal(sym.transform_planes(grid, 6), grid.T)
    assert np.array_equal(sym.transform_planes(grid, 7), np.rot90(grid, 2).T)
    with pytest.raises(ValueError):
        sym.transform_planes(grid, 8)


def test_symmetries_work_on_torch_tensors_too():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    planes, policy = rng.random((2, 3, 5, 5)), rng.random((2, 26))
    for s in range(8):
        assert np.array_equal(sym.transform_planes(torch.from_numpy(planes), s).numpy(),
                              sym.transform_planes(planes, s))
        assert np.array_equal(sym.transform_policy(torch.from_numpy(policy), s).numpy(),
                              sym.transform_policy(policy, s))


@pytest.mark.parametrize("seed", [11, 12])
def test_features_of_a_transformed_game_are_the_transformed_features(seed):
    size = 9
    moves = random_game(size, 70, seed)
    for s in range(8):
        board, image = Board(size), Board(size)
        for i, move in enumerate(moves):
            board.play(move)
            image.play(sym.transform_move(move, s, size))
            if i % 10 != 9:
                continue
            for fs in FEATURE_SETS.values():
                assert np.array_equal(encode(image, fs),
                                      sym.transform_planes(encode(board, fs), s)), (s, i, fs)
