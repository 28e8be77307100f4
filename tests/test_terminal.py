"""``go-engine play``: the command parser, the board drawing, scripted sessions with a fake
engine, and the real program driven in a pseudo-terminal (pexpect) and through a pipe."""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections import deque

import numpy as np
import pexpect
import pytest
from conftest import engine_command
from rich.console import Console

from go_engine.cli import build_parser, engine_options
from go_engine.interfaces.board_view import (
    PLAIN_GLYPHS,
    WOOD,
    column_letters,
    fancy_output,
    heat_levels,
    render_board,
    render_heatmap,
    star_points,
)
from go_engine.interfaces.terminal import (
    Command,
    CommandError,
    TerminalSession,
    parse_command,
    run_play,
)
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, RESIGN, WHITE, from_gtp, to_gtp, to_sgf
from go_engine.rules.game import Game, Rules
from go_engine.rules.sgf import load_sgf_file
from go_engine.search.config import SearchConfig
from go_engine.search.player import Decision, MCTSPlayer

# -- helpers ----------------------------------------------------------------------------------


def plain_console() -> Console:
    """A console like a pipe's: no colours, no wrapping, text kept in memory."""
    return Console(file=io.StringIO(), color_system=None, force_terminal=False, width=100,
                   highlight=False, markup=False, emoji=False, soft_wrap=True)


def plain_text(renderable) -> str:
    console = plain_console()
    console.print(renderable)
    return console.file.getvalue()


def game_from_ascii(text: str, to_move: int = BLACK, komi: float = 0.5) -> Game:
    board = Board.from_ascii(text)
    game = Game(board.size, Rules(komi=komi))
    game.setup_stones(board.points_of(BLACK), board.points_of(WHITE), to_move)
    return game


class ScriptedPlayer:
    """Stands in for :class:`MCTSPlayer`: plays the given GTP moves in order, then passes."""

    def __init__(self, moves: list[str] = ()) -> None:
        self.moves = deque(moves)
        self.config = SearchConfig(playouts=1)
        self.new_games = 0

    def genmove(self, game: Game) -> Decision:
        if not self.moves:
            return Decision(game.pass_point, None, "scripted pass")
        text = self.moves.popleft()
        move = RESIGN if text == "resign" else from_gtp(text, game.size)
        return Decision(move, None, "scripted")

    def new_game(self) -> None:
        self.new_games += 1

    def close(self) -> None:
        pass


def run_session(game: Game, lines: list[str], moves: list[str] = (), human: int = BLACK,
                **kwargs) -> tuple[TerminalSession, str]:
    """Run a session on ``game`` with a scripted engine and input; return it and its output."""
    console = plain_console()
    queue = deque(lines)

    def read_line(prompt: str) -> str | None:
        if not queue:
            return None
        line = queue.popleft()
        console.print(f"{prompt}{line}")
        return line

    session = TerminalSession(game, ScriptedPlayer(moves), human, console, read_line, **kwargs)
    assert session.run() == 0
    return session, console.file.getvalue()


def board_lines(output: str, size: int) -> list[str]:
    """The rows of the last board drawn in ``output`` (top row first)."""
    rows = [line for line in output.splitlines()
            if re.fullmatch(r" *\d+[ (][.+XOxo()\s]*\d+", line)]
    return rows[-size:]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that forces or forbids colours or sizes."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                        "COLUMNS", "LINES", "COLORTERM")}
    env.update(extra)
    return env


