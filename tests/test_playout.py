"""Light playouts: reproducible, terminating, never filling own eyes, scoring the right side."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, WHITE
from go_engine.rules.game import Game, Rules
from go_engine.search.playout import (
    PlayoutConfig,
    chunk_rng,
    merge_stats,
    play_chunk,
    run_playouts,
    split_count,
)

NO_RECORD = np.empty(0, dtype=np.int8)  # light_moves: no first-mover record

# Black lives with eyes at a5, c5, e5, a1, c1; the white stone at c3 is in atari.
BLACK_WINS = """
. X . X .
X X X X X
X X O . X
X X X X X
. X . X X
"""

# Both sides alive; every empty point is a single-point eye of its owner.
ONLY_EYES = """
. X O . O
X X O O O
X X O O O
X . X O .
X X X O O
"""


def random_position(size: int, moves: int, seed: int) -> Board:
    """A board after ``moves`` random light moves from empty (a mid-game position)."""
    board = Board(size)
    core.light_moves(board.pts, board.meta, board.zobrist, core.seed_rng(seed), moves,
                     NO_RECORD)
    return board


# -- reproducibility and threads ---------------------------------------------------------------


def test_same_seed_same_result_and_other_seed_differs() -> None:
    board = Board(9)
    first = run_playouts(board, 300, threads=2, seed=5)
    again = run_playouts(board, 300, threads=2, seed=5)
    other = run_playouts(board, 300, threads=2, seed=6)
    assert np.array_equal(first.scores, again.scores)
    assert np.array_equal(first.lengths, again.lengths)
    assert np.array_equal(first.ownership, again.ownership)
    assert not np.array_equal(first.scores, other.scores)


def test_threads_give_the_same_totals_as_the_chunks_run_one_after_another() -> None:
    board = random_position(9, 20, seed=3)
    threads, count, seed = 3, 301, 11
    threaded = run_playouts(board, count, threads=threads, seed=seed)
    serial = merge_stats([play_chunk(board, n, chunk_rng(seed, i))
                          for i, n in enumerate(split_count(count, threads))])
    assert threaded.count == serial.count == count
    assert np.array_equal(threaded.scores, serial.scores)
    assert np.array_equal(threaded.lengths, serial.lengths)
    assert np.array_equal(threaded.ownership, serial.ownership)
    assert threaded.black_wins == serial.black_wins


def test_split_count_is_even_and_complete() -> None:
    assert split_count(10, 3) == [4, 3, 3]
    assert split_count(2, 4) == [1, 1, 0, 0]
    assert sum(split_count(1001, 7)) == 1001


def test_playouts_leave_the_position_alone() -> None:
    board = random_position(9, 30, seed=2)
    pts, meta = board.pts.copy(), board.meta.copy()
    run_playouts(board, 50, threads=2, seed=1)
    assert np.array_equal(board.pts, pts)
    assert np.array_equal(board.meta, meta)


def test_config_supplies_defaults_and_keywords_override() -> None:
    board = Board(7)
    by_config = run_playouts(board, 40, config=PlayoutConfig(threads=2, seed=9))
    by_keywords = run_playouts(board, 40, threads=2, seed=9)
    overridden = run_playouts(board, 40, seed=9, config=PlayoutConfig(threads=2, seed=1))
    assert np.array_equal(by_config.scores, by_keywords.scores)
    assert np.array_equal(by_config.scores, overridden.scores)
    with pytest.raises(ValueError):
        PlayoutConfig(threads=0)


# -- statistics ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 9, 13])
def test_ownership_is_a_mean_owner_in_range(size: int) -> None:
    stats = run_playouts(Board(size), 200, seed=size)
    assert stats.ownership.shape == (size, size)
    assert stats.ownership.min() >= -1.0 and stats.ownership.max() <= 1.0
    # Every final point is owned by someone or neutral: the board's mean owner is the mean score.
    assert stats.ownership.sum() == pytest.approx(stats.mean_score)


def test_a_won_position_is_won_in_every_playout() -> None:
    for to_move in (BLACK, WHITE):
        stats = run_playouts(Board.from_ascii(BLACK_WINS, to_move=to_move), 200, komi=7.5, seed=1)
        assert stats.black_win_rate == 1.0
        assert np.all(stats.scores == 25)
        assert np.all(stats.ownership == 1.0)  # the dead white stone included


def test_komi_comes_from_the_game() -> None:
    game = Game(5, Rules(komi=30.5))
    game.setup_stones([p for p in range(25) if p not in (0, 2, 4, 20, 22, 12, 13)],
                      [12])
    stats = run_playouts(game, 50, seed=1)
    assert stats.komi == 30.5
    assert stats.black_win_rate == 0.0
    assert run_playouts(game, 50, seed=1, komi=0.5).black_win_rate == 1.0


def test_empty_9x9_win_rate_is_sane() -> None:
    stats = run_playouts(Board(9), 2000, komi=7.5, seed=2024)
    # Uniform random play gives Black about 42% against komi 7.5 (measured: 0.41 to 0.43).
    assert 0.32 < stats.black_win_rate < 0.52
    assert -3.0 < stats.mean_score < 4.0
    assert 90 < stats.mean_length < 130
    assert stats.black_wins + stats.white_wins + stats.draws == stats.count


def test_whole_number_komi_allows_draws() -> None:
    stats = run_playouts(Board(9), 500, komi=0, seed=3)
    assert stats.draws == int((stats.scores == 0).sum())
    assert stats.black_win_rate == pytest.approx(
        (stats.black_wins + 0.5 * stats.draws) / stats.count)


# -- termination and the eye rule -------------------------------------------------------------


@pytest.mark.parametrize("size", [5, 9, 13, 19])
def test_every_playout_ends_by_two_passes(size: int) -> None:
    board = Board(size)
    count = 300 if size < 19 else 60
    stats = run_playouts(board, count, seed=size)
    assert stats.capped == 0
    assert stats.lengths.max() < stats.max_moves
    rng = core.seed_rng(size)
    owner = np.zeros(board.pts.shape[1], dtype=np.int8)
    for _ in range(20):
        scratch = board.copy()
        core.light_playout(scratch.pts, scratch.meta, scratch.zobrist, rng, stats.max_moves,
                           owner)
        assert scratch.passes >= 2
        assert scratch.meta[core.M_LAST_MOVE] == core.PASS_PADDED
        assert scratch.meta[core.M_LAST_MOVE_2] == core.PASS_PADDED


def test_the_move_cap_stops_a_playout() -> None:
    stats = run_playouts(Board(9), 20, seed=1, config=PlayoutConfig(max_moves_factor=1))
    assert stats.max_moves == 81
    assert stats.lengths.max() <= 81
    assert stats.capped > 0  # random play on 9x9 runs about 110 moves


@pytest.mark.parametrize("to_move", [BLACK, WHITE])
def test_only_own_eyes_left_means_both_pass_at_once(to_move: int) -> None:
    board = Board.from_ascii(ONLY_EYES, to_move=to_move)
    stats = run_playouts(board, 50, seed=4)
    assert np.all(stats.lengths == 2)
    assert np.all(stats.scores == 12 - 13)
    assert stats.ownership[0, 0] == 1.0 and stats.ownership[3, 1] == 1.0  # Black's eyes
    assert stats.ownership[0, 3] == -1.0 and stats.ownership[3, 4] == -1.0  # White's eyes
    assert core.random_light_move(board.pts, board.meta, core.seed_rng(1)) == core.PASS_PADDED


@pytest.mark.parametrize("size", [5, 9, 19])
def test_light_move_test_is_legal_and_not_own_eye(size: int) -> None:
    """The playout's combined check agrees with is_legal and is_eye_like on every point."""
    rng = core.seed_rng(size)
    board = Board(size)
    width = size + 2
    checked = 0
    while board.passes < 2:
        color, ko = board.to_move, int(board.meta[core.M_KO_POINT])
        for q in board._padded[:-1]:
            if board.pts[core.COLOR, q] != 0:
                continue
            expected = (core.is_legal(board.pts, board.meta, q, color)
                        and not core.is_eye_like(board.pts, board.meta, q, color))
            assert core._is_light_move(board.pts, q, color, ko, width) == expected
            checked += 1
        core.play(board.pts, board.meta, board.zobrist,
                  core.random_light_move(board.pts, board.meta, rng), board.to_move)
    assert checked > 100


