"""Drawing a position, a status line, a score breakdown and a search's analysis with rich.

The board is drawn as seen from Black's side (row 0 of :mod:`go_engine.rules.coords` at the top),
with GTP coordinates on all four sides: column letters (no ``I``) above and below, row numbers
(1 at the bottom) left and right. Each intersection takes two characters, a separator and a
glyph; the separators around the last move become ``(`` and ``)``, as GNU Go's ASCII board does,
so the mark survives in plain text.

Two glyph sets, chosen by :func:`fancy_output`:

=============  =========================  ===================================
point          fancy (colour, UTF-8)      plain (no colour, or ASCII only)
=============  =========================  ===================================
empty          ``·``                      ``.``
star point     ``+``                      ``+``
black stone    ``●`` black on wood        ``X``
white stone    ``●`` white on wood        ``O``
dead stone     ``×`` in its colour        ``x`` (black), ``o`` (white)
last move      ``(●)`` in red brackets    ``(X)``
=============  =========================  ===================================

The plain set is what logs and pipes get: one character per point, the same letters as
:meth:`~go_engine.rules.board.Board.to_ascii`, and nothing that needs a terminal.

The analysis view (:func:`render_heatmap`, :func:`render_candidates`) draws the root's visits
on the board: each empty point the search visited shows a digit from 1 to 9, its visits as a
share of the most visited move's (9 is the most visited; in colour, the background warms with
it), and a table lists the candidates with visits, win rate, lower bound, prior and the
principal variation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich import box
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from go_engine.interfaces.analysis import Candidate
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, EMPTY, GTP_COLUMNS, WHITE, to_gtp, to_point
from go_engine.rules.scoring import ScoreBreakdown, ScoringRule

WOOD = "#dcb35c"

_BOARD = Style(bgcolor=WOOD)
_LABEL = Style(color="#4a3210", bgcolor=WOOD, bold=True)
_GRID = Style(color="#8a6a32", bgcolor=WOOD)
_STAR = Style(color="#4a3210", bgcolor=WOOD, bold=True)
_STONE = {BLACK: Style(color="#000000", bgcolor=WOOD, bold=True),
          WHITE: Style(color="#ffffff", bgcolor=WOOD, bold=True)}
_DEAD = {BLACK: Style(color="#000000", bgcolor=WOOD), WHITE: Style(color="#ffffff", bgcolor=WOOD)}
_MARK = Style(color="#c00000", bgcolor=WOOD, bold=True)
_HEAT = ["#f3e08a", "#f2cc5c", "#f0b441", "#ec9a30", "#e67d24", "#dc5f1b", "#cd4313",
         "#b7290c", "#981306"]  # backgrounds of heat levels 1..9


@dataclass(frozen=True)
class Glyphs:
    """The characters a board is drawn with."""

    empty: str
    star: str
    black: str
    white: str
    dead_black: str
    dead_white: str

    def stone(self, color: int, dead: bool = False) -> str:
        """The glyph of a live or dead stone of ``color``."""
        if color == BLACK:
            return self.dead_black if dead else self.black
        return self.dead_white if dead else self.white


FANCY_GLYPHS = Glyphs(empty="·", star="+", black="●", white="●", dead_black="×", dead_white="×")
PLAIN_GLYPHS = Glyphs(empty=".", star="+", black="X", white="O", dead_black="x", dead_white="o")


def fancy_output(console: Console) -> bool:
    """True when ``console`` shows colours and UTF-8, so stones may differ by colour alone."""
    encoding = (console.encoding or "").lower().replace("-", "")
    return console.color_system is not None and not console.no_color and encoding == "utf8"


def star_points(size: int) -> frozenset[int]:
    """The hoshi of a ``size`` board, as flat points.

    Boards from 7x7 mark the four corner points on the third line (fourth line from 13x13), the
    centre of odd boards, and the side points of odd boards from 15x15 (the nine of 19x19).
    Smaller odd boards from 5x5 mark only the centre.
    """
    mid = size // 2
    odd = size % 2 == 1
    if size < 7:
        return frozenset({to_point(mid, mid, size)}) if odd and size >= 5 else frozenset()
    low = 2 if size <= 12 else 3
    high = size - 1 - low
    rows_cols = {(low, low), (low, high), (high, low), (high, high)}
    if odd:
        rows_cols.add((mid, mid))
    if odd and size >= 15:
        rows_cols |= {(low, mid), (high, mid), (mid, low), (mid, high)}
    return frozenset(to_point(r, c, size) for r, c in rows_cols)


def column_letters(size: int) -> list[str]:
    """The GTP column letters of a ``size`` board (``I`` skipped)."""
    return list(GTP_COLUMNS[:size])


def render_board(board: Board, *, dead: frozenset[int] | set[int] = frozenset(),
                 fancy: bool = True) -> Text:
    """The board as rich text: coordinates on four sides, star points, the last move in
    brackets, and ``dead`` stones (flat points) marked as dead."""
    glyphs = FANCY_GLYPHS if fancy else PLAIN_GLYPHS
    size = board.size
    width = len(str(size))
    last = board.last_move
    stones = board.stones()
    stars = star_points(size)
    text = Text(no_wrap=True, overflow="ignore")
    header = _column_header(size, fancy)
    text.append(header + "\n", _LABEL if fancy else "")
    for row in range(size):
        number = size - row
        text.append(f" {number:>{width}}", _LABEL if fancy else "")
        for col in range(size):
            point = to_point(row, col, size)
            separator = ")" if point - 1 == last and col > 0 else " "
            if point == last:
                separator = "("
            text.append(separator, _separator_style(separator, fancy))
            glyph, style = _point_glyph(int(stones[row, col]), point, dead, stars, glyphs)
            text.append(glyph, style if fancy else "")
        closing = ")" if last == to_point(row, size - 1, size) else " "
        text.append(closing, _separator_style(closing, fancy))
        right = f"{number:<{width}} " if fancy else str(number)
        text.append(right, _LABEL if fancy else "")
        text.append("\n")
    text.append(header, _LABEL if fancy else "")
    return text


def _separator_style(separator: str, fancy: bool) -> Style | str:
    if not fancy:
        return ""
    return _BOARD if separator == " " else _MARK


def _point_glyph(color: int, point: int, dead: frozenset[int] | set[int],
                 stars: frozenset[int], glyphs: Glyphs) -> tuple[str, Style]:
    if color == EMPTY:
        return (glyphs.star, _STAR) if point in stars else (glyphs.empty, _GRID)
    is_dead = point in dead
    return glyphs.stone(color, is_dead), (_DEAD if is_dead else _STONE)[color]


def render_score(breakdown: ScoreBreakdown, *, fancy: bool = True) -> Table:
    """A table of the count: stones, territory, prisoners, dead stones, komi and totals."""
    table = Table(box=box.SIMPLE_HEAD if fancy else box.ASCII, show_edge=fancy,
                  title=f"{breakdown.rule.value} scoring", title_justify="left")
    table.add_column("")
    table.add_column("Black", justify="right")
    table.add_column("White", justify="right")
    black, white = breakdown.black, breakdown.white
    counted = ("stones", "territory") if breakdown.rule == ScoringRule.AREA else (
        "territory", "prisoners")
    for name in ("stones", "territory", "prisoners", "dead"):
        label = name if name in counted else f"({name})"
        table.add_row(label, str(getattr(black, name)), str(getattr(white, name)))
    table.add_row("komi", "", f"{breakdown.komi:g}")
    table.add_row("total", f"{breakdown.total(BLACK):g}", f"{breakdown.total(WHITE):g}")
    table.caption = (f"totals count {' + '.join(counted)} (+ komi for White); "
                     "rows in brackets are shown but not counted; "
                     "dead = own stones removed as dead")
    table.caption_justify = "left"
    return table


def describe_result(breakdown: ScoreBreakdown) -> str:
    """``"W+4.5 (White wins by 4.5 points)"``, or ``"0 (a draw)"``."""
    if breakdown.winner is None:
        return "0 (a draw)"
    name = "Black" if breakdown.winner == BLACK else "White"
    return f"{breakdown.result_string()} ({name} wins by {abs(breakdown.margin):g} points)"


def heat_levels(visits: np.ndarray) -> np.ndarray:
    """``int [len(visits)]``: 0 for no visits, else ``ceil(9 * visits / max visits)`` (1..9)."""
    visits = np.asarray(visits, dtype=np.float64)
    top = visits.max(initial=0.0)
    if top <= 0:
        return np.zeros(len(visits), dtype=np.int64)
    return np.where(visits > 0, np.ceil(9.0 * visits / top), 0).astype(np.int64)


def render_heatmap(board: Board, visits: np.ndarray, *, fancy: bool = True) -> Text:
    """The board with the search's root visits as digits 1..9 on the points it visited (see
    the module's notes); ``visits`` is over the ``size * size + 1`` actions (pass ignored)."""
    glyphs = FANCY_GLYPHS if fancy else PLAIN_GLYPHS
    size = board.size
    width = len(str(size))
    levels = heat_levels(np.asarray(visits)[: size * size])
    stones = board.stones()
    stars = star_points(size)
    text = Text(no_wrap=True, overflow="ignore")
    header = _column_header(size, fancy)
    text.append(header + "\n", _LABEL if fancy else "")
    for row in range(size):
        number = size - row
        text.append(f" {number:>{width}}", _LABEL if fancy else "")
        for col in range(size):
            point = to_point(row, col, size)
            text.append(" ", _BOARD if fancy else "")
            level = int(levels[point])
            if stones[row, col] == EMPTY and level:
                style = Style(color="#000000" if level < 6 else "#ffffff",
                              bgcolor=_HEAT[level - 1], bold=True)
                text.append(str(level), style if fancy else "")
            else:
                glyph, style = _point_glyph(int(stones[row, col]), point, frozenset(), stars,
                                            glyphs)
                text.append(glyph, style if fancy else "")
        text.append(f" {number:<{width}} " if fancy else f" {number}", _LABEL if fancy else "")
        text.append("\n")
    text.append(header, _LABEL if fancy else "")
    return text