# -- the command parser -----------------------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [
    ("D4", Command("move", point=from_gtp("D4", 7))),
    ("  d4  ", Command("move", point=from_gtp("D4", 7))),
    ("g7", Command("move", point=0 * 7 + 6)),
    ("a1", Command("move", point=6 * 7)),
    ("pass", Command("move", point=49)),
    ("PASS", Command("move", point=49)),
    ("resign", Command("resign")),
    ("Undo", Command("undo")),
    ("hint", Command("hint")),
    ("analyze", Command("analyze")),
    ("Analyse", Command("analyze")),
    ("score", Command("score")),
    ("board", Command("board")),
    ("help", Command("help")),
    ("?", Command("help")),
    ("quit", Command("quit")),
    ("exit", Command("quit")),
    ("save game.sgf", Command("save", path="game.sgf")),
    ("load  my games/one.sgf ", Command("load", path="my games/one.sgf")),
    ("", None),
    ("   ", None),
])
def test_parse_command(line, expected):
    assert parse_command(line, 7) == expected


@pytest.mark.parametrize(("line", "message"), [
    ("h8", "not on this 7x7 board"),
    ("a0", "not on this 7x7 board"),
    ("i3", "no column I"),
    ("foo", "unknown command"),
    ("d4 e5", "one move at a time"),
    ("undo now", "takes no argument"),
    ("save", "usage: save FILE.sgf"),
    ("load", "usage: load FILE.sgf"),
])
def test_parse_command_errors(line, message):
    with pytest.raises(CommandError, match=message):
        parse_command(line, 7)


def test_parse_command_on_a_big_board():
    assert parse_command("T19", 19) == Command("move", point=18)
    assert parse_command("j10", 19).point == from_gtp("J10", 19)


# -- drawing ----------------------------------------------------------------------------------


def test_star_points():
    def named(size):
        return {to_gtp(p, size) for p in star_points(size)}

    assert named(19) == {"D4", "K4", "Q4", "D10", "K10", "Q10", "D16", "K16", "Q16"}
    assert named(13) == {"D4", "K4", "G7", "D10", "K10"}
    assert named(9) == {"C3", "G3", "E5", "C7", "G7"}
    assert named(7) == {"C3", "E3", "D4", "C5", "E5"}
    assert named(5) == {"C3"}
    assert named(4) == set()


def test_plain_board_has_coordinates_on_four_sides_and_star_points():
    lines = plain_text(render_board(Board(9), fancy=False)).splitlines()
    letters = " ".join(column_letters(9))
    assert letters == "A B C D E F G H J"
    assert lines[0].strip() == letters and lines[-1].strip() == letters
    rows = lines[1:-1]
    assert len(rows) == 9
    for row, line in zip(range(9, 0, -1), rows, strict=True):
        assert line.split()[0] == str(row) and line.split()[-1] == str(row)
    # C3, G3, E5, C7, G7 carry a '+', every other point a '.'
    assert rows[9 - 3].split()[1:-1] == [".", ".", "+", ".", ".", ".", "+", ".", "."]
    assert rows[9 - 5].split()[1:-1][4] == "+"
    assert sum(line.count("+") for line in rows) == 5
    # letters sit right above their column's points
    column_e = lines[0].index("E")
    assert rows[9 - 5][column_e] == "+"


def test_plain_board_marks_stones_last_move_and_dead_stones():
    game = Game(7)
    for vertex in ("D4", "C3", "E5"):
        game.play(from_gtp(vertex, 7))
    text = plain_text(render_board(game.board, fancy=False,
                                   dead=frozenset({from_gtp("C3", 7)})))
    rows = text.splitlines()[1:-1]
    assert rows[7 - 5] == " 5 . . + .(X). . 5"  # E5, the last move, in brackets
    assert rows[7 - 4] == " 4 . . . X . . . 4"
    assert rows[7 - 3] == " 3 . . o . + . . 3"  # the white stone on C3 is marked dead
    assert text.count("(") == 1 and text.count(")") == 1
    assert PLAIN_GLYPHS.stone(BLACK, dead=True) == "x"


def test_last_move_mark_at_the_edges():
    game = Game(5)
    game.play(from_gtp("A5", 5))
    assert plain_text(render_board(game.board, fancy=False)).splitlines()[1] == " 5(X). . . . 5"
    game.play(from_gtp("E1", 5))
    assert plain_text(render_board(game.board, fancy=False)).splitlines()[5] == " 1 . . . .(O)1"
    game.play(game.pass_point)
    assert "(" not in plain_text(render_board(game.board, fancy=False))


