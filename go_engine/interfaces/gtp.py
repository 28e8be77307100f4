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
analysis (Leela     lz-analyze lz-genmove_analyze
Zero's)
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
when the controller sends no ``time_left``). With a clock, ``genmove`` thinks for the
:class:`~go_engine.search.time_control.Allotment` of :meth:`TimeControl.allotment` (never more
than ``--time`` when that is given), stopping early on easy moves and extending hard ones (see
:mod:`go_engine.search.time_control`), and stops at ``--playouts`` if the user gave it and it
comes first (the default cap of a clockless search does not apply under a clock). The
time source is injected (``now``), so tests run games on a simulated clock.

End of game: ``kgs-genmove_cleanup`` is ``genmove`` for KGS's cleanup phase: the engine does
not pass while it sees dead stones of the opponent it can attack
(:meth:`~go_engine.search.player.MCTSPlayer.cleanup_move`).

Analysis (Leela Zero's extension, read by Sabaki and Lizzie; format in
:mod:`go_engine.interfaces.analysis`): ``lz-analyze [color] [interval]`` answers ``=`` at once,
then searches the position for ``color`` (default: the side to move), writing an ``info`` line
every ``interval`` centiseconds (none for 0), until the next command arrives; then the answer
ends with its blank line and that command is answered as usual. ``lz-genmove_analyze color
[interval]`` does the same during a ``genmove`` and ends with ``play VERTEX``. To notice the
next command, :func:`serve` reads stdin on a thread of its own (:class:`LineReader`) while
commands run on the main thread; the search asks the reader between rounds. An analysis stops
searching (and waits) once the tree would pass about :data:`ANALYSIS_MEMORY_BYTES`. Used
in-process (:meth:`GtpEngine.handle_line` with no reader), an analysis runs for the engine's
move limit instead.

Pondering (``--ponder``): after the engine's move, while the controller is silent, the engine
searches the opponent's replies (:meth:`GtpEngine.ponder`), so the tree it keeps for its next
move is already grown; the next line stops it at once.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from importlib import metadata
from typing import TYPE_CHECKING, BinaryIO

from go_engine.interfaces.analysis import candidates, info_line
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
from go_engine.search.mcts import SearchResult
from go_engine.search.player import Decision, MCTSPlayer
from go_engine.search.playout import estimate_dead_stones
from go_engine.search.time_control import (
    DEFAULT_TIME_CONFIG,
    Clock,
    MoveTimer,
    TimeConfig,
    TimeControl,
    TimeSource,
    TimeSystem,
    estimated_moves_left,
)

if TYPE_CHECKING:
    from go_engine.cli import EngineOptions

log = logging.getLogger(__name__)

ENGINE_NAME = "go-engine"
PROTOCOL_VERSION = "2"

MAX_LINE_BYTES = 1 << 22  # longer lines are read to their end and answered with an error
MAX_SGF_BYTES = 1 << 24  # loadsgf refuses bigger files (and devices, pipes, directories)
DEAD_STONE_PLAYOUTS = 400  # light playouts behind final_score and final_status_list
ANALYSIS_MEMORY_BYTES = 1 << 30  # an analysis stops growing its tree at about this size
TREE_BYTES_PER_EDGE = 36  # three int32 and six float32 per edge (go_engine.search.tree)

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


