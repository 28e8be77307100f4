"""``go-engine match``: statistics worked by hand, engine specs, real matches on 5x5, and
engines that crash, cheat, err or hang (a fake GTP engine written to a temporary file)."""

from __future__ import annotations

import dataclasses
import json
import math
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from go_engine.cli import main
from go_engine.interfaces.match import (
    Ending,
    GameRecord,
    MatchConfig,
    Referee,
    in_index_order,
    player_seed,
    run_match,
)
from go_engine.interfaces.match_players import parse_spec
from go_engine.ratings import (
    Decision,
    MatchScore,
    Sprt,
    elo_difference,
    elo_interval,
    expected_score,
    wilson_interval,
)
from go_engine.rules.sgf import load_sgf_file

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# A GTP engine in a few lines: it plays the first free point of a fixed list and misbehaves
# at its Nth genmove as told on its command line: ``crash N``, ``illegal N`` (repeats its own
# first move), ``error N`` (answers ``?``), ``hang N`` (sleeps), or ``fine``.
FAKE_ENGINE = r'''
import sys, time
mode, when = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ("fine", 0)
order = ["C3", "B2", "D4", "B4", "D2", "C2", "C4", "B3", "D3", "A1", "E5", "A5", "E1"]
taken, mine, asked = set(), [], 0
for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    if words[0] == "quit":
        print("=\n", flush=True)
        break
    answer = ""
    if words[0] == "play" and words[2].lower() != "pass":
        taken.add(words[2].upper())
    elif words[0] == "genmove":
        asked += 1
        if asked == when and mode == "crash":
            print("fake engine: crashing on purpose", file=sys.stderr, flush=True)
            sys.exit(3)
        if asked == when and mode == "hang":
            time.sleep(3600)
        if asked == when and mode == "error":
            print("? not today\n", flush=True)
            continue
        if asked == when and mode == "illegal":
            answer = mine[0]
        else:
            answer = next((v for v in order if v not in taken), "pass")
            taken.add(answer)
            mine.append(answer)
    print(f"= {answer}\n", flush=True)
'''

TINY = "engine:--playouts 20"


@pytest.fixture
def fake(tmp_path: Path):
    """``fake("crash", 2)`` is a gtp: spec for the fake engine in that mode."""
    script = tmp_path / "fake_engine.py"
    script.write_text(FAKE_ENGINE)

    def spec(mode: str = "fine", when: int = 0) -> str:
        return f"gtp:{shlex.quote(sys.executable)} {shlex.quote(str(script))} {mode} {when}"

    return spec


def run_cli(capsys, *argv: str) -> tuple[list[str], dict[str, str]]:
    """Run ``go-engine match`` in this process; its output lines and the last line's pairs."""
    assert main(["match", *argv]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    return lines, dict(pair.split("=", 1) for pair in lines[-1].split())


def small_config(a: str, b: str, **kwargs) -> MatchConfig:
    kwargs.setdefault("games", 1)
    return MatchConfig(a=parse_spec(a), b=parse_spec(b), size=5, **kwargs)


# -- statistics -------------------------------------------------------------------------------


def test_wilson_interval_matches_hand_worked_values():
    # 7/10, z = 1.96: centre (0.7 + 0.19208) / 1.38416 = 0.644492, half-width
    # 1.96 * sqrt(0.021 + 0.009604) / 1.38416 = 0.247718.
    low, high = wilson_interval(7, 10)
    assert low == pytest.approx(0.396774, abs=1e-5) and high == pytest.approx(0.892210, abs=1e-5)
    # n/n: the lower bound is n / (n + z^2) = 10 / 13.8416.
    assert wilson_interval(10, 10) == pytest.approx((0.722460, 1.0), abs=1e-5)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 1 - 0.722460), abs=1e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_elo_difference_matches_hand_worked_values():
    assert elo_difference(0.5) == 0.0
    assert elo_difference(0.75) == pytest.approx(400 * math.log10(3), abs=1e-9)  # 190.85
    assert elo_difference(0.25) == pytest.approx(-190.848, abs=1e-3)
    assert elo_difference(0.9) == pytest.approx(381.697, abs=1e-3)  # 400 * log10(9)
    assert elo_difference(1.0) == math.inf and elo_difference(0.0) == -math.inf
    # The interval is the Elo of the Wilson bounds: -400 log10(1/0.396774 - 1) = -72.78 and
    # -400 log10(1/0.892210 - 1) = +367.15.
    low, high = elo_interval(7, 10)
    assert low == pytest.approx(-72.78, abs=0.05) and high == pytest.approx(367.15, abs=0.05)


