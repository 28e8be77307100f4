"""The engine as a GTP v2 program (``go-engine gtp``): commands on stdin, answers on stdout.

Go Text Protocol version 2 (G. Farnebäck, draft 2, 2002; GNU Go 3.x is its reference
implementation). Every answer is ``=[id] result`` or ``?[id] message``, ended by a blank line
and flushed at once; logs go to stderr only, and any stray ``print`` is sent there too.

Commands, by group (``list_commands`` prints them all, sorted):

==================  =====================================================================
group               commands
==================  =====================================================================
administrative      protocol_version name version known_command list_commands quit
setup               boardsize clear_board komi fixed_handicap place_free_handicap
                    set_free_handicap loadsgf
play                play genmove undo reg_genmove kgs-genmove_cleanup
time                time_settings time_left kgs-time_settings
scoring             final_score final_status_list
debug (GNU Go's)    showboard printsgf is_legal list_stones countlib captures
==================  =====================================================================

How a line is read (GTP section 2.5): control characters other than HT and LF are dropped,
everything from ``#`` on is a comment, HT becomes a space, and empty lines are skipped. A
leading all-digit token is the id, echoed back without leading zeros. Input is bytes: invalid
UTF-8 becomes U+FFFD and can only ever be an unknown command or a syntax error.

Errors use the spec's words (GNU Go's where the spec has none):

=========================  ==========================================================
message                    when
=========================  ==========================================================
``unknown command``        no such command (or an id with no command)
``syntax error``           missing, extra or malformed arguments; a vertex off the
                           board; a line longer than :data:`MAX_LINE_BYTES`
``illegal move``           ``play`` of a move the rules forbid
``unacceptable size``      ``boardsize`` outside 2..25
``cannot undo``            ``undo`` with no move to take back
``board not empty``        a handicap command after stones or moves
``invalid handicap``       a stone count the placement does not allow
``bad vertex list``        ``set_free_handicap`` with pass, repeats, too few or too many
``cannot load file``       ``loadsgf`` of a missing, unreadable or invalid file
``cannot save file``       ``printsgf FILE`` that cannot be written
``vertex must not be       ``countlib`` of an empty point (GNU Go's words)
empty``
``internal error``         a bug; it is logged, and the engine keeps running
=========================  ==========================================================

Handlers are the ``cmd_*`` methods of :class:`GtpEngine` (``kgs_`` stands for ``kgs-``),
collected by reflection. Each declares its arguments with :func:`arguments`; one function,
:meth:`GtpEngine.parse_arguments`, turns tokens into values or a syntax error.

State: one :class:`~go_engine.rules.game.Game` holds the whole history; ``boardsize``,
``clear_board``, ``loadsgf`` and the handicap commands replace it and make the player forget
its tree. A resignation from ``genmove`` is answered ``resign`` and remembered for
``final_score`` and ``printsgf`` (``RE``), but it is not put in the game: a controller that
goes on with ``play``, ``genmove`` or ``undo`` simply continues the game, and the resignation
is forgotten.

Time: ``time_settings``, ``time_left`` and ``kgs-time_settings`` are stored in a
:class:`TimeControl` and a :class:`Clock` per colour (the engine also runs its own clock down
when the controller sends no ``time_left``). ``genmove`` searches for the smaller of the
``--time`` option and :meth:`TimeControl.budget`, and stops at ``--playouts`` if that comes
first.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from importlib import metadata
from typing import TYPE_CHECKING, BinaryIO

from go_engine.rules.board import Board
from go_engine.rules.coords import (
    BLACK,
    EMPTY,
    GTP_COLUMNS,
    RESIGN,
    WHITE,
    check_size,
    from_gtp,
    parse_color,
    to_gtp,
)
from go_engine.rules.game import Game, IllegalMoveError, fixed_handicap_points
from go_engine.rules.handicap import free_handicap_points
from go_engine.rules.scoring import ScoreBreakdown, ScoringRule, score
from go_engine.search.player import MCTSPlayer
from go_engine.search.playout import estimate_dead_stones
from go_engine.search.time_control import Clock, TimeControl, TimeSystem, estimated_moves_left

if TYPE_CHECKING:
    from go_engine.cli import EngineOptions

log = logging.getLogger(__name__)

ENGINE_NAME = "go-engine"
PROTOCOL_VERSION = "2"

MAX_LINE_BYTES = 1 << 22  # longer lines are read to their end and answered with an error
MAX_SGF_BYTES = 1 << 24  # loadsgf refuses bigger files (and devices, pipes, directories)
DEAD_STONE_PLAYOUTS = 400  # light playouts behind final_score and final_status_list

UNKNOWN_COMMAND = "unknown command"
SYNTAX_ERROR = "syntax error"
ILLEGAL_MOVE = "illegal move"
UNACCEPTABLE_SIZE = "unacceptable size"
CANNOT_UNDO = "cannot undo"
BOARD_NOT_EMPTY = "board not empty"
INVALID_HANDICAP = "invalid handicap"
BAD_VERTEX_LIST = "bad vertex list"
CANNOT_LOAD_FILE = "cannot load file"
CANNOT_SAVE_FILE = "cannot save file"
VERTEX_EMPTY = "vertex must not be empty"
INTERNAL_ERROR = "internal error"


class GtpError(Exception):
    """A command failed; the message is the GTP error text."""


# -- arguments: declared per handler, parsed in one place -------------------------------------


@dataclass(frozen=True)
class Arg:
    """One argument of a command: how to parse a token (given the board size)."""

    name: str
    parse: Callable[[str, int], object]
    optional: bool = False
    many: bool = False  # takes every remaining token (one or more) as a list


def arguments(*specs: Arg) -> Callable:
    """Declare a handler's arguments; :meth:`GtpEngine.parse_arguments` reads them."""

    def mark(handler: Callable) -> Callable:
        handler.gtp_arguments = specs
        return handler

    return mark


