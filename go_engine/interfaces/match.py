"""Matches between two GTP engines: games in parallel, forfeits, a referee, SGF records.

``go-engine match A B`` (see :mod:`go_engine.interfaces.match_report` for what it prints).
Engine A is Black in even games (index 0, 2, ...) and White in odd ones. Each game starts two
fresh engine processes (:mod:`go_engine.interfaces.match_players`), sends both ``boardsize``,
``komi`` and ``clear_board``, then alternates ``genmove`` and ``play`` until two passes in a
row, a resignation, or ``max_moves`` moves (the game is then scored as it stands).

How a game ends (:class:`Ending`) and its SGF ``RE``:

==============  ==============================================================  ==========
ending          when                                                            ``RE``
==============  ==============================================================  ==========
passes          two passes in a row; the referee counts                         ``B+3.5``
max-moves       the move limit; the referee counts the board as it stands        ``W+0.5``
resignation     ``genmove`` answered ``resign``                                 ``B+R``
illegal         ``genmove`` answered a move the rules forbid, or not a vertex   ``B+F``
error           a GTP error (``?``) or an answer that is not GTP                ``B+F``
crash           the engine died, could not start, or closed its pipes           ``B+F``
time            no answer within ``move_timeout`` (``setup_timeout`` for setup)  ``B+T``
==============  ==============================================================  ==========

A failure of either engine at any command (``play`` included) loses the game for that engine.
The rules are Chinese-style area scoring with positional superko and no suicide; a superko
violation is an illegal move.

The referee (:class:`Referee`) counts games that end by passes or the move limit:

* ``engine``: the runner itself, area scoring with dead stones estimated by light playouts
  (:func:`~go_engine.search.playout.estimate_dead_stones`, then
  :func:`~go_engine.rules.scoring.score`);
* ``gnugo``: a fresh GNU Go with Chinese rules replays the moves and answers ``final_score``
  (when it fails, the runner counts and the record says so).

Parallelism: ``parallel`` games run at once, one thread each. The engines are subprocesses,
so a game's thread only waits on pipes (which releases the GIL); the runner's own work, a count
of light playouts per game, runs in numba code that releases the GIL too. Threads share the
results and the progress display directly, where processes would add pickling and start-up
for no gain.

Sequential tests: with ``MatchConfig.sprt`` (:class:`~go_engine.ratings.Sprt`), no game starts
once the finished ones decide the test, counted in the order the games started
(:func:`in_index_order`: with games in parallel the short ones finish first, and counting them
as they came would favour them); games in progress finish and count.

Resuming: a match that saves its games (``sgf_dir``) writes each finished game to a journal
there as it ends (:mod:`go_engine.interfaces.match_journal`); run again on the same folder, it
plays only the games the journal lacks.

Seeds: the player on side ``s`` (0 for A, 1 for B) in game ``i`` gets
``seed * 1_000_000 + 2 * i + s`` (:func:`player_seed`), so every engine of a match has its own
seed, distinct matches with distinct ``--seed`` do not share seeds, and a game can be rerun
alone from its record.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

from go_engine.interfaces.gtp_client import find_gnugo
from go_engine.interfaces.match_players import EngineFailure, EngineSpec, Failure, GtpProcess
from go_engine.ratings import Decision, MatchScore, Sprt
from go_engine.rules.coords import (
    BLACK,
    RESIGN,
    WHITE,
    color_name,
    from_gtp,
    opponent,
    to_gtp,
)
from go_engine.rules.game import Game, Rules
from go_engine.rules.scoring import score
from go_engine.rules.sgf import save_sgf
from go_engine.search.playout import estimate_dead_stones

if TYPE_CHECKING:
    from go_engine.interfaces.match_journal import MatchJournal

DEAD_STONE_PLAYOUTS = 400
SIDES = ("A", "B")
LETTERS = {BLACK: "B", WHITE: "W"}


class Referee(StrEnum):
    """Who counts a game that ends by passes or by the move limit."""

    ENGINE = "engine"
    GNUGO = "gnugo"


class Ending(StrEnum):
    """How a game ended (see the module docstring)."""

    PASSES = "passes"
    MAX_MOVES = "max-moves"
    RESIGNATION = "resignation"
    ILLEGAL = Failure.ILLEGAL.value
    ERROR = Failure.ERROR.value
    CRASH = Failure.CRASH.value
    TIME = Failure.TIME.value


@dataclass(frozen=True)
class MatchConfig:
    """Everything a match needs.

    Attributes:
        a, b: the two engines; A is Black in even games.
        games: games to play.
        size: board size.
        komi: komi for White.
        parallel: games played at the same time.
        sgf_dir: where each game is saved as ``game-NNN.sgf`` (NNN the index); ``None``: nowhere.
        referee: who counts games that end by passes or the move limit.
        move_timeout: seconds an engine may take to answer any command once the game is set up.
        setup_timeout: seconds for the set-up commands (``boardsize`` waits for start-up).
        max_moves: the move limit; 0 means ``3 * size * size``.
        seed: the match seed, from which every player's seed derives (:func:`player_seed`).
        dead_stone_playouts: light playouts behind the runner's dead-stone estimate.
        sprt: a sequential test (:class:`~go_engine.ratings.Sprt`): no game starts once the
            finished games decide it, and ``games`` is then the most the match plays.
    """

    a: EngineSpec
    b: EngineSpec
    games: int = 10
    size: int = 9
    komi: float = 7.5
    parallel: int = 1
    sgf_dir: Path | None = None
    referee: Referee = Referee.ENGINE
    move_timeout: float = 60.0
    setup_timeout: float = 120.0
    max_moves: int = 0
    seed: int = 0
    dead_stone_playouts: int = DEAD_STONE_PLAYOUTS
    sprt: Sprt | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "referee", Referee(self.referee))
        if self.games < 1 or self.parallel < 1:
            raise ValueError("games and parallel must be at least 1")
        if self.move_timeout <= 0 or self.setup_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_moves < 0:
            raise ValueError("max_moves must not be negative")

    @property
    def move_limit(self) -> int:
        """The move limit actually used."""
        return self.max_moves or 3 * self.size * self.size


@dataclass(frozen=True)
class GameRecord:
    """One finished game, as the summary and the JSON file report it.

    Attributes:
        index: the game's index (A is Black when it is even).
        black, white: ``"A"`` or ``"B"``.
        black_name, white_name: the players' names (their specs, seeds filled in).
        result: SGF ``RE``: ``B+3.5``, ``W+R``, ``B+F`` (forfeit), ``W+T`` (time), ``0`` (draw).
        winner: ``"A"``, ``"B"`` or ``None`` for a draw.
        ending: how the game ended.
        detail: what happened, in words (the failure, or who counted and how).
        moves: moves played (a resignation is not counted).
        seconds: per side (``"A"``, ``"B"``), wall-clock seconds spent in ``genmove``.
        genmoves: per side, ``genmove`` answers received.
        seeds: per side, the player's seed.
        sgf: the saved record's path, or ``None``.
    """

    index: int
    black: str
    white: str
    black_name: str
    white_name: str
    result: str
    winner: str | None
    ending: Ending
    detail: str
    moves: int
    seconds: dict[str, float] = field(default_factory=dict)
    genmoves: dict[str, int] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)
    sgf: str | None = None


def player_seed(match_seed: int, index: int, side: int) -> int:
    """The seed of side ``side`` (0 for A, 1 for B) in game ``index`` of a match."""
    return match_seed * 1_000_000 + 2 * index + side


# -- one game ---------------------------------------------------------------------------------


class _Forfeit(Exception):
    """The engine playing ``color`` lost the game by ``kind``."""

    def __init__(self, color: int, kind: Failure, detail: str) -> None:
        super().__init__(detail)
        self.color, self.kind, self.detail = color, kind, detail


@dataclass
class _Player:
    """One side of a game in progress: its engine and its clock."""

    side: str
    spec: EngineSpec
    seed: int
    engine: GtpProcess | None = None
    seconds: float = 0.0
    genmoves: int = 0


def play_game(config: MatchConfig, index: int) -> GameRecord:
    """Play game ``index`` of the match, save it, and return its record."""
    a_color = BLACK if index % 2 == 0 else WHITE
    players = {
        a_color: _Player("A", config.a, player_seed(config.seed, index, 0)),
        opponent(a_color): _Player("B", config.b, player_seed(config.seed, index, 1)),
    }
    game = Game(config.size, Rules(komi=config.komi))
    try:
        _start(players, config)
        _play(game, players, config)
        ending = _natural_ending(game)
        result, detail = _count(game, config, players[a_color].seed)
    except _Forfeit as forfeit:
        ending, detail = Ending(forfeit.kind.value), forfeit.detail
        result = f"{LETTERS[opponent(forfeit.color)]}+{'T' if ending == Ending.TIME else 'F'}"
    finally:
        for player in players.values():
            if player.engine is not None:
                player.engine.close()
    return _finish(config, index, game, players, result, ending, detail)


def _start(players: dict[int, _Player], config: MatchConfig) -> None:
    """Start both engines and set up the game on each."""
    for color, player in players.items():
        try:
            player.engine = GtpProcess(player.spec.command(player.seed))
        except EngineFailure as failure:
            raise _Forfeit(color, failure.kind, failure.detail) from failure
    for color in players:
        for command in (f"boardsize {config.size}", f"komi {config.komi:g}", "clear_board"):
            _ask(players, color, command, config.setup_timeout)


def _ask(players: dict[int, _Player], color: int, command: str, timeout: float) -> str:
    """Send ``command`` to the engine playing ``color``; its failure forfeits the game."""
    try:
        return players[color].engine.command(command, timeout)
    except EngineFailure as failure:
        raise _Forfeit(color, failure.kind, failure.detail) from failure


def _play(game: Game, players: dict[int, _Player], config: MatchConfig) -> None:
    """Alternate ``genmove`` and ``play`` until the game is over or the move limit."""
    size = config.size
    while not game.is_over and len(game.moves) < config.move_limit:
        color = game.to_move
        letter = LETTERS[color]
        start = time.perf_counter()
        answer = _ask(players, color, f"genmove {letter}", config.move_timeout)
        players[color].seconds += time.perf_counter() - start
        players[color].genmoves += 1
        try:
            point = from_gtp(answer, size)
            game.play(point, color)
        except ValueError as exc:  # IllegalMoveError is a ValueError
            raise _Forfeit(color, Failure.ILLEGAL,
                           f"{letter} answered genmove with {answer!r}: {exc}") from exc
        if point != RESIGN:
            _ask(players, opponent(color), f"play {letter} {to_gtp(point, size)}",
                 config.move_timeout)


def _natural_ending(game: Game) -> Ending:
    if game.resigned is not None:
        return Ending.RESIGNATION
    return Ending.PASSES if game.is_over else Ending.MAX_MOVES


def _count(game: Game, config: MatchConfig, seed: int) -> tuple[str, str]:
    """``(RE, how it was counted)`` for a game that the rules, not a failure, ended."""
    if game.resigned is not None:
        return game.result().sgf(), f"{color_name(game.resigned)} resigned"
    if config.referee == Referee.GNUGO:
        try:
            return gnugo_score(game, config.setup_timeout), "counted by GNU Go (final_score)"
        except EngineFailure as failure:
            result, detail = runner_score(game, config.dead_stone_playouts, seed)
            return result, f"GNU Go could not count ({failure.detail}); {detail}"
    return runner_score(game, config.dead_stone_playouts, seed)


def runner_score(game: Game, playouts: int, seed: int) -> tuple[str, str]:
    """Area scoring with dead stones estimated by ``playouts`` light playouts."""
    dead = estimate_dead_stones(game, playouts, seed=seed)
    return score(game.board, game.komi, dead).result_string(), (
        f"counted by the runner: area, {len(dead)} dead stones from {playouts} playouts")


def gnugo_score(game: Game, timeout: float) -> str:
    """GNU Go's ``final_score`` after it replays the game (Chinese rules)."""
    path = find_gnugo()
    if path is None:
        raise EngineFailure(Failure.CRASH, "GNU Go is not installed")
    with GtpProcess([path, "--mode", "gtp", "--chinese-rules"]) as referee:
        for command in (f"boardsize {game.size}", f"komi {game.komi:g}", "clear_board"):
            referee.command(command, timeout)
        for move in game.moves:
            if move.point != RESIGN:
                referee.command(f"play {LETTERS[move.color]} {to_gtp(move.point, game.size)}",
                                timeout)
        return referee.command("final_score", timeout)


