"""Game records in SGF (FF[4], GM[1]), read and written through sgfmill.

:func:`load_sgf` turns SGF bytes or text into an immutable :class:`SgfRecord`: the root
properties the engine cares about and the main line as :class:`~go_engine.rules.game.Move`
values in flat coordinates (see :mod:`go_engine.rules.coords`). :meth:`SgfRecord.to_game` replays
it on a :class:`~go_engine.rules.game.Game` with every legality check. :func:`save_sgf` writes a
game, with optional per-move comments (the engine's win rate and visits) and engine settings.

Conventions:

* Only the main line is read (the first child at every branch); variations are ignored.
* The root may hold setup stones ``AB``/``AW``. ``AE`` in the root is accepted and ignored (the
  board it acts on is empty) unless it names a point that ``AB``/``AW`` also set. Setup
  properties in any later node of the main line are unsupported and raise :class:`SgfError`.
* ``HA[n]`` with ``n >= 2`` and exactly ``n`` root ``AB`` stones is a handicap
  (:meth:`Game.place_handicap`); any other ``AB``/``AW`` stones are setup stones
  (:meth:`Game.setup_stones`). Points are stored sorted, so a handicap's order is not kept.
* Passes may be written ``B[]`` or, on boards up to 19x19, ``B[tt]``.
* Resignation is not a move in SGF: it lives in ``RE`` (``W+R`` means Black resigned).
* Text values follow the SGF text rules: sgfmill turns tabs into spaces and ``\\r\\n`` into
  ``\\n``.

Which rules a record is replayed under (``RU``, case and punctuation ignored):

=====================  ===============  ===============
``RU``                 ko rule          suicide
=====================  ===============  ===============
Chinese                positional       forbidden
Tromp-Taylor           positional       allowed
AGA                    situational      forbidden
NZ, New Zealand        situational      allowed
Japanese, Korean       simple           forbidden
absent or anything     simple           forbidden
else
=====================  ===============  ===============

Japanese and Korean rules have no superko (a repeating position ends the game without result),
so simple ko is the only repetition rule they make illegal. A record whose rules are unknown is
replayed under simple ko for the same reason: every ruleset forbids the immediate recapture, and
a real game should not be rejected for a superko rule it was not played under. :func:`save_sgf`
writes ``RU`` from this table (``Simple-ko-suicide`` for the one combination no ruleset names),
so saved games come back under their own rules. A missing ``KM`` is komi 0, as in sgfmill.
"""

from __future__ import annotations

import datetime
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

from sgfmill import sgf, sgf_grammar

from go_engine.rules.coords import (
    BLACK,
    MAX_SIZE,
    MIN_SIZE,
    RESIGN,
    WHITE,
    color_name,
    from_sgfmill,
    to_gtp,
    to_sgfmill,
)
from go_engine.rules.game import Game, GameResult, IllegalMoveError, KoRule, Move, Rules

ENGINE_NAME = "go-engine"

# Everything sgfmill (and the codecs it calls) raises for data it cannot read.
_SGFMILL_ERRORS = (ValueError, LookupError, IndexError, TypeError)

_COLOR_OF = {"b": BLACK, "w": WHITE}
_LETTER_OF = {BLACK: "b", WHITE: "w"}
_SETUP_PROPERTIES = ("AB", "AW", "AE")

# Normalised RU value -> (ko rule, suicide allowed); see the module docstring.
_RULESETS = {
    "chinese": (KoRule.POSITIONAL, False),
    "tromptaylor": (KoRule.POSITIONAL, True),
    "aga": (KoRule.SITUATIONAL, False),
    "nz": (KoRule.SITUATIONAL, True),
    "newzealand": (KoRule.SITUATIONAL, True),
    "japanese": (KoRule.SIMPLE, False),
    "korean": (KoRule.SIMPLE, False),
    "simplekosuicide": (KoRule.SIMPLE, True),
}
_RULESET_NAMES = {
    (KoRule.POSITIONAL, False): "Chinese",
    (KoRule.POSITIONAL, True): "Tromp-Taylor",
    (KoRule.SITUATIONAL, False): "AGA",
    (KoRule.SITUATIONAL, True): "NZ",
    (KoRule.SIMPLE, False): "Japanese",
    (KoRule.SIMPLE, True): "Simple-ko-suicide",
}


class SgfError(ValueError):
    """An SGF record that is broken, or that uses something this module does not support."""


# -- rules ------------------------------------------------------------------------------------