def test_fancy_board_uses_colours_on_wood():
    game = Game(9)
    game.play(from_gtp("E5", 9))
    game.play(from_gtp("C3", 9))
    console = Console(file=io.StringIO(), record=True, force_terminal=True,
                      color_system="truecolor", width=100)
    assert fancy_output(console) or console.encoding.lower().replace("-", "") != "utf8"
    console.print(render_board(game.board, fancy=True))
    styled = console.export_text(styles=True)
    red, green, blue = (int(WOOD[i:i + 2], 16) for i in (1, 3, 5))
    assert f"48;2;{red};{green};{blue}" in styled  # the wood background
    assert "38;2;255;255;255" in styled and "38;2;0;0;0" in styled  # white and black stones
    text = plain_text(render_board(game.board, fancy=True))
    assert "●" in text and "(●)" in text and "·" in text
    widths = {len(line) for line in text.splitlines()}
    assert len(widths) == 1  # a rectangle of wood


def test_fancy_output_follows_the_console():
    assert not fancy_output(plain_console())
    assert not fancy_output(Console(file=io.StringIO(), force_terminal=True, no_color=True))


# -- scripted sessions (fake engine, in memory) -----------------------------------------------


def test_session_plays_announces_and_rejects_illegal_moves():
    session, out = run_session(Game(7), ["d4", "D4", "e5", "zz", "c3"], moves=["E5", "F6"])
    assert "Black plays D4." in out
    assert "White plays E5." in out
    assert "Illegal move D4: the point is occupied." in out
    assert "Illegal move E5: the point is occupied." in out
    assert "Error: unknown command 'zz'" in out
    assert [to_gtp(m.point, 7) for m in session.game.moves] == ["D4", "E5", "C3", "F6"]
    assert board_lines(out, 7)[7 - 6] == " 6 . . . . .(O). 6"


def test_session_says_why_ko_and_suicide_are_illegal():
    game = game_from_ascii("""
        . . . . .
        . X O . .
        X O . O .
        . X O . .
        . . . . .
    """, to_move=BLACK)
    game.play(from_gtp("C3", 5))  # Black captures B3: a ko
    session, out = run_session(game, ["b3", "a5"], moves=["E5"], human=WHITE)
    assert "Illegal move B3: ko: the stone cannot be retaken at once." in out
    assert [to_gtp(m.point, 5) for m in session.game.moves] == ["C3", "A5", "E5"]
    _, out = run_session(game_from_ascii("""
        . O . . .
        O . . . .
        . . . . .
        . . . . .
        . . . . .
    """), ["a5"])
    assert "Illegal move A5: suicide." in out


def test_undo_takes_back_the_reply_and_your_move():
    session, out = run_session(Game(7), ["d4", "c3", "undo", "undo", "undo", "b2"],
                               moves=["E5", "F6", "G7"])
    assert "Took back: White F6, Black C3." in out
    assert "Took back: White E5, Black D4." in out
    assert "Nothing to undo: you have not moved yet." in out
    assert [to_gtp(m.point, 7) for m in session.game.moves] == ["B2", "G7"]
    assert len(session.comments) == len(session.game.moves)


def test_undo_when_the_engine_moved_first():
    session, out = run_session(Game(5), ["undo", "c3", "undo"], moves=["B2", "D4"],
                               human=WHITE)
    assert "Nothing to undo" in out
    assert "Took back: Black D4, White C3." in out
    assert [to_gtp(m.point, 5) for m in session.game.moves] == ["B2"]