@dataclass(frozen=True)
class Streamed:
    """A multi-line answer written while it is produced (the analysis commands): ``produce``
    is called with ``emit``, which sends one line (without its newline) at once."""

    produce: Callable[[Callable[[str], None]], None]


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
WORDS = Arg("strings", _parse_word, many=True)


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

    def __init__(self, options: EngineOptions, player: MCTSPlayer | None = None, *,
                 now: TimeSource = time.perf_counter,
                 time_config: TimeConfig = DEFAULT_TIME_CONFIG) -> None:
        self.options = options
        self.rules = options.rules
        self.config = options.search
        self.player = player or options.make_player()
        self.game = Game(options.size, self.rules)
        self.now = now
        self.time_config = time_config
        self.time_control = TimeControl()
        self.clocks = {BLACK: Clock(0.0), WHITE: Clock(0.0)}
        self.comments: dict[int, str] = {}
        self.resigned: int | None = None
        self.finished = False
        self.last_decision: Decision | None = None  # of the last genmove, for tools and tests
        self.last_timer: MoveTimer | None = None
        # Set by serve(): where streamed answers go, and the reader that sees the next line.
        self.output: Callable[[str], None] | None = None
        self.input: LineReader | None = None
        self.pondering = options.ponder
        self._ponder_after: list | None = None  # the game's moves right after our last move
        self.last_ponder: SearchResult | None = None  # what the last pondering found
        self.commands: dict[str, Callable] = {
            _command_name(attr): getattr(self, attr)
            for attr in dir(type(self)) if attr.startswith("cmd_")
        }

    # -- protocol -----------------------------------------------------------------------------

    def handle_line(self, raw: bytes | str, truncated: bool = False) -> str | None:
        """Answer one input line: the full response (ending in a blank line), or ``None`` for
        a line the spec says to skip. ``truncated`` marks the start of an over-long line. A
        streamed answer (analysis) goes out through :attr:`output` as it is produced, when
        there is one, and only its closing blank line is returned."""
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
            if isinstance(body, Streamed):
                return self._stream(ident, body)
            return _response("=", ident, body)
        except GtpError as error:
            return _response("?", ident, str(error))
        except Exception:  # a bug outside the handler: say so, and keep running
            log.exception("line %r failed", tokens[:3])
            return _response("?", ident, INTERNAL_ERROR)

    def _stream(self, ident: str, body: Streamed) -> str:
        """Write ``=id``, then each line as it comes, through :attr:`output`; return the closing
        blank line. Without an output (in-process use) the whole answer is returned."""
        output = self.output
        gathered: list[str] = []
        write = output if output is not None else gathered.append
        write(f"={ident}\n")

        def emit(line: str) -> None:
            line = line.replace("\n", " ").strip()
            if line:  # an empty line would end the answer
                write(line + "\n")

        try:
            body.produce(emit)
        except OSError:
            raise
        except Exception:  # the "=" is out: log the bug and end the answer
            log.exception("streamed answer %s failed", ident)
        return "".join(gathered) + "\n"

    def execute(self, name: str, tokens: list[str]) -> str | Streamed:
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
                if not rest and spec.optional:
                    values.append(None)
                    continue
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
        """KGS's cleanup phase: ``genmove``, but no pass while the opponent has stones the
        engine thinks dead and can attack; they are captured first."""
        return self._generate(color, commit=True, cleanup=True)

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

    # -- analysis (Leela Zero's extension) -----------------------------------------------------

    @arguments(optional(WORDS))
    def cmd_lz_analyze(self, words: list[str] | None) -> Streamed:
        """``lz-analyze [color] [interval]``: search for ``color`` (default: the side to move),
        an ``info`` line every ``interval`` centiseconds, until the next command arrives."""
        color, interval = self._analysis_arguments(words, color_required=False)
        color = self.game.to_move if color is None else color
        return Streamed(lambda emit: self._analyze(color, interval, emit))

    @arguments(optional(WORDS))
    def cmd_lz_genmove_analyze(self, words: list[str] | None) -> Streamed:
        """``lz-genmove_analyze color [interval]``: ``genmove`` with ``info`` lines every
        ``interval`` centiseconds, ending with ``play VERTEX``."""
        color, interval = self._analysis_arguments(words, color_required=True)

        def produce(emit: Callable[[str], None]) -> None:
            report = self._reporter(emit) if interval else None
            vertex = self._generate(color, commit=True, progress=report,
                                    progress_every=interval / 100)
            decision = self.last_decision
            if report is not None and decision is not None and decision.search is not None:
                report(decision.search)
            emit(f"play {vertex}")

        return Streamed(produce)

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

    def _move_timer(self, color: int) -> MoveTimer | None:
        """The timer of ``color``'s next move when a clock runs (``--time`` caps it)."""
        allotment = self.time_control.allotment(
            self.clocks[color], estimated_moves_left(self.game.board), self.time_config)
        if allotment is None:
            return None
        if self.config.seconds > 0:
            allotment = allotment.capped(self.config.seconds)
        return MoveTimer(allotment, self.now, self.time_config)

    def _generate(self, color: int, *, commit: bool, cleanup: bool = False,
                  progress: Callable[[SearchResult], None] | None = None,
                  progress_every: float = 0.5) -> str:
        timer = self._move_timer(color)
        start = self.now()
        playouts = self.config.playouts
        if timer is not None and self.options.clock_playouts is not None:
            playouts = self.options.clock_playouts
        decision = self.player.genmove(self.game, color, playouts=playouts,
                                       seconds=self.config.seconds, timer=timer,
                                       cleanup=cleanup, progress=progress,
                                       progress_every=progress_every)
        elapsed = self.now() - start
        self.last_decision, self.last_timer = decision, timer
        move = decision.move
        comment = decision.comment(self.game.size)
        if timer is not None:
            limit = (f"{timer.allotment.base:.2f}s..{timer.allotment.limit:.2f}s, "
                     f"stopped: {timer.reason or 'judgement'}")
        else:
            limit = f"{self.config.seconds:.2f}s" if self.config.seconds else "none"
        log.info("%s %s in %.2fs (limit %s): %s", "genmove" if commit else "reg_genmove",
                 to_gtp(move, self.game.size), elapsed, limit, comment)
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
        self._ponder_after = list(self.game.moves)
        return to_gtp(move, self.game.size)

    def _analysis_arguments(self, words: list[str] | None, *,
                            color_required: bool) -> tuple[int | None, int]:
        """``[color] [interval]`` of the analysis commands (Leela Zero's order)."""
        rest = list(words or [])
        color = None
        if rest and not _INT.fullmatch(rest[0]):
            color = self._parse_one(COLOR, rest.pop(0))
        elif color_required:
            raise GtpError(SYNTAX_ERROR)
        interval = self._parse_one(COUNT, rest.pop(0)) if rest else 0
        if rest:
            raise GtpError(SYNTAX_ERROR)
        return color, interval

    def _reporter(self, emit: Callable[[str], None]) -> Callable[[SearchResult], None]:
        """A progress callback that emits the statistics as one ``info`` line."""
        size = self.game.size

        def report(result: SearchResult) -> None:
            line = info_line(candidates(result), size)
            if line:
                emit(line)

        return report

    def _analyze(self, color: int, interval: int, emit: Callable[[str], None]) -> None:
        """The search behind ``lz-analyze``: until the next line arrives (or, in-process, for
        the engine's move limit); past the memory cap it waits for that line."""
        report = self._reporter(emit) if interval else None
        every = interval / 100
        reader = self.input
        if reader is None:
            result = self.player.analyze(self.game, color, playouts=self.config.playouts,
                                         seconds=self.config.seconds, progress=report,
                                         progress_every=every)
            if report is not None:
                report(result)
            return
        result = self.player.analyze(self.game, color, playouts=self._analysis_cap(), seconds=0.0,
                                     should_stop=reader.pending, progress=report,
                                     progress_every=every)
        if not reader.pending():
            if report is not None:
                report(result)
            reader.wait()

    def _analysis_cap(self) -> int:
        """Playouts after which an open-ended search (analysis, pondering) stops growing its
        tree: about :data:`ANALYSIS_MEMORY_BYTES` of edges."""
        size = self.game.size
        return max(10_000, ANALYSIS_MEMORY_BYTES // (TREE_BYTES_PER_EDGE * (size * size + 1)))

    def ponder(self) -> None:
        """With ``--ponder``, between commands: search the opponent's reply to our last move
        until the next line arrives (the tree is kept for our next move). Called by
        :func:`serve`; nothing happens unless our move is still the last one."""
        reader = self.input
        if (not self.pondering or reader is None or reader.pending() or self.game.is_over
                or self._ponder_after != self.game.moves):
            return
        result = self.player.analyze(self.game, playouts=self._analysis_cap(), seconds=0.0,
                                     should_stop=reader.pending)
        self.last_ponder = result
        log.info("pondered %d playouts", result.playouts)

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
    ``kgs-time_settings``; ``cmd_lz_analyze`` -> ``lz-analyze``."""
    name = attribute[len("cmd_"):]
    for prefix in ("kgs", "lz"):
        if name.startswith(prefix + "_"):
            name = prefix + "-" + name[len(prefix) + 1:]
    return name


def _response(status: str, ident: str, body: str) -> str:
    """``=id body`` or ``?id message`` and the closing blank line; an empty line inside the
    body would end the answer early, so there are none."""
    text = f"{status}{ident} {body}".rstrip("\n")
    while "\n\n" in text:
        text = text.replace("\n\n", "\n")
    return text + "\n\n"


# -- I/O --------------------------------------------------------------------------------------


def split_lines(chunks: Iterable[bytes],
                max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[bytes, bool]]:
    """``(line, truncated)`` for each line in a stream of byte chunks. A line keeps its
    newline; one longer than ``max_line`` is read to its end and only its first ``max_line``
    bytes are given, with ``truncated`` set (as is a last line of exactly ``max_line`` bytes
    without a newline)."""
    head = bytearray()
    length = 0
    for chunk in chunks:
        start = 0
        while start < len(chunk):
            end = chunk.find(b"\n", start)
            stop = len(chunk) if end < 0 else end + 1
            if len(head) <= max_line:
                head += chunk[start:min(stop, start + max_line + 1 - len(head))]
            length += stop - start
            start = stop
            if end >= 0:
                yield _finish_line(head, length, True, max_line)
                head, length = bytearray(), 0
    if length:
        yield _finish_line(head, length, False, max_line)


def _finish_line(head: bytearray, length: int, newline: bool,
                 max_line: int) -> tuple[bytes, bool]:
    if length <= max_line and (newline or length < max_line):
        return bytes(head), False
    return bytes(head[:max_line]), True


def _chunks(stream: BinaryIO, size: int = 1 << 16) -> Iterator[bytes]:
    """The bytes of ``stream`` as they arrive: ``os.read`` on its file descriptor when it has
    one (no buffer lock for a daemon thread to hold at exit), else ``read1``."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        descriptor = None
    read = getattr(stream, "read1", stream.read)
    while True:
        data = os.read(descriptor, size) if descriptor is not None else read(size)
        if not data:
            return
        yield data


def read_lines(stream: BinaryIO, max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[bytes, bool]]:
    """``(line, truncated)`` for each line of ``stream`` (see :func:`split_lines`)."""
    return split_lines(_chunks(stream), max_line)


class LineReader:
    """Reads the controller's lines on a daemon thread, so that a command that runs until the
    next one arrives (``lz-analyze``) can see it come: :meth:`pending` is cheap enough to ask
    between search rounds. End of input counts as a line (``None``)."""

    def __init__(self, stream: BinaryIO, max_line: int = MAX_LINE_BYTES) -> None:
        self._items: deque[tuple[bytes, bool] | None] = deque()
        self._arrived = threading.Condition()
        self._thread = threading.Thread(target=self._run, args=(stream, max_line),
                                        name="gtp-reader", daemon=True)
        self._thread.start()

    def _run(self, stream: BinaryIO, max_line: int) -> None:
        try:
            for item in read_lines(stream, max_line):
                self._put(item)
        except (OSError, ValueError) as error:  # a closed or broken input ends the session
            log.info("input ended: %s", error)
        finally:
            self._put(None)

    def _put(self, item: tuple[bytes, bool] | None) -> None:
        with self._arrived:
            self._items.append(item)
            self._arrived.notify_all()

    def pending(self) -> bool:
        """True when a line (or the end of input) is waiting."""
        return bool(self._items)

    def wait(self) -> None:
        """Block until a line (or the end of input) is waiting."""
        with self._arrived:
            self._arrived.wait_for(self.pending)

    def next(self) -> tuple[bytes, bool] | None:
        """The next ``(line, truncated)``, waiting for it; ``None`` at the end of input."""
        with self._arrived:
            self._arrived.wait_for(self.pending)
            return self._items.popleft()


def serve(engine: GtpEngine, stdin: BinaryIO, stdout: BinaryIO,
          max_line: int = MAX_LINE_BYTES) -> None:
    """Answer commands from ``stdin`` on ``stdout`` until ``quit`` or the end of input.

    Lines are read by a :class:`LineReader`; commands run here, one at a time, in order.
    """
    reader = LineReader(stdin, max_line)

    def write(text: str) -> None:
        stdout.write(text.encode("utf-8", "replace"))
        stdout.flush()

    engine.output, engine.input = write, reader
    try:
        while (item := reader.next()) is not None:
            line, truncated = item
            response = engine.handle_line(line, truncated)
            if response is None:
                continue
            write(response)
            if engine.finished:
                return
            engine.ponder()
    finally:
        engine.output = engine.input = None


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
