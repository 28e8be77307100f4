"""The rules against GNU Go 3.8: seeded random games on 5x5 to 19x19 played through both our
:class:`Game` and ``gnugo --mode gtp``, compared after every move.

After each move both engines must show the same stones (``list_stones``), the same capture
counts (``captures``) and the same legality of every empty point for both colours
(``is_legal``, sent in one batch per move). Illegal attempts (ko retakes, suicides) must be
refused by both, and leave both unchanged.

GNU Go's default rules are simple ko (no superko) and no suicide, so the main comparison plays
``Rules(ko_rule=KoRule.SIMPLE)``: under our default positional superko some moves GNU Go allows
would be illegal for us, and the comparison would fail for a reason that is not a bug. GNU Go
can also play ``--allow-all-suicide``, ``--positional-superko`` and ``--situational-superko``;
those are compared against the matching rules of ours too, except superko together with
suicide, where GNU Go lets a lone stone die in an eye although the position repeats (see
:func:`test_single_stone_suicide_under_superko_is_a_known_difference`).

The random moves lean towards the interesting cases: captures, retaking a ko after a threat,
attempted suicides and attempted immediate ko retakes. Each test asserts that these really
happened, so a quiet random sequence cannot pass for a thorough one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import (
    GtpClient,
    board_from_ascii,
    grid_from_board,
    reference_area,
    reference_group,
)
from test_game import SEND_TWO_RETURN_ONE, TRIPLE_KO, TRIPLE_KO_CYCLE

from go_engine.rules import board_core as core
from go_engine.rules.coords import BLACK, EMPTY, WHITE, color_name, from_gtp, to_gtp
from go_engine.rules.game import Game, IllegalMoveError, KoRule, Rules

RULES = Rules(ko_rule=KoRule.SIMPLE, komi=0.5)  # GNU Go's defaults: simple ko, no suicide

CAPTURE_PROBABILITY = 0.4  # take a chain in atari when one can be taken
KO_RETAKE_PROBABILITY = 0.8  # retake a ko once a threat has been exchanged
KO_ATTEMPT_PROBABILITY = 0.5  # try the forbidden immediate retake (must be refused)
SUICIDE_ATTEMPT_PROBABILITY = 0.3  # try a suicide (must be refused where it is illegal)
SUPERKO_ATTEMPT_PROBABILITY = 0.5  # try a move only superko forbids (must be refused)
SUICIDE_PROBABILITY = 0.1  # play a suicide where it is legal
PASS_PROBABILITY = 0.02  # only when the opponent did not just pass


SIMPLE_SUICIDE = Rules(ko_rule=KoRule.SIMPLE, allow_suicide=True, komi=0.5)
POSITIONAL = Rules(ko_rule=KoRule.POSITIONAL, komi=0.5)
SITUATIONAL = Rules(ko_rule=KoRule.SITUATIONAL, komi=0.5)

# GNU Go plays the other rules too, given these flags.
GNUGO_FLAGS = {
    RULES: [],
    SIMPLE_SUICIDE: ["--allow-all-suicide"],
    POSITIONAL: ["--positional-superko"],
    SITUATIONAL: ["--situational-superko"],
}


@dataclass(frozen=True)
class Match:
    """A batch of random games on one board size."""

    size: int
    games: int
    max_moves: int
    handicap: int = 0
    rules: Rules = RULES

    def __str__(self) -> str:
        handicap = f"-h{self.handicap}" if self.handicap else ""
        suicide = "-suicide" if self.rules.allow_suicide else ""
        return f"{self.size}x{self.size}{handicap}-{self.rules.ko_rule.value}{suicide}"


MATCHES = [
    Match(5, 14, 80),
    Match(6, 6, 100),
    Match(7, 5, 140, handicap=2),
    Match(8, 4, 160),
    Match(9, 5, 200),
    Match(9, 2, 200, handicap=5),
    Match(11, 2, 250),
    Match(13, 2, 300, handicap=4),
    Match(15, 1, 350),
    Match(17, 1, 400, handicap=9),
    Match(19, 1, 500),
    Match(19, 1, 400, handicap=3),
]

OTHER_RULES = [
    Match(5, 8, 100, rules=SIMPLE_SUICIDE),
    Match(9, 2, 200, handicap=2, rules=SIMPLE_SUICIDE),
    Match(5, 8, 100, rules=POSITIONAL),
    Match(9, 2, 200, rules=POSITIONAL),
    Match(13, 1, 300, handicap=4, rules=POSITIONAL),
    Match(5, 8, 100, rules=SITUATIONAL),
    Match(9, 2, 200, rules=SITUATIONAL),
]


# -- the GNU Go side --------------------------------------------------------------------------


def gtp_points(text: str, size: int) -> set[int]:
    return {from_gtp(vertex, size) for vertex in text.split()}


def gnugo_state(gnugo: GtpClient, game: Game) -> tuple[dict, dict, dict]:
    """GNU Go's stones, capture counts and legality of our empty points, in one batch."""
    size = game.size
    empties = [int(p) for p in np.flatnonzero(game.board.stones().ravel() == EMPTY)]
    commands = [f"list_stones {color_name(c)}" for c in (BLACK, WHITE)]
    commands += [f"captures {color_name(c)}" for c in (BLACK, WHITE)]
    commands += [f"is_legal {color_name(c)} {to_gtp(p, size)}"
                 for c in (BLACK, WHITE) for p in empties]
    answers = gnugo.batch(commands)
    assert all(ok for ok, _ in answers), [text for ok, text in answers if not ok]
    texts = [text for _, text in answers]
    stones = {BLACK: gtp_points(texts[0], size), WHITE: gtp_points(texts[1], size)}
    captures = {BLACK: int(texts[2]), WHITE: int(texts[3])}
    flags = iter(texts[4:])
    legal = {c: {p for p in empties if next(flags) == "1"} for c in (BLACK, WHITE)}
    return stones, captures, legal


