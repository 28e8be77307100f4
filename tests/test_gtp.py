"""The GTP engine: every command and error string in process, GNU Go's helper-command formats,
a scripted session with ``go-engine gtp``, and a seeded fuzz of hostile input."""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import engine_command

from go_engine.cli import EngineOptions
from go_engine.interfaces.analysis import parse_info_line
from go_engine.interfaces.gtp import (
    GtpEngine,
    _chains_text,
    preprocess,
    read_lines,
    serve,
    split_lines,
)
from go_engine.interfaces.gtp_client import GtpClient
from go_engine.rules.coords import BLACK, RESIGN, WHITE, from_gtp, to_gtp
from go_engine.rules.game import Game, KoRule, Rules
from go_engine.rules.sgf import load_sgf, save_sgf
from go_engine.search.config import SearchConfig
from go_engine.search.player import Decision
from go_engine.search.time_control import MIN_SEARCH_SECONDS, Clock, TimeControl, TimeSystem

REQUIRED = ["protocol_version", "name", "version", "known_command", "list_commands", "quit",
            "boardsize", "clear_board", "komi", "play", "genmove"]
EXTRA = ["undo", "showboard", "final_score", "final_status_list", "fixed_handicap",
         "place_free_handicap", "set_free_handicap", "time_settings", "time_left",
         "kgs-time_settings", "loadsgf", "printsgf", "reg_genmove", "is_legal", "list_stones",
         "countlib", "captures", "lz-analyze", "lz-genmove_analyze"]


def make_engine(size: int = 9, playouts: int = 20, seconds: float = 0.0,
                rules: Rules | None = None, player=None) -> GtpEngine:
    search = SearchConfig(playouts=playouts, seconds=seconds, seed=1, resign_threshold=0.0)
    return GtpEngine(EngineOptions(size, rules or Rules(), search), player)


@pytest.fixture
def engine():
    engine = make_engine()
    yield engine
    engine.close()


def ask(engine: GtpEngine, line: str | bytes) -> str | None:
    """The full response to ``line`` (ending in a blank line), or None."""
    return engine.handle_line(line)


def ok(engine: GtpEngine, line: str) -> str:
    """The result of a command that must succeed."""
    response = engine.handle_line(line)
    assert response is not None and response.startswith("="), (line, response)
    assert response.endswith("\n\n")
    return response[response.index(" ") + 1:-2] if " " in response.split("\n")[0] else ""


def fails(engine: GtpEngine, line: str) -> str:
    """The error message of a command that must fail."""
    response = engine.handle_line(line)
    assert response is not None and response.startswith("?"), (line, response)
    return response.split(" ", 1)[1].rstrip("\n")


def play_all(engine: GtpEngine, moves: str) -> None:
    color = "b"
    for vertex in moves.split():
        ok(engine, f"play {color} {vertex}")
        color = "w" if color == "b" else "b"


# -- protocol ---------------------------------------------------------------------------------


def test_ids_are_echoed_on_success_and_failure(engine):
    assert ask(engine, "12 name") == "=12 go-engine\n\n"
    assert ask(engine, "007 name") == "=7 go-engine\n\n"
    assert ask(engine, "0 name") == "=0 go-engine\n\n"
    assert ask(engine, "13 foo") == "?13 unknown command\n\n"
    assert ask(engine, "14 boardsize x") == "?14 syntax error\n\n"
    assert ask(engine, "15") == "?15 unknown command\n\n"
    huge = "9" * 5000
    assert ask(engine, f"{huge} name") == f"={huge} go-engine\n\n"


def test_preprocessing_follows_the_spec(engine):
    assert ask(engine, "") is None
    assert ask(engine, "   \t  ") is None
    assert ask(engine, "# a comment line") is None
    assert ask(engine, "name # trailing comment") == "= go-engine\n\n"
    assert ask(engine, "\tname\t") == "= go-engine\n\n"
    assert ask(engine, "1\tname") == "=1 go-engine\n\n"
    assert ask(engine, "na\x00me\r\n") == "= go-engine\n\n"  # control characters vanish
    assert ask(engine, b"na\x01\x7fme\n") == "= go-engine\n\n"
    assert preprocess("play b\tA1 # x\n") == "play b A1"
    assert ask(engine, b"\x00\x01\x02") is None


def test_hostile_bytes_give_errors(engine):
    assert ask(engine, b"\xff\xfe\xfd") == "? unknown command\n\n"
    assert ask(engine, b"3 pl\xc3ay b A1") == "?3 unknown command\n\n"
    assert ask(engine, b"4 play b \xe2\x82\xac1") == "?4 syntax error\n\n"
    assert ask(engine, "5 play b A\u00b2") == "?5 syntax error\n\n"  # a Unicode digit
    assert ask(engine, "6 boardsize \u0661\u0669") == "?6 syntax error\n\n"  # Arabic-Indic 19
    assert ask(engine, "\uff11 name") == "? unknown command\n\n"  # a full-width digit id
    assert ask(engine, "7 " + "x" * 1_000_000) == "?7 unknown command\n\n"
    assert ask(engine, "8 play b " + "A" * 1_000_000) == "?8 syntax error\n\n"
    assert ask(engine, "9 boardsize " + "9" * 100_000) == "?9 syntax error\n\n"
    assert ask(engine, "10 komi " + "9" * 400) == "?10 syntax error\n\n"
    assert ask(engine, "11 __init__") == "?11 unknown command\n\n"
    assert ask(engine, "12 cmd_name") == "?12 unknown command\n\n"
    assert ok(engine, "list_stones black") == ""


def test_every_command_parses_its_arguments_strictly(engine):
    for line in ["protocol_version 1", "name x", "quit now", "known_command", "boardsize",
                 "boardsize 9 9", "clear_board 1", "komi", "komi 1 2", "play b", "play",
                 "play b A1 A2", "genmove", "genmove b w", "undo 1", "final_score x",
                 "final_status_list", "fixed_handicap", "place_free_handicap",
                 "set_free_handicap", "time_settings 1 2", "time_left b 1",
                 "kgs-time_settings", "loadsgf", "reg_genmove", "is_legal b", "list_stones",
                 "countlib", "captures", "showboard x", "printsgf a b", "lz-genmove_analyze",
                 "lz-genmove_analyze 10", "lz-genmove_analyze b x", "lz-analyze x",
                 "lz-analyze b -1", "lz-analyze 10 b", "lz-analyze b 10 20"]:
        assert fails(engine, line) == "syntax error", line
    assert not engine.finished


