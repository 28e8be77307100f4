"""Invariant fuzzing: seeded random games on 5x5 to 19x19, with every internal structure of the
board checked against a recount from the stones after every move.

After each move: chains (HEAD, NEXT, SIZE) are exactly the connected groups; the pseudo-liberty
count, sum and sum of squares at each head equal a recount of (stone, empty neighbour) pairs;
the atari test (``count * sum_sq == sum ** 2``) agrees with an exact liberty count; the empty
list and EMPTY_POS agree with COLOR; the incremental hash equals a recomputation from the
Zobrist table and the prediction ``hash_after`` made before the move; the stones and capture
counts equal those of a from-scratch Python model; and ``Game.undo`` restores the arrays
exactly. Light playouts are checked the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from conftest import grid_from_board, reference_area, reference_group, reference_play

from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, BORDER, EMPTY, WHITE, from_padded
from go_engine.rules.game import Game, KoRule, Rules


def padded_groups(pts: np.ndarray, size: int) -> list[list[int]]:
    """Connected groups of stones on the padded board, by flood fill over COLOR alone."""
    width = size + 2
    color = pts[core.COLOR]
    seen: set[int] = set()
    groups = []
    for start in range(width * width):
        if color[start] not in (BLACK, WHITE) or start in seen:
            continue
        group, todo = [start], [start]
        seen.add(start)
        while todo:
            p = todo.pop()
            for q in (p - width, p - 1, p + 1, p + width):
                if color[q] == color[start] and q not in seen:
                    seen.add(q)
                    group.append(q)
                    todo.append(q)
        groups.append(group)
    return groups


def check_chain(pts: np.ndarray, meta: np.ndarray, group: list[int]) -> None:
    """HEAD, NEXT, SIZE and the pseudo-liberty sums of one group against a recount."""
    width = int(meta[core.M_SIZE]) + 2
    color = pts[core.COLOR]
    heads = {int(pts[core.HEAD, p]) for p in group}
    assert len(heads) == 1, f"one group, several heads: {heads}"
    head = heads.pop()
    assert head in group and pts[core.HEAD, head] == head
    assert pts[core.SIZE, head] == len(group)
    walked, stone = [], head
    for _ in range(len(group)):
        walked.append(stone)
        stone = int(pts[core.NEXT, stone])
    assert stone == head and sorted(walked) == sorted(group), "NEXT is not the group's cycle"
    pairs = [q for p in group for q in (p - width, p - 1, p + 1, p + width)
             if color[q] == EMPTY]
    assert pts[core.LIB_COUNT, head] == len(pairs)
    assert pts[core.LIB_SUM, head] == sum(pairs)
    assert pts[core.LIB_SUM_SQ, head] == sum(q * q for q in pairs)
    exact = len(set(pairs))
    assert bool(core._in_atari(pts, head)) == (exact == 1)
    assert core.chain_liberties(pts, meta, head).tolist() == sorted(set(pairs))
    assert core.chain_stones(pts, head).tolist() == sorted(group)


def check_board(pts: np.ndarray, meta: np.ndarray, zobrist: np.ndarray) -> None:
    """Every invariant of the numba board arrays."""
    size = int(meta[core.M_SIZE])
    width = size + 2
    color = pts[core.COLOR]
    border = np.zeros((width, width), dtype=bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    assert (color[border.ravel()] == BORDER).all()
    inside = np.flatnonzero(~border.ravel())
    assert np.isin(color[inside], (EMPTY, BLACK, WHITE)).all()
    for group in padded_groups(pts, size):
        check_chain(pts, meta, group)
    empties = inside[color[inside] == EMPTY]
    n = int(meta[core.M_NUM_EMPTY])
    listed = pts[core.EMPTY_LIST, :n]
    assert n == len(empties) and sorted(listed.tolist()) == empties.tolist()
    assert (pts[core.EMPTY_POS, listed] == np.arange(n)).all()
    stones = inside[color[inside] != EMPTY]
    key = np.bitwise_xor.reduce(zobrist[color[stones], stones]) if len(stones) else 0
    assert int(meta[core.M_HASH]) == int(key)
    ko = int(meta[core.M_KO_POINT])
    assert ko == -1 or color[ko] == EMPTY


# -- random games -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fuzz:
    """One batch of random games."""

    size: int
    games: int
    rules: Rules
    handicap: int = 0
    max_moves: int = 0  # 0: three times the board area

    def __str__(self) -> str:
        extra = f"-h{self.handicap}" if self.handicap else ""
        suicide = "-suicide" if self.rules.allow_suicide else ""
        return f"{self.size}x{self.size}-{self.rules.ko_rule.value}{suicide}{extra}"


POSITIONAL = Rules()
SIMPLE_SUICIDE = Rules(ko_rule=KoRule.SIMPLE, allow_suicide=True)
SITUATIONAL_SUICIDE = Rules(ko_rule=KoRule.SITUATIONAL, allow_suicide=True)

FUZZ = [
    Fuzz(5, 12, POSITIONAL),
    Fuzz(5, 12, SIMPLE_SUICIDE),
    Fuzz(5, 8, SITUATIONAL_SUICIDE),
    Fuzz(7, 6, POSITIONAL),
    Fuzz(7, 6, SIMPLE_SUICIDE, handicap=2),
    Fuzz(9, 4, POSITIONAL),
    Fuzz(9, 4, SITUATIONAL_SUICIDE, handicap=5),
    Fuzz(13, 2, SIMPLE_SUICIDE),
    Fuzz(13, 2, POSITIONAL, handicap=4),
    Fuzz(19, 1, POSITIONAL, max_moves=500),
    Fuzz(19, 1, SIMPLE_SUICIDE, handicap=9, max_moves=400),
]


def atari_points(board: Board, color: int) -> list[int]:
    """The last liberties of ``color``'s chains in atari, sorted."""
    grid = grid_from_board(board)
    points, seen = set(), set()
    for row in range(board.size):
        for col in range(board.size):
            if grid[row][col] == color and (row, col) not in seen:
                stones, liberties = reference_group(grid, row, col)
                seen |= stones
                if len(liberties) == 1:
                    points |= liberties
    return sorted(r * board.size + c for r, c in points)