def assert_same_state(gnugo: GtpClient, game: Game) -> None:
    """Stones, captures and the legality of every empty point agree, for both colours."""
    stones, captures, legal = gnugo_state(gnugo, game)
    board = game.board
    for color in (BLACK, WHITE):
        assert set(board.points_of(color)) == stones[color], (color, "\n" + board.to_ascii())
        assert board.captures(color) == captures[color], color
        ours = {p for p in range(game.pass_point) if game.is_legal(p, color)}
        assert ours == legal[color], (color, sorted(ours ^ legal[color]), "\n" + board.to_ascii())
        mask = game.legal_moves(color)
        assert set(np.flatnonzero(mask[:-1]).tolist()) == ours


def play_both(gnugo: GtpClient, game: Game, point: int) -> int:
    color = game.to_move
    gnugo.send(f"play {color_name(color)} {to_gtp(point, game.size)}")
    return game.play(point)


def attempt_both(gnugo: GtpClient, game: Game, point: int) -> None:
    """An illegal move: both engines refuse it and nothing changes."""
    color = game.to_move
    before = (game.board.pts.copy(), game.board.meta.copy())
    with pytest.raises(IllegalMoveError):
        game.play(point)
    ok, text = gnugo.batch([f"play {color_name(color)} {to_gtp(point, game.size)}"])[0]
    assert not ok and "illegal" in text
    assert np.array_equal(game.board.pts, before[0])
    assert np.array_equal(game.board.meta, before[1])


# -- random moves with a taste for trouble ----------------------------------------------------


def atari_liberties(game: Game, color: int) -> list[int]:
    """The last liberties of ``color``'s chains in atari."""
    grid = grid_from_board(game.board)
    size = game.size
    points, seen = set(), set()
    for row in range(size):
        for col in range(size):
            if grid[row][col] == color and (row, col) not in seen:
                stones, liberties = reference_group(grid, row, col)
                seen |= stones
                if len(liberties) == 1:
                    points |= liberties
    return sorted(r * size + c for r, c in points)


def suicide_points(game: Game) -> list[int]:
    """Empty points where the side to move would commit suicide (the ko point excluded)."""
    board = game.board
    strict = board.copy()
    strict.meta[core.M_ALLOW_SUICIDE] = 0
    return [int(p) for p in np.flatnonzero(board.stones().ravel() == EMPTY)
            if not strict.is_legal(int(p)) and board.ko_point != p]


def superko_points(game: Game) -> list[int]:
    """Points that only superko forbids."""
    board = game.board
    return [int(p) for p in np.flatnonzero(board.stones().ravel() == EMPTY)
            if board.is_legal(int(p)) and not game.is_legal(int(p))]