def test_a_failing_handler_is_an_internal_error_and_the_engine_goes_on(engine, monkeypatch):
    def broken(*args):
        raise RuntimeError("a bug")

    monkeypatch.setitem(engine.commands, "showboard", broken)
    assert ask(engine, "4 showboard") == "?4 internal error\n\n"
    assert ask(engine, "5 name") == "=5 go-engine\n\n"


# -- administrative ---------------------------------------------------------------------------


def test_administrative_commands(engine):
    assert ok(engine, "protocol_version") == "2"
    assert ok(engine, "name") == "go-engine"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*|unknown", ok(engine, "version"))
    listed = ok(engine, "list_commands").split("\n")
    assert listed == sorted(listed)
    assert set(REQUIRED + EXTRA) <= set(listed)
    for command in listed:
        assert ok(engine, f"known_command {command}") == "true"
    assert ok(engine, "known_command foo") == "false"
    assert ok(engine, "known_command cmd_play") == "false"
    assert ask(engine, "9 quit") == "=9 \n\n"
    assert engine.finished


# -- setup ------------------------------------------------------------------------------------


def test_boardsize_and_clear_board(engine):
    play_all(engine, "E5 C3")
    ok(engine, "boardsize 13")
    assert engine.game.size == 13 and engine.game.board.stone_count() == 0
    for bad in ["1", "0", "-3", "26", "99999999999999999999"]:
        assert fails(engine, f"boardsize {bad}") == "unacceptable size"
    for bad in ["x", "9.0", "9x9", "+"]:
        assert fails(engine, f"boardsize {bad}") == "syntax error"
    assert engine.game.size == 13
    ok(engine, "boardsize 2")
    ok(engine, "boardsize 25")
    ok(engine, "play b Z25")
    ok(engine, "clear_board")
    assert engine.game.size == 25 and not engine.game.moves
    assert engine.game.board.stone_count() == 0


def test_komi(engine):
    ok(engine, "komi 6.5")
    assert engine.game.komi == 6.5
    ok(engine, "komi -3")
    ok(engine, "komi 0")
    assert engine.game.komi == 0
    for bad in ["x", "nan", "inf", "-inf", "1e999", "6,5", "1_0"]:
        assert fails(engine, f"komi {bad}") == "syntax error"
    ok(engine, "komi 7.5")
    ok(engine, "clear_board")
    assert engine.game.komi == 7.5  # komi survives clear_board and boardsize
    ok(engine, "boardsize 7")
    assert engine.game.komi == 7.5


def test_fixed_handicap(engine):
    assert ok(engine, "fixed_handicap 2") == "G7 C3"  # board order, as GNU Go prints it
    assert engine.game.to_move == WHITE
    assert fails(engine, "fixed_handicap 2") == "board not empty"
    assert fails(engine, "undo") == "cannot undo"
    ok(engine, "clear_board")
    assert ok(engine, "fixed_handicap 9") == "C7 E7 G7 C5 E5 G5 C3 E3 G3"
    for size, stones in [(9, 1), (9, 10), (9, 0), (9, -1), (8, 5), (5, 2)]:
        ok(engine, f"boardsize {size}")
        assert fails(engine, f"fixed_handicap {stones}") == "invalid handicap"
    ok(engine, "boardsize 19")
    assert ok(engine, "fixed_handicap 4") == "D16 Q16 D4 Q4"
    ok(engine, "clear_board")
    ok(engine, "play b pass")
    assert fails(engine, "fixed_handicap 2") == "board not empty"