CAPTURE_PROBABILITY = 0.5  # take a chain in atari when one can be taken
SUICIDE_PROBABILITY = 0.1  # commit suicide when it is allowed and possible
PASS_PROBABILITY = 0.01


def choose_move(game: Game, rng: np.random.Generator) -> int:
    """A random legal move that does not fill the mover's own eye, biased towards captures (so
    ko comes up) and, when it is allowed, now and then a suicide; pass when nothing is left."""
    board, color = game.board, game.to_move
    legal = game.legal_moves()
    captures = [p for p in atari_points(board, 3 - color) if legal[p]]
    if captures and rng.random() < CAPTURE_PROBABILITY:
        return int(rng.choice(captures))
    strict = board.copy()
    strict.meta[core.M_ALLOW_SUICIDE] = 0
    points = [int(p) for p in np.flatnonzero(legal[:-1])]
    suicides = [p for p in points if not strict.is_legal(p, color)]
    if suicides and rng.random() < SUICIDE_PROBABILITY:
        return int(rng.choice(suicides))
    candidates = [p for p in points if strict.is_legal(p, color)
                  and not board.is_eye_like(p, color)]
    if not candidates or rng.random() < PASS_PROBABILITY:
        return game.pass_point
    return int(rng.choice(candidates))


class Reference:
    """The from-scratch model's stones, capture counts and simple-ko point, kept beside the
    game. Ko by the book: a lone stone that captured exactly one stone and has exactly one
    liberty may not be taken back at once."""

    def __init__(self, board: Board, allow_suicide: bool) -> None:
        self.grid = grid_from_board(board)
        self.allow_suicide = allow_suicide
        self.captures = {BLACK: 0, WHITE: 0}
        self.ko: int | None = None

    def play(self, point: int, color: int) -> None:
        size = len(self.grid)
        self.ko = None
        if point == size * size:
            return
        row, col = divmod(point, size)
        outcome = reference_play(self.grid, row, col, color, self.allow_suicide)
        assert outcome is not None, "the core played a move the model calls illegal"
        old, (self.grid, captured, lost) = self.grid, outcome
        self.captures[color] += captured
        self.captures[3 - color] += lost
        if captured == 1:
            stones, liberties = reference_group(self.grid, row, col)
            if len(stones) == 1 and len(liberties) == 1:
                taken = [(r, c) for r in range(size) for c in range(size)
                         if old[r][c] == 3 - color and self.grid[r][c] == EMPTY]
                self.ko = taken[0][0] * size + taken[0][1]


def check_random_legality(game: Game, reference: Reference, rng: np.random.Generator) -> None:
    """A sample of points: the board's legality (simple ko included) against the model's."""
    board, size = game.board, game.size
    color = board.to_move
    for point in rng.choice(size * size, size=min(12, size * size), replace=False):
        row, col = divmod(int(point), size)
        expected = reference_play(reference.grid, row, col, color,
                                  reference.allow_suicide) is not None
        if reference.ko == point:
            expected = False
        assert board.is_legal(int(point)) == expected, (board.to_ascii(), int(point))