class Player:
    """Chooses moves and keeps count of what happened."""

    def __init__(self, seed: int, rules: Rules) -> None:
        self.rng = np.random.default_rng(seed)
        self.rules = rules
        self.stats: Counter[str] = Counter()
        self.open_kos: list[int] = []  # ko points taken recently, for retakes after a threat

    def attempts(self, game: Game) -> list[int]:
        """Illegal moves to try before the real one: an immediate ko retake, a suicide, a
        superko repetition."""
        tries, rng = [], self.rng
        ko = game.board.ko_point
        if ko is not None and rng.random() < KO_ATTEMPT_PROBABILITY:
            tries.append(ko)
            self.stats["ko retakes refused"] += 1
        suicides = [] if self.rules.allow_suicide else suicide_points(game)
        if suicides and rng.random() < SUICIDE_ATTEMPT_PROBABILITY:
            tries.append(int(rng.choice(suicides)))
            self.stats["suicides refused"] += 1
        repeats = [] if self.rules.ko_rule == KoRule.SIMPLE else superko_points(game)
        if repeats and rng.random() < SUPERKO_ATTEMPT_PROBABILITY:
            tries.append(int(rng.choice(repeats)))
            self.stats["superko repetitions refused"] += 1
        return tries

    def choose(self, game: Game) -> int:
        color, rng = game.to_move, self.rng
        legal = game.legal_moves()
        retakes = [p for p in self.open_kos if legal[p] and p in atari_liberties(game, 3 - color)]
        if retakes and rng.random() < KO_RETAKE_PROBABILITY:
            self.stats["ko retakes after a threat"] += 1
            return retakes[0]
        captures = [p for p in atari_liberties(game, 3 - color) if legal[p]]
        if captures and rng.random() < CAPTURE_PROBABILITY:
            return int(rng.choice(captures))
        suicides = [p for p in suicide_points(game) if legal[p]]
        if suicides and rng.random() < SUICIDE_PROBABILITY:
            self.stats["suicides played"] += 1
            return int(rng.choice(suicides))
        candidates = [int(p) for p in np.flatnonzero(legal[:-1])
                      if int(p) not in suicides and not game.board.is_eye_like(int(p), color)]
        if not candidates:
            return game.pass_point
        if game.board.passes == 0 and rng.random() < PASS_PROBABILITY:
            self.stats["passes"] += 1
            return game.pass_point  # a pass in mid-game; the game ends only when play is over
        return int(rng.choice(candidates))

    def after(self, game: Game, captured: int) -> None:
        self.stats["moves"] += 1
        self.stats["captured stones"] += captured
        ko = game.board.ko_point
        self.open_kos = [p for p in self.open_kos if game.board.color_at(p) == EMPTY][-3:]
        if ko is not None:
            self.stats["ko captures"] += 1
            self.open_kos.append(ko)


def play_random_game(gnugo: GtpClient, match: Match, player: Player) -> Game:
    game = Game(match.size, match.rules)
    gnugo.send(f"boardsize {match.size}")
    gnugo.send("clear_board")
    if match.handicap:
        theirs = gtp_points(gnugo.send(f"fixed_handicap {match.handicap}"), match.size)
        assert set(game.place_fixed_handicap(match.handicap)) == theirs
    assert_same_state(gnugo, game)
    while not game.is_over and len(game.moves) < match.max_moves:
        for point in player.attempts(game):
            attempt_both(gnugo, game, point)
        captured = play_both(gnugo, game, player.choose(game))
        player.after(game, captured)
        assert_same_state(gnugo, game)
    return game


def run_matches(gnugo_path: str, match: Match, seed: int) -> Player:
    """Play ``match.games`` random games against GNU Go under the match's rules."""
    player = Player(seed, match.rules)
    with GtpClient([gnugo_path, "--mode", "gtp", *GNUGO_FLAGS[match.rules]]) as gnugo:
        for _ in range(match.games):
            game = play_random_game(gnugo, match, player)
            assert game.board.area()[0] == reference_area(grid_from_board(game.board))
    print(match, dict(player.stats))
    return player