def test_match_score_counts_draws_as_half_and_prints_its_line():
    score = MatchScore(wins_a=3, wins_b=1, draws=2)
    assert score.games == 6 and score.score == 4.0
    assert score.win_rate == pytest.approx(2 / 3)
    pairs = dict(pair.split("=") for pair in score.summary_line().split())
    assert list(pairs) == ["winrate", "lo", "hi", "elo", "elo_lo", "elo_hi", "games", "wins_a",
                           "wins_b", "draws"]
    assert float(pairs["elo"]) == pytest.approx(400 * math.log10(2), abs=0.05)  # 2:1 odds
    perfect = dict(pair.split("=") for pair in MatchScore(4, 0).summary_line().split())
    assert float(perfect["elo"]) == math.inf and math.isfinite(float(perfect["elo_lo"]))


def test_sprt_matches_hand_worked_values():
    # elo1 = 100: p1 = 1 / (1 + 10^-0.25) = 0.640065; a win adds ln(p1 / 0.5) = 0.246962, a
    # loss ln((1 - p1) / 0.5) = -0.328685; the bounds are ln(0.05 / 0.95) and ln(19) = 2.944.
    sprt = Sprt(elo0=0, elo1=100)
    assert expected_score(100) == pytest.approx(0.640065, abs=1e-6)
    assert sprt.bounds == pytest.approx((-2.944439, 2.944439), abs=1e-6)
    assert sprt.llr(10, 10) == pytest.approx(2.469616, abs=1e-6)
    assert sprt.decision(10, 10) == Decision.NONE
    assert sprt.decision(12, 12) == Decision.H1  # 2.963540
    assert sprt.decision(0, 8) == Decision.NONE  # -2.629477
    assert sprt.decision(0, 9) == Decision.H0  # -2.958162
    assert sprt.llr(0.5, 1) == pytest.approx((0.246962 - 0.328685) / 2, abs=1e-6)  # a draw
    for elo in (-250.0, 0.0, 73.5):
        assert elo_difference(expected_score(elo)) == pytest.approx(elo)
    for bad in ({"elo0": 50, "elo1": 0}, {"elo0": 0, "elo1": 50, "alpha": 0.5}):
        with pytest.raises(ValueError):
            Sprt(**bad)


# -- specs and seeds --------------------------------------------------------------------------


def test_specs_build_command_lines():
    ours = parse_spec("engine:--playouts 3000 --selection uct")
    assert ours.command(7)[1:] == ["-m", "go_engine", "gtp", "--playouts", "3000",
                                   "--selection", "uct", "--seed", "7"]
    assert parse_spec("engine:--seed {seed}").command(5)[-2:] == ["--seed", "5"]
    other = parse_spec('gtp:"/usr/games/gnugo --mode gtp --seed {seed}"')
    assert other.command(3) == ["/usr/games/gnugo", "--mode", "gtp", "--seed", "3"]
    assert other.name(3) == 'gtp:"/usr/games/gnugo --mode gtp --seed 3"'
    assert parse_spec("gnugo:1").command(0)[3:6] == ["--level", "1", "--chinese-rules"]
    assert "10" in parse_spec("gnugo").command(0)
    for bad in ("gnugo:strong", "gtp:", "leela"):
        with pytest.raises(ValueError):
            parse_spec(bad)