def play_and_check(game: Game, reference: Reference, point: int, stats: dict) -> None:
    """Play one move and check everything; undo it, check the arrays, and play it again."""
    board = game.board
    color = game.to_move
    before = (board.pts.copy(), board.meta.copy())
    keys_before = list(game._keys)
    predicted = board.hash_after(point, color) if point != game.pass_point else board.hash
    captured = game.play(point)
    reference.play(point, color)
    check_board(board.pts, board.meta, board.zobrist)
    assert board.hash == predicted
    assert grid_from_board(board) == reference.grid
    assert board.captures(BLACK) == reference.captures[BLACK]
    assert board.captures(WHITE) == reference.captures[WHITE]
    assert board.ko_point == reference.ko
    stats["captures"] += captured
    stats["suicides"] += point != game.pass_point and board.color_at(point) == EMPTY
    stats["kos"] += board.ko_point is not None
    after = (board.pts.copy(), board.meta.copy())
    game.undo()
    assert np.array_equal(board.pts, before[0]) and np.array_equal(board.meta, before[1])
    assert game._keys == keys_before
    game.play(point)
    assert np.array_equal(board.pts, after[0]) and np.array_equal(board.meta, after[1])


@pytest.mark.parametrize("fuzz", FUZZ, ids=str)
def test_random_games_keep_every_invariant(fuzz):
    rng = np.random.default_rng([fuzz.size, fuzz.games, fuzz.handicap,
                                 list(KoRule).index(fuzz.rules.ko_rule)])
    stats = {"captures": 0, "suicides": 0, "kos": 0, "moves": 0}
    max_moves = fuzz.max_moves or 3 * fuzz.size * fuzz.size
    for _ in range(fuzz.games):
        game = Game(fuzz.size, fuzz.rules)
        if fuzz.handicap:
            game.place_fixed_handicap(fuzz.handicap)
        check_board(game.board.pts, game.board.meta, game.board.zobrist)
        reference = Reference(game.board, fuzz.rules.allow_suicide)
        while not game.is_over and len(game.moves) < max_moves:
            check_random_legality(game, reference, rng)
            play_and_check(game, reference, choose_move(game, rng), stats)
            stats["moves"] += 1
        assert game.board.area()[0] == reference_area(reference.grid)
    print(fuzz, stats)
    assert stats["captures"] > 0 and stats["kos"] > 0, stats
    if fuzz.rules.allow_suicide:
        assert stats["suicides"] > 0, stats


# -- light playouts ---------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 7, 9, 13, 19])
def test_light_moves_keep_every_invariant(size):
    """Step the playout move generator one move at a time: each move is legal, fills no own
    eye, and leaves the board consistent; the final area matches the model."""
    board = Board(size)
    state = core.seed_rng(size)
    for _ in range(3 * size * size):
        color = board.to_move
        padded = int(core.random_light_move(board.pts, board.meta, state))
        check_board(board.pts, board.meta, board.zobrist)  # only the empty list was reordered
        if padded < 0:
            legal = [p for p in range(size * size)
                     if board.is_legal(p) and not board.is_eye_like(p, color)]
            assert legal == []
            point = size * size
        else:
            point = from_padded(padded, size)
            assert board.is_legal(point) and not board.is_eye_like(point, color)
        board.play(point)
        check_board(board.pts, board.meta, board.zobrist)
        if board.passes >= 2:
            break
    assert board.passes >= 2, "a light playout should end by two passes"
    assert board.area()[0] == reference_area(grid_from_board(board))


@pytest.mark.parametrize("size", [5, 9, 19])
def test_playout_batch_scores_and_ownership_agree(size):
    board = Board(size)
    for point in np.random.default_rng(size).choice(size * size, size=size, replace=False):
        if board.is_legal(int(point)):
            board.play(int(point))
    count = 16
    scores = np.zeros(count, dtype=np.int64)
    lengths = np.zeros(count, dtype=np.int64)
    ownership = np.zeros(board.pts.shape[1], dtype=np.float64)
    pts, meta = board.pts.copy(), board.meta.copy()
    core.playout_batch(board.pts, board.meta, board.zobrist, core.seed_rng(1), count,
                       10 * size * size, scores, ownership, lengths)
    assert np.array_equal(board.pts, pts) and np.array_equal(board.meta, meta)  # untouched
    assert ownership.sum() == pytest.approx(scores.mean())
    assert (np.abs(ownership) <= 1 + 1e-9).all()
    assert (lengths > 0).all() and (np.abs(scores) <= size * size).all()
    again = np.zeros(count, dtype=np.int64)
    core.playout_batch(board.pts, board.meta, board.zobrist, core.seed_rng(1), count,
                       10 * size * size, again, np.zeros_like(ownership), lengths)
    assert np.array_equal(scores, again)  # the same seed gives the same playouts


def test_light_playout_ends_in_a_consistent_board():
    for size in (5, 9, 13, 19):
        board = Board(size)
        owner = np.zeros(board.pts.shape[1], dtype=np.int8)
        score = core.light_playout(board.pts, board.meta, board.zobrist, core.seed_rng(size),
                                   10 * size * size, owner)
        check_board(board.pts, board.meta, board.zobrist)
        assert board.passes >= 2
        assert score == reference_area(grid_from_board(board)) == owner.sum()