def test_game_end_marks_dead_stones_and_breaks_down_the_score():
    # The black stone on B3 sits alone in White's area; White has two eyes besides.
    game = game_from_ascii("""
        . . O X .
        O O O X .
        . X O X .
        O O O X X
        . . O X .
    """, to_move=BLACK, komi=0.5)
    session, out = run_session(game, ["pass", "score"], moves=[])
    assert "White passes." in out
    assert "Dead stones (estimated, marked x (black) and o (white)): Black B3; White none." in out
    assert board_lines(out, 5)[2] == " 3 . x O X . 3"
    # area: Black 6 stones + 4 territory; White 9 stones + 6 territory + 0.5 komi
    assert re.search(r"stones\s+\|\s+6\s+\|\s+9", out)
    assert re.search(r"territory\s+\|\s+4\s+\|\s+6", out)
    assert re.search(r"dead\)\s+\|\s+1\s+\|\s+0", out)
    assert re.search(r"total\s+\|\s+10\s+\|\s+15.5", out)
    assert "Result: W+5.5 (White wins by 5.5 points)." in out
    assert "The engine wins." in out
    assert "Estimate: W+5.5" in out  # score after the end repeats the final count
    assert session.final is not None and session.final.result_string() == "W+5.5"


def test_territory_scoring_counts_prisoners():
    game = game_from_ascii("""
        . . O X .
        O O O X .
        . X O X .
        O O O X X
        . . O X .
    """, to_move=BLACK, komi=0.5)
    _, out = run_session(game, ["pass"], scoring="territory")
    assert "territory scoring" in out
    assert re.search(r"prisoners\s+\|\s+0\s+\|\s+1", out)
    assert "Result: W+3.5" in out  # White 6 + 1 prisoner + 0.5 against Black's 4 + 0


def test_resignation_ends_the_game_and_moves_are_refused_after():
    session, out = run_session(Game(5), ["c3", "d4", "b2", "undo", "pass"],
                               moves=["D3", "resign"])
    assert "White resigns." in out
    assert "Result: B+R (Black wins by resignation)." in out
    assert "You win!" in out
    assert "The game is over: undo, save, load or quit." in out
    assert "Took back: White resign, Black D4." in out
    assert session.game.moves[-1].point == session.game.pass_point


def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "game.sgf"
    session, out = run_session(Game(5), ["c3", "b2", f"save {path}", "d4",
                                         f"load {path}", f"load {tmp_path / 'missing.sgf'}"],
                               moves=["C4", "B4", "D2"])
    assert f"Saved 4 moves to {path}." in out
    record = load_sgf_file(path)
    assert [to_sgf(m.point, 5) for m in record.moves] == ["cc", "cb", "bd", "bb"]
    assert record.black_player == "human" and record.white_player == "go-engine"
    assert f"Loaded {path}: 5x5, 4 moves, komi 7.5, positional ko rule." in out
    assert f"Cannot read {tmp_path / 'missing.sgf'}" in out
    assert [to_gtp(m.point, 5) for m in session.game.moves] == ["C3", "C4", "B2", "B4"]
    assert session.player.new_games == 1


def test_load_a_finished_game_and_save_its_result(tmp_path):
    first = tmp_path / "first.sgf"
    second = tmp_path / "second.sgf"
    _, out = run_session(Game(5), ["c3", "pass", f"save {first}"], moves=["pass"])
    result = load_sgf_file(first).result
    assert result.startswith("B+") and f"Result: {result} " in out
    _, out = run_session(Game(5), [f"load {first}", f"save {second}"])
    assert "The game is over." in out
    assert load_sgf_file(second).result == load_sgf_file(first).result


def test_load_refuses_broken_files(tmp_path):
    bad = tmp_path / "bad.sgf"
    bad.write_text("(;GM[1]SZ[5];B[cc];W[cc])")
    session, out = run_session(Game(5), [f"load {bad}"])
    assert f"Cannot load {bad}" in out
    assert session.game.size == 5 and not session.game.moves