def test_every_player_of_a_match_gets_its_own_seed():
    seeds = {player_seed(s, i, side) for s in (0, 1) for i in range(100) for side in (0, 1)}
    assert len(seeds) == 400


# -- real matches -----------------------------------------------------------------------------


def test_match_between_two_engines_saves_games_and_reports(capsys, tmp_path):
    lines, last = run_cli(capsys, TINY, "engine:--playouts 20 --selection uct", "--games", "2",
                          "--size", "5", "--parallel", "2", "--sgf-dir", str(tmp_path),
                          "--seed", "3")
    assert last["games"] == "2"
    assert int(last["wins_a"]) + int(last["wins_b"]) + int(last["draws"]) == 2
    assert float(last["lo"]) <= float(last["winrate"]) <= float(last["hi"])
    assert not any("\x1b" in line for line in lines)  # not a terminal: plain lines only
    summary = json.loads((tmp_path / "summary.json").read_text())
    games = summary["games"]
    assert [g["black"] for g in games] == ["A", "B"]  # A is Black in even games
    for game in games:
        record = load_sgf_file(game["sgf"], validate=True)
        assert record.size == 5 and record.result == game["result"]
        assert record.black_player == game["black_name"]
        assert len(record.moves) == game["moves"] and game["ending"] in ("passes",
                                                                          "resignation")
        assert f"seeds=A {game['seeds']['A']}" in record.game_comment
    assert summary["results"]["wins_a"] == int(last["wins_a"])


def test_one_game_against_gnugo_refereed_by_gnugo(gnugo_path, tmp_path):
    config = small_config(TINY, "gnugo:1", referee=Referee.GNUGO, sgf_dir=tmp_path)
    (record,) = run_match(config)
    assert record.ending in (Ending.PASSES, Ending.RESIGNATION, Ending.MAX_MOVES)
    assert record.result[:2] in ("B+", "W+") or record.result == "0"
    assert "GNU Go" in record.detail or record.ending == Ending.RESIGNATION
    assert load_sgf_file(record.sgf, validate=True).result == record.result


# -- engines that fail ------------------------------------------------------------------------


def test_a_crashing_engine_loses_and_the_match_goes_on(fake, capsys):
    lines, last = run_cli(capsys, fake("crash", 2), TINY, "--games", "2", "--size", "5",
                          "--parallel", "2")
    assert (last["wins_a"], last["wins_b"], last["games"]) == ("0", "2", "2")
    crashes = [line for line in lines if "(crash:" in line]
    assert len(crashes) == 2 and "status 3" in crashes[0]
    assert "crashing on purpose" in crashes[0]
    assert any("B+F" in line for line in crashes) and any("W+F" in line for line in crashes)


def test_an_illegal_move_loses(fake, tmp_path):
    (record,) = run_match(small_config(fake("illegal", 2), fake(), sgf_dir=tmp_path))
    assert record.ending == Ending.ILLEGAL and record.winner == "B" and record.result == "W+F"
    assert "occupied" in record.detail
    assert load_sgf_file(record.sgf).result == "W+F"


def test_an_error_answer_to_genmove_loses(fake):
    (record,) = run_match(small_config(fake(), fake("error", 1), games=2))[1:]
    assert record.ending == Ending.ERROR and record.winner == "A" and record.result == "W+F"


def test_an_engine_that_cannot_start_loses(fake, tmp_path):
    (record,) = run_match(small_config("gtp:/nonexistent/engine --gtp", fake()))
    assert record.ending == Ending.CRASH and record.winner == "B" and record.moves == 0