_INT = re.compile(r"[+-]?[0-9]{1,30}")
_NUMBER = re.compile(r"[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][+-]?[0-9]{1,4})?")
_VERTEX = re.compile(r"[A-Za-z][0-9]{1,2}|[Pp][Aa][Ss][Ss]")


def _parse_int(text: str, size: int) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def _parse_count(text: str, size: int) -> int:
    value = _parse_int(text, size)
    if value < 0:
        raise ValueError(text)
    return value


def _parse_number(text: str, size: int) -> float:
    if not _NUMBER.fullmatch(text):
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _parse_seconds(text: str, size: int) -> float:
    value = _parse_number(text, size)
    if value < 0:
        raise ValueError(text)
    return value


def _parse_color(text: str, size: int) -> int:
    return parse_color(text)


def _parse_move(text: str, size: int) -> int:
    """A vertex on the board or ``pass`` (``resign`` is not a vertex)."""
    if not _VERTEX.fullmatch(text):
        raise ValueError(text)
    return from_gtp(text, size)


def _parse_point(text: str, size: int) -> int:
    """A vertex on the board; ``pass`` is not one."""
    point = _parse_move(text, size)
    if point == size * size:
        raise ValueError(text)
    return point


def _parse_word(text: str, size: int) -> str:
    return text


COLOR = Arg("color", _parse_color)
MOVE = Arg("vertex", _parse_move)
POINT = Arg("vertex", _parse_point)
INT = Arg("int", _parse_int)
COUNT = Arg("count", _parse_count)
NUMBER = Arg("float", _parse_number)
SECONDS = Arg("seconds", _parse_seconds)
WORD = Arg("string", _parse_word)
VERTICES = Arg("vertices", _parse_move, many=True)


def optional(spec: Arg) -> Arg:
    """The same argument, which may be left out (it is then ``None``)."""
    return replace(spec, optional=True)


# -- text -------------------------------------------------------------------------------------


def preprocess(raw: bytes | str) -> str:
    """GTP section 2.5: drop control characters but HT and LF, cut comments, HT to space."""
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw).split(b"#", 1)[0].translate(None, _CONTROL_BYTES)
        text = raw.decode("utf-8", "replace")
    else:
        text = raw.split("#", 1)[0].translate(_CONTROL_CHARACTERS)
    return text.replace("\t", " ").replace("\n", "").strip(" ")


