"""Every coordinate and colour convention of the engine, in one place.

Board sizes run from 2x2 to 25x25. A board of size ``N`` is seen from Black's side, as drawn
on screen: row 0 is the top row, column 0 is the left-hand column.

==========  ================================  ================================================
system      the 4-4 point at the lower left   notes
            of a 19x19 board
==========  ================================  ================================================
point       ``p = row * N + col`` = 288       public flat index; ``PASS = N * N``
row/col     ``(15, 3)``                       row 0 at the top
GTP vertex  ``"D4"``                          letters skip ``I``; number 1 is the bottom row
SGF         ``"dp"``                          column letter, then row letter (``a`` = 0, top
                                              row first); pass is ``""`` or ``"tt"`` (<= 19x19)
sgfmill     ``(3, 3)``                        (row, col) with row 0 at the *bottom*
padded      ``(row+1) * (N+2) + col+1``       private to the numba core: a one-point border
                                              around the board makes neighbours branch-free
==========  ================================  ================================================

Actions (search, gymnasium, network policies) are points ``0 .. N*N - 1`` plus ``PASS = N * N``.
Resignation is not an action; it is ``RESIGN = -1`` where a move value must carry it.

Colours: ``EMPTY = 0``, ``BLACK = 1``, ``WHITE = 2`` and, on the padded board only,
``BORDER = 3``. ``opponent(c) == 3 - c``.
"""

from __future__ import annotations

EMPTY = 0
BLACK = 1
WHITE = 2
BORDER = 3

RESIGN = -1

MIN_SIZE = 2
MAX_SIZE = 25

GTP_COLUMNS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"
SGF_LETTERS = "abcdefghijklmnopqrstuvwxyz"

COLOR_NAMES = {BLACK: "black", WHITE: "white", EMPTY: "empty"}


def opponent(color: int) -> int:
    """Return the other player's colour."""
    return 3 - color


def pass_move(size: int) -> int:
    """Return the flat index of pass on a ``size`` board (``size * size``)."""
    return size * size


def check_size(size: int) -> int:
    """Return ``size`` if it is a supported board size, otherwise raise ``ValueError``."""
    if not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
        raise ValueError(
            f"board size must be an integer from {MIN_SIZE} to {MAX_SIZE}, got {size!r}")
    return size


def parse_color(text: str) -> int:
    """Parse a GTP colour (``b``, ``black``, ``w``, ``white``; any case)."""
    word = text.strip().lower()
    if word in ("b", "black"):
        return BLACK
    if word in ("w", "white"):
        return WHITE
    raise ValueError(f"invalid color: {text!r}")


def color_name(color: int) -> str:
    """Return ``"black"`` or ``"white"``."""
    return COLOR_NAMES[color]


# -- flat point <-> row/col -------------------------------------------------------------------


def to_point(row: int, col: int, size: int) -> int:
    """Return the flat index of ``(row, col)``."""
    return row * size + col


def to_row_col(point: int, size: int) -> tuple[int, int]:
    """Return ``(row, col)`` of a flat index (row 0 at the top)."""
    return divmod(point, size)


# -- padded (numba core) ----------------------------------------------------------------------


def to_padded(point: int, size: int) -> int:
    """Return the padded-board index of a flat point (``PASS`` maps to ``-1``)."""
    if point == size * size:
        return -1
    row, col = divmod(point, size)
    return (row + 1) * (size + 2) + col + 1


def from_padded(padded: int, size: int) -> int:
    """Return the flat point of a padded-board index (``-1`` maps to ``PASS``)."""
    if padded < 0:
        return size * size
    row, col = divmod(padded, size + 2)
    return (row - 1) * size + col - 1


# -- GTP vertices -----------------------------------------------------------------------------


def to_gtp(point: int, size: int) -> str:
    """Return the GTP vertex (``"D4"``, ``"pass"``, ``"resign"``) of a move."""
    if point == RESIGN:
        return "resign"
    if point == size * size:
        return "pass"
    row, col = divmod(point, size)
    return f"{GTP_COLUMNS[col]}{size - row}"


def from_gtp(vertex: str, size: int) -> int:
    """Parse a GTP vertex (any case) into a move; raise ``ValueError`` when it is not one.

    ``pass`` gives ``PASS``; ``resign`` gives ``RESIGN``. A vertex off the board raises.
    """
    text = vertex.strip().upper()
    if text == "PASS":
        return size * size
    if text == "RESIGN":
        return RESIGN
    if len(text) < 2 or text[0] not in GTP_COLUMNS or not text[1:].isdigit():
        raise ValueError(f"invalid vertex: {vertex!r}")
    col = GTP_COLUMNS.index(text[0])
    number = int(text[1:])
    if col >= size or not 1 <= number <= size:
        raise ValueError(f"vertex off the board: {vertex!r}")
    return (size - number) * size + col


# -- SGF --------------------------------------------------------------------------------------


def to_sgf(point: int, size: int) -> str:
    """Return the SGF coordinate of a move (``""`` for pass)."""
    if point == size * size:
        return ""
    row, col = divmod(point, size)
    return SGF_LETTERS[col] + SGF_LETTERS[row]


def from_sgf(text: str, size: int) -> int:
    """Parse an SGF coordinate; ``""`` and ``"tt"`` (boards up to 19x19) mean pass."""
    if text == "" or (text == "tt" and size <= 19):
        return size * size
    if len(text) != 2 or text[0] not in SGF_LETTERS or text[1] not in SGF_LETTERS:
        raise ValueError(f"invalid SGF point: {text!r}")
    col, row = SGF_LETTERS.index(text[0]), SGF_LETTERS.index(text[1])
    if col >= size or row >= size:
        raise ValueError(f"SGF point off the board: {text!r}")
    return row * size + col


# -- sgfmill ----------------------------------------------------------------------------------


def to_sgfmill(point: int, size: int) -> tuple[int, int] | None:
    """Return sgfmill's ``(row, col)`` (row 0 at the bottom), or ``None`` for pass."""
    if point == size * size:
        return None
    row, col = divmod(point, size)
    return size - 1 - row, col


def from_sgfmill(move: tuple[int, int] | None, size: int) -> int:
    """Return the flat point of an sgfmill ``(row, col)``; ``None`` is pass."""
    if move is None:
        return size * size
    row, col = move
    if not (0 <= row < size and 0 <= col < size):
        raise ValueError(f"point off the board: {move!r}")
    return (size - 1 - row) * size + col