def _winner_colour(result: str) -> int | None:
    return {"B": BLACK, "W": WHITE}.get(result.strip().upper()[:1])


def _finish(config: MatchConfig, index: int, game: Game, players: dict[int, _Player],
            result: str, ending: Ending, detail: str) -> GameRecord:
    """Build the game's record and save its SGF."""
    winner = _winner_colour(result)
    by_side = {p.side: p for p in players.values()}
    record = GameRecord(
        index=index, black=players[BLACK].side, white=players[WHITE].side,
        black_name=players[BLACK].spec.name(players[BLACK].seed),
        white_name=players[WHITE].spec.name(players[WHITE].seed),
        result=result, winner=None if winner is None else players[winner].side,
        ending=ending, detail=detail,
        moves=sum(1 for move in game.moves if move.point != RESIGN),
        seconds={side: round(by_side[side].seconds, 3) for side in SIDES},
        genmoves={side: by_side[side].genmoves for side in SIDES},
        seeds={side: by_side[side].seed for side in SIDES})
    if config.sgf_dir is None:
        return record
    path = Path(config.sgf_dir) / f"game-{index:03d}.sgf"
    path.write_bytes(save_sgf(game, black_player=record.black_name,
                              white_player=record.white_name, result=result,
                              settings=_settings(config, record), root_comment=detail))
    return replace(record, sgf=str(path))