_CONTROL_BYTES = bytes(c for c in [*range(32), 127] if c not in (9, 10))
_CONTROL_CHARACTERS = dict.fromkeys(_CONTROL_BYTES)


def showboard_text(board: Board) -> str:
    """The board as GNU Go's ``showboard`` draws it: coordinates around, captures beside."""
    size = board.size
    letters = "   " + " ".join(GTP_COLUMNS[:size])
    stones = board.stones()
    marks = {EMPTY: ".", BLACK: "X", WHITE: "O"}
    notes = {size - 2: f"WHITE (O) has captured {board.captures(WHITE)} stones",
             size - 1: f"BLACK (X) has captured {board.captures(BLACK)} stones"}
    lines = ["", letters]
    for row in range(size):
        number = size - row
        cells = " ".join(marks[int(c)] for c in stones[row])
        line = f"{number:2d} {cells} {number}"
        if row in notes:
            line += "     " + notes[row]
        lines.append(line)
    lines.append(letters)
    return "\n".join(lines)


def _vertices(points: list[int], size: int) -> str:
    return " ".join(to_gtp(p, size) for p in points)


def _chains_text(board: Board, points: set[int]) -> str:
    """``points`` as GNU Go lists dragons: one chain per line, chains and stones in board
    order (row by row from the top, left to right)."""
    lines, seen = [], set()
    for point in sorted(points):
        if point in seen:
            continue
        chain = [p for p in board.chain(point) if p in points]
        seen.update(chain)
        lines.append(_vertices(chain, board.size))
    return "\n".join(lines)


def _engine_version() -> str:
    try:
        return metadata.version(ENGINE_NAME)
    except metadata.PackageNotFoundError:
        return "unknown"


# -- the engine -------------------------------------------------------------------------------