# -- the playout loop is play() in disguise -----------------------------------------------------


@pytest.mark.parametrize("size,start_moves,seed", [(5, 0, 1), (5, 12, 2), (9, 0, 3), (9, 40, 4),
                                                   (13, 60, 5), (19, 0, 6), (19, 150, 7)])
def test_light_moves_equals_random_light_move_then_play(size: int, start_moves: int,
                                                         seed: int) -> None:
    """The fast loop writes stone placement out inline; it must match play() field by field."""
    for suicide in (False, True):
        start = random_position(size, start_moves, seed)
        start.meta[core.M_ALLOW_SUICIDE] = int(suicide)
        fast, slow = start.copy(), start.copy()
        fast_rng, slow_rng = core.seed_rng(seed), core.seed_rng(seed)
        cap = 3 * size * size
        played = core.light_moves(fast.pts, fast.meta, fast.zobrist, fast_rng, cap, NO_RECORD)
        moves = 0
        while slow.passes < 2 and moves < cap:
            point = core.random_light_move(slow.pts, slow.meta, slow_rng)
            core.play(slow.pts, slow.meta, slow.zobrist, point, slow.to_move)
            moves += 1
        assert played == moves
        assert np.array_equal(fast.pts, slow.pts)
        assert np.array_equal(fast.meta, slow.meta)
        assert fast_rng[0] == slow_rng[0]


def test_playout_batch_matches_single_playouts() -> None:
    board = random_position(9, 25, seed=8)
    count, cap = 40, 243
    scores = np.zeros(count, dtype=np.int64)
    lengths = np.zeros(count, dtype=np.int64)
    ownership = np.zeros(board.pts.shape[1])
    core.playout_batch(board.pts, board.meta, board.zobrist, core.seed_rng(3), count, cap,
                       scores, ownership, lengths)
    rng = core.seed_rng(3)
    owner = np.zeros(board.pts.shape[1], dtype=np.int8)
    total = np.zeros(board.pts.shape[1])
    for i in range(count):
        scratch = board.copy()
        assert core.light_playout(scratch.pts, scratch.meta, scratch.zobrist, rng, cap,
                                  owner) == scores[i]
        assert scratch.meta[core.M_MOVES] - board.meta[core.M_MOVES] == lengths[i]
        assert int(owner.sum()) == scores[i]
        assert scratch.area()[0] == scores[i]
        total += owner
    assert np.allclose(ownership, total / count)


def test_benchmark_runs_with_a_tiny_budget() -> None:
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "playouts.py"
    done = subprocess.run([sys.executable, str(script), "--runs", "1", "--seconds", "0.05",
                           "--sizes", "5", "--threads", "2"],
                          capture_output=True, text=True, timeout=300, check=True)
    last = dict(pair.split("=") for pair in done.stdout.strip().splitlines()[-1].split())
    assert float(last["moves_per_s_5x5"]) > 0
    assert float(last["all_cores_playouts_per_s_5x5"]) > 0
    assert last["threads"] == "2"