def _settings(config: MatchConfig, record: GameRecord) -> dict[str, object]:
    """The per-game settings written to the SGF's ``GC``."""
    return {
        "index": record.index, "games": config.games,
        "black": f"{record.black} = {record.black_name}",
        "white": f"{record.white} = {record.white_name}",
        "seeds": f"A {record.seeds['A']}, B {record.seeds['B']}",
        "komi": f"{config.komi:g}", "referee": config.referee.value,
        "move_timeout": f"{config.move_timeout:g}", "max_moves": config.move_limit,
        "match_seed": config.seed, "ending": record.ending.value,
    }


# -- the match --------------------------------------------------------------------------------


def run_match(config: MatchConfig, on_game: Callable[[GameRecord], None] | None = None,
              journal: MatchJournal | None = None) -> list[GameRecord]:
    """Play every game, ``config.parallel`` at a time; call ``on_game`` as each one ends.

    Returns the records in index order. A match that saves its games keeps a journal of them
    in ``config.sgf_dir`` (:mod:`go_engine.interfaces.match_journal`; ``journal`` if given,
    else opened there): the games it already holds count and are not played again. With
    ``config.sprt``, no game starts once the finished games decide the test (counted in
    index order: :func:`in_index_order`); the games in progress then finish and count. On
    ``KeyboardInterrupt`` no new game starts; the games in progress finish (their engines,
    which share the terminal, are interrupted too).
    """
    if journal is None and config.sgf_dir is not None:
        from go_engine.interfaces.match_journal import MatchJournal  # it imports this module

        journal = MatchJournal.open(config)
    records = [] if journal is None else journal.finished(config.games)
    played = {record.index for record in records}

    def decided() -> bool:
        if config.sprt is None:
            return False
        score = match_score(in_index_order(records))
        return config.sprt.decision(score.score, score.games) != Decision.NONE

    to_play = [index for index in range(config.games) if index not in played]
    for record in _completed(config, to_play, decided):
        records.append(record)
        if journal is not None:
            journal.append(record)
        if on_game is not None:
            on_game(record)
    return sorted(records, key=lambda record: record.index)