class GtpEngine:
    """GTP command handling over one game and one player; no I/O (see :func:`serve`)."""

    def __init__(self, options: EngineOptions, player: MCTSPlayer | None = None) -> None:
        self.options = options
        self.rules = options.rules
        self.config = options.search
        self.player = player or MCTSPlayer(self.config)
        self.game = Game(options.size, self.rules)
        self.time_control = TimeControl()
        self.clocks = {BLACK: Clock(0.0), WHITE: Clock(0.0)}
        self.comments: dict[int, str] = {}
        self.resigned: int | None = None
        self.finished = False
        self.commands: dict[str, Callable] = {
            _command_name(attr): getattr(self, attr)
            for attr in dir(type(self)) if attr.startswith("cmd_")
        }

    # -- protocol -----------------------------------------------------------------------------

    def handle_line(self, raw: bytes | str, truncated: bool = False) -> str | None:
        """Answer one input line: the full response (ending in a blank line), or ``None`` for
        a line the spec says to skip. ``truncated`` marks the start of an over-long line."""
        tokens = [t for t in preprocess(raw).split(" ") if t]
        if not tokens:
            return None
        ident = ""
        if tokens[0].isascii() and tokens[0].isdigit():
            ident = tokens.pop(0).lstrip("0") or "0"
        try:
            if not tokens or tokens[0] not in self.commands:
                raise GtpError(UNKNOWN_COMMAND)
            if truncated:
                raise GtpError(SYNTAX_ERROR)
            body = self.execute(tokens[0], tokens[1:])
            return _response("=", ident, body)
        except GtpError as error:
            return _response("?", ident, str(error))
        except Exception:  # a bug outside the handler: say so, and keep running
            log.exception("line %r failed", tokens[:3])
            return _response("?", ident, INTERNAL_ERROR)

    def execute(self, name: str, tokens: list[str]) -> str:
        """Run a command by name; raise :class:`GtpError` when it fails."""
        handler = self.commands.get(name)
        if handler is None:
            raise GtpError(UNKNOWN_COMMAND)
        values = self.parse_arguments(getattr(handler, "gtp_arguments", ()), tokens)
        try:
            return handler(*values) or ""
        except GtpError:
            raise
        except Exception:
            log.exception("command %s failed", name)
            raise GtpError(INTERNAL_ERROR) from None

    def parse_arguments(self, specs: tuple[Arg, ...], tokens: list[str]) -> list:
        """Tokens to values by ``specs``; a syntax error for anything missing, extra or bad."""
        values: list = []
        rest = list(tokens)
        for spec in specs:
            if spec.many:
                if not rest:
                    raise GtpError(SYNTAX_ERROR)
                values.append([self._parse_one(spec, t) for t in rest])
                rest = []
            elif rest:
                values.append(self._parse_one(spec, rest.pop(0)))
            elif spec.optional:
                values.append(None)
            else:
                raise GtpError(SYNTAX_ERROR)
        if rest:
            raise GtpError(SYNTAX_ERROR)
        return values

    def _parse_one(self, spec: Arg, token: str):
        try:
            return spec.parse(token, self.game.size)
        except (ValueError, OverflowError):
            raise GtpError(SYNTAX_ERROR) from None

    def close(self) -> None:
        """Release the player's threads."""
        self.player.close()

    # -- administrative -----------------------------------------------------------------------

    def cmd_protocol_version(self) -> str:
        """The GTP version: 2."""
        return PROTOCOL_VERSION

    def cmd_name(self) -> str:
        """The engine's name."""
        return ENGINE_NAME

    def cmd_version(self) -> str:
        """The engine's version."""
        return _engine_version()

    @arguments(WORD)
    def cmd_known_command(self, name: str) -> str:
        """``true`` when ``name`` is a command of this engine."""
        return "true" if name in self.commands else "false"

    def cmd_list_commands(self) -> str:
        """Every command, one a line, sorted."""
        return "\n".join(sorted(self.commands))

    def cmd_quit(self) -> str:
        """End the session after this answer."""
        self.finished = True
        return ""

    # -- setup --------------------------------------------------------------------------------

    @arguments(INT)
    def cmd_boardsize(self, size: int) -> str:
        """A new, empty board of ``size``."""
        try:
            check_size(size)
        except ValueError:
            raise GtpError(UNACCEPTABLE_SIZE) from None
        self._new_game(Game(size, self.rules))
        return ""

    def cmd_clear_board(self) -> str:
        """An empty board; no moves, no captures."""
        self._new_game(Game(self.game.size, self.rules))
        return ""

    @arguments(NUMBER)
    def cmd_komi(self, komi: float) -> str:
        """Set the komi (the game goes on)."""
        self.rules = replace(self.rules, komi=komi)
        self.game.rules = replace(self.game.rules, komi=komi)
        self.player.new_game()  # the tree's values were for the old komi
        return ""

    @arguments(INT)
    def cmd_fixed_handicap(self, stones: int) -> str:
        """GTP's fixed handicap placement (section 4.1.1)."""
        self._require_empty_board()
        try:
            points = fixed_handicap_points(self.game.size, stones)
        except ValueError:
            raise GtpError(INVALID_HANDICAP) from None
        return self._place_handicap(points, INVALID_HANDICAP)

    @arguments(INT)
    def cmd_place_free_handicap(self, stones: int) -> str:
        """The engine chooses where its handicap stones go (:func:`free_handicap_points`)."""
        self._require_empty_board()
        size = self.game.size
        if not 2 <= stones <= size * size - 1:
            raise GtpError(INVALID_HANDICAP)
        return self._place_handicap(free_handicap_points(size, stones), INVALID_HANDICAP)

    @arguments(VERTICES)
    def cmd_set_free_handicap(self, points: list[int]) -> str:
        """Handicap stones where the controller says."""
        self._require_empty_board()
        size = self.game.size
        if (len(points) < 2 or len(points) > size * size - 1 or size * size in points
                or len(set(points)) != len(points)):
            raise GtpError(BAD_VERTEX_LIST)
        self._place_handicap(points, BAD_VERTEX_LIST)
        return ""

    @arguments(WORD, optional(COUNT))
    def cmd_loadsgf(self, path: str, move_number: int | None) -> str:
        """Load a game record; with ``move_number``, the position before that move."""
        from go_engine.rules.sgf import SgfError, load_sgf_file

        if move_number is not None and move_number < 1:
            raise GtpError(SYNTAX_ERROR)
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > MAX_SGF_BYTES:
                raise GtpError(CANNOT_LOAD_FILE)
            record = load_sgf_file(path)
        except (OSError, SgfError, ValueError) as error:
            log.info("loadsgf %s: %s", path, error)
            raise GtpError(CANNOT_LOAD_FILE) from None
        if move_number is not None:
            keep = move_number - 1
            record = replace(record, moves=record.moves[:keep], comments=record.comments[:keep])
        komi = self.rules.komi if record.komi is None else record.komi
        try:
            game = record.to_game(replace(self.rules, komi=komi), resignation=False)
        except SgfError:
            try:  # a record that repeats a position under our ko rule: take the record's
                game = record.to_game(replace(record.game_rules(), komi=komi),
                                      resignation=False)
            except SgfError as error:
                log.info("loadsgf %s: %s", path, error)
                raise GtpError(CANNOT_LOAD_FILE) from None
        self.rules = game.rules
        self._new_game(game)
        return ""

    # -- play ---------------------------------------------------------------------------------

    @arguments(COLOR, MOVE)
    def cmd_play(self, color: int, point: int) -> str:
        """Play a move (``pass`` included) for ``color``."""
        try:
            self.game.play(point, color)
        except IllegalMoveError:
            raise GtpError(ILLEGAL_MOVE) from None
        self.resigned = None
        return ""

    @arguments(COLOR)
    def cmd_genmove(self, color: int) -> str:
        """Choose a move for ``color`` and play it; ``pass`` or ``resign`` are possible."""
        return self._generate(color, commit=True)

    @arguments(COLOR)
    def cmd_kgs_genmove_cleanup(self, color: int) -> str:
        """KGS's cleanup genmove: the engine never passes while passing loses, so the same."""
        return self._generate(color, commit=True)

    @arguments(COLOR)
    def cmd_reg_genmove(self, color: int) -> str:
        """The move ``genmove`` would choose, without playing it or running the clock."""
        return self._generate(color, commit=False)

    def cmd_undo(self) -> str:
        """Take back the last move."""
        try:
            self.game.undo()
        except IndexError:
            raise GtpError(CANNOT_UNDO) from None
        self.resigned = None
        self.comments = {i: c for i, c in self.comments.items() if i < len(self.game.moves)}
        return ""

    # -- time ---------------------------------------------------------------------------------

    @arguments(SECONDS, SECONDS, COUNT)
    def cmd_time_settings(self, main: float, period: float, stones: int) -> str:
        """Canadian time (GTP section 4.2); a period without stones means no limit."""
        self._set_time_control(TimeControl.from_gtp(main, period, stones))
        return ""

    @arguments(WORD, optional(SECONDS), optional(SECONDS), optional(COUNT))
    def cmd_kgs_time_settings(self, system: str, main: float | None, period: float | None,
                              stones: int | None) -> str:
        """KGS's ``none``, ``absolute MAIN``, ``byoyomi MAIN PERIOD PERIODS`` and ``canadian
        MAIN PERIOD STONES``."""
        given = [v for v in (main, period, stones) if v is not None]
        arity = {"none": 0, "absolute": 1, "byoyomi": 3, "canadian": 3}
        if arity.get(system.lower()) != len(given):
            raise GtpError(SYNTAX_ERROR)
        system = system.lower()
        if system == "none":
            control = TimeControl()
        elif system == "absolute" or not stones or not period:
            control = TimeControl(TimeSystem.ABSOLUTE, main) if main else TimeControl()
        else:
            kind = TimeSystem.BYOYOMI if system == "byoyomi" else TimeSystem.CANADIAN
            control = TimeControl(kind, main, period, stones)
        self._set_time_control(control)
        return ""

    @arguments(COLOR, SECONDS, COUNT)
    def cmd_time_left(self, color: int, seconds: float, stones: int) -> str:
        """The controller's clock for ``color``: seconds left, and stones (0 in main time)."""
        self.clocks[color] = Clock(seconds, stones)
        return ""

    # -- scoring ------------------------------------------------------------------------------

    def cmd_final_score(self) -> str:
        """``B+3.5``, ``W+0.5`` or ``0``: area scoring, dead stones estimated by playouts;
        ``B+R``/``W+R`` after the engine resigned."""
        if self.resigned is not None:
            return "W+R" if self.resigned == BLACK else "B+R"
        return self._score().result_string()

    @arguments(WORD)
    def cmd_final_status_list(self, status: str) -> str:
        """Stones that are ``alive``, ``dead`` or in ``seki`` (never found: always empty)."""
        status = status.lower()
        if status not in ("alive", "dead", "seki"):
            raise GtpError(SYNTAX_ERROR)
        board = self.game.board
        dead = self._dead_stones()
        if status == "dead":
            return _chains_text(board, set(dead))
        if status == "seki":
            return ""
        stones = set(board.points_of(BLACK)) | set(board.points_of(WHITE))
        return _chains_text(board, stones - dead)

    # -- GNU Go's helper commands -------------------------------------------------------------

    def cmd_showboard(self) -> str:
        """The board, drawn as GNU Go draws it."""
        return showboard_text(self.game.board)

    @arguments(optional(WORD))
    def cmd_printsgf(self, path: str | None) -> str:
        """The game as SGF: the answer, or written to ``path`` (then the answer is empty)."""
        from go_engine.rules.sgf import save_sgf

        data = save_sgf(self.game, comments=self.comments, result=self._result_text(),
                        settings={"playouts": self.config.playouts,
                                  "seconds": self.config.seconds, "seed": self.config.seed})
        if path is None:
            return data.decode("utf-8", "replace").strip()
        try:
            with open(path, "wb") as handle:
                handle.write(data)
        except OSError as error:
            log.info("printsgf %s: %s", path, error)
            raise GtpError(CANNOT_SAVE_FILE) from None
        return ""

    @arguments(COLOR, MOVE)
    def cmd_is_legal(self, color: int, point: int) -> str:
        """``1`` when ``color`` may play the vertex now, else ``0``."""
        return "1" if self.game.is_legal(point, color) else "0"

    @arguments(COLOR)
    def cmd_list_stones(self, color: int) -> str:
        """The stones of ``color``, in board order (top row first, left to right)."""
        return _vertices(self.game.board.points_of(color), self.game.size)

    @arguments(POINT)
    def cmd_countlib(self, point: int) -> str:
        """Liberties of the chain through the stone at the vertex."""
        board = self.game.board
        if board.color_at(point) == EMPTY:
            raise GtpError(VERTEX_EMPTY)
        return str(board.liberty_count(point))

    @arguments(COLOR)
    def cmd_captures(self, color: int) -> str:
        """How many stones ``color`` has captured."""
        return str(self.game.board.captures(color))

    # -- helpers ------------------------------------------------------------------------------

    def _new_game(self, game: Game) -> None:
        self.game = game
        self.comments = {}
        self.resigned = None
        self.clocks = {BLACK: self.time_control.new_clock(), WHITE: self.time_control.new_clock()}
        self.player.new_game()

    def _require_empty_board(self) -> None:
        if self.game.moves or self.game.handicap or self.game.board.stone_count():
            raise GtpError(BOARD_NOT_EMPTY)

    def _place_handicap(self, points: list[int], failure: str) -> str:
        """Put handicap stones on a fresh game (so a failure changes nothing)."""
        game = Game(self.game.size, self.game.rules)
        try:
            game.place_handicap(list(points))
        except (IllegalMoveError, ValueError):
            raise GtpError(failure) from None
        self._new_game(game)
        return _vertices(sorted(points), game.size)

    def _set_time_control(self, control: TimeControl) -> None:
        self.time_control = control
        self.clocks = {BLACK: control.new_clock(), WHITE: control.new_clock()}

    def _generate(self, color: int, *, commit: bool) -> str:
        seconds = self.config.seconds
        budget = self.time_control.budget(self.clocks[color],
                                          estimated_moves_left(self.game.board))
        if budget is not None:
            seconds = budget if seconds <= 0 else min(seconds, budget)
        start = time.perf_counter()
        decision = self.player.genmove(self.game, color, playouts=self.config.playouts,
                                       seconds=seconds)
        elapsed = time.perf_counter() - start
        move = decision.move
        comment = decision.comment(self.game.size)
        log.info("%s %s in %.2fs (limit %s): %s", "genmove" if commit else "reg_genmove",
                 to_gtp(move, self.game.size), elapsed, f"{seconds:.2f}s" if seconds else "none",
                 comment)
        if not commit:
            return to_gtp(move, self.game.size)
        self.time_control.spend(self.clocks[color], elapsed)
        if move == RESIGN:
            self.resigned = color
            return "resign"
        try:
            self.game.play(move, color)
        except IllegalMoveError:  # the search should never choose one; pass rather than fail
            log.exception("genmove chose an illegal move %s", to_gtp(move, self.game.size))
            move = self.game.pass_point
            self.game.play(move, color)
        self.resigned = None
        self.comments[len(self.game.moves) - 1] = comment
        return to_gtp(move, self.game.size)

    def _dead_stones(self) -> frozenset[int]:
        return estimate_dead_stones(self.game.board, DEAD_STONE_PLAYOUTS, seed=self.config.seed)

    def _score(self) -> ScoreBreakdown:
        return score(self.game.board, self.game.komi, self._dead_stones(), ScoringRule.AREA)

    def _result_text(self) -> str | None:
        """``RE`` for printsgf: the resignation, or the count after two passes."""
        if self.resigned is not None:
            return self.cmd_final_score()
        if self.game.board.passes >= 2:
            return self._score().result_string()
        return None