def test_place_free_handicap(engine):
    assert ok(engine, "place_free_handicap 3") == "C7 G7 C3"
    assert fails(engine, "place_free_handicap 3") == "board not empty"
    ok(engine, "boardsize 5")
    stones = ok(engine, "place_free_handicap 4").split()
    assert stones == ["B4", "D4", "B2", "D2"]
    assert engine.game.to_move == WHITE
    for size in range(2, 20):
        ok(engine, f"boardsize {size}")
        for bad in [0, 1, size * size, 10**9]:
            assert fails(engine, f"place_free_handicap {bad}") == "invalid handicap"
        for count in sorted({2, 3, 5, 10, size * size // 2, size * size - 1}):
            if count < 2 or count > size * size - 1:
                continue
            ok(engine, "clear_board")
            placed = [from_gtp(v, size) for v in ok(engine, f"place_free_handicap {count}").split()]
            assert 2 <= len(placed) <= count
            assert len(set(placed)) == len(placed)
            assert placed == sorted(placed)
            assert engine.game.board.stone_count() == len(placed)
            for point in placed:
                assert engine.game.board.liberty_count(point) > 0


def test_set_free_handicap(engine):
    ok(engine, "set_free_handicap A1 J9 E5")
    assert sorted(engine.game.handicap) == sorted(from_gtp(v, 9) for v in ["A1", "J9", "E5"])
    assert engine.game.to_move == WHITE
    assert fails(engine, "set_free_handicap B2 C3") == "board not empty"
    ok(engine, "clear_board")
    for bad in ["A1", "A1 A1", "A1 pass", "pass pass"]:
        assert fails(engine, f"set_free_handicap {bad}") == "bad vertex list"
    assert fails(engine, "set_free_handicap A1 Z9") == "syntax error"
    assert fails(engine, "set_free_handicap A1 I3") == "syntax error"
    ok(engine, "boardsize 2")
    assert fails(engine, "set_free_handicap A1 A2 B1 B2") == "bad vertex list"
    assert engine.game.board.stone_count() == 0
    ok(engine, "set_free_handicap A1 B2")


# -- play -------------------------------------------------------------------------------------


def test_play_and_its_errors(engine):
    ok(engine, "play b E5")
    ok(engine, "play WHITE e6")
    ok(engine, "play Black pass")
    ok(engine, "play w PASS")
    assert fails(engine, "play b E5") == "illegal move"
    for bad in ["x E5", "b Z9", "b J10", "b A0", "b I5", "b E", "b 5", "b resign", "b E5.0",
                "bw E5", "b E05x", "b -E5"]:
        assert fails(engine, f"play {bad}") == "syntax error", bad


def test_simple_ko_and_suicide_are_illegal(engine):
    ok(engine, "boardsize 5")
    # . X O . .
    # X O . O .     Black C4 takes B4; White may not take back at once.
    # . X O . .
    for command in ["b B5", "b A4", "b B3", "w C5", "w B4", "w D4", "w C3", "b C4"]:
        ok(engine, f"play {command}")
    assert ok(engine, "list_stones white") == "C5 D4 C3"
    assert fails(engine, "play w B4") == "illegal move"
    assert ok(engine, "is_legal w B4") == "0"
    ok(engine, "play w E1")
    ok(engine, "play b E2")
    ok(engine, "play w B4")  # now it is legal: the ko threat was answered
    ok(engine, "clear_board")
    ok(engine, "play w A2")
    ok(engine, "play w B1")
    assert fails(engine, "play b A1") == "illegal move"  # suicide
    assert ok(engine, "is_legal b A1") == "0"


def test_genmove_plays_a_legal_move(engine):
    moves = []
    for color in "bwbwb":
        vertex = ok(engine, f"genmove {color}")
        point = from_gtp(vertex, 9)
        assert point != RESIGN
        moves.append(point)
    assert [m.point for m in engine.game.moves] == moves
    assert [m.color for m in engine.game.moves] == [BLACK, WHITE, BLACK, WHITE, BLACK]
    ok(engine, "genmove b")  # out of turn is allowed
    assert engine.game.moves[-1].color == BLACK
    assert fails(engine, "genmove x") == "syntax error"


def test_reg_genmove_changes_nothing(engine):
    play_all(engine, "E5 C3")
    before = (ok(engine, "list_stones black"), ok(engine, "list_stones white"),
              len(engine.game.moves), engine.game.to_move)
    vertex = ok(engine, "reg_genmove b")
    assert engine.game.is_legal(from_gtp(vertex, 9), BLACK)
    after = (ok(engine, "list_stones black"), ok(engine, "list_stones white"),
             len(engine.game.moves), engine.game.to_move)
    assert before == after


class ScriptedPlayer:
    """A stand-in player that answers genmove from a list of moves."""

    def __init__(self, moves: list[int]) -> None:
        self.moves = list(moves)
        self.calls: list[dict] = []

    def genmove(self, game, color=None, *, playouts=None, seconds=None, timer=None,
                **options) -> Decision:
        self.calls.append({"playouts": playouts, "seconds": seconds, "color": color,
                           "timer": timer, **options})
        return Decision(self.moves.pop(0), None, "scripted")

    def new_game(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_resignation_is_answered_and_the_game_may_go_on():
    player = ScriptedPlayer([from_gtp("E5", 9), RESIGN, RESIGN])
    engine = make_engine(player=player)
    assert ok(engine, "genmove b") == "E5"
    assert ok(engine, "genmove w") == "resign"
    assert ok(engine, "final_score") == "B+R"
    sgf = load_sgf(ok(engine, "printsgf"))
    assert sgf.result == "B+R" and len(sgf.moves) == 1
    ok(engine, "play w C3")  # the controller goes on: the resignation is forgotten
    assert ok(engine, "final_score") != "B+R"
    assert ok(engine, "genmove b") == "resign"
    assert ok(engine, "final_score") == "W+R"
    ok(engine, "undo")
    assert ok(engine, "list_stones white") == ""
    assert ok(engine, "final_score") != "W+R"


def test_undo(engine):
    assert fails(engine, "undo") == "cannot undo"
    play_all(engine, "E5 C3 pass")
    ok(engine, "undo")
    ok(engine, "undo")
    assert ok(engine, "list_stones white") == ""
    assert engine.game.to_move == WHITE
    ok(engine, "undo")
    assert fails(engine, "undo") == "cannot undo"
    ok(engine, "genmove b")
    ok(engine, "undo")
    assert engine.game.board.stone_count() == 0


def test_showboard_draws_like_gnugo(engine):
    play_all(engine, "C3 D3")
    board = ok(engine, "showboard")
    lines = board.split("\n")
    assert lines[0] == ""
    assert lines[1] == "   A B C D E F G H J"
    assert lines[2] == " 9 . . . . . . . . . 9"
    assert lines[8] == " 3 . . X O . . . . . 3"
    assert lines[9] == " 2 . . . . . . . . . 2     WHITE (O) has captured 0 stones"
    assert lines[10] == " 1 . . . . . . . . . 1     BLACK (X) has captured 0 stones"
    assert lines[11] == lines[1]
    ok(engine, "boardsize 19")
    assert ok(engine, "showboard").split("\n")[2].startswith("19 . .")


# -- scoring ----------------------------------------------------------------------------------


SETTLED = """
(;GM[1]FF[4]SZ[5]KM[0.5]RU[Chinese]
;B[cc];W[dc];B[ca];W[da];B[cb];W[db];B[cd];W[dd];B[ce];W[de]
;B[bb];W[ac];B[tt];W[tt])
"""


def test_final_score_and_status_lists(engine, tmp_path):
    # Black owns columns A-C, White D-E; a white stone sits dead in Black's area at A3.
    path = tmp_path / "settled.sgf"
    path.write_text(SETTLED)
    ok(engine, f"loadsgf {path}")
    assert ok(engine, "final_score") == "B+4.5"  # 15 - 10 - 0.5
    assert ok(engine, "final_status_list dead") == "A3"
    assert ok(engine, "final_status_list seki") == ""
    alive = ok(engine, "final_status_list alive")
    assert alive.split("\n") == ["C5 B4 C4 C3 C2 C1", "D5 D4 D3 D2 D1"]
    assert ok(engine, "final_status_list ALIVE") == alive
    assert fails(engine, "final_status_list dying") == "syntax error"
    record = load_sgf(ok(engine, "printsgf"))
    assert record.result == "B+4.5"


def test_status_lists_give_one_chain_a_line_in_board_order(engine):
    play_all(engine, "E5 E6 D6 B2 pass C2 pass C3")
    alive = ok(engine, "final_status_list alive")
    dead = ok(engine, "final_status_list dead")
    lines = [line for line in (alive + "\n" + dead).split("\n") if line]
    stones = sorted(v for line in lines for v in line.split())
    assert stones == sorted(["E5", "E6", "D6", "B2", "C2", "C3"])
    assert _chains_text(engine.game.board, {from_gtp(v, 9) for v in stones}).split("\n") == [
        "D6", "E6", "E5", "C3 B2 C2"]  # as GNU Go orders its dragons


# -- time -------------------------------------------------------------------------------------


def test_time_commands_store_settings(engine):
    ok(engine, "time_settings 300 30 5")
    assert engine.time_control == TimeControl(TimeSystem.CANADIAN, 300, 30, 5)
    ok(engine, "time_settings 60 0 0")
    assert engine.time_control == TimeControl(TimeSystem.ABSOLUTE, 60)
    ok(engine, "time_settings 0 1 0")
    assert engine.time_control.system == TimeSystem.NONE
    ok(engine, "time_left b 12 3")
    assert engine.clocks[BLACK] == Clock(12, 3)
    ok(engine, "kgs-time_settings none")
    assert engine.time_control.system == TimeSystem.NONE
    ok(engine, "kgs-time_settings absolute 600")
    assert engine.time_control == TimeControl(TimeSystem.ABSOLUTE, 600)
    ok(engine, "kgs-time_settings byoyomi 600 30 5")
    assert engine.time_control == TimeControl(TimeSystem.BYOYOMI, 600, 30, 5)
    ok(engine, "kgs-time_settings canadian 600 300 25")
    assert engine.time_control == TimeControl(TimeSystem.CANADIAN, 600, 300, 25)
    for bad in ["time_settings -1 0 0", "time_settings a b c", "time_settings 1 2 3.5",
                "time_left x 10 0", "time_left b -1 0", "time_left b 10 -2",
                "kgs-time_settings fischer 1 2", "kgs-time_settings none 5",
                "kgs-time_settings absolute", "kgs-time_settings byoyomi 1 2",
                "kgs-time_settings canadian 1 2 3 4", "kgs-time_settings absolute nan"]:
        assert fails(engine, bad) == "syntax error", bad


def test_genmove_gets_a_timer_from_the_clock_capped_by_the_time_option():
    player = ScriptedPlayer([from_gtp(v, 9) for v in ["E5", "C3", "G7", "D4", "B2", "H8"]])
    engine = make_engine(player=player, playouts=500, seconds=3.0)
    ok(engine, "genmove b")
    call = player.calls[-1]
    assert (call["playouts"], call["seconds"], call["color"], call["timer"]) == (
        500, 3.0, BLACK, None)  # no clock: the fixed limits alone
    ok(engine, "time_settings 0 10 5")  # Canadian: 10 s for 5 stones
    ok(engine, "genmove w")
    allotment = player.calls[-1]["timer"].allotment
    assert allotment.base == pytest.approx(1.5)  # 2 s a stone, less a quarter kept back
    assert allotment.limit == pytest.approx(3.0)  # a hard move may take twice as much (and
    # leaves 7 s, half a share for each of the 4 other stones plus the margin)
    ok(engine, "time_settings 1000 0 0")
    ok(engine, "genmove b")
    allotment = player.calls[-1]["timer"].allotment
    assert allotment.base == 3.0 and allotment.limit == 3.0  # --time is smaller
    ok(engine, "time_left w 1 0")  # one second of absolute time: the floor applies
    ok(engine, "genmove w")
    allotment = player.calls[-1]["timer"].allotment
    assert allotment.base == pytest.approx(MIN_SEARCH_SECONDS)
    ok(engine, "time_settings 0 10 5")
    ok(engine, "time_left b 0.2 1")
    ok(engine, "genmove b")
    allotment = player.calls[-1]["timer"].allotment
    assert allotment.base == allotment.limit == pytest.approx(0.15)  # the period's last
    # stone: all but the margin
    ok(engine, "kgs-genmove_cleanup b")
    assert player.calls[-1]["cleanup"] is True


def test_the_clock_stops_a_search_that_playouts_would_not():
    engine = make_engine(playouts=10**9)
    ok(engine, "time_settings 0 1 1")  # one second a move
    start = time.perf_counter()
    vertex = ok(engine, "genmove b")
    elapsed = time.perf_counter() - start
    # The budget is 1 s less a quarter kept back; a move the timer finds decided may stop
    # sooner, but never before the early share (a tenth of the base) has passed.
    assert 0.07 < elapsed < 1.5
    assert engine.game.moves[-1].point == from_gtp(vertex, 9)
    engine.close()


# -- KGS cleanup -----------------------------------------------------------------------------


def test_cleanup_genmove_captures_a_dead_stone_before_passing(tmp_path):
    engine = make_engine(size=7, playouts=200, rules=Rules(komi=-2.5))
    rows = [". X . X O . .", "X . X X O . .", ". O . X O . .", "X . . X O . .",
            ". X . X O . .", "X . X X O . .", ". X . X O . ."]  # B5 is dead (test_player)
    black = [to_gtp(r * 7 + c, 7) for r, row in enumerate(rows)
             for c, mark in enumerate(row.split()) if mark == "X"]
    white = [to_gtp(r * 7 + c, 7) for r, row in enumerate(rows)
             for c, mark in enumerate(row.split()) if mark == "O"]
    for b, w in zip(black, white + ["pass"] * (len(black) - len(white)), strict=True):
        ok(engine, f"play b {b}")
        ok(engine, f"play w {w}")
    assert ok(engine, "final_status_list dead") == "B5"
    for _ in range(10):
        vertex = ok(engine, "kgs-genmove_cleanup b")
        if vertex == "pass":
            break
        ok(engine, "play w pass")
    assert ok(engine, "final_status_list dead") == ""
    assert "B5" not in ok(engine, "list_stones white")
    engine.close()


# -- analysis (Leela Zero's lz-analyze) -------------------------------------------------------


def check_info(line: str, game: Game, color: int):
    """Parse an info line and check it: fields, ranges, order, legal moves, variations."""
    ranked = parse_info_line(line, game.size)
    assert ranked, line
    assert [c.order for c in ranked] == list(range(len(ranked)))
    visits = [c.visits for c in ranked]
    assert visits == sorted(visits, reverse=True) and visits[-1] > 0
    assert len({c.move for c in ranked}) == len(ranked)
    for c in ranked:
        assert 0 <= c.lcb <= c.winrate <= 1 and 0 <= c.prior <= 1
        assert game.is_legal(c.move, color)
        assert c.pv[0] == c.move and all(0 <= p <= game.size ** 2 for p in c.pv)
    return ranked


class ServedEngine:
    """:func:`serve` on a thread, talking through OS pipes as a GUI would."""

    def __init__(self, engine: GtpEngine) -> None:
        read_in, self._write_in = os.pipe()
        self._read_out, write_out = os.pipe()
        self.stdin = os.fdopen(read_in, "rb", buffering=0)
        self.stdout = os.fdopen(write_out, "wb")
        self.engine = engine
        self.lines: queue.Queue[str] = queue.Queue()
        self.server = threading.Thread(target=self._serve, daemon=True)
        self.server.start()
        threading.Thread(target=self._read, daemon=True).start()

    def _serve(self) -> None:
        serve(self.engine, self.stdin, self.stdout)
        self.stdout.close()

    def _read(self) -> None:
        with os.fdopen(self._read_out, "rb") as out:
            for line in out:
                self.lines.put(line.decode().rstrip())

    def send(self, text: str) -> None:
        os.write(self._write_in, text.encode())

    def line(self, timeout: float = 30.0) -> str:
        return self.lines.get(timeout=timeout)

    def answer(self) -> str:
        """The next whole answer (lines up to the blank line)."""
        lines = []
        while (line := self.line()) != "":
            lines.append(line)
        return "\n".join(lines)

    def close(self) -> None:
        os.close(self._write_in)  # end of input ends serve()
        self.server.join(timeout=30)
        assert not self.server.is_alive()
        self.engine.close()


def test_lz_analyze_streams_until_the_next_command_which_is_answered():
    engine = make_engine(size=9, playouts=20)
    served = ServedEngine(engine)
    served.send("1 play b E5\n2 play w C3\n")
    assert served.answer() == "=1" and served.answer() == "=2"
    served.send("3 lz-analyze 5\n")  # Black to move, a line every 50 ms
    assert served.line() == "=3"
    infos = [served.line() for _ in range(4)]
    totals = [sum(c.visits for c in check_info(line, engine.game, BLACK)) for line in infos]
    assert totals == sorted(totals) and totals[-1] > totals[0]  # the search goes on
    assert totals[-1] > 20  # beyond the per-move playout limit: it runs until interrupted
    served.send("4 name\n")
    while (line := served.line()) != "":  # the analysis ends with its blank line...
        assert line.startswith("info move ")
    assert served.answer() == "=4 go-engine"  # ...and the next command is answered
    time.sleep(0.3)
    assert served.lines.empty()  # the search has stopped: nothing more comes
    assert len(engine.game.moves) == 2  # analysis plays nothing
    served.send("5 lz-analyze w 5\n")  # the other colour, out of turn
    assert served.line() == "=5"
    check_info(served.line(), engine.game, WHITE)
    served.send("6 lz-analyze 0\n7 name\n")  # interval 0: silent; the next line is there
    rest = served.answer()  # the end of 5: the info lines still on their way, if any
    assert all(line.startswith("info") for line in rest.split("\n") if line)
    assert served.answer() == "=6"  # at once, so it stops at once
    assert served.answer() == "=7 go-engine"
    served.close()


def test_lz_analyze_in_process_runs_for_the_move_limit(engine):
    play_all(engine, "E5")
    response = ask(engine, "7 lz-analyze 1")
    lines = response.split("\n")
    assert lines[0] == "=7" and response.endswith("\n\n")
    ranked = check_info(lines[-3], engine.game, WHITE)
    assert sum(c.visits for c in ranked) >= 20  # the engine's 20 playouts
    assert ask(engine, "lz-analyze 0") == "=\n\n"  # no interval, no lines


def test_lz_genmove_analyze_reports_and_plays_a_legal_move():
    engine = make_engine(size=9, playouts=400)
    served = ServedEngine(engine)
    served.send("1 lz-genmove_analyze b 1\n")
    lines = served.answer().split("\n")
    assert lines[0] == "=1" and lines[-1].startswith("play ")
    infos = lines[1:-1]
    assert infos
    game = Game(9)
    for line in infos:
        check_info(line, game, BLACK)
    vertex = lines[-1].split()[1]
    assert game.is_legal(from_gtp(vertex, 9), BLACK)
    assert parse_info_line(infos[-1], 9)[0].move == from_gtp(vertex, 9)  # the final stats
    served.send("2 list_stones black\n")
    assert served.answer() == f"=2 {vertex}"  # the move was played
    served.close()


@pytest.mark.parametrize("ponder", [True, False])
def test_pondering_grows_the_tree_for_the_next_move(ponder):
    search = SearchConfig(playouts=50, seed=1, resign_threshold=0.0)
    engine = GtpEngine(EngineOptions(9, Rules(), search, ponder=ponder))
    served = ServedEngine(engine)
    served.send("1 genmove b\n")
    assert served.answer().startswith("=1 ")
    time.sleep(0.5)  # the opponent thinks
    served.send("2 name\n")
    assert served.answer() == "=2 go-engine"
    pondered = engine.last_ponder
    assert (pondered is not None) == ponder
    reply = pondered.move if ponder else from_gtp("E5", 9)
    served.send(f"3 play w {to_gtp(reply, 9)}\n4 genmove b\n")
    assert served.answer() == "=3" and served.answer().startswith("=4 ")
    visits = int(engine.last_decision.search.visits.sum())
    if ponder:
        assert pondered.playouts > 200
        assert visits > 100  # the pondered subtree under White's reply, and 50 more
    else:
        assert visits <= 60  # only this move's search (and what the first left there)
    served.close()


def test_the_gtp_command_ponders_and_analyzes_as_a_process(tmp_path):
    proc = EngineProcess(engine_command("gtp", "--size", "9", "--playouts", "30", "--ponder"),
                         tmp_path)
    vertex = proc.ask("1 genmove b")[len("=1 "):]
    game = Game(9)
    game.play(from_gtp(vertex, 9))
    time.sleep(0.3)  # pondering
    proc.write(b"2 lz-analyze 2\n")
    assert proc.lines.get(timeout=30) == b"=2\n"
    check_info(proc.lines.get(timeout=30).decode(), game, WHITE)
    proc.write(b"3 name\n")
    rest = proc.response()  # the end of the analysis: info lines still on their way, if any
    assert all(line.startswith("info move ") for line in rest.splitlines())
    assert proc.response() == "=3 go-engine"
    assert proc.close() == 0


def test_split_lines_keeps_lines_whole_across_chunks():
    data = [b"ab", b"c\nde", b"f\n\ng", b"x" * 30 + b"\n", b"h"]
    assert list(split_lines(data, max_line=10)) == [
        (b"abc\n", False), (b"def\n", False), (b"\n", False), (b"g" + b"x" * 9, True),
        (b"h", False)]
    assert list(split_lines([b"0123456789"], max_line=10)) == [(b"0123456789", True)]
    assert list(split_lines([b"012345678\n"], max_line=10)) == [(b"012345678\n", False)]


# -- SGF --------------------------------------------------------------------------------------


def write_game(tmp_path: Path) -> Path:
    game = Game(9, Rules(komi=6.5))
    for vertex in ["E5", "C5", "G3", "C3"]:
        game.play(from_gtp(vertex, 9))
    path = tmp_path / "game.sgf"
    path.write_bytes(save_sgf(game))
    return path


def test_loadsgf(engine, tmp_path):
    path = write_game(tmp_path)
    ok(engine, "boardsize 13")
    assert ok(engine, f"loadsgf {path}") == ""
    assert engine.game.size == 9 and engine.game.komi == 6.5
    assert ok(engine, "list_stones black") == "E5 G3"
    assert ok(engine, "list_stones white") == "C5 C3"
    ok(engine, f"loadsgf {path} 3")  # the position before move 3
    assert ok(engine, "list_stones black") == "E5"
    assert ok(engine, "list_stones white") == "C5"
    assert engine.game.to_move == BLACK
    ok(engine, f"loadsgf {path} 1")
    assert engine.game.board.stone_count() == 0
    ok(engine, f"loadsgf {path} 99")
    assert len(engine.game.moves) == 4
    ok(engine, "undo")
    assert len(engine.game.moves) == 3
    assert fails(engine, f"loadsgf {path} 0") == "syntax error"
    assert fails(engine, f"loadsgf {path} x") == "syntax error"
    garbage = tmp_path / "garbage.sgf"
    garbage.write_bytes(b"\x00\xffnot sgf at all")
    bad_move = tmp_path / "bad.sgf"
    bad_move.write_text("(;GM[1]SZ[9];B[ee];W[ee])")
    for name in [tmp_path / "missing.sgf", garbage, bad_move, tmp_path, "/dev/zero"]:
        assert fails(engine, f"loadsgf {name}") == "cannot load file"
    assert len(engine.game.moves) == 3  # a failed load changes nothing


def test_printsgf(engine, tmp_path):
    ok(engine, "komi 5.5")
    ok(engine, "fixed_handicap 2")
    ok(engine, "play w E5")
    ok(engine, "genmove b")
    text = ok(engine, "printsgf")
    assert "\n\n" not in text
    record = load_sgf(text)
    assert record.size == 9 and record.komi == 5.5
    assert sorted(record.handicap) == sorted(engine.game.handicap)
    assert [(m.color, m.point) for m in record.moves] == [
        (m.color, m.point) for m in engine.game.moves]
    assert record.comments[1]  # the engine's move carries its search summary
    path = tmp_path / "out.sgf"
    assert ok(engine, f"printsgf {path}") == ""
    assert load_sgf(path.read_bytes()).moves == record.moves
    assert fails(engine, f"printsgf {tmp_path / 'no' / 'such' / 'dir.sgf'}") == "cannot save file"
    assert fails(engine, f"printsgf {tmp_path}") == "cannot save file"


# -- GNU Go's helper commands -----------------------------------------------------------------


def test_helper_commands(engine):
    play_all(engine, "C3 D3 E5 A1 A2 pass B1")  # black B1 captures A1
    assert ok(engine, "list_stones black") == "E5 C3 A2 B1"
    assert ok(engine, "list_stones white") == "D3"
    assert ok(engine, "list_stones b") == "E5 C3 A2 B1"
    assert ok(engine, "is_legal b C3") == "0"
    assert ok(engine, "is_legal w A1") == "0"  # suicide
    assert ok(engine, "is_legal w C1") == "1"
    assert ok(engine, "is_legal w pass") == "1"
    assert ok(engine, "countlib C3") == "3"
    assert ok(engine, "countlib A2") == "3"
    assert ok(engine, "countlib D3") == "3"
    assert ok(engine, "captures black") == "1"
    assert ok(engine, "captures white") == "0"
    assert fails(engine, "countlib E6") == "vertex must not be empty"
    for bad in ["countlib pass", "countlib Z1", "is_legal b resign", "is_legal x C4",
                "list_stones empty", "captures", "captures both"]:
        assert fails(engine, bad) == "syntax error", bad


def random_gtp_game(size: int, moves: int, seed: int) -> list[tuple[int, int]]:
    """A random legal game under simple ko (what GNU Go plays by default)."""
    rng = np.random.default_rng(seed)
    game = Game(size, Rules(ko_rule=KoRule.SIMPLE))
    played = []
    for _ in range(moves):
        legal = np.flatnonzero(game.legal_moves()[:-1])
        if len(legal) == 0 or rng.random() < 0.03:
            point = game.pass_point
        else:
            point = int(rng.choice(legal))
        played.append((game.to_move, point))
        game.play(point)
    return played


@pytest.mark.parametrize("size, moves, seed", [(9, 60, 1), (9, 140, 2), (7, 90, 3),
                                               (13, 120, 4)])
def test_helper_commands_answer_like_gnugo(gnugo_path, size, moves, seed):
    """Same moves into both engines; is_legal, list_stones, countlib and captures agree
    character for character."""
    engine = make_engine(size=size, rules=Rules(ko_rule=KoRule.SIMPLE))
    with GtpClient([gnugo_path, "--mode", "gtp"]) as gnugo:
        gnugo.send(f"boardsize {size}")
        gnugo.send("clear_board")
        for color, point in random_gtp_game(size, moves, seed):
            command = f"play {'b' if color == BLACK else 'w'} {to_gtp(point, size)}"
            gnugo.send(command)
            ok(engine, command)
        queries = ["list_stones black", "list_stones white", "captures black",
                   "captures white"]
        for point in range(size * size):
            vertex = to_gtp(point, size)
            queries += [f"is_legal black {vertex}", f"is_legal white {vertex}"]
            if engine.game.board.color_at(point):
                queries.append(f"countlib {vertex}")
        theirs = gnugo.batch(queries)
    for query, (good, answer) in zip(queries, theirs, strict=True):
        assert good, query
        assert ok(engine, query) == answer, query
    engine.close()


# -- I/O --------------------------------------------------------------------------------------


def test_serve_reads_bytes_and_stops_at_quit(engine):
    stdin = io.BytesIO(b"1 name\n\n# note\n2 foo\r\n3 quit\n4 name\n")
    stdout = io.BytesIO()
    serve(engine, stdin, stdout)
    assert stdout.getvalue() == b"=1 go-engine\n\n?2 unknown command\n\n=3 \n\n"


def test_over_long_lines_are_read_to_the_end_and_refused(engine):
    stdin = io.BytesIO(b"5 play b " + b"A" * 5000 + b"\n6 zz" + b"z" * 5000 + b"\n7 name")
    stdout = io.BytesIO()
    serve(engine, stdin, stdout, max_line=1000)
    assert stdout.getvalue() == b"?5 syntax error\n\n?6 unknown command\n\n=7 go-engine\n\n"
    lines = list(read_lines(io.BytesIO(b"ab\n" + b"c" * 25 + b"\nd"), max_line=10))
    assert lines == [(b"ab\n", False), (b"c" * 10, True), (b"d", False)]


# -- as a real process ------------------------------------------------------------------------


class EngineProcess:
    """``go-engine gtp`` with a thread draining its stdout, so huge writes cannot deadlock."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL, cwd=cwd)
        self.lines: queue.Queue[bytes] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(b"")

    def write(self, data: bytes) -> None:
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def response(self, timeout: float = 30.0) -> str:
        """The next full response, without its closing blank line."""
        lines = []
        while True:
            line = self.lines.get(timeout=timeout)
            if line == b"":
                raise AssertionError(f"the engine died (exit {self.process.poll()})")
            if line == b"\n":
                return b"".join(lines).decode("utf-8", "replace").rstrip()
            lines.append(line)

    def ask(self, command: str) -> str:
        self.write(command.encode() + b"\n")
        return self.response()

    def close(self) -> int:
        if self.process.poll() is None:
            self.write(b"quit\n")
            assert self.response() == "="
        return self.process.wait(timeout=30)


def test_scripted_session(tmp_path):
    proc = EngineProcess(engine_command("gtp", "--size", "9", "--playouts", "20", "--seed",
                                        "3"), tmp_path)
    script = [
        ("1 protocol_version", "=1 2"), ("2 name", "=2 go-engine"),
        ("boardsize 7", "="), ("komi 0.5", "="), ("clear_board", "="),
        ("3 play b D4", "=3"), ("play w D4", "? illegal move"), ("4 play x D4", "?4 syntax error"),
        ("foo", "? unknown command"), ("list_stones black", "= D4"),
        ("countlib D4", "= 4"), ("undo", "="), ("undo", "? cannot undo"),
        ("fixed_handicap 2", "= E5 C3"), ("is_legal w C3", "= 0"),
        ("boardsize 30", "? unacceptable size"), ("known_command genmove", "= true"),
    ]
    for command, expected in script:
        assert proc.ask(command) == expected, command
    vertex = proc.ask("5 genmove w")
    assert re.fullmatch(r"=5 ([A-HJ-Z]\d+|pass)", vertex), vertex
    vertex = proc.ask("genmove black")
    assert re.fullmatch(r"= ([A-HJ-Z]\d+|pass)", vertex), vertex
    board = proc.ask("showboard")
    assert board.startswith("= \n   A B C D E F G")
    assert proc.ask("final_score").startswith(("= B+", "= W+", "= 0"))
    assert proc.ask("printsgf").startswith("= (;")
    assert proc.close() == 0


def test_end_of_input_ends_the_engine_cleanly(tmp_path):
    result = subprocess.run(engine_command("gtp", "--size", "5", "--playouts", "10"),
                            input=b"name\nplay b C3\ngenmove w\n", capture_output=True,
                            timeout=60, cwd=tmp_path)
    assert result.returncode == 0
    answers = result.stdout.decode().split("\n\n")
    assert answers[0] == "= go-engine" and answers[1] == "= "
    assert re.fullmatch(r"= ([A-E]\d|pass)", answers[2])
    assert b"genmove" in result.stderr  # logs go to stderr, never to stdout


# -- fuzz -------------------------------------------------------------------------------------


KNOWN = REQUIRED + EXTRA + ["kgs-genmove_cleanup"]


class HostileLines:
    """Lines every one of which must fail, whatever the position (once a move is on the
    board), built from a seeded generator."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        self.rng = rng
        self.size = size

    def pick(self, options):
        return options[int(self.rng.integers(len(options)))]

    def junk(self, length: int) -> bytes:
        data = self.rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        return data.replace(b"\n", b" ")

    def token(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+.:/"
        length = int(self.rng.integers(1, 12))
        return "".join(self.pick(alphabet) for _ in range(length))

    def bad_vertex(self) -> str:
        size = self.size
        return self.pick([
            f"{self.pick('ABCDEFGH')}{size + int(self.rng.integers(1, 10**6))}",
            f"{self.pick('KLMNOPQRSTUVWXYZ')}{int(self.rng.integers(1, size + 1))}",
            f"I{int(self.rng.integers(1, size + 1))}", "A0", "A-1", "pas", "passs", "resign",
            "", "AA1", "1A", str(10**30), "A" + "9" * 40, "\u00c91", "A\u0661", self.token() + "@",
        ])

    def bad_number(self) -> str:
        return self.pick(["x", "1e99999", "nan", "inf", "-inf", "9" * 400, "--1", "1..2",
                          "0x10", "1_000", "\u0661", "1/2", str(-(10**40))])

    def line(self) -> bytes:
        kind = int(self.rng.integers(12))
        if kind in (7, 8) and self.rng.random() < 0.8:  # keep the megabyte lines rare
            kind = 0
        if kind == 0:
            return self.junk(int(self.rng.integers(1, 200)))
        if kind == 1:
            return b"\x00" * int(self.rng.integers(1, 10)) + b"play\x00 b"
        if kind == 2:
            name = self.token()
            return (name if name not in KNOWN else name + "~").encode()
        if kind == 3:
            return f"play {self.pick(['b', 'w'])} {self.bad_vertex()}".encode()
        if kind == 4:
            return f"play {self.pick(['x', 'blue', 'bb', '', '1'])} E5".encode()
        if kind == 5:
            command = self.pick(["boardsize", "komi", "fixed_handicap", "place_free_handicap",
                                 "time_settings 1 1", "time_left b 1", "loadsgf x.sgf",
                                 "final_status_list", "known_command"])
            return f"{command} {self.bad_number()} {self.token()}".encode()
        if kind == 6:
            return self.pick([b"boardsize 0", b"boardsize 26", b"boardsize -9", b"undo 1",
                              b"boardsize 100000000000000000000", b"genmove", b"genmove red",
                              b"fixed_handicap 2", b"set_free_handicap A1 B2",
                              b"place_free_handicap 4", b"loadsgf /nonexistent/x.sgf",
                              b"printsgf /nonexistent/dir/x.sgf", b"final_status_list zombie",
                              b"kgs-time_settings sudden 1", b"is_legal b", b"countlib pass",
                              b"list_stones gray", b"captures", b"reg_genmove"])
        if kind == 7:
            return b"x" * int(self.rng.integers(500_000, 1_100_000))
        if kind == 8:
            return b"play b " + b"A1" * int(self.rng.integers(100_000, 500_000))
        if kind == 9:
            return b"\xc3\x28 \xa0\xa1 \xf0\x28\x8c\x28 \xed\xa0\x80 " + self.junk(20)
        if kind == 10:
            words = [self.token() for _ in range(int(self.rng.integers(1, 8)))]
            if words[0] in KNOWN:
                words[0] += "!"
            return " ".join(words).encode()
        return f"{self.pick(KNOWN)} {' '.join(self.token() for _ in range(6))} {{".encode()


def test_fuzz_hostile_lines_get_errors_and_the_game_goes_on(tmp_path):
    size = 9
    rng = np.random.default_rng(20240601)
    hostile = HostileLines(rng, size)
    proc = EngineProcess(engine_command("gtp", "--size", str(size), "--playouts", "20",
                                        "--seed", "5", "--resign-threshold", "0"), tmp_path)
    shadow = Game(size)
    ident = 1

    def good(command: str) -> str:
        nonlocal ident
        ident += 1
        proc.write(f"{ident} {command}\n".encode())
        answer = proc.response()
        assert answer.startswith(f"={ident}"), (command, answer)
        return answer[len(f"={ident}"):].strip()

    # A first move, so that the handicap commands fail with 'board not empty'.
    vertex = good("genmove b")
    shadow.play(from_gtp(vertex, size), BLACK)
    hostile_count = 0
    for round_number in range(240):
        batch = []
        for _ in range(int(rng.integers(5, 20))):
            ident += 1
            batch.append((ident, hostile.line()))
        proc.write(b"".join(b"%d " % i + line + b"\n" for i, line in batch))
        for i, line in batch:
            answer = proc.response()
            assert answer.startswith(f"?{i} "), (line[:80], answer[:80])
        hostile_count += len(batch)
        color = BLACK if round_number % 2 else WHITE
        name = "b" if color == BLACK else "w"
        if round_number % 3 == 0:
            legal = np.flatnonzero(shadow.legal_moves(color)[:-1])
            point = int(rng.choice(legal)) if len(legal) else shadow.pass_point
            assert good(f"play {name} {to_gtp(point, size)}") == ""
        else:
            vertex = good(f"genmove {name}")
            point = from_gtp(vertex, size)
            assert point != RESIGN
            assert shadow.is_legal(point, color), vertex
        shadow.play(point, color)
    assert hostile_count > 2000
    assert good("list_stones black") == " ".join(
        to_gtp(p, size) for p in shadow.board.points_of(BLACK))
    assert good("list_stones white") == " ".join(
        to_gtp(p, size) for p in shadow.board.points_of(WHITE))
    # Over-long (past the 4 MiB limit) and an unterminated last line.
    proc.write(b"77 play b " + b"Z" * (5 << 20) + b"\n")
    assert proc.response(timeout=60) == "?77 syntax error"
    assert proc.close() == 0
    assert not list(tmp_path.iterdir())  # no hostile line wrote a file


@pytest.mark.skipif(os.name != "posix", reason="POSIX pipes")
def test_a_closed_output_pipe_does_not_hang(tmp_path):
    proc = subprocess.Popen(engine_command("gtp", "--size", "5", "--playouts", "10"),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, cwd=tmp_path)
    proc.stdout.close()
    try:
        proc.stdin.write(b"name\n" * 1000)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    assert proc.wait(timeout=60) == 0