def rules_from_ruleset(ruleset: str | None, komi: float = 0.0) -> Rules:
    """The :class:`Rules` a record with ``RU[ruleset]`` and ``komi`` is replayed under."""
    key = re.sub(r"[^a-z]", "", (ruleset or "").lower())
    ko_rule, allow_suicide = _RULESETS.get(key, (KoRule.SIMPLE, False))
    return Rules(komi=komi, ko_rule=ko_rule, allow_suicide=allow_suicide)


def ruleset_name(rules: Rules) -> str:
    """The ``RU`` value :func:`save_sgf` writes for ``rules``."""
    return _RULESET_NAMES[(KoRule(rules.ko_rule), bool(rules.allow_suicide))]


# -- the record -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SgfRecord:
    """One game record: root properties and the main line, in flat coordinates.

    Attributes:
        size: board size (``SZ``, 19 when absent).
        moves: the main line; each point is a flat index or ``PASS = size * size``.
        comments: the comment (``C``) of each move's node, aligned with ``moves``; ``None``
            where a node has none.
        komi: ``KM``, or ``None`` when absent (replayed as 0).
        handicap: the handicap stones (``HA`` with as many ``AB`` stones), sorted.
        setup_black: root ``AB`` stones that are not a handicap, sorted.
        setup_white: root ``AW`` stones, sorted.
        to_play: ``PL`` (the colour to move after the setup), or ``None`` when absent.
        ruleset: ``RU`` as written, e.g. ``"Japanese"``.
        result: ``RE`` as written, e.g. ``"B+R"``, ``"W+6.5"``, ``"0"``.
        black_player, white_player, black_rank, white_rank: ``PB``, ``PW``, ``BR``, ``WR``.
        date, event, game_name: ``DT``, ``EV``, ``GN``.
        root_comment: the root's ``C``.
        game_comment: ``GC`` (where :func:`save_sgf` writes the engine settings).
        application: ``AP`` as ``"name:version"``.
    """

    size: int
    moves: tuple[Move, ...] = ()
    comments: tuple[str | None, ...] = ()
    komi: float | None = None
    handicap: tuple[int, ...] = ()
    setup_black: tuple[int, ...] = ()
    setup_white: tuple[int, ...] = ()
    to_play: int | None = None
    ruleset: str | None = None
    result: str | None = None
    black_player: str | None = None
    white_player: str | None = None
    black_rank: str | None = None
    white_rank: str | None = None
    date: str | None = None
    event: str | None = None
    game_name: str | None = None
    root_comment: str | None = None
    game_comment: str | None = None
    application: str | None = None

    @property
    def winner(self) -> int | None:
        """``BLACK`` or ``WHITE`` when ``RE`` names a winner; ``None`` otherwise (draw, void,
        unknown or absent)."""
        text = (self.result or "").strip().upper()
        if text.startswith("B+"):
            return BLACK
        if text.startswith("W+"):
            return WHITE
        return None

    @property
    def resigned(self) -> int | None:
        """The colour that resigned, when ``RE`` is ``B+R`` / ``W+Resign`` style."""
        text = (self.result or "").strip().upper()
        if self.winner is None or not text[2:].startswith("R"):
            return None
        return WHITE if self.winner == BLACK else BLACK

    def game_rules(self) -> Rules:
        """The rules this record is replayed under: the ko rule from ``RU``, komi from ``KM``."""
        return rules_from_ruleset(self.ruleset, 0.0 if self.komi is None else self.komi)

    def to_game(self, rules: Rules | None = None, *, resignation: bool = True) -> Game:
        """Replay the record on a new :class:`Game`, checking every move.

        Args:
            rules: the rules to replay under; by default :meth:`game_rules`.
            resignation: when ``RE`` records a resignation, end the game with it (the last
                entry of ``game.moves`` is then the ``RESIGN`` move).

        Raises:
            SgfError: a setup stone that cannot stand, or an illegal move (the message gives
                its number, counted from 1, its colour and point, and the reason).
        """
        game = Game(self.size, rules or self.game_rules())
        self._set_up(game)
        for number, move in enumerate(self.moves, start=1):
            try:
                game.play(move.point, move.color)
            except IllegalMoveError as exc:
                reason = game.illegal_reason(move.point, move.color) or str(exc)
                where = f"{color_name(move.color)} {to_gtp(move.point, self.size)}"
                raise SgfError(f"illegal move {number} ({where}) in the main line: "
                               f"{reason}") from exc
        if resignation and self.resigned is not None:
            game.resign(self.resigned)
        return game

    def _set_up(self, game: Game) -> None:
        natural = WHITE if self.handicap else BLACK
        to_play = natural if self.to_play is None else self.to_play
        try:
            if self.handicap:
                game.place_handicap(list(self.handicap))
            if self.setup_black or self.setup_white or to_play != natural:
                game.setup_stones(list(self.setup_black), list(self.setup_white), to_play)
        except (IllegalMoveError, ValueError) as exc:
            raise SgfError(f"the setup stones cannot stand: {exc}") from exc