def _command_name(attribute: str) -> str:
    """``cmd_list_stones`` -> ``list_stones``; ``cmd_kgs_time_settings`` ->
    ``kgs-time_settings``."""
    name = attribute[len("cmd_"):]
    if name.startswith("kgs_"):
        name = "kgs-" + name[len("kgs_"):]
    return name


def _response(status: str, ident: str, body: str) -> str:
    """``=id body`` or ``?id message`` and the closing blank line; an empty line inside the
    body would end the answer early, so there are none."""
    text = f"{status}{ident} {body}".rstrip("\n")
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    return text + "\n\n"


# -- I/O --------------------------------------------------------------------------------------


def read_lines(stream: BinaryIO, max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[bytes, bool]]:
    """``(line, truncated)`` for each line of ``stream``; a line longer than ``max_line`` is
    read to its end and only its start is given, with ``truncated`` set."""
    while True:
        line = stream.readline(max_line)
        if not line:
            return
        if len(line) < max_line or line.endswith(b"\n"):
            yield line, False
            continue
        rest = line
        while rest and not rest.endswith(b"\n"):
            rest = stream.readline(max_line)
        yield line, True


def serve(engine: GtpEngine, stdin: BinaryIO, stdout: BinaryIO,
          max_line: int = MAX_LINE_BYTES) -> None:
    """Answer commands from ``stdin`` on ``stdout`` until ``quit`` or the end of input."""
    for line, truncated in read_lines(stdin, max_line):
        response = engine.handle_line(line, truncated)
        if response is None:
            continue
        stdout.write(response.encode("utf-8", "replace"))
        stdout.flush()
        if engine.finished:
            return


def run_gtp(options: EngineOptions, stdin: BinaryIO | None = None,
            stdout: BinaryIO | None = None) -> int:
    """The ``go-engine gtp`` command: a GTP engine on stdin/stdout (or the given streams)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    protocol_out = stdout or sys.stdout.buffer
    protocol_in = stdin or sys.stdin.buffer
    saved_stdout = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers may reach the protocol stream
    engine = GtpEngine(options)
    try:
        serve(engine, protocol_in, protocol_out)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        sys.stdout = saved_stdout
        engine.close()
        log.removeHandler(handler)
    return 0