def test_run_play_places_a_handicap_and_the_engine_moves_first():
    options = engine_options(build_parser().parse_args(
        ["play", "--size", "7", "--playouts", "20", "--seed", "3", "--handicap", "2"]))
    console = plain_console()
    assert run_play(options, color="black", handicap=2, console=console,
                    read_line=lambda prompt: None) == 0
    out = console.file.getvalue()
    assert re.search(r"White plays [A-HJ-T]\d+ \(win rate \d+%\)\.", out)
    # The last move is drawn in brackets, which may touch a neighbour: read past them.
    rows = [row.replace("(", " ").replace(")", " ") for row in board_lines(out, 7)]
    assert rows[7 - 3].split()[3] == "X" and rows[7 - 5].split()[5] == "X"  # C3 and E5
    assert run_play(options, handicap=5, console=plain_console(),
                    read_line=lambda prompt: None) == 2


# -- the real program ---------------------------------------------------------------------------


def test_play_in_a_pseudo_terminal(tmp_path):
    """A person's session: moves, an illegal move, undo, hint, save, load, pass to the end."""
    command = engine_command()
    child = pexpect.spawn(command[0], [*command[1:], "play", "--size", "7", "--playouts", "30",
                                       "--seed", "1"],
                          env=clean_env(TERM="xterm-256color"), encoding="utf-8", timeout=30,
                          dimensions=(60, 120))
    try:
        prompt = "Black to play> "
        child.expect_exact(prompt)
        assert "\x1b[" in child.before  # a terminal gets colours
        child.sendline("d4")
        child.expect_exact("Black plays D4.")
        child.expect(r"White plays ([A-HJ-T]\d+) \(win rate \d+%\)\.")
        reply = child.match.group(1)
        child.expect_exact(prompt)

        child.sendline("D4")
        child.expect_exact("Illegal move D4: the point is occupied.")
        child.expect_exact(prompt)
        child.sendline(reply.lower())
        child.expect_exact(f"Illegal move {reply}: the point is occupied.")
        child.expect_exact(prompt)
        child.sendline("k9")
        child.expect_exact("Error: K9 is not on this 7x7 board")
        child.expect_exact(prompt)

        child.sendline("hint")
        child.expect(r"Hint: [A-HJ-T]\d+|Hint: pass")
        child.expect_exact(prompt)

        child.sendline("undo")
        child.expect_exact(f"Took back: White {reply}, Black D4.")
        child.expect_exact("Move 0 |")
        child.expect_exact(prompt)

        child.sendline("c3")
        child.expect_exact("Black plays C3.")
        child.expect(r"White plays ([A-HJ-T]\d+)")
        child.expect_exact(prompt)
        path = tmp_path / "game.sgf"
        child.sendline(f"save {path}")
        child.expect_exact("Saved 2 moves to")
        child.expect_exact(prompt)
        assert f"B[{to_sgf(from_gtp('C3', 7), 7)}]" in path.read_text()

        child.sendline(f"load {path}")
        child.expect_exact("Loaded")
        child.expect_exact("2 moves")
        child.expect_exact(prompt)

        for _ in range(40):
            child.sendline("pass")
            if child.expect([r"Result: ([BW]\+[\d.]+|0)", prompt]) == 0:
                break
        else:
            pytest.fail("the engine never passed")
        child.expect_exact("game over> ")
        before = child.before
        assert "The engine wins." in before or "You win!" in before
        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_play_through_a_pipe(tmp_path):
    path = tmp_path / "piped.sgf"
    script = "\n".join(["help", "c3", "c3", "hello", "undo", "d4", "score", f"save {path}",
                        "resign", "d2", ""])
    done = subprocess.run(
        [*engine_command(), "play", "--size", "5", "--playouts", "30", "--seed", "2"],
        input=script, capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\x1b" not in out  # no escape codes in a pipe
    assert "Black to play> c3" in out  # the piped line is echoed after the prompt
    assert "save FILE.sgf   save the game as SGF" in out
    assert re.search(r"^White plays [A-E]\d \(win rate \d+%\)\.$", out, re.MULTILINE)
    assert "Illegal move C3: the point is occupied." in out
    assert "Error: unknown command 'hello'" in out
    assert "Took back: White" in out
    assert re.search(r"^ {3}A B C D E$", out, re.MULTILINE)
    assert re.search(r"^ 3 [.+XO ()]+ 3$", out, re.MULTILINE)
    assert "Estimate: " in out
    assert "Black resigns." in out
    assert "Result: W+R (White wins by resignation)." in out
    assert "The game is over: undo, save, load or quit." in out
    assert out.rstrip().endswith("End of input: goodbye.")
    assert load_sgf_file(path).moves


def test_end_of_input_at_once_exits_cleanly():
    done = subprocess.run([*engine_command(), "play", "--size", "5", "--playouts", "10"],
                          input="", capture_output=True, text=True, timeout=60, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert "End of input: goodbye." in done.stdout
    assert done.stderr == ""


# -- analysis ---------------------------------------------------------------------------------


def heat_rows(output: str, size: int) -> list[list[str]]:
    """The cells of the last heat map drawn in ``output`` (top row first)."""
    rows = []
    for line in output.splitlines():
        match = re.fullmatch(r" *(\d+) (.*) (\d+) *", line)
        if match and match[1] == match[3] and len(match[2].split()) == size:
            rows.append(match[2].split())
    return rows[-size:]


def test_heat_levels_and_the_heat_map_drawing():
    visits = np.zeros(26)
    visits[[0, 6, 12, 24]] = [100, 50, 1, 3]  # A5 most visited, B4 half; E1 holds a stone
    assert list(heat_levels(visits)[[0, 6, 12, 24, 1, 25]]) == [9, 5, 1, 1, 0, 0]
    board = Board.from_ascii("""
        . . . . .
        . . . . .
        . . . X .
        . . . . .
        . . . . O
    """)
    assert heat_rows(plain_text(render_heatmap(board, visits, fancy=False)), 5) == [
        ["9", ".", ".", ".", "."], [".", "5", ".", ".", "."], [".", ".", "1", "X", "."],
        [".", ".", ".", ".", "."], [".", ".", ".", ".", "O"]]
    fancy = render_heatmap(board, visits, fancy=True)
    backgrounds = {str(span.style.bgcolor.name) for span in fancy.spans
                   if span.style and span.style.bgcolor}
    assert len(backgrounds) >= 3  # the wood and two heat levels at least


def test_analyze_shows_a_heat_map_and_the_candidates():
    game = Game(7, Rules(komi=0.5))
    console = plain_console()
    lines = deque(["d4", "analyze", "quit"])

    def read_line(prompt: str) -> str | None:
        return lines.popleft() if lines else None

    player = MCTSPlayer(SearchConfig(playouts=400, seed=3))
    session = TerminalSession(game, player, BLACK, console, read_line)
    assert session.run() == 0
    player.close()
    out = console.file.getvalue()
    analysis = out[out.index("Analysis for Black"):]
    assert re.search(r"Analysis for Black: \d+ visits, 400 playouts", analysis)
    heat = heat_rows(analysis[:analysis.index("principal variation")], 7)
    assert len(heat) == 7 and heat[3][3] == "X"  # D4
    digits = [cell for row in heat for cell in row if cell.isdigit()]
    assert "9" in digits and len(digits) >= 5
    table = [line for line in analysis.splitlines() if re.match(r"\s*\d+ \| ", line)]
    assert 1 <= len(table) <= 8
    first = [cell.strip() for cell in table[0].split("|")]
    assert first[0] == "1" and re.fullmatch(r"\d+\.\d%", first[3])
    assert first[6].split()[0] == first[1]  # the variation starts with the move
    assert f"Best: {first[1]} " in analysis
    visits = [int(line.split("|")[2]) for line in table]
    assert visits == sorted(visits, reverse=True)