# -- loading ----------------------------------------------------------------------------------


def load_sgf(data: bytes | str, *, validate: bool = False) -> SgfRecord:
    """Read the first game of an SGF collection.

    Args:
        data: the SGF as bytes (decoded by its ``CA``, ISO-8859-1 when absent) or as text.
        validate: also replay the main line (as :meth:`SgfRecord.to_game` does), so that an
            illegal move raises here rather than on replay.

    Raises:
        SgfError: the data is empty or not SGF, not a Go game, has an unsupported board size,
            a bad coordinate, a malformed property value, unsupported setup nodes, or (with
            ``validate``) an illegal move.
    """
    game = _parse(data)
    root = game.get_root()
    size = game.get_size()
    nodes = _main_sequence(game)
    moves, comments = _read_moves(nodes, size)
    handicap, setup_black, setup_white = _read_setup(root, size)
    record = SgfRecord(
        size=size,
        moves=tuple(moves),
        comments=tuple(comments),
        komi=_read_komi(root),
        handicap=handicap,
        setup_black=setup_black,
        setup_white=setup_white,
        to_play=_read_to_play(root),
        ruleset=_text(root, "RU"),
        result=_text(root, "RE"),
        black_player=_text(root, "PB"),
        white_player=_text(root, "PW"),
        black_rank=_text(root, "BR"),
        white_rank=_text(root, "WR"),
        date=_text(root, "DT"),
        event=_text(root, "EV"),
        game_name=_text(root, "GN"),
        root_comment=_text(root, "C"),
        game_comment=_text(root, "GC"),
        application=_application(root),
    )
    if validate:
        record.to_game()
    return record


def load_sgf_file(path: str | os.PathLike, *, validate: bool = False) -> SgfRecord:
    """:func:`load_sgf` on a file's bytes (``OSError`` when it cannot be read)."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        return load_sgf(data, validate=validate)
    except SgfError as exc:
        raise SgfError(f"{os.fspath(path)}: {exc}") from exc


def _parse(data: bytes | str) -> sgf.Sgf_game:
    """sgfmill's game for ``data``, after checking ``GM`` and ``SZ`` ourselves."""
    if isinstance(data, str):
        raw, encoding = data.encode("utf-8"), "UTF-8"
    elif isinstance(data, bytes | bytearray | memoryview):
        raw, encoding = bytes(data), None
    else:
        raise TypeError(f"SGF data must be bytes or str, got {type(data).__name__}")
    if not raw.strip():
        raise SgfError("empty input: there is no SGF data")
    try:
        coarse = sgf_grammar.parse_sgf_game(raw)
    except _SGFMILL_ERRORS as exc:
        if "no SGF data found" in str(exc):
            raise SgfError("not SGF: no game tree '(;' found") from exc
        raise SgfError(f"malformed SGF: {exc}") from exc
    root = coarse.sequence[0]
    _check_game_type(root)
    _check_size(root)
    try:
        return sgf.Sgf_game.from_coarse_game_tree(coarse, encoding)
    except _SGFMILL_ERRORS as exc:
        raise SgfError(f"unsupported SGF character set: {exc}") from exc


def _raw_root(root: dict, identifier: str) -> str | None:
    values = root.get(identifier)
    if not values:
        return None
    return values[0].decode("ascii", "replace").strip()


def _check_game_type(root: dict) -> None:
    game_type = _raw_root(root, "GM")
    if game_type is not None and game_type.lstrip("0") != "1":
        raise SgfError(f"not a Go game: GM[{game_type}] (Go is GM[1])")


def _check_size(root: dict) -> None:
    text = _raw_root(root, "SZ")
    if text is None:
        return
    if ":" in text:
        raise SgfError(f"unsupported board size SZ[{text}]: only square boards are supported")
    if not text.isdigit():
        raise SgfError(f"malformed board size SZ[{text}]")
    if not MIN_SIZE <= int(text) <= MAX_SIZE:
        raise SgfError(f"unsupported board size {text}x{text}: the engine plays "
                       f"{MIN_SIZE}x{MIN_SIZE} to {MAX_SIZE}x{MAX_SIZE}")


def _main_sequence(game: sgf.Sgf_game) -> list:
    try:
        return game.get_main_sequence()
    except _SGFMILL_ERRORS as exc:
        raise SgfError(f"malformed SGF game tree: {exc}") from exc