def test_a_hanging_engine_loses_on_time(fake, tmp_path):
    start = time.monotonic()
    config = small_config(fake(), fake("hang", 2), move_timeout=1.0, sgf_dir=tmp_path)
    (record,) = run_match(config)
    assert time.monotonic() - start < 30
    assert record.ending == Ending.TIME and record.winner == "A" and record.result == "B+T"
    assert "within 1 s" in record.detail
    assert load_sgf_file(record.sgf).result == "B+T"


def test_the_move_limit_ends_a_game_and_the_runner_counts_it(fake, capsys, tmp_path):
    summary_path = tmp_path / "elsewhere.json"
    _, last = run_cli(capsys, fake(), fake(), "--games", "1", "--size", "5", "--max-moves", "4",
                      "--json", str(summary_path))
    (game,) = json.loads(summary_path.read_text())["games"]
    assert game["ending"] == "max-moves" and game["moves"] == 4 and game["sgf"] is None
    assert "counted by the runner" in game["detail"]
    # C3 B2 D4 B4 on an open 5x5 board: nothing is enclosed, so area is stones only and
    # White's komi wins: 2 - 2 - 7.5.
    assert game["result"] == "W+7.5" and last["wins_b"] == "1"


def test_a_decided_sprt_stops_the_match(fake, capsys):
    # A crashes at its first move and loses every game; against elo1 = 200 (p1 = 0.759747)
    # each loss adds ln(0.240253 / 0.5) = -0.732915: -2.93 after 4 games, -3.66 after 5,
    # past the bound -2.944. One game at a time, so the fifth is the last.
    lines, last = run_cli(capsys, fake("crash", 1), fake(), "--games", "20", "--size", "5",
                          "--sprt", "0", "200")
    assert (last["games"], last["wins_b"], last["sprt"]) == ("5", "5", "H0")
    assert float(last["llr"]) == pytest.approx(-3.664576, abs=1e-3)
    assert "LLR -2.93" in lines[3] and "LLR -3.66" in lines[4]
    assert any(line.startswith("SPRT elo0=0 elo1=200 alpha=0.05 beta=0.05: LLR -3.66")
               and "H0" in line for line in lines)


def test_a_sequential_test_counts_games_in_the_order_they_started():
    def record(index: int) -> GameRecord:
        return GameRecord(index=index, black="A", white="B", black_name="a", white_name="b",
                          result="B+R", winner="A", ending=Ending.RESIGNATION, detail="",
                          moves=9)

    finished = [record(i) for i in (2, 0, 3, 5, 1)]  # game 4 still playing
    assert [r.index for r in in_index_order(finished)] == [0, 1, 2, 3]
    assert in_index_order([record(1), record(2)]) == []  # game 0 still playing


def test_an_impossible_sprt_is_refused(capsys):
    assert main(["match", TINY, TINY, "--sprt", "50", "0"]) == 2
    assert "elo0 < elo1" in capsys.readouterr().err


def test_a_bad_spec_is_refused_before_any_game(capsys):
    assert main(["match", "leela", TINY, "--games", "1"]) == 2
    assert "not an engine spec" in capsys.readouterr().err


# -- resuming ---------------------------------------------------------------------------------


def journal_lines(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "games.jsonl").read_text().splitlines()]


