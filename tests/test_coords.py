"""Coordinate systems: every conversion round-trips, agrees with sgfmill, and rejects bad input."""

from __future__ import annotations

import pytest
from sgfmill import common as sgfmill_common
from sgfmill import sgf_properties

from go_engine.rules import coords
from go_engine.rules.coords import (
    BLACK,
    GTP_COLUMNS,
    RESIGN,
    WHITE,
    check_size,
    from_gtp,
    from_padded,
    from_sgf,
    from_sgfmill,
    opponent,
    parse_color,
    pass_move,
    to_gtp,
    to_padded,
    to_point,
    to_row_col,
    to_sgf,
    to_sgfmill,
)

ALL_SIZES = range(coords.MIN_SIZE, coords.MAX_SIZE + 1)


def test_the_table_example_lower_left_4_4_on_19x19():
    point = 288
    assert to_row_col(point, 19) == (15, 3)
    assert to_point(15, 3, 19) == point
    assert to_gtp(point, 19) == "D4"
    assert to_sgf(point, 19) == "dp"
    assert to_sgfmill(point, 19) == (3, 3)
    assert to_padded(point, 19) == 16 * 21 + 4


def test_corners_on_9x9():
    assert to_gtp(0, 9) == "A9"  # top left
    assert to_gtp(8, 9) == "J9"  # top right: no I
    assert to_gtp(72, 9) == "A1"  # bottom left
    assert to_gtp(80, 9) == "J1"
    assert to_sgf(80, 9) == "ii"
    assert to_sgfmill(72, 9) == (0, 0)


@pytest.mark.parametrize("size", ALL_SIZES)
def test_every_point_round_trips_through_every_system(size):
    for point in range(size * size):
        row, col = to_row_col(point, size)
        assert 0 <= row < size and 0 <= col < size
        assert to_point(row, col, size) == point
        assert from_gtp(to_gtp(point, size), size) == point
        assert from_gtp(to_gtp(point, size).lower(), size) == point
        assert from_sgf(to_sgf(point, size), size) == point
        assert from_sgfmill(to_sgfmill(point, size), size) == point
        padded = to_padded(point, size)
        assert padded == (row + 1) * (size + 2) + col + 1
        assert from_padded(padded, size) == point


@pytest.mark.parametrize("size", ALL_SIZES)
def test_pass_round_trips(size):
    pass_point = pass_move(size)
    assert pass_point == size * size
    assert to_gtp(pass_point, size) == "pass"
    assert from_gtp("pass", size) == from_gtp("PASS", size) == pass_point
    assert to_sgf(pass_point, size) == ""
    assert from_sgf("", size) == pass_point
    assert to_sgfmill(pass_point, size) is None
    assert from_sgfmill(None, size) == pass_point
    assert to_padded(pass_point, size) == -1
    assert from_padded(-1, size) == pass_point


def test_resign_is_not_a_point():
    assert to_gtp(RESIGN, 19) == "resign"
    assert from_gtp("resign", 19) == from_gtp("Resign", 19) == RESIGN


def test_tt_is_pass_up_to_19x19_and_a_point_above():
    assert from_sgf("tt", 19) == pass_move(19)
    assert from_sgf("tt", 9) == pass_move(9)
    assert from_sgf("tt", 20) == to_point(19, 19, 20)
    assert to_sgf(to_point(19, 19, 20), 20) == "tt"


def test_gtp_letters_skip_i_and_25x25_uses_all_25():
    assert "I" not in GTP_COLUMNS
    assert len(GTP_COLUMNS) == 25
    letters = [to_gtp(col, 25)[0] for col in range(25)]
    assert letters == list("ABCDEFGHJKLMNOPQRSTUVWXYZ")
    assert to_gtp(24, 25) == "Z25"
    assert to_gtp(25 * 25 - 1, 25) == "Z1"
    assert from_gtp("Z25", 25) == 24
    assert from_gtp("H1", 9) == 79 and from_gtp("J1", 9) == 80


def test_numbers_count_from_the_bottom():
    for size in (5, 13, 19):
        assert [to_gtp(to_point(row, 0, size), size) for row in range(size)] == [
            f"A{n}" for n in range(size, 0, -1)]


@pytest.mark.parametrize("size", [9, 19, 25])
def test_gtp_and_sgfmill_vertices_agree(size):
    for point in range(size * size):
        move = to_sgfmill(point, size)
        assert sgfmill_common.format_vertex(move) == to_gtp(point, size)
        assert sgfmill_common.move_from_vertex(to_gtp(point, size), size) == move
    assert sgfmill_common.move_from_vertex("pass", size) is None


@pytest.mark.parametrize("size", [5, 9, 19, 25])
def test_sgf_points_agree_with_sgfmill(size):
    for point in range(size * size):
        move = to_sgfmill(point, size)
        text = sgf_properties.serialise_go_point(move, size).decode()
        assert text == to_sgf(point, size)
        assert sgf_properties.interpret_go_point(text.encode(), size) == move


@pytest.mark.parametrize("vertex, size", [
    ("I5", 19),  # no I column
    ("A0", 19),
    ("A20", 19),
    ("T1", 9),  # column off a 9x9 board
    ("K1", 9),
    ("J10", 9),
    ("A26", 25),
    ("", 19),
    ("A", 19),
    ("5A", 19),
    ("AA1", 19),
    ("A-1", 19),
    ("A 1", 19),
    ("@1", 19),
    ("passs", 19),
])
def test_bad_gtp_vertices_raise(vertex, size):
    with pytest.raises(ValueError):
        from_gtp(vertex, size)


@pytest.mark.parametrize("text, size", [
    ("a", 19), ("abc", 19), ("A1", 19), ("jj", 9), ("aj", 9), ("ja", 9), ("zz", 25), ("a?", 9),
])
def test_bad_sgf_points_raise(text, size):
    with pytest.raises(ValueError):
        from_sgf(text, size)


@pytest.mark.parametrize("move", [(9, 0), (0, 9), (-1, 0), (0, -1)])
def test_bad_sgfmill_points_raise(move):
    with pytest.raises(ValueError):
        from_sgfmill(move, 9)


@pytest.mark.parametrize("size", [0, 1, 26, 19.0, "19", None])
def test_bad_sizes_raise(size):
    with pytest.raises(ValueError):
        check_size(size)


def test_good_sizes_pass_through():
    assert [check_size(size) for size in ALL_SIZES] == list(ALL_SIZES)


def test_colours():
    assert opponent(BLACK) == WHITE and opponent(WHITE) == BLACK
    for text, colour in [("b", BLACK), ("B", BLACK), ("black", BLACK), (" White ", WHITE),
                         ("w", WHITE)]:
        assert parse_color(text) == colour
    for text in ("", "x", "blue", "bw"):
        with pytest.raises(ValueError):
            parse_color(text)