def _get(node, identifier: str, what: str, context: str = ""):
    """``node.get(identifier)`` with sgfmill's errors turned into :class:`SgfError`."""
    try:
        return node.get(identifier)
    except KeyError:
        return None
    except _SGFMILL_ERRORS as exc:
        raw = "][".join(v.decode("ascii", "replace") for v in node.get_raw_list(identifier))
        detail = f": {exc}" if str(exc) else ""
        raise SgfError(f"malformed {what} {identifier}[{raw}]{context}{detail}") from exc


def _text(node, identifier: str) -> str | None:
    return _get(node, identifier, "text")


def _application(root) -> str | None:
    value = _get(root, "AP", "application")
    if isinstance(value, tuple):
        return ":".join(value)
    return value


def _read_komi(root) -> float | None:
    komi = _get(root, "KM", "komi")
    if komi is not None and not math.isfinite(komi):
        raise SgfError(f"malformed komi KM[{komi}]: it must be a finite number")
    return komi


def _read_to_play(root) -> int | None:
    letter = _get(root, "PL", "player to move")
    return None if letter is None else _COLOR_OF[letter]


def _points(node, identifier: str, size: int) -> set[int]:
    stones = _get(node, identifier, "point list", f" on a {size}x{size} board") or set()
    return {from_sgfmill(stone, size) for stone in stones}