def in_index_order(records: list[GameRecord]) -> list[GameRecord]:
    """The finished games before the first one (by index) still unfinished.

    A sequential test decides on these alone. With games in parallel, short games finish
    first; a test that counted games as they finished would see them early and stop on them
    more often than their share (quick resignations, crashes), a bias that counting in the
    order the games started avoids. All games started then finish and count in the report.
    """
    finished = {record.index: record for record in records}
    prefix = []
    while len(prefix) in finished:
        prefix.append(finished[len(prefix)])
    return prefix


def match_score(records: list[GameRecord]) -> MatchScore:
    """A's wins, B's wins and draws in ``records``."""
    winners = [record.winner for record in records]
    return MatchScore(winners.count("A"), winners.count("B"), winners.count(None))


def _completed(config: MatchConfig, to_play: list[int], stop: Callable[[], bool]
               ) -> Iterator[GameRecord]:
    """The records of the games ``to_play`` in the order they finish. Games start in index
    order, ``config.parallel`` at a time, each when one ends, unless ``stop()`` (asked after
    the finished records are handled) says no more."""
    pool = ThreadPoolExecutor(max_workers=config.parallel, thread_name_prefix="match-game")
    indices = iter(to_play)

    def start(count: int) -> set[Future]:
        return {pool.submit(play_game, config, index) for index in islice(indices, count)}

    try:
        pending = set() if stop() else start(config.parallel)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
            if not stop():
                pending |= start(len(done))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