@pytest.mark.parametrize("match", MATCHES, ids=str)
def test_random_games_agree_with_gnugo(gnugo_path, match):
    stats = run_matches(gnugo_path, match, seed=1000 * match.size + match.handicap).stats
    assert stats["captured stones"] > 0, stats
    assert stats["ko captures"] > 0 and stats["ko retakes refused"] > 0, stats
    assert stats["ko retakes after a threat"] > 0, stats
    if match.rules.allow_suicide:
        assert stats["suicides played"] > 0, stats
    else:
        assert stats["suicides refused"] > 0, stats


@pytest.mark.parametrize("match", OTHER_RULES, ids=str)
def test_random_games_agree_with_gnugo_under_other_rules(gnugo_path, match):
    """GNU Go's ``--allow-all-suicide``, ``--positional-superko`` and ``--situational-superko``
    against the same rules of ours."""
    stats = run_matches(gnugo_path, match, seed=77 * match.size).stats
    assert stats["captured stones"] > 0 and stats["ko captures"] > 0, stats
    if match.rules.allow_suicide:
        assert stats["suicides played"] > 0, stats


def test_finished_games_score_like_a_flood_fill(gnugo):
    """Random games played to two passes: the board's area count equals the model's."""
    player = Player(seed=99, rules=RULES)
    finished = 0
    for size in (5, 6, 7, 9):
        for _ in range(3):
            game = play_random_game(gnugo, Match(size, 1, 10 * size * size), player)
            finished += game.is_over
            score, owner = game.board.area()
            assert score == reference_area(grid_from_board(game.board))
            assert score == int(owner.sum())
            assert game.result().winner == (BLACK if score > RULES.komi else WHITE)
    assert finished == 12


# -- hand-made positions ----------------------------------------------------------------------


def setup_both(gnugo: GtpClient, text: str, rules: Rules) -> Game:
    """The diagram on both sides: setup stones for us, ``play`` commands for GNU Go (whose
    history then holds the intermediate positions too, which only adds constraints)."""
    board = board_from_ascii(text)
    game = Game(board.size, rules)
    game.setup_stones(board.points_of(BLACK), board.points_of(WHITE), BLACK)
    gnugo.send(f"boardsize {board.size}")
    gnugo.send("clear_board")
    for color in (BLACK, WHITE):
        for point in board.points_of(color):
            gnugo.send(f"play {color_name(color)} {to_gtp(point, board.size)}")
    return game


@pytest.mark.parametrize("rules", [RULES, POSITIONAL, SITUATIONAL], ids=lambda r: r.ko_rule.value)
def test_superko_positions_agree_with_gnugo(gnugo_path, rules):
    """The triple ko and send-two-return-one cycles, move by move, under each ko rule."""
    cycles = [(TRIPLE_KO, TRIPLE_KO_CYCLE * 2), (SEND_TWO_RETURN_ONE, ["A5", "C5", "B5", "pass",
                                                                       "A5"])]
    with GtpClient([gnugo_path, "--mode", "gtp", *GNUGO_FLAGS[rules]]) as gnugo:
        for text, moves in cycles:
            game = setup_both(gnugo, text, rules)
            for vertex in moves:
                assert_same_state(gnugo, game)
                point = from_gtp(vertex, game.size)
                if not game.is_legal(point):
                    attempt_both(gnugo, game, point)
                    assert rules.ko_rule != KoRule.SIMPLE
                    break
                play_both(gnugo, game, point)
            else:
                assert rules.ko_rule == KoRule.SIMPLE


def test_single_stone_suicide_under_superko_is_a_known_difference(gnugo_path):
    """GNU Go with ``--allow-all-suicide`` lets a lone stone die in an eye even under
    positional superko. We follow Tromp-Taylor: the stones do not change, so the position
    repeats and positional superko forbids it. Multi-stone suicide is fine for both."""
    text = """
        . . . . .
        . . . . .
        . . . . .
        O . . . .
        . O . . .
    """
    rules = Rules(ko_rule=KoRule.POSITIONAL, allow_suicide=True)
    flags = ["--positional-superko", "--allow-all-suicide"]
    with GtpClient([gnugo_path, "--mode", "gtp", *flags]) as gnugo:
        game = setup_both(gnugo, text, rules)
        assert gnugo.send("is_legal black A1") == "1"
        assert not game.is_legal(from_gtp("A1", 5))
        assert "superko" in game.illegal_reason(from_gtp("A1", 5))
