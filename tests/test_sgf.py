"""SGF records: round trips, real-style files, passes, the expert archive, and every error."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import tarfile
from pathlib import Path

import numpy as np
import pytest
from sgfmill import sgf

from go_engine.rules.coords import BLACK, RESIGN, WHITE, from_gtp, from_sgfmill, to_sgfmill
from go_engine.rules.game import Game, GameResult, KoRule, Move, Rules
from go_engine.rules.sgf import (
    SgfError,
    SgfRecord,
    load_sgf,
    load_sgf_file,
    rules_from_ruleset,
    ruleset_name,
    save_sgf,
    save_sgf_file,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
KGS_ARCHIVE = "kgs6d_19x19.tar.xz"


def find_data_file(name: str) -> Path | None:
    """The shared data file ``name``: in ``shared/data`` inside the checkout or beside it."""
    for folder in (REPO_ROOT / "shared" / "data", REPO_ROOT.parent / "shared" / "data"):
        if (folder / name).is_file():
            return folder / name
    return None


def random_game(size: int, rng: np.random.Generator, moves: int, rules: Rules | None = None,
                handicap: int = 0) -> Game:
    """A game of ``moves`` random legal moves (pass now and then)."""
    game = Game(size, rules)
    if handicap:
        game.place_fixed_handicap(handicap)
    for _ in range(moves):
        legal = np.flatnonzero(game.legal_moves())
        point = game.pass_point if rng.random() < 0.05 else int(rng.choice(legal))
        game.play(point)
    return game


def points(*vertices: str, size: int) -> tuple[int, ...]:
    """Sorted flat points of GTP vertices."""
    return tuple(sorted(from_gtp(v, size) for v in vertices))


# -- round trips ------------------------------------------------------------------------------


def test_round_trip_keeps_moves_handicap_komi_result_and_comments(rng):
    rules = Rules(komi=0.5, ko_rule=KoRule.SITUATIONAL)
    game = random_game(9, rng, 40, rules, handicap=3)
    game.resign(BLACK)
    comments = [None if i % 3 else f"win 0.{i:02d} visits {100 + i}" for i in range(40)]

    record = load_sgf(save_sgf(game, comments=comments))

    assert record.size == 9
    assert record.moves == tuple(game.moves[:-1])
    assert record.handicap == tuple(sorted(game.handicap))
    assert record.komi == 0.5
    assert record.result == "W+R"
    assert record.resigned == BLACK and record.winner == WHITE
    assert record.comments == tuple(comments)
    assert record.game_rules() == rules

    replayed = record.to_game()
    assert replayed.moves == game.moves
    assert replayed.is_over and replayed.result().sgf() == "W+R"
    assert np.array_equal(replayed.board.stones(), game.board.stones())
    assert record.to_game(resignation=False).moves == game.moves[:-1]


@pytest.mark.parametrize("ko_rule", list(KoRule))
@pytest.mark.parametrize("allow_suicide", [False, True])
def test_round_trip_keeps_the_rules(ko_rule, allow_suicide, rng):
    rules = Rules(komi=6.5, ko_rule=ko_rule, allow_suicide=allow_suicide)
    game = random_game(7, rng, 12, rules)
    record = load_sgf(save_sgf(game))
    assert record.ruleset == ruleset_name(rules)
    assert record.to_game().rules == rules


def test_round_trip_keeps_setup_stones_and_player_to_move():
    game = Game(9, Rules(komi=7.0))
    game.setup_stones(black=[from_gtp("C3", 9), from_gtp("D4", 9)],
                      white=[from_gtp("E5", 9)], to_move=WHITE)
    game.play(from_gtp("F6", 9))
    game.play(game.pass_point)

    data = save_sgf(game)
    record = load_sgf(data)

    assert record.setup_black == points("C3", "D4", size=9)
    assert record.setup_white == points("E5", size=9)
    assert record.handicap == ()
    assert record.to_play == WHITE
    assert record.moves == (Move(WHITE, from_gtp("F6", 9)), Move(BLACK, 81))
    replayed = record.to_game()
    assert np.array_equal(replayed.board.stones(), game.board.stones())
    assert replayed.to_move == game.to_move


def test_saved_file_opens_in_sgfmill_with_root_properties_and_comments(rng):
    game = random_game(9, rng, 10, Rules(komi=5.5), handicap=2)
    comments = {0: "win 48.1% visits 800", 3: "win 52.0% visits 1600\nbest C3"}
    data = save_sgf(
        game, comments=comments, black_player="Alice", white_player="go-engine",
        black_rank="3d", white_rank="5d", engine="go-engine", version="1.2.3",
        settings={"playouts": 800, "c_puct": 1.5}, root_comment="self-play game 17",
        date=datetime.date(2024, 5, 17), event="Self-play", result="B+3.5")

    parsed = sgf.Sgf_game.from_bytes(data)
    root = parsed.get_root()
    assert parsed.get_size() == 9
    assert parsed.get_komi() == 5.5
    assert parsed.get_handicap() == 2
    assert root.get("AB") == {to_sgfmill(p, 9) for p in game.handicap}
    assert root.get("AP") == ("go-engine", "1.2.3")
    assert root.get("GC") == "playouts=800\nc_puct=1.5"
    assert root.get("C") == "self-play game 17"
    assert root.get("DT") == "2024-05-17"
    assert (root.get("PB"), root.get("PW"), root.get("BR"), root.get("WR")) == (
        "Alice", "go-engine", "3d", "5d")
    assert root.get("EV") == "Self-play" and root.get("RE") == "B+3.5"
    assert root.get("RU") == "Chinese"

    nodes = parsed.get_main_sequence()[1:]
    moves = [(c, m) for c, m in (n.get_move() for n in nodes)]
    assert moves == [("b" if m.color == BLACK else "w", to_sgfmill(m.point, 9))
                     for m in game.moves]
    assert "win 48.1% visits 800" in nodes[0].get("C")
    assert "visits 1600" in nodes[3].get("C") and "best C3" in nodes[3].get("C")
    assert not nodes[1].has_property("C")

    record = load_sgf(data)
    assert record.application == "go-engine:1.2.3"
    assert record.game_comment == "playouts=800\nc_puct=1.5"
    assert record.root_comment == "self-play game 17"
    assert record.date == "2024-05-17" and record.event == "Self-play"
    assert (record.black_player, record.white_rank) == ("Alice", "5d")


def test_comment_on_a_resignation_joins_the_last_move():
    game = Game(9)
    game.play(from_gtp("E5", 9))
    game.resign()
    record = load_sgf(save_sgf(game, comments=["win 90%", "resigns at win 3%"]))
    assert record.result == "B+R"
    assert record.comments == ("win 90%\nresigns at win 3%",)


def test_result_defaults_and_overrides():
    game = Game(7)
    for vertex in ("D4", "C3", "E5", "C5"):
        game.play(from_gtp(vertex, 7))
    assert not game.is_over
    assert load_sgf(save_sgf(game)).result is None
    game.play(game.pass_point)
    game.play(game.pass_point)
    assert load_sgf(save_sgf(game)).result == game.result().sgf()
    assert load_sgf(save_sgf(game, result="W+T")).result == "W+T"
    assert load_sgf(save_sgf(game, result=GameResult(None))).result == "0"


def test_bad_comment_lists_are_rejected(rng):
    game = random_game(7, rng, 3)
    with pytest.raises(ValueError, match="4 comments for 3 moves"):
        save_sgf(game, comments=["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="comment index 3"):
        save_sgf(game, comments={3: "x"})
    assert load_sgf(save_sgf(game, comments=["only the first"])).comments == (
        "only the first", None, None)


def test_files_round_trip(tmp_path, rng):
    game = random_game(9, rng, 20)
    path = tmp_path / "game.sgf"
    save_sgf_file(game, path, black_player="Ünïcode")
    record = load_sgf_file(path)
    assert record.moves == tuple(game.moves)
    assert record.black_player == "Ünïcode"


def test_record_is_immutable():
    record = load_sgf("(;SZ[9];B[ee])")
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.size = 19  # type: ignore[misc]


# -- reading real-style files -----------------------------------------------------------------

HANDICAP_GAME = b"""(;GM[1]FF[4]CA[UTF-8]AP[CGoban:3]ST[2]
RU[Japanese]SZ[19]HA[2]KM[0.50]TM[1800]OT[5x30 byo-yomi]
PW[Takemiya]PB[Honinbo]WR[9p]BR[1d]DT[2003-04-05]EV[Club league]PC[KGS]GN[Teaching game]
RE[W+R]C[Handicap game. Black: Honinbo]
AB[dp][pd]
;W[qp]C[approach the corner]
;B[oq]
;W[tt]C[White passes]
;B[]
(;W[dd])
(;W[cc]C[a variation, not the main line]))
"""

SETUP_POSITION = b"""(;GM[1]FF[4]SZ[9]KM[7]RU[Chinese]
AB[cc][dd:de]AW[ee][ef]AE[aa]PL[W]
;W[gg];B[tt])
"""


def test_loads_a_handicap_game():
    record = load_sgf(HANDICAP_GAME)
    assert record.size == 19 and record.komi == 0.5 and record.ruleset == "Japanese"
    assert record.handicap == points("D4", "Q16", size=19)
    assert record.setup_black == () and record.setup_white == ()
    assert record.moves == (
        Move(WHITE, from_gtp("R4", 19)), Move(BLACK, from_gtp("P3", 19)),
        Move(WHITE, 361), Move(BLACK, 361), Move(WHITE, from_gtp("D16", 19)))
    assert record.comments == ("approach the corner", None, "White passes", None, None)
    assert record.root_comment == "Handicap game. Black: Honinbo"
    assert (record.black_player, record.black_rank) == ("Honinbo", "1d")
    assert (record.white_player, record.white_rank) == ("Takemiya", "9p")
    assert record.date == "2003-04-05" and record.event == "Club league"
    assert record.game_name == "Teaching game" and record.application == "CGoban:3"
    assert record.result == "W+R" and record.resigned == BLACK

    game = record.to_game()
    assert game.handicap == list(record.handicap)
    assert game.rules == Rules(komi=0.5, ko_rule=KoRule.SIMPLE)
    assert game.moves[-1] == Move(BLACK, RESIGN)
    assert game.board.stone_count() == 5


def test_loads_setup_stones_with_compressed_points_and_empty_ae():
    record = load_sgf(SETUP_POSITION)
    assert record.setup_black == points("C7", "D6", "D5", size=9)
    assert record.setup_white == points("E5", "E4", size=9)
    assert record.to_play == WHITE and record.handicap == ()
    assert record.moves == (Move(WHITE, from_gtp("G3", 9)), Move(BLACK, 81))

    game = record.to_game()
    assert game.rules == Rules(komi=7.0, ko_rule=KoRule.POSITIONAL)
    stones = game.board.stones().ravel()
    assert [int(p) for p in np.flatnonzero(stones == BLACK)] == list(record.setup_black)
    assert set(np.flatnonzero(stones == WHITE)) == {*record.setup_white, from_gtp("G3", 9)}


def test_handicap_with_the_wrong_stone_count_is_setup():
    record = load_sgf(b"(;SZ[9]HA[3]AB[cc][gg];W[ee])")
    assert record.handicap == () and record.setup_black == points("C7", "G3", size=9)


@pytest.mark.parametrize("data", [b"(;SZ[19];B[tt];W[])", b"(;SZ[19];B[];W[tt])"])
def test_both_pass_spellings(data):
    record = load_sgf(data)
    assert record.moves == (Move(BLACK, 361), Move(WHITE, 361))
    assert record.to_game().board.passes == 2


def test_tt_is_a_point_above_19x19():
    record = load_sgf(b"(;SZ[21];B[tt];W[])")
    assert record.moves == (Move(BLACK, 19 * 21 + 19), Move(WHITE, 441))


def test_text_input_and_latin1_bytes():
    assert load_sgf("(;SZ[9]PB[Søren];B[ee])").black_player == "Søren"
    assert load_sgf("(;SZ[9]PB[Søren];B[ee])".encode("latin-1")).black_player == "Søren"
    assert load_sgf(b"\xef\xbb\xbf(;CA[UTF-8]SZ[9];B[ee])").moves == (Move(BLACK, 40),)


def test_a_move_in_the_root_counts_as_the_first_move():
    record = load_sgf(b"(;SZ[9]C[root]B[cc];W[dd])")
    assert [m.color for m in record.moves] == [BLACK, WHITE]
    assert record.root_comment == "root" and record.comments == (None, None)


@pytest.mark.parametrize(("ruleset", "ko_rule", "suicide"), [
    ("Chinese", KoRule.POSITIONAL, False),
    ("tromp-taylor", KoRule.POSITIONAL, True),
    ("AGA", KoRule.SITUATIONAL, False),
    ("New Zealand", KoRule.SITUATIONAL, True),
    ("NZ", KoRule.SITUATIONAL, True),
    ("Japanese", KoRule.SIMPLE, False),
    ("korean", KoRule.SIMPLE, False),
    ("Ing", KoRule.SIMPLE, False),
    (None, KoRule.SIMPLE, False),
])
def test_rules_from_ruleset(ruleset, ko_rule, suicide):
    assert rules_from_ruleset(ruleset, 6.5) == Rules(6.5, ko_rule, suicide)


@pytest.mark.parametrize(("result", "winner", "resigned"), [
    ("B+R", BLACK, WHITE), ("W+Resign", WHITE, BLACK), ("B+3.5", BLACK, None),
    ("W+T", WHITE, None), ("0", None, None), ("Void", None, None), (None, None, None),
])
def test_winner_and_resignation_from_re(result, winner, resigned):
    record = SgfRecord(size=9, result=result)
    assert (record.winner, record.resigned) == (winner, resigned)


# -- the expert archive -----------------------------------------------------------------------


def read_archive_games(path: Path, count: int) -> list[bytes]:
    """The first ``count`` SGF files of a ``.tar.xz`` archive."""
    games = []
    with tarfile.open(path, "r:xz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".sgf"):
                games.append(archive.extractfile(member).read())
                if len(games) == count:
                    break
    return games


def test_games_from_the_kgs_archive():
    path = find_data_file(KGS_ARCHIVE)
    if path is None:
        pytest.skip(f"{KGS_ARCHIVE} not found in shared/data inside or beside the checkout")
    for data in read_archive_games(path, 5):
        record = load_sgf(data, validate=True)
        reference = sgf.Sgf_game.from_bytes(data)
        expected = [
            Move(BLACK if colour == "b" else WHITE, from_sgfmill(point, 19))
            for colour, point in (n.get_move() for n in reference.get_main_sequence()[1:])]
        assert record.size == 19 and record.moves == tuple(expected)
        assert len(record.moves) >= 50 and record.handicap == ()
        assert record.komi == reference.get_komi()
        assert record.black_player == reference.get_player_name("b")
        assert record.result == reference.get_root().get("RE")

        game = record.to_game(resignation=False)
        assert game.moves == list(expected)
        again = load_sgf(save_sgf(game, result=record.result, black_player=record.black_player))
        assert again.moves == record.moves and again.result == record.result


# -- errors -----------------------------------------------------------------------------------

KO_SETUP = b"(;SZ[5]AB[ba][bc][ab]AW[ca][cc][db][bb]"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty input"),
    (b"  \n\t", "empty input"),
    ("", "empty input"),
    (b"hello, world", r"not SGF: no game tree '\(;' found"),
    (b"(;GM[2]SZ[9];B[aa])", r"not a Go game: GM\[2\]"),
    (b"(;SZ[19:13])", r"SZ\[19:13\].*square"),
    (b"(;SZ[1])", "unsupported board size 1x1"),
    (b"(;SZ[26])", "unsupported board size 26x26"),
    (b"(;SZ[52])", "unsupported board size 52x52"),
    (b"(;SZ[nine])", r"malformed board size SZ\[nine\]"),
    (b"(;SZ[9];B[zz])", r"move 1 has a bad coordinate B\[zz\] for a 9x9 board"),
    (b"(;SZ[9];B[cc];W[a])", r"move 2 has a bad coordinate W\[a\]"),
    (b"(;SZ[9];B[cc];W[jj])", r"move 2 has a bad coordinate W\[jj\]"),
    (b"(;SZ[9]AB[zz])", r"AB\[zz\]"),
    (b"(;SZ[9]KM[abc])", r"malformed komi KM\[abc\]"),
    (b"(;SZ[9]KM[nan])", "malformed komi"),
    (b"(;SZ[9]HA[two])", r"malformed handicap HA\[two\]"),
    (b"(;SZ[9]HA[-2])", "negative"),
    (b"(;SZ[9]PL[X])", r"PL\[X\]"),
    (b"(;SZ[9];B[cc]", "malformed SGF"),
    (b"(;SZ[9];B[cc]W[dd])", "both a black and a white move"),
    (b"(;SZ[9];B[cc];AW[dd];W[ee])", "setup properties AW in node 2"),
    (b"(;SZ[9];B[cc];AE[cc])", "setup properties AE in node 2"),
    (b"(;SZ[9]AB[cc]AW[cc])", "AB and AW both set C7"),
    (b"(;SZ[9]AB[cc]AE[cc])", "AE clears C7"),
    (b"(;SZ[9]CA[no-such-codec];B[aa])", "character set"),
    (b"(;SZ[9]CA[UTF-8]PB[\xff\xfe];B[aa])", r"malformed text PB"),
])
def test_broken_records_raise_sgf_error(data, message):
    with pytest.raises(SgfError, match=message):
        load_sgf(data)


@pytest.mark.parametrize(("data", "message"), [
    (b"(;SZ[9];B[cc];W[cc])", r"illegal move 2 \(white C7\) in the main line: .*occupied"),
    (b"(;SZ[5]AB[ba][ab];W[aa])", r"illegal move 1 \(white A5\).*suicide"),
    (KO_SETUP + b";B[cb];W[bb])", r"illegal move 2 \(white B4\).*ko"),
    (b"(;SZ[5]AB[ba][ab]AW[aa])", "setup stones cannot stand"),
])
def test_illegal_main_lines_raise_sgf_error_on_replay(data, message):
    record = load_sgf(data)
    with pytest.raises(SgfError, match=message):
        record.to_game()
    with pytest.raises(SgfError, match=message):
        load_sgf(data, validate=True)


def test_superko_follows_the_ruleset():
    # Black takes the ko, both pass, and White retakes: the whole-board position repeats.
    # Positional superko forbids it; under simple ko the passes make the retake legal.
    moves = b";B[cb];W[tt];B[tt];W[bb]"
    assert load_sgf(KO_SETUP + b"RU[Japanese]" + moves + b")").to_game()
    with pytest.raises(SgfError, match=r"illegal move 4 \(white B4\).*positional superko"):
        load_sgf(KO_SETUP + b"RU[Chinese]" + moves + b")").to_game()


def test_load_sgf_file_names_the_file(tmp_path):
    path = tmp_path / "broken.sgf"
    path.write_bytes(b"(;GM[3])")
    with pytest.raises(SgfError, match=r"broken\.sgf: not a Go game"):
        load_sgf_file(path)


def test_errors_are_value_errors_with_no_cause_leaking():
    with pytest.raises(ValueError) as info:
        load_sgf(b"(;SZ[9];B[a])")
    assert type(info.value) is SgfError


def test_mutated_records_raise_only_sgf_error(rng):
    """Random byte edits of a valid record either load or raise SgfError, nothing else."""
    base = HANDICAP_GAME + SETUP_POSITION
    alphabet = b"()[];:\\ABWCEHKLMPSZTGabcdetz0129.-+\n\xff"
    for _ in range(600):
        data = bytearray(base)
        for _ in range(int(rng.integers(1, 4))):
            at = int(rng.integers(0, len(data)))
            edit = rng.integers(0, 3)
            if edit == 0:
                del data[at]
            elif edit == 1:
                data[at] = alphabet[int(rng.integers(0, len(alphabet)))]
            else:
                data.insert(at, alphabet[int(rng.integers(0, len(alphabet)))])
        with contextlib.suppress(SgfError):
            load_sgf(bytes(data), validate=True)
    for end in range(len(HANDICAP_GAME)):
        with contextlib.suppress(SgfError):
            load_sgf(HANDICAP_GAME[:end], validate=True)
