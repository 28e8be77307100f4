"""``go-engine play``: a game against the engine in the terminal.

The person types a move (``D4``, ``d4``, ``pass``) or a command at the prompt; the engine
answers at once. Every event is also written as one plain line of text (``White plays E5 (win
rate 54%)``, ``Illegal move D4: the point is occupied``, ``Result: W+4.5 ...``), so a session
reads well in a log.

Input comes from a terminal (with line editing) or from a pipe: lines are read until end of
file, which ends the program cleanly (exit status 0); each piped line is echoed after the prompt.
Colours are used only on a terminal (rich decides; ``FORCE_COLOR`` / ``NO_COLOR`` are honoured);
without them the board is drawn in plain ASCII (see :mod:`go_engine.interfaces.board_view`).

When the game ends (two passes or a resignation) the dead stones are estimated from light
playouts (:func:`~go_engine.search.playout.estimate_dead_stones`), marked on the board, and the
count is broken down (area scoring by default). The session then stays open for ``save``,
``undo``, ``load``, ``score`` and ``quit``.

``analyze`` searches the position for the side to move (the engine's usual effort) and shows
what it found: the root's visits as a heat map on the board and a table of the candidates
(visits, win rate, its lower bound, prior, principal variation); see
:func:`~go_engine.interfaces.board_view.render_heatmap`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from go_engine.interfaces.analysis import candidates
from go_engine.interfaces.board_view import (
    describe_result,
    fancy_output,
    render_board,
    render_candidates,
    render_heatmap,
    render_score,
)
from go_engine.rules.coords import (
    BLACK,
    GTP_COLUMNS,
    RESIGN,
    WHITE,
    color_name,
    from_gtp,
    opponent,
    parse_color,
    to_gtp,
)
from go_engine.rules.game import Game, IllegalMoveError
from go_engine.rules.scoring import ScoreBreakdown, ScoringRule, score
from go_engine.rules.sgf import SgfError, load_sgf_file, save_sgf
from go_engine.search.player import Decision, MCTSPlayer
from go_engine.search.playout import estimate_dead_stones

if TYPE_CHECKING:
    from go_engine.cli import EngineOptions

DEAD_STONE_PLAYOUTS = 400  # light playouts behind every dead-stone estimate (cheap, ~ms each)
ANALYZE_CANDIDATES = 8  # rows of the analyze table

HELP = """\
Commands (case does not matter):
  D4, d4          play a move (columns skip I; row 1 is at the bottom)
  pass            pass (two passes in a row end the game)
  resign          give up the game
  undo            take back the engine's reply and your last move
  hint            ask the engine for a move, with its win rate
  analyze         the engine's analysis: visits on the board, candidates, variations
  score           estimate the score now (dead stones from playouts)
  board           draw the board again
  save FILE.sgf   save the game as SGF
  load FILE.sgf   load a game from SGF (the engine moves if it is its turn)
  help            this list
  quit            leave (end of input does the same)"""


# -- commands ---------------------------------------------------------------------------------


class CommandError(ValueError):
    """A line that is not a move or a command; the message says what is wrong."""


@dataclass(frozen=True)
class Command:
    """One parsed input line.

    Attributes:
        name: ``move``, ``resign``, ``undo``, ``hint``, ``analyze``, ``score``, ``board``,
            ``save``, ``load``, ``help`` or ``quit``.
        point: the move's flat point (``PASS`` included) when ``name == "move"``.
        path: the file of ``save`` and ``load``.
    """

    name: str
    point: int | None = None
    path: str | None = None


_ALIASES = {
    "resign": "resign", "undo": "undo", "hint": "hint", "score": "score",
    "analyze": "analyze", "analyse": "analyze",
    "board": "board", "show": "board", "help": "help", "?": "help", "h": "help",
    "quit": "quit", "exit": "quit", "q": "quit", "save": "save", "load": "load",
}
_WITH_PATH = ("save", "load")


def parse_command(line: str, size: int) -> Command | None:
    """Parse one input line for a ``size`` board; ``None`` for a blank line.

    Raises:
        CommandError: an unknown word, a point off the board, missing or extra arguments.
    """
    words = line.strip().split(maxsplit=1)
    if not words:
        return None
    word = words[0].lower()
    rest = words[1].strip() if len(words) > 1 else ""
    if word == "pass" or _looks_like_vertex(word):
        if rest:
            raise CommandError("one move at a time, please")
        return Command("move", point=_parse_vertex(word, size))
    name = _ALIASES.get(word)
    if name is None:
        raise CommandError(f"unknown command {words[0]!r}: type a move like D4, or 'help'")
    if name in _WITH_PATH:
        if not rest:
            raise CommandError(f"usage: {name} FILE.sgf")
        return Command(name, path=rest)
    if rest:
        raise CommandError(f"{name} takes no argument")
    return Command(name)


def _looks_like_vertex(word: str) -> bool:
    return len(word) >= 2 and word[0].isalpha() and word[1:].isdigit()


def _parse_vertex(word: str, size: int) -> int:
    letters = GTP_COLUMNS[:size]
    if word[0].upper() == "I":
        raise CommandError("there is no column I: Go coordinates skip it "
                           f"(columns {letters[0]}-{letters[-1]})")
    try:
        point = from_gtp(word, size)
    except ValueError:
        raise CommandError(f"{word.upper()} is not on this {size}x{size} board "
                           f"(columns {letters[0]}-{letters[-1]}, rows 1-{size})") from None
    return point


# -- input ------------------------------------------------------------------------------------


def terminal_reader(console: Console) -> Callable[[str], str | None]:
    """A line reader for ``sys.stdin``: ``input`` with line editing on a terminal, plain reads
    with the line echoed after the prompt on a pipe. It returns ``None`` at end of input."""
    if sys.stdin.isatty():
        with contextlib.suppress(ImportError):  # line editing and history for input()
            import readline  # noqa: F401

        def read_tty(prompt: str) -> str | None:
            try:
                return input(prompt)
            except EOFError:
                console.print()
                return None

        return read_tty

    def read_pipe(prompt: str) -> str | None:
        line = sys.stdin.readline()
        if not line:
            return None
        line = line.rstrip("\r\n")
        console.print(f"{prompt}{line}")
        return line

    return read_pipe


# -- the session ------------------------------------------------------------------------------


class TerminalSession:
    """One person against the engine: the game, the player, the prompt loop.

    Args:
        game: the game to play (handicap already placed).
        player: the engine.
        human: the person's colour.
        console: where everything is written.
        read_line: returns the next input line (given the prompt), or ``None`` at end of input.
        scoring: the rule the game is counted by.
        seed: seed of the dead-stone estimates.
    """

    def __init__(self, game: Game, player: MCTSPlayer, human: int, console: Console,
                 read_line: Callable[[str], str | None], *,
                 scoring: ScoringRule = ScoringRule.AREA, seed: int = 0) -> None:
        self.game = game
        self.player = player
        self.human = human
        self.engine = opponent(human)
        self.console = console
        self.read_line = read_line
        self.scoring = ScoringRule(scoring)
        self.seed = seed
        self.fancy = fancy_output(console)
        self.comments: list[str | None] = [None] * len(game.moves)
        self.final: ScoreBreakdown | None = None
        self._ended = False
        self._drawn = False

    # -- main loop --------------------------------------------------------------------------

    def run(self) -> int:
        """Play until ``quit`` or end of input; return the exit status."""
        self.say(self._introduction())
        while True:
            if self.game.is_over and not self._ended:
                self.finish()
            elif not self.game.is_over and self.game.to_move == self.engine:
                self.engine_move()
                continue
            if not self._drawn:
                self.show_position()
            line = self.read_line(self._prompt())
            if line is None:
                self.say("End of input: goodbye.")
                return 0
            try:
                command = parse_command(line, self.game.size)
            except CommandError as error:
                self.say(f"Error: {error}.", style="bold red")
                continue
            if command is None:
                continue
            if command.name == "quit":
                self.say("Goodbye.")
                return 0
            getattr(self, f"do_{command.name}")(command)

    def _prompt(self) -> str:
        if self.game.is_over:
            return "game over> "
        return f"{color_name(self.game.to_move).capitalize()} to play> "

    # -- output -----------------------------------------------------------------------------

    def say(self, message: str, style: str | None = None) -> None:
        """One line of text (never interpreted as markup)."""
        self.console.print(Text(message, style=style if style and self.fancy else ""))

    def show_position(self, dead: frozenset[int] = frozenset()) -> None:
        """Draw the board and the status lines under it."""
        self.console.print(render_board(self.game.board, dead=dead, fancy=self.fancy))
        for line in self._status_lines():
            self.say(line)
        self._drawn = True

    def _status_lines(self) -> list[str]:
        game = self.game
        board = game.board
        lines = [f"Move {len(game.moves)} | komi {game.komi:g} | captures: "
                 f"Black {board.captures(BLACK)}, White {board.captures(WHITE)}"]
        if game.moves:
            last = game.moves[-1]
            lines.append(f"Last move: {color_name(last.color).capitalize()} "
                         f"{to_gtp(last.point, game.size)}")
        if not game.is_over:
            whose = "you" if game.to_move == self.human else "the engine"
            lines.append(f"{color_name(game.to_move).capitalize()} to play ({whose})")
        return lines

    def _introduction(self) -> str:
        config = self.player.config
        effort = []
        if config.playouts:
            effort.append(f"{config.playouts} playouts")
        if config.seconds:
            effort.append(f"{config.seconds:g} s")
        return (f"go-engine: {self.game.size}x{self.game.size}, komi {self.game.komi:g}, "
                f"{self.scoring.value} scoring, {self.game.rules.ko_rule.value} ko rule. "
                f"You play {color_name(self.human)}; the engine plays "
                f"{color_name(self.engine)} ({' / '.join(effort)} per move). "
                "Type 'help' for commands.")

    # -- the engine -------------------------------------------------------------------------

    def engine_move(self) -> None:
        """Let the engine choose and play its move, and announce it."""
        name = color_name(self.engine).capitalize()
        with self.console.status(f"{name} is thinking...", spinner="dots"):
            decision = self.player.genmove(self.game)
        self.game.play(decision.move, self.engine)
        self.comments.append(decision.comment(self.game.size))
        self.say(self._announce(name, decision), style="bold")
        self._drawn = False

    def _announce(self, name: str, decision: Decision) -> str:
        if decision.move == RESIGN:
            return f"{name} resigns."
        rate = "" if decision.winrate is None else f" (win rate {decision.winrate:.0%})"
        if decision.move == self.game.pass_point:
            return f"{name} passes{rate}."
        return f"{name} plays {to_gtp(decision.move, self.game.size)}{rate}."

    # -- the end ----------------------------------------------------------------------------

    def finish(self) -> None:
        """Announce the result: estimated dead stones on the board and the count."""
        self._ended = True
        dead = self._estimate_dead()
        breakdown = score(self.game.board, self.game.komi, dead, self.scoring)
        self.say("The game is over.", style="bold")
        self.show_position(dead)
        self._report_dead(dead)
        self.console.print(render_score(breakdown, fancy=self.fancy))
        if self.game.resigned is not None:
            winner = opponent(self.game.resigned)
            letter = "B" if winner == BLACK else "W"
            self.say(f"Count at resignation: {describe_result(breakdown)}.")
            self.say(f"Result: {letter}+R ({color_name(winner).capitalize()} wins by "
                     "resignation).", style="bold")
            self.final = None
        else:
            self.say(f"Result: {describe_result(breakdown)}.", style="bold")
            self.final = breakdown
            winner = breakdown.winner
        if winner is not None:
            self.say("You win!" if winner == self.human else "The engine wins.")
        self.say("Type undo to take back moves, save FILE.sgf, load FILE.sgf, or quit.")

    def _estimate_dead(self) -> frozenset[int]:
        return estimate_dead_stones(self.game.board, DEAD_STONE_PLAYOUTS, seed=self.seed)

    def _report_dead(self, dead: frozenset[int]) -> None:
        parts = []
        for color in (BLACK, WHITE):
            points = sorted(p for p in dead if self.game.board.color_at(p) == color)
            named = " ".join(to_gtp(p, self.game.size) for p in points) or "none"
            parts.append(f"{color_name(color).capitalize()} {named}")
        marks = "x" if self.fancy else "x (black) and o (white)"
        self.say(f"Dead stones (estimated, marked {marks}): {'; '.join(parts)}.")

    # -- commands ---------------------------------------------------------------------------

    def do_move(self, command: Command) -> None:
        """Play the person's move, or say why it is illegal."""
        if self.game.is_over:
            self.say("The game is over: undo, save, load or quit.", style="yellow")
            return
        point = command.point
        vertex = to_gtp(point, self.game.size)
        reason = self.game.illegal_reason(point, self.human)
        if reason is not None:
            self.say(f"Illegal move {vertex}: {reason}.", style="bold red")
            return
        self.game.play(point, self.human)
        self.comments.append(None)
        name = color_name(self.human).capitalize()
        self.say(f"{name} passes." if point == self.game.pass_point else f"{name} plays {vertex}.")
        self._drawn = False

    def do_resign(self, command: Command) -> None:
        """The person resigns."""
        if self.game.is_over:
            self.say("The game is over already.", style="yellow")
            return
        self.game.resign(self.human)
        self.comments.append(None)
        self.say(f"{color_name(self.human).capitalize()} resigns.")

    def do_undo(self, command: Command) -> None:
        """Take back moves up to and including the person's last one."""
        if not any(move.color == self.human for move in self.game.moves):
            self.say("Nothing to undo: you have not moved yet.", style="yellow")
            return
        taken = []
        while True:
            move = self.game.undo()
            self.comments.pop()
            name = color_name(move.color).capitalize()
            taken.append(f"{name} {to_gtp(move.point, self.game.size)}")
            if move.color == self.human:
                break
        self.say(f"Took back: {', '.join(taken)}.")
        self._ended = False
        self.final = None
        self._drawn = False

    def do_hint(self, command: Command) -> None:
        """Ask the engine what it would play for the person."""
        if self.game.is_over:
            self.say("The game is over: no hint to give.", style="yellow")
            return
        with self.console.status("Thinking about a hint...", spinner="dots"):
            result = self.player.analyze(self.game)
        size = self.game.size
        if not result.visits.sum():
            self.say("No hint: the search found nothing.", style="yellow")
            return
        best = [result.move] + [m for m in result.top_moves(3) if m != result.move][:2]
        total = int(result.visits.sum())
        head = (f"Hint: {to_gtp(best[0], size)} (win rate {result.winrate(best[0]):.0%}, "
                f"{int(result.visits[best[0]])} of {total} visits)")
        others = ", ".join(f"{to_gtp(m, size)} {result.winrate(m):.0%}" for m in best[1:])
        self.say(f"{head}; also {others}." if others else f"{head}.", style="cyan")

    def do_analyze(self, command: Command) -> None:
        """Search the position and show the candidates and a heat map of the visits."""
        if self.game.is_over:
            self.say("The game is over: nothing to analyze.", style="yellow")
            return
        with self.console.status("Analyzing...", spinner="dots"):
            result = self.player.analyze(self.game)
        ranked = candidates(result, ANALYZE_CANDIDATES)
        if not ranked:
            self.say("No analysis: the search found nothing.", style="yellow")
            return
        size = self.game.size
        mover = color_name(self.game.to_move).capitalize()
        self.say(f"Analysis for {mover}: {int(result.visits.sum())} visits, "
                 f"{result.playouts} playouts in {result.seconds:.1f} s "
                 "(digits: visits, 9 = most visited).", style="cyan")
        self.console.print(render_heatmap(self.game.board, result.visits, fancy=self.fancy))
        self.console.print(render_candidates(ranked, size, fancy=self.fancy))
        best = ranked[0]
        self.say(f"Best: {to_gtp(best.move, size)} (win rate {best.winrate:.0%}).",
                 style="cyan")

    def do_score(self, command: Command) -> None:
        """Estimate the count now, with dead stones from playouts."""
        if self.game.is_over and self.game.resigned is None and self.final is not None:
            breakdown, dead = self.final, self._estimate_dead()
        else:
            dead = self._estimate_dead()
            breakdown = score(self.game.board, self.game.komi, dead, self.scoring)
        self.show_position(dead)
        self._report_dead(dead)
        self.console.print(render_score(breakdown, fancy=self.fancy))
        self.say(f"Estimate: {describe_result(breakdown)}.", style="bold")

    def do_board(self, command: Command) -> None:
        """Draw the board again."""
        self.show_position()

    def do_help(self, command: Command) -> None:
        """List the commands."""
        self.say(HELP)

    def do_save(self, command: Command) -> None:
        """Write the game as SGF, with the engine's comments and the result when over."""
        path = Path(os.path.expanduser(command.path))
        players = {self.human: "human", self.engine: "go-engine"}
        result = self.final.result_string() if self.final is not None else None
        config = self.player.config
        data = save_sgf(self.game, comments=self.comments, black_player=players[BLACK],
                        white_player=players[WHITE], result=result,
                        settings={"playouts": config.playouts, "seconds": config.seconds,
                                  "seed": config.seed, "threads": config.rollout_threads,
                                  "scoring": self.scoring.value})
        try:
            path.write_bytes(data)
        except OSError as error:
            self.say(f"Cannot save {path}: {error.strerror or error}.", style="bold red")
            return
        self.say(f"Saved {len(self.game.moves)} moves to {path}.")

    def do_load(self, command: Command) -> None:
        """Replace the game by one read from SGF."""
        path = Path(os.path.expanduser(command.path))
        try:
            record = load_sgf_file(path)
            game = record.to_game()
        except OSError as error:
            self.say(f"Cannot read {path}: {error.strerror or error}.", style="bold red")
            return
        except (SgfError, IllegalMoveError) as error:
            self.say(f"Cannot load {path}: {error}.", style="bold red")
            return
        self.game = game
        comments = list(record.comments)[: len(game.moves)]
        self.comments = comments + [None] * (len(game.moves) - len(comments))
        self.player.new_game()
        self.final = None
        self._ended = False
        self._drawn = False
        self.say(f"Loaded {path}: {game.size}x{game.size}, {len(game.moves)} moves, "
                 f"komi {game.komi:g}, {game.rules.ko_rule.value} ko rule.")