def _read_setup(root, size: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """``(handicap, setup_black, setup_white)`` from the root's ``HA``, ``AB``, ``AW``, ``AE``."""
    black, white = _points(root, "AB", size), _points(root, "AW", size)
    empty = _points(root, "AE", size)
    if black & white:
        raise SgfError(f"root AB and AW both set {to_gtp(min(black & white), size)}")
    if empty & (black | white):
        raise SgfError(f"root AE clears {to_gtp(min(empty & (black | white)), size)}, "
                       "which AB/AW also set")
    stones = _get(root, "HA", "handicap")
    if stones is not None and stones < 0:
        raise SgfError(f"malformed handicap HA[{stones}]: it cannot be negative")
    if stones is not None and stones >= 2 and len(black) == stones:
        return tuple(sorted(black)), (), tuple(sorted(white))
    return (), tuple(sorted(black)), tuple(sorted(white))


def _read_moves(nodes: list, size: int) -> tuple[list[Move], list[str | None]]:
    """The main line's moves and their comments; the root may hold a first move."""
    moves: list[Move] = []
    comments: list[str | None] = []
    for index, node in enumerate(nodes):
        if index > 0:
            setup = [p for p in _SETUP_PROPERTIES if node.has_property(p)]
            if setup:
                raise SgfError(f"setup properties {'/'.join(setup)} in node {index} of the main "
                               "line are not supported: only the root may set up stones")
        if node.has_property("B") and node.has_property("W"):
            raise SgfError(f"node {index} holds both a black and a white move")
        move = _read_move(node, size, len(moves) + 1)
        if move is not None:
            moves.append(move)
            comments.append(_text(node, "C") if index > 0 else None)
    return moves, comments


def _read_move(node, size: int, number: int) -> Move | None:
    try:
        letter, raw = node.get_raw_move()
    except _SGFMILL_ERRORS as exc:
        raise SgfError(f"malformed move {number}: {exc}") from exc
    if letter is None:
        return None
    try:
        color, point = node.get_move()
        return Move(_COLOR_OF[color], from_sgfmill(point, size))
    except _SGFMILL_ERRORS as exc:
        text = raw.decode("ascii", "replace")
        raise SgfError(f"move {number} has a bad coordinate {letter.upper()}[{text}] for a "
                       f"{size}x{size} board") from exc


# -- saving -----------------------------------------------------------------------------------


def save_sgf(
    game: Game,
    *,
    comments: Sequence[str | None] | Mapping[int, str] | None = None,
    black_player: str | None = None,
    white_player: str | None = None,
    black_rank: str | None = None,
    white_rank: str | None = None,
    result: str | GameResult | None = None,
    engine: str = ENGINE_NAME,
    version: str | None = None,
    settings: Mapping[str, object] | str | None = None,
    root_comment: str | None = None,
    date: datetime.date | str | None = None,
    event: str | None = None,
) -> bytes:
    """Write ``game`` as UTF-8 SGF bytes (FF[4]).

    Args:
        game: the game; its handicap becomes ``HA`` + ``AB``, other stones on the board before
            the first move become ``AB``/``AW`` (and ``PL`` when the side to move is not the
            usual one), its rules ``RU`` (see the module docstring) and ``KM``.
        comments: per-move comments, either a sequence aligned with ``game.moves`` (``None`` or
            ``""`` for none; it may be shorter) or a mapping from an index into ``game.moves``
            to a comment. A comment on a resignation is appended to the previous node's.
        black_player, white_player, black_rank, white_rank: ``PB``, ``PW``, ``BR``, ``WR``.
        result: ``RE``; by default ``game.result()`` when the game is over (resignation, or
            two passes scored by Tromp-Taylor area with every stone alive), else no ``RE``.
        engine, version: ``AP[engine:version]``; the version defaults to the installed
            package's.
        settings: engine settings written to ``GC``, one ``key=value`` per line (or as given).
        root_comment: the root's ``C``.
        date: ``DT`` (a ``datetime.date`` is written ``YYYY-MM-DD``).
        event: ``EV``.

    Raises:
        ValueError: a comment index or list that does not fit ``game.moves``.
    """
    record = sgf.Sgf_game(game.size)
    root = record.get_root()
    _write_root(root, game, version or _engine_version(), engine)
    _write_optional(root, {
        "PB": black_player, "PW": white_player, "BR": black_rank, "WR": white_rank,
        "RE": _result_text(game, result), "GC": _settings_text(settings),
        "C": root_comment, "EV": event, "DT": _date_text(date),
    })
    notes = _comment_list(comments, len(game.moves))
    node = root
    for move, note in zip(game.moves, notes, strict=True):
        if move.point == RESIGN:
            _append_comment(node, note)
            continue
        node = record.extend_main_sequence()
        node.set_move(_LETTER_OF[move.color], to_sgfmill(move.point, game.size))
        if note:
            node.set("C", note)
    return record.serialise()


def save_sgf_file(game: Game, path: str | os.PathLike, **kwargs) -> None:
    """Write :func:`save_sgf` ``(game, **kwargs)`` to ``path``."""
    data = save_sgf(game, **kwargs)
    with open(path, "wb") as handle:
        handle.write(data)


def _engine_version() -> str:
    try:
        return metadata.version(ENGINE_NAME)
    except metadata.PackageNotFoundError:
        return "unknown"


def _initial_position(game: Game) -> tuple[list[int], list[int], int]:
    """Black setup stones (handicap excluded), white setup stones, and the side to move,
    as they stood before the first move."""
    start = game.copy()
    while start.moves:
        start.undo()
    handicap = set(game.handicap)
    black = [p for p in start.board.points_of(BLACK) if p not in handicap]
    return black, start.board.points_of(WHITE), start.to_move


def _write_root(root, game: Game, version: str, engine: str) -> None:
    size = game.size
    root.set("AP", (engine, version))
    root.set("KM", float(game.komi))
    root.set("RU", ruleset_name(game.rules))
    black, white, to_move = _initial_position(game)
    if game.handicap:
        root.set("HA", len(game.handicap))
    stones = [to_sgfmill(p, size) for p in [*game.handicap, *black]]
    if stones:
        root.set("AB", stones)
    if white:
        root.set("AW", [to_sgfmill(p, size) for p in white])
    if to_move != (WHITE if game.handicap else BLACK):
        root.set("PL", _LETTER_OF[to_move])


def _write_optional(root, values: Mapping[str, str | None]) -> None:
    for identifier, value in values.items():
        if value:
            root.set(identifier, value)


def _result_text(game: Game, result: str | GameResult | None) -> str | None:
    if isinstance(result, GameResult):
        return result.sgf()
    if result is not None:
        return result
    return game.result().sgf() if game.is_over else None


def _settings_text(settings: Mapping[str, object] | str | None) -> str | None:
    if settings is None or isinstance(settings, str):
        return settings
    return "\n".join(f"{key}={value}" for key, value in settings.items())


def _date_text(date: datetime.date | str | None) -> str | None:
    if isinstance(date, datetime.date):
        return date.strftime("%Y-%m-%d")
    return date


def _comment_list(comments: Sequence[str | None] | Mapping[int, str] | None,
                  count: int) -> list[str | None]:
    """Comments as a list aligned with the moves."""
    notes: list[str | None] = [None] * count
    if comments is None:
        return notes
    if isinstance(comments, Mapping):
        for index, text in comments.items():
            if not 0 <= index < count:
                raise ValueError(f"comment index {index} is not a move index (0 to {count - 1})")
            notes[index] = text
        return notes
    if len(comments) > count:
        raise ValueError(f"{len(comments)} comments for {count} moves")
    notes[: len(comments)] = comments
    return notes


def _append_comment(node, note: str | None) -> None:
    if not note:
        return
    earlier = node.get("C") if node.has_property("C") else None
    node.set("C", f"{earlier}\n{note}" if earlier else note)
