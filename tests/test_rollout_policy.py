"""The rollout policy: incremental weights equal a from-scratch recount, shipped weights give a
legal-move distribution, policy playouts terminate with legal moves and record first movers,
RolloutRunner plays them, and the tree-policy evaluator gives masked priors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import grid_from_board, reference_play

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, WHITE, from_gtp, from_padded, to_padded
from go_engine.rules.masks import masks
from go_engine.search import patterns as pat
from go_engine.search import policy_features as pf
from go_engine.search import rollout_policy as rp
from go_engine.search.evaluation import RolloutRunner
from go_engine.search.policy_model import LinearPolicy, default_policy, shipped_path
from go_engine.search.tree_policy import TreePolicyEvaluator


@pytest.fixture(scope="module")
def noisy_model() -> LinearPolicy:
    """The shipped rollout dictionary with random weights: every feature matters."""
    shipped = default_policy("rollout")
    weights = np.random.default_rng(7).normal(0.0, 1.0, shipped.weights.shape)
    return LinearPolicy("rollout", shipped.spec, shipped.pattern_keys, weights)


def key_weights(board: Board, model: LinearPolicy, captured: np.ndarray, stamp: int) -> np.ndarray:
    """exp(score) per padded point from the training path (feature keys, then the table)."""
    tables = model.tables()
    lib3 = np.zeros(board.pts.shape[1], np.int64)
    pat.fill_lib3(board.pts, board.meta, lib3)
    points, counts, flags = (np.empty(700, np.int64) for _ in range(3))
    keys = np.empty((700, pf.MAX_KEYS), np.int64)
    n = pf.position_keys(board.pts, board.meta, lib3, board.to_move, tables.spec, captured,
                         stamp, points, keys, counts, flags)
    indices = np.empty((700, pf.MAX_KEYS + 1), np.int64)
    index_counts = np.empty(700, np.int64)
    pf.keys_to_indices(keys, counts, n, tables.table, indices, index_counts)
    out = np.zeros(board.pts.shape[1])
    for i in range(n):
        if not flags[i] & pf.T_EYE:
            out[points[i]] = np.exp(tables.weights[indices[i, :index_counts[i]]].sum())
    return out


@pytest.mark.parametrize("size,seed,shipped", [(9, 1, False), (9, 2, False), (13, 3, False),
                                               (19, 4, False), (19, 5, True)])
def test_incremental_weights_equal_a_recount_along_a_rollout(noisy_model, size, seed, shipped):
    """After every move of a rollout, the weights the next draw uses (kept incrementally, with
    the overlay) equal exp(score) from the training path's feature keys, and the kept state
    equals a from-scratch recount."""
    if shipped:
        noisy_model = default_policy("rollout")
    model = rp.RolloutPolicy(noisy_model).kernel_model()
    board = Board(size)
    rng = core.seed_rng(seed)
    ints, floats, ctr = rp.new_state(size)
    rp.init_state(board.pts, board.meta, ints, floats, ctr, model, 0)
    for _ in range(2 * size * size):
        if board.passes >= 2:
            break
        color = board.to_move
        drawn = rp.draw_weights(board.pts, board.meta, ints, floats, ctr, model)
        expected = key_weights(board, noisy_model, ints[rp.I_CAPTURED].copy(),
                               int(ctr[rp.C_CAP_STAMP]))
        np.testing.assert_allclose(drawn, expected, rtol=2e-5, atol=1e-300)
        fresh = rp.new_state(size)
        rp.init_state(board.pts, board.meta, *fresh, model, 0)
        rp.refresh_pending(board.pts, ints, floats, ctr, 3 - color, size + 2, model)
        np.testing.assert_allclose(floats[1:3], fresh[1][1:3], rtol=1e-6)
        for c in (BLACK, WHITE):  # the row sums (partial sums) equal sums of the kept weights
            rows = floats[c].reshape(size + 2, size + 2)[1:-1].sum(axis=1)
            np.testing.assert_allclose(floats[rp.F_ROW_SUM + c, 1:size + 1], rows, rtol=1e-13)
        on_board = padded_index(size)[:-1]
        assert np.array_equal(ints[rp.I_CODE, on_board], fresh[0][rp.I_CODE, on_board])
        move = rp.choose_move(board.pts, board.meta, ints, floats, ctr, model, rng)
        assert move == -1 or expected[move] > 0.0
        rp.play_update(board.pts, board.meta, board.zobrist, ints, floats, ctr, model, move,
                       color)
    assert board.passes >= 2


def test_shipped_models_load_and_give_a_legal_move_distribution():
    assert shipped_path("rollout").is_file() and shipped_path("tree").is_file()
    policy = rp.RolloutPolicy()
    board = Board.from_ascii("""
        . . . . . . . . .
        . . X O . . . . .
        . . X O . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . . . . . . .
        . . . X . . . O .
        . . . . . . . . .
        . . . . . . . . .
    """)
    board.play(30, BLACK)  # the last move, D6
    weights = policy.move_weights(board)
    legal = masks(board)[0][:-1]
    assert (weights >= 0).all() and not weights[~legal].any() and weights[legal].all()
    probabilities = weights / weights.sum()
    assert np.isclose(probabilities.sum(), 1.0)


def replay_legally(size: int, moves: list[int], colors: list[int]) -> Board:
    """Replay padded moves on a fresh board, checking each against the rules core."""
    board = Board(size)
    for move, color in zip(moves, colors, strict=True):
        if move >= 0:
            assert core.is_legal(board.pts, board.meta, move, color)
            assert not core.is_eye_like(board.pts, board.meta, move, color)
        core.play(board.pts, board.meta, board.zobrist, move, color)
    return board


@pytest.mark.parametrize("size", [5, 9, 19])
def test_policy_playouts_terminate_with_legal_moves(size):
    model = rp.RolloutPolicy().kernel_model()
    board = Board(size)
    ints, floats, ctr = rp.new_state(size)
    rp.init_state(board.pts, board.meta, ints, floats, ctr, model, 0)
    rng = core.seed_rng(size)
    moves, colors = [], []
    while board.passes < 2:
        assert len(moves) < 3 * size * size
        color = board.to_move
        move = rp.choose_move(board.pts, board.meta, ints, floats, ctr, model, rng)
        moves.append(move)
        colors.append(color)
        rp.play_update(board.pts, board.meta, board.zobrist, ints, floats, ctr, model, move,
                       color)
    replayed = replay_legally(size, moves, colors)
    assert np.array_equal(replayed.pts, board.pts)


def test_rollout_records_first_movers_and_is_reproducible():
    policy = rp.RolloutPolicy()
    results = []
    for _ in range(2):
        board = Board(9)
        first = np.zeros(board.pts.shape[1], np.int8)
        played = policy.rollout(board, core.seed_rng(11), first_mover=first)
        results.append((played, board.stones().copy(), first.copy()))
    assert results[0][0] == results[1][0] and np.array_equal(results[0][1], results[1][1])
    first = results[0][2][padded_index(9)[:-1]]
    assert set(np.unique(first)) <= {0, BLACK, WHITE} and (first != 0).sum() > 40


def test_rollout_runner_plays_policy_rollouts_in_threads():
    runner = RolloutRunner(threads=2, seed=3, policy=rp.RolloutPolicy())
    try:
        boards = [Board(9) for _ in range(6)]
        results, first = runner.run(boards, komi=7.5, record_first_movers=True)
        assert set(results.tolist()) <= {-1.0, 1.0} and first.shape == (6, 81)
        assert all(b.stone_count() == 0 for b in boards)
    finally:
        runner.close()


def padded(vertex: str, size: int = 9) -> int:
    return to_padded(from_gtp(vertex, size), size)


def test_last_good_replies_are_stored_for_the_winner_and_forgotten_for_the_loser():
    """A rollout after White's D4 went E5 (B) D5 (W) pass (B) C3 (W) F6 (B). White won: its
    replies D5 (to E5) and C3 (to the pass: none) are stored; Black's stored reply E5 to D4
    is forgotten, and its reply to C3 (F6, not the stored G7) is left alone."""
    replies = rp.new_replies(9)
    replies[BLACK, padded("D4")] = padded("E5")
    replies[BLACK, padded("C3")] = padded("G7")
    history = np.array([padded(v) for v in ("E5", "D5")] + [-1]
                       + [padded(v) for v in ("C3", "F6")], np.int32)
    rp._learn_replies(replies, history, 5, BLACK, padded("D4"), WHITE)
    assert replies[WHITE, padded("E5")] == padded("D5")
    assert replies[BLACK, padded("D4")] == -1
    assert replies[BLACK, padded("C3")] == padded("G7")
    stored = {(c, p) for c, p in zip(*np.nonzero(replies >= 0), strict=True)}
    assert stored == {(WHITE, padded("E5")), (BLACK, padded("C3"))}


def test_a_rollout_plays_the_stored_reply_when_the_policy_allows_it():
    """White's reply to Black's D5 is a point the policy would rarely choose (A1); the rollout
    plays it while it is empty, and falls back to the policy once it is occupied."""
    policy = rp.RolloutPolicy()
    model = policy.kernel_model()
    board = Board(9)
    replies = rp.new_replies(9)
    replies[WHITE, padded("D5")] = padded("A1")
    history = np.empty(1, np.int32)
    for occupied, expected in ((False, padded("A1")), (True, None)):
        start = board.copy()
        if occupied:
            start.play(from_gtp("A1", 9), WHITE)
        start.play(from_gtp("D5", 9), BLACK)
        ints, floats, ctr = rp.new_state(9)
        played = rp.policy_moves(start.pts, start.meta, start.zobrist, core.seed_rng(5), 1,
                                 np.empty(0, np.int8), ints, floats, ctr, model, replies,
                                 history)
        assert played == 1 and start.meta[core.M_LAST_MOVE] == history[0]
        if expected is not None:
            assert history[0] == expected
        else:
            assert history[0] != padded("A1")


def test_the_runner_keeps_a_reply_table_per_stream_and_stays_reproducible():
    outcomes = []
    for _ in range(2):
        runner = RolloutRunner(threads=2, seed=3, policy=rp.RolloutPolicy(),
                               last_good_reply=True)
        try:
            pts = np.stack([Board(9).pts] * 16)
            meta = np.stack([Board(9).meta] * 16)
            results = [runner.run_in_place(pts.copy(), meta.copy(), Board(9).zobrist, 7.5)[0]
                       for _ in range(3)]
            tables = [runner.stream_replies(i, 9).copy() for i in range(2)]
        finally:
            runner.close()
        assert all((t >= 0).sum() > 20 for t in tables)  # both threads learnt replies
        assert not np.array_equal(tables[0], tables[1])
        outcomes.append((np.concatenate(results), *tables))
    for first, second in zip(*outcomes, strict=True):
        assert np.array_equal(first, second)


def test_last_good_reply_needs_trained_rollouts():
    with pytest.raises(ValueError, match="trained rollouts"):
        RolloutRunner(policy=None, last_good_reply=True)


def test_tree_policy_priors_follow_the_masks():
    evaluator = TreePolicyEvaluator()
    board = Board(9)
    board.play(40, BLACK)
    legal, sensible = masks(board)
    only_pass = np.zeros_like(legal)
    only_pass[-1] = True
    some = np.zeros_like(legal)
    some[[3, 31, 49]] = True
    evaluation = evaluator.evaluate([board, board, board], np.stack([sensible, only_pass, some]))
    priors = evaluation.priors
    assert evaluation.values is None
    assert np.allclose(priors.sum(axis=1), 1.0, atol=1e-5)
    assert not priors[0][~sensible].any() and priors[1][-1] == 1.0
    assert np.count_nonzero(priors[2]) == 3
    near = priors[0][[31, 41, 39, 49]].min()  # next to the last move
    assert near > priors[0][0]  # the corner


def test_diamond_turns_and_mirror_match_the_orientations():
    codes = np.random.default_rng(3).integers(0, 1 << 36, 2000)
    for code in (int(c) for c in codes):
        other = code
        for s in range(1, 8):
            other = rp._mirror_diamond(code) if s == 4 else rp._turn_diamond(other)
            assert other == pat.diamond_orientation(code, s)


def test_context_table_holds_every_response_row():
    policy = rp.RolloutPolicy(default_policy("rollout"))
    tables = policy.tables
    _, _, grid3, contexts, _, context_keys, nakade = policy.kernel_model()
    assert np.shares_memory(contexts, context_keys)
    is_context = (tables.table["key"] >> pat.TAG_SHIFT) == pat.TAG_CONTEXT
    keys = tables.table["key"][is_context]
    rows = tables.table["index"][is_context]
    assert len(keys) == tables.responses.shape[0]
    for key, row in zip(keys[::7], rows[::7], strict=True):
        slot = rp._context_slot(context_keys, key)
        assert slot >= 0 and np.array_equal(contexts[slot, :pat.N_DIAMOND],
                                            tables.responses[row])
    absent = pat.make_key(pat.TAG_CONTEXT, np.arange(50, dtype=np.int64) << 40 | 12345)
    for key in absent[~np.isin(absent, keys)]:
        assert rp._context_slot(context_keys, key) == -1


def test_folded_tables_keep_the_pattern_weights():
    policy = rp.RolloutPolicy(default_policy("rollout"))
    tables = policy.tables
    _, _, grid3, _, _, _, nakade = policy.kernel_model()
    settled = tables.grid3 != pf.SLOW_PATH
    assert np.array_equal(grid3[settled], tables.grid3[settled])
    slow = np.flatnonzero(~settled)
    assert (grid3[slow] < 0).all()
    for code in slow[::97]:
        key = pat.make_key(pat.TAG_3X3, pat.canonical_3x3(code))
        assert -grid3[code] == rp._pattern_weight(tables.table, key)
    for mask in range(0, 4096, 5):
        key = pat.make_key(pat.TAG_NAKADE, np.int64(pat.NAKADE_CANONICAL[mask]))
        assert nakade[mask] == rp._pattern_weight(tables.table, key)


@pytest.mark.parametrize("size,seed", [(9, 21), (19, 22)])
def test_liberties_from_pseudo_liberties_equal_a_walk(size, seed):
    """The shortcut through the board's pseudo-liberties gives every chain's capped liberty
    count exactly, along light playouts that leave big, crowded chains."""
    board = Board(size)
    rng = core.seed_rng(seed)
    checked = 0
    while board.passes < 2:
        core.light_moves(board.pts, board.meta, board.zobrist, rng, 7, np.empty(0, np.int8))
        for p in padded_index(size)[:-1]:
            if board.pts[core.COLOR, p] in (BLACK, WHITE) and board.pts[core.HEAD, p] == p:
                assert rp._chain_lib3(board.pts, p, size + 2) == pat.chain_lib3(board.pts, p,
                                                                                  size + 2)
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("size,seed,allow_suicide", [(9, 31, False), (9, 32, True),
                                                     (13, 33, True)])
def test_inlined_play_equals_the_book(size, seed, allow_suicide):
    """The rollout's inlined move, ``core.play_stone`` (``core.play`` of a stone is the same
    code), leaves the stones the book's rules give, captures and suicides included, and hands
    the move over, along random legal games. The chains' own bookkeeping is checked after
    every move in ``test_invariants.py``."""
    board = Board(size, allow_suicide=allow_suicide)
    rng = np.random.default_rng(seed)
    on_board = padded_index(size)[:-1]
    captures = suicides = 0
    for _ in range(4 * size * size):
        color = int(board.meta[core.M_TO_MOVE])
        legal = [p for p in on_board if core.is_legal(board.pts, board.meta, p, color)]
        if not legal:
            break
        point = int(rng.choice(legal))
        row, col = divmod(from_padded(point, size), size)
        expected, captured, lost = reference_play(grid_from_board(board), row, col, color,
                                                  allow_suicide)
        moves = int(board.meta[core.M_MOVES])
        last = int(board.meta[core.M_LAST_MOVE])
        assert core.play_stone(board.pts, board.meta, board.zobrist, point, color) == captured
        assert grid_from_board(board) == expected
        assert (board.meta[core.M_TO_MOVE], board.meta[core.M_MOVES]) == (3 - color, moves + 1)
        assert (board.meta[core.M_LAST_MOVE], board.meta[core.M_LAST_MOVE_2]) == (point, last)
        assert board.meta[core.M_PASSES] == 0
        captures += captured
        suicides += lost > 0
    assert captures > 10 and (suicides > 0) == allow_suicide