# -- entry point ------------------------------------------------------------------------------


def make_console() -> Console:
    """The console of the terminal UI: colour only on a terminal, no markup, no wrapping."""
    return Console(highlight=False, markup=False, emoji=False, soft_wrap=True)


def run_play(options: EngineOptions, color: str = "black", handicap: int = 0,
             scoring: str | ScoringRule = ScoringRule.AREA, *,
             console: Console | None = None,
             read_line: Callable[[str], str | None] | None = None) -> int:
    """Run ``go-engine play`` with the parsed :class:`~go_engine.cli.EngineOptions`.

    Returns the exit status: 0 after ``quit`` or end of input, 2 for an impossible handicap,
    130 after Ctrl-C.
    """
    console = console or make_console()
    human = parse_color(color)
    game = Game(options.size, options.rules)
    if handicap < 0:
        print("error: --handicap must not be negative", file=sys.stderr)
        return 2
    if handicap >= 2:  # 0 and 1 both mean an even game with Black first
        try:
            game.place_fixed_handicap(handicap)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    player = options.make_player()
    session = TerminalSession(game, player, human, console, read_line or terminal_reader(console),
                              scoring=ScoringRule(scoring), seed=options.search.seed)
    try:
        return session.run()
    except KeyboardInterrupt:
        console.print("\nInterrupted.")
        return 130
    finally:
        player.close()