def test_a_match_run_again_on_its_folder_plays_only_the_missing_games(fake, capsys, tmp_path):
    first, _ = run_cli(capsys, fake(), fake(), "--games", "2", "--size", "5",
                       "--sgf-dir", str(tmp_path), "--seed", "7")
    entries = journal_lines(tmp_path)
    assert entries[0]["settings"]["seed"] == 7
    assert sorted(entry["index"] for entry in entries[1:]) == [0, 1]
    sgf_written = (tmp_path / "game-000.sgf").stat().st_mtime_ns
    lines, last = run_cli(capsys, fake(), fake(), "--games", "4", "--size", "5",
                          "--sgf-dir", str(tmp_path), "--seed", "7", "--parallel", "2")
    assert lines[0].startswith("resuming: 2 games already played")
    played = [line.split(":")[0] for line in lines if line.startswith("[")]
    assert played == ["[3/4] game 002", "[4/4] game 003"] or played == [
        "[3/4] game 003", "[4/4] game 002"]  # only the two missing games
    assert last["games"] == "4"
    assert (tmp_path / "game-000.sgf").stat().st_mtime_ns == sgf_written  # not replayed
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [game["index"] for game in summary["games"]] == [0, 1, 2, 3]
    assert [game["black"] for game in summary["games"]] == ["A", "B", "A", "B"]
    assert len(journal_lines(tmp_path)) == 5
    _, again = run_cli(capsys, fake(), fake(), "--games", "4", "--size", "5",
                       "--sgf-dir", str(tmp_path), "--seed", "7")
    assert again == last  # all played: the same report, nothing new
    _, fewer = run_cli(capsys, fake(), fake(), "--games", "1", "--size", "5",
                       "--sgf-dir", str(tmp_path), "--seed", "7")
    assert fewer["games"] == "1"  # the first game of the four


def test_a_game_cut_short_by_a_crash_is_played_again(fake, tmp_path):
    config = small_config(fake(), fake(), games=2, sgf_dir=tmp_path, seed=5)
    (first,) = run_match(dataclasses.replace(config, games=1))
    journal = tmp_path / "games.jsonl"
    with open(journal, "a") as file:  # the runner killed while writing game 1's line
        file.write('{"index": 1, "black": "B", "wh')
    records = run_match(config)
    assert [record.index for record in records] == [0, 1]
    assert records[0] == first
    assert [entry.get("index") for entry in journal_lines(tmp_path)] == [None, 0, 1]


def test_a_folder_holding_another_match_is_refused(fake, capsys, tmp_path):
    run_cli(capsys, fake(), fake(), "--games", "1", "--size", "5", "--sgf-dir", str(tmp_path))
    before = (tmp_path / "games.jsonl").read_text()
    assert main(["match", fake(), fake(), "--games", "2", "--size", "5", "--komi", "6.5",
                 "--sgf-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "other settings" in error and "komi 7.5 there, 6.5 now" in error
    assert (tmp_path / "games.jsonl").read_text() == before


def test_a_damaged_journal_says_which_line(fake, capsys, tmp_path):
    run_cli(capsys, fake(), fake(), "--games", "1", "--size", "5", "--sgf-dir", str(tmp_path))
    journal = tmp_path / "games.jsonl"
    journal.write_text(journal.read_text() + "[1, 2]\n")
    assert main(["match", fake(), fake(), "--games", "2", "--size", "5",
                 "--sgf-dir", str(tmp_path)]) == 2
    assert "games.jsonl, line 3: not a JSON object" in capsys.readouterr().err


def test_review_losses_replays_each_loss_with_both_engines(tmp_path):
    """A summary with one game A lost as Black (three of its moves) and one A won: the review
    searches the three positions before A's moves with both engines."""
    lost = tmp_path / "lost.sgf"
    lost.write_text("(;GM[1]FF[4]SZ[5]KM[0.5]RU[Chinese]RE[W+R];B[cc];W[bc];B[cb];W[bb];B[dc])")
    summary = {"games": [
        {"sgf": str(lost), "black": "A", "white": "B", "winner": "B"},
        {"sgf": str(lost), "black": "B", "white": "A", "winner": "A"},
    ]}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(summary))
    engine = "--playouts 20 --network none --seed 1"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "review_losses.py"), str(path),
                           "--judge", engine, "--subject", engine, "--parallel", "1"],
                          capture_output=True, text=True, timeout=300, check=True)
    lines = done.stdout.strip().splitlines()
    figures = dict(pair.split("=") for pair in lines[-1].split())
    assert figures["games"] == "1" and figures["positions"] == "3"
    assert 0.0 <= float(figures["agreement"]) <= 1.0
    assert lines[1].startswith("lost.sgf") and "black" in lines[1]