def render_candidates(ranked: list[Candidate], size: int, *, fancy: bool = True,
                      pv_length: int = 10) -> Table:
    """A table of candidate moves: rank, move, visits, win rate, lower bound, prior and the
    first ``pv_length`` moves of the principal variation."""
    table = Table(box=box.SIMPLE_HEAD if fancy else box.ASCII, show_edge=fancy)
    for name, justify in (("#", "right"), ("move", "left"), ("visits", "right"),
                          ("win rate", "right"), ("lcb", "right"), ("prior", "right"),
                          ("principal variation", "left")):
        table.add_column(name, justify=justify)
    for c in ranked:
        pv = " ".join(to_gtp(p, size) for p in c.pv[:pv_length])
        if len(c.pv) > pv_length:
            pv += " ..."
        table.add_row(str(c.order + 1), to_gtp(c.move, size), str(c.visits),
                      f"{c.winrate:.1%}", f"{c.lcb:.1%}", f"{c.prior:.1%}", pv)
    return table


def _column_header(size: int, fancy: bool) -> str:
    """The column letters drawn above and below the board."""
    width = len(str(size))
    header = " " * (width + 2) + " ".join(column_letters(size))
    if fancy:  # pad every line to the same width, so the wood is a rectangle
        header += " " * (width + 2)
    return header
