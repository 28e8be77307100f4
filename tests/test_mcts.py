"""The tree search: formulas, virtual loss, batched evaluation, mixing, reuse, determinism."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, WHITE, from_gtp
from go_engine.rules.game import Game, Rules
from go_engine.rules.masks import masks
from go_engine.search import patterns as pat
from go_engine.search import tree as kernels
from go_engine.search.config import Priors, Rollouts, SearchConfig, Selection
from go_engine.search.evaluation import (
    Evaluation,
    RolloutRunner,
    UniformEvaluator,
    outcome_value,
    outcome_values,
)
from go_engine.search.mcts import MCTS, _next_round_overruns, default_evaluator
from go_engine.search.policy_model import LinearPolicy
from go_engine.search.tree import TreeArrays
from go_engine.search.tree_policy import TreePolicyEvaluator


def game_from_ascii(text: str, to_move: int = BLACK, komi: float = 0.5) -> Game:
    """A game whose start position is the ASCII board."""
    board = Board.from_ascii(text)
    game = Game(board.size, Rules(komi=komi))
    game.setup_stones(board.points_of(BLACK), board.points_of(WHITE), to_move)
    return game


class FixedPriors:
    """A fake network: all prior mass on one move (when legal), and a constant value."""

    def __init__(self, favourite: int, value: float | None = None) -> None:
        self.favourite = favourite
        self.value = value
        self.batches: list[int] = []

    def evaluate(self, boards, masks):
        self.batches.append(len(boards))
        priors = masks.astype(np.float32) * 0.01
        priors[:, self.favourite] = np.where(masks[:, self.favourite], 1.0, 0.0)
        priors /= priors.sum(axis=1, keepdims=True)
        values = None if self.value is None else np.full(len(boards), self.value, np.float32)
        return Evaluation(priors, values)


def test_search_finds_the_capture_that_wins():
    # The white group's last liberty is C1: capturing it wins the game.
    game = game_from_ascii("""
        . . X . .
        . X O X .
        X O O O X
        . X O O X
        . X . X .
    """)
    mcts = MCTS(SearchConfig(playouts=400, seed=1))
    result = mcts.search(game)
    assert result.move == from_gtp("C1", 5)
    assert result.winrate() > 0.9


def assert_no_virtual_loss_left(mcts: MCTS, size: int, playouts: int) -> None:
    """Every edge's count equals its child's visits and the root saw every playout."""
    assert mcts.node(mcts.root, size).visits == playouts
    stack = [mcts.root]
    while stack:
        view = mcts.node(stack.pop(), size)
        for move, child in view.children.items():
            child_view = mcts.node(child, size)
            assert view.n[view.moves == move][0] == child_view.visits
            if child_view.expanded:
                assert child_view.n.sum() <= child_view.visits
                stack.append(child)


def test_visits_add_up_and_virtual_loss_is_taken_back():
    game = Game(7)
    mcts = MCTS(SearchConfig(playouts=300, batch_size=8, virtual_loss=3.0, seed=3))
    result = mcts.search(game)
    assert result.visits.sum() == 300
    assert np.all(result.visits == np.round(result.visits))
    assert_no_virtual_loss_left(mcts, 7, 300)
    assert np.all(np.abs(result.q) <= 1.0)


@pytest.mark.parametrize("settings", [
    {},  # light rollouts, RAVE (first movers travel back with the rounds)
    {"rollouts": "trained", "priors": "tree", "selection": Selection.PUCT},
    {"rollouts": "trained", "priors": "tree", "selection": Selection.PUCT,
     "last_good_reply": True},  # each slot's reply table travels with its random stream
])
def test_threaded_search_overlaps_rounds_yet_is_reproducible(settings):
    # With 3 threads up to 6 rounds of 8 leaves are in flight at once; backing them up oldest
    # first, each slot with its own random stream, gives the same tree whichever thread
    # played which round.
    config = SearchConfig(playouts=400, batch_size=8, rollout_threads=3, seed=4, **settings)
    results = []
    for _ in range(2):
        mcts = MCTS(config)
        results.append(mcts.search(Game(9)))
        assert_no_virtual_loss_left(mcts, 9, 400)
        mcts.close()
    assert results[0].visits.sum() == 400
    assert np.array_equal(results[0].visits, results[1].visits)
    assert np.array_equal(results[0].q, results[1].q)


class FailingPriors(FixedPriors):
    """A fake network that breaks down on its ``fail_at``-th call."""

    def __init__(self, fail_at: int) -> None:
        super().__init__(favourite=0)
        self.fail_at = fail_at

    def evaluate(self, boards, masks):
        if len(self.batches) + 1 == self.fail_at:
            self.batches.append(0)
            raise RuntimeError("evaluator broke")
        return super().evaluate(boards, masks)


def test_an_error_with_rounds_in_flight_leaves_a_clean_engine():
    evaluator = FailingPriors(fail_at=6)
    mcts = MCTS(SearchConfig(playouts=300, rollout_threads=2, seed=2,
                             selection=Selection.PUCT, expand_threshold=1), evaluator)
    with pytest.raises(RuntimeError, match="evaluator broke"):
        mcts.search(Game(7))
    assert mcts.root is None  # the tree with its virtual losses is gone
    result = mcts.search(Game(7))  # the evaluator works again
    assert result.visits.sum() == 300
    assert_no_virtual_loss_left(mcts, 7, 300)
    mcts.close()


def test_a_rollout_batch_gives_the_same_results_on_any_thread():
    board = Board(9)
    board.play(40)
    runner = RolloutRunner(threads=2, seed=1)

    def stacked():
        return np.stack([board.pts] * 4), np.stack([board.meta] * 4)

    here = runner.start(*stacked(), board.zobrist, 7.5, True, core.seed_rngs([11])[0])
    here.run_here()  # on this thread, unless the pool thread took it first
    pool = runner.start(*stacked(), board.zobrist, 7.5, True, core.seed_rngs([11])[0])
    for a, b in zip(here.result(), pool.result(), strict=True):
        assert np.array_equal(a, b)
    runner.close()


def test_seed_rngs_gives_each_thread_a_cache_line_of_its_own():
    states = core.seed_rngs([1, 2, 3])
    addresses = sorted(state.ctypes.data for state in states)
    assert all(b - a >= 64 for a, b in itertools.pairwise(addresses))
    assert [int(state[0]) for state in states] == [int(core.seed_rng(s)[0]) for s in (1, 2, 3)]


def test_same_seed_same_search_and_different_seed_differs():
    def visits(seed: int) -> np.ndarray:
        return MCTS(SearchConfig(playouts=200, seed=seed)).search(Game(7)).visits

    assert np.array_equal(visits(5), visits(5))
    assert not np.array_equal(visits(5), visits(6))


def test_puct_follows_the_prior_of_a_fake_network():
    favourite = from_gtp("C3", 7)
    evaluator = FixedPriors(favourite)
    config = SearchConfig(playouts=200, selection=Selection.PUCT, seed=0, batch_size=8)
    result = MCTS(config, evaluator).search(Game(7))
    assert result.move == favourite
    assert result.visits[favourite] > 5 * np.delete(result.visits, favourite).max()
    # Leaves go to the evaluator in batches, not one by one.
    assert max(evaluator.batches) > 1


@pytest.mark.parametrize("lam, expected", [(0.0, -0.6), (1.0, None)])
def test_leaf_values_mix_value_and_rollouts(lam, expected):
    """The evaluator claims +0.6 for the player to move at every leaf. With lambda = 0 no
    rollout is played, so every root edge (whose leaf is the opponent's turn) has Q = -0.6."""
    evaluator = FixedPriors(from_gtp("D4", 7), value=0.6)
    config = SearchConfig(playouts=64, mixing_lambda=lam, selection=Selection.PUCT, seed=2,
                          expand_threshold=1000)
    result = MCTS(config, evaluator).search(Game(7))
    visited = result.visits > 0
    if expected is None:
        assert not np.allclose(result.q[visited], -0.6)  # rollouts decide, not the value
    else:
        assert np.allclose(result.q[visited], expected)


def test_half_mix_lies_between_value_and_rollout():
    evaluator = FixedPriors(from_gtp("D4", 7), value=1.0)
    config = SearchConfig(playouts=64, mixing_lambda=0.5, selection=Selection.PUCT, seed=2,
                          expand_threshold=1000)
    result = MCTS(config, evaluator).search(Game(7))
    q = result.q[result.visits > 0]
    # (1 - 0.5) * (-1) + 0.5 * z with z in {-1, 0, 1}: every leaf value lies in [-1, 0].
    assert np.all(q <= 0.0) and np.all(q >= -1.0)


def test_tree_is_reused_after_the_moves_played():
    game = Game(7)
    mcts = MCTS(SearchConfig(playouts=400, seed=4, expand_threshold=1))
    first = mcts.search(game)
    child = mcts.node(mcts.node(mcts.root, 7).children[first.move], 7)
    reply = int(child.moves[np.argmax(child.n)])
    expected_visits = mcts.node(child.children[reply], 7).visits
    for move in (first.move, reply):
        game.play(move)
        mcts.advance(move, game.board)
    assert mcts.root is not None and mcts.node(mcts.root, 7).visits == expected_visits > 0
    result = mcts.search(game, playouts=100)
    assert mcts.node(mcts.root, 7).visits == expected_visits + 100
    # The reused root spent its first visit on its own evaluation, before it had edges.
    assert result.visits.sum() == expected_visits - 1 + 100


def test_root_respects_superko_and_never_picks_an_illegal_move():
    game = Game(5)
    mcts = MCTS(SearchConfig(playouts=30, seed=0))
    for _ in range(60):
        if game.is_over:
            break
        result = mcts.search(game)
        assert game.is_legal(result.move)
        game.play(result.move)
        mcts.advance(result.move, game.board)


def test_rollouts_are_reproducible_and_threads_cover_every_leaf():
    boards = [Board(9) for _ in range(12)]
    for i, board in enumerate(boards):
        board.play(i)
    single, _ = RolloutRunner(threads=1, seed=9).run(boards, komi=7.5)
    again, _ = RolloutRunner(threads=1, seed=9).run(boards, komi=7.5)
    threaded, _ = RolloutRunner(threads=3, seed=9).run(boards, komi=7.5)
    assert np.array_equal(single, again)
    assert set(np.unique(threaded)) <= {-1.0, 0.0, 1.0}
    assert len(threaded) == 12
    # The leaves are not changed by their rollouts.
    assert all(board.stone_count() == 1 for board in boards)


def test_uniform_evaluator_spreads_prior_over_candidates():
    masks = np.array([[True, False, True, True], [False, False, False, True]])
    priors = UniformEvaluator().evaluate([Board(2), Board(2)], masks).priors
    assert np.allclose(priors, [[1 / 3, 0, 1 / 3, 1 / 3], [0, 0, 0, 1]])


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        SearchConfig(playouts=0, seconds=0)
    with pytest.raises(ValueError):
        SearchConfig(mixing_lambda=1.5)
    with pytest.raises(ValueError, match="trained rollouts"):
        SearchConfig(last_good_reply=True)  # light playouts have no reply table
    config = SearchConfig()
    assert dataclasses.replace(config, playouts=10).playouts == 10


def tiny_tree(size: int, movers: list[int], moves: list[int]) -> tuple[TreeArrays, list[int]]:
    """Nodes (one per mover) each expanded over ``moves`` (flat, padded here) + pass."""
    arrays = TreeArrays(16, 64)
    index = padded_index(size)
    ids = []
    for mover in movers:
        node = arrays.new_root(mover)
        padded = np.array([index[m] for m in moves] + [-1])
        kernels.expand(arrays.nodes, arrays.edges, arrays.stats, arrays.counts, node, padded,
                       np.full(len(padded), 1 / len(padded)), np.zeros(len(padded)))
        ids.append(node)
    return arrays, ids


def edge_of(arrays: TreeArrays, node: int, move: int, size: int) -> int:
    target = padded_index(size)[move]
    return next(e for e in arrays.edge_range(node) if arrays.edges[e, kernels.MOVE] == target)


def selected(arrays: TreeArrays, node: int, formula: int, params: np.ndarray) -> int:
    """The edge the selection formula picks at ``node``."""
    return kernels.select_edge(arrays.nodes, arrays.edges, arrays.stats, node, formula, params)


def test_amaf_credits_each_players_first_moves_along_the_path():
    """A path root -(Black A)-> n1 -(White B)-> leaf, then a rollout where Black played C
    first and White played A (after capturing Black's stone there) and D. Seen from n1, White
    played B, A and D first; seen from the root, A was Black's, so Black gets A and C. The
    leaf value +1 is for Black (to move at the leaf)."""
    size = 3
    a, b, c, d = 0, 1, 2, 3
    arrays, (root, n1, leaf) = tiny_tree(size, [BLACK, WHITE, BLACK], [a, b, c, d])
    index = padded_index(size)
    first = np.zeros((1, (size + 2) ** 2), np.int8)
    first[0, index[[c, a, d]]] = [BLACK, WHITE, WHITE]
    kernels.backup(arrays.nodes, arrays.edges, arrays.stats, np.array([leaf]),
                   np.array([[root, n1]]), np.array([[edge_of(arrays, root, a, size),
                                                      edge_of(arrays, n1, b, size)]]),
                   np.array([2]), np.array([1.0]), 0.0, first)

    def credited(node):
        return {m for m in (a, b, c, d)
                if arrays.stats[edge_of(arrays, node, m, size), kernels.AMAF_N] > 0}

    assert credited(root) == {a, c}
    assert credited(n1) == {a, b, d}
    assert arrays.stats[edge_of(arrays, root, c, size), kernels.AMAF_W] == 1.0
    assert arrays.stats[edge_of(arrays, n1, d, size), kernels.AMAF_W] == -1.0


def test_puct_and_backup_against_hand_worked_numbers():
    size = 3
    arrays, (node,) = tiny_tree(size, [BLACK], [0, 1, 2])
    e0, e1, e2 = (edge_of(arrays, node, m, size) for m in (0, 1, 2))
    arrays.stats[[e0, e1, e2], kernels.PRIOR] = [0.5, 0.3, 0.2]
    arrays.stats[[e0, e1, e2], kernels.N] = [2, 1, 0]
    arrays.stats[[e0, e1, e2], kernels.W] = [1, -1, 0]
    pass_edge = arrays.edge_range(node)[-1]
    arrays.stats[pass_edge, kernels.PRIOR] = 0.0
    params = np.array([0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # c_puct 1, fpu 0
    # sqrt(N) = sqrt(3): e0 0.5 + 0.5 * 1.732 / 3 = 0.789; e1 -1 + 0.3 * 1.732 / 2 = -0.740;
    # e2 0 + 0.2 * 1.732 / 1 = 0.346.
    assert selected(arrays, node, kernels.PUCT, params) == e0
    # AlphaGo's c_puct = 5: e0 0.5 + 5 * 0.5 * 1.732 / 3 = 1.943; e2 5 * 0.2 * 1.732 = 1.732.
    params[1] = 5.0
    assert selected(arrays, node, kernels.PUCT, params) == e0
    # After 10 visits of e0 (Q = 0.1), sqrt(N) = sqrt(11) = 3.317: e0 0.1 + 5 * 0.5 * 3.317 /
    # 11 = 0.854; e2 5 * 0.2 * 3.317 = 3.317 now wins.
    arrays.stats[e0, kernels.N] = 10
    arrays.stats[e0, kernels.W] = 1
    assert selected(arrays, node, kernels.PUCT, params) == e2
    # Relative first-play urgency: the node's mean value is (1 - 1 + 0) / 11 = 0; minus 0.5
    # gives e2 a Q of -0.5 and a score of -0.5 + 3.317 = 2.817, still first; with a
    # reduction of 3: -3 + 3.317 = 0.317, under e1's -1 + 5 * 0.3 * 3.317 / 2 = 1.488.
    params[7], params[8] = 1.0, 0.5
    assert selected(arrays, node, kernels.PUCT, params) == e2
    params[8] = 3.0
    assert selected(arrays, node, kernels.PUCT, params) == e1
    params[7], params[8] = 0.0, 0.0
    # Backup of a +1 for the player to move at the leaf (White, after Black's move at e2)
    # under virtual loss 3: the edge counts one visit and a loss for Black.
    leaf = arrays.new_root(WHITE)
    arrays.stats[e2, kernels.N] += 3.0
    arrays.stats[e2, kernels.W] -= 3.0
    kernels.backup(arrays.nodes, arrays.edges, arrays.stats, np.array([leaf]),
                   np.array([[node]]), np.array([[e2]]), np.array([1]), np.array([1.0]), 3.0,
                   np.zeros((1, 0), np.int8))
    assert arrays.stats[e2, kernels.N] == 1.0 and arrays.stats[e2, kernels.W] == -1.0
    assert arrays.nodes[node, kernels.VISITS] == 1 and arrays.nodes[leaf, kernels.VISITS] == 1


def test_rave_blend_and_prior_bonus_against_hand_worked_numbers():
    size = 3
    arrays, (node,) = tiny_tree(size, [BLACK], [0, 1])
    e0, e1 = (edge_of(arrays, node, m, size) for m in (0, 1))
    arrays.stats[[e0, e1], kernels.PRIOR] = [0.1, 0.9]
    arrays.stats[[e0, e1], kernels.N] = [3, 1]
    arrays.stats[[e0, e1], kernels.W] = [1.5, 0.0]
    arrays.stats[[e0, e1], kernels.AMAF_N] = [9, 9]
    arrays.stats[[e0, e1], kernels.AMAF_W] = [4.5, 0.9]
    arrays.edges[arrays.edge_range(node)[-1], kernels.LEGAL] = 0  # leave the pass out
    # c_rave 0, b = 0: beta = n~ / (n + n~). e0: beta 0.75, value 0.25 * 0.5 + 0.75 * 0.5 =
    # 0.5; e1: beta 0.9, value 0.1 * 0 + 0.9 * 0.1 = 0.09. RAVE alone picks e0.
    params = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    assert selected(arrays, node, kernels.RAVE, params) == e0
    # Prior weight 1, N = 4, sqrt(N) = 2: e0 0.5 + 0.1 * 2 / 4 = 0.55; e1 0.09 + 0.9 * 2 / 2 =
    # 0.99: the prior now wins.
    params[6] = 1.0
    assert selected(arrays, node, kernels.RAVE, params) == e1
    # b = 1 (4 b^2 = 4): e0 beta = 9 / (3 + 9 + 108) = 0.075, value 0.925 * 0.5 + 0.075 * 0.5
    # = 0.5; e1 beta = 9 / (1 + 9 + 36) = 0.196, value 0.0196: 0.55 vs 0.92, still e1; with
    # weight 0.3: e0 0.515, e1 0.0196 + 0.27 = 0.29, so e0.
    params[4], params[6] = 1.0, 0.3
    assert selected(arrays, node, kernels.RAVE, params) == e0


def test_rave_gathers_more_amaf_than_real_visits():
    config = SearchConfig(playouts=200, selection=Selection.RAVE, seed=1)
    mcts = MCTS(config)
    mcts.search(Game(7))
    root = mcts.node(mcts.root, 7)
    assert root.amaf_n.sum() > 5 * root.n.sum()
    assert np.all(np.abs(root.amaf_w) <= root.amaf_n)


def test_rollouts_record_first_movers():
    board = Board(7)
    results, first = RolloutRunner(seed=3).run([board], komi=7.5, record_first_movers=True)
    assert first.shape == (1, 49)
    assert set(np.unique(first)) <= {0, BLACK, WHITE}
    # A light playout fills every point but the eyes, so most points have a first mover.
    assert (first > 0).sum() > 30


def test_progress_reports_arrive_while_searching_and_should_stop_ends_it():
    reports = []
    mcts = MCTS(SearchConfig(playouts=100, seed=0))

    def enough() -> bool:
        return len(reports) >= 3

    result = mcts.search(Game(7), playouts=0, seconds=0, should_stop=enough,
                         progress=reports.append, progress_every=0.01)
    assert len(reports) == 3
    assert [r.playouts for r in reports] == sorted(r.playouts for r in reports)
    assert result.playouts >= reports[-1].playouts > 0
    with pytest.raises(ValueError):
        mcts.search(Game(7), playouts=0, seconds=0)


def test_trained_rollouts_and_tree_policy_priors_drive_the_search():
    config = SearchConfig(playouts=64, seed=3, rollouts="trained", priors="tree",
                          selection=Selection.PUCT)
    mcts = MCTS(config)
    result = mcts.search(Game(9))
    assert result.visits.sum() == 64
    prior = result.prior[:-1]
    assert abs(result.prior.sum() - 1.0) < 1e-5
    assert prior.max() > 3 * np.median(prior)  # informative, not uniform
    assert Game(9).is_legal(result.move)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_tree_policy_expansion_gives_the_evaluators_priors(seed):
    # A middle game from seeded light moves; the search expands it in compiled code, and the
    # edges must carry what the evaluator says leaf by leaf over the search's candidates.
    board = Board(9)
    core.light_moves(board.pts, board.meta, board.zobrist, core.seed_rng(seed), 25 + 15 * seed,
                     np.empty(0, np.int8))
    evaluator = TreePolicyEvaluator()
    arrays = TreeArrays()
    root = arrays.new_root(board.to_move)
    arrays.reserve(0, 82)
    evaluator.expand_leaves(arrays, np.array([root]), board.pts[None], board.meta[None],
                            np.array([True]), True, core.seed_rng(1))
    _, candidates = masks(board)
    expected = evaluator.evaluate([board], candidates[None, :]).priors[0]
    edges = arrays.edge_range(root)
    moves = arrays.edges[edges, kernels.MOVE]
    flat = np.where(moves < 0, 81, [(m // 11 - 1) * 9 + m % 11 - 1 for m in moves])
    assert sorted(flat) == list(np.flatnonzero(candidates))
    assert np.allclose(arrays.stats[edges, kernels.PRIOR], expected[flat], rtol=1e-6, atol=0)
    assert abs(arrays.stats[edges, kernels.PRIOR].sum() - 1.0) < 1e-5


def test_policy_temperatures_reach_the_search():
    config = SearchConfig(playouts=16, rollouts="trained", priors="tree",
                          rollout_temperature=2.0, tree_policy_temperature=0.5)
    mcts = MCTS(config)
    board = Board(9)
    board.play(40)
    # Temperature 2 takes the square root of every unnormalised move weight.
    base = MCTS(SearchConfig(playouts=16, rollouts="trained")).rollouts.policy
    hot = mcts.rollouts.policy.move_weights(board)
    cold = base.move_weights(board)
    legal = cold > 0
    assert np.allclose(hot[legal], np.sqrt(cold[legal]), rtol=1e-5)
    assert mcts.evaluator.temperature == 0.5
    with pytest.raises(ValueError):
        SearchConfig(rollout_temperature=0.0)


def test_a_timed_search_stops_before_a_round_that_would_overrun():
    # 4.8 s in after 48 rounds: rounds take 0.1 s, the next would end at 4.9 s of 5: go on.
    assert not _next_round_overruns(4.8, 48, 5.0)
    # 4.92 s after 48 rounds (0.1025 s each): the next would end past 5 s: stop now.
    assert _next_round_overruns(4.92, 48, 5.0)
    assert not _next_round_overruns(0.0, 0, 5.0)  # the first round always starts
    assert _next_round_overruns(5.0, 0, 5.0)


# -- the margin in a finished game's value (score_weight) ---------------------------------------

SETTLED = """
. X . X .
X X X X X
X X X X X
X X X X X
. X . X .
"""  # Black owns all 25 points; White can only pass, Black will not fill its eyes


def test_outcome_value_blends_result_and_margin_by_hand():
    assert outcome_value(3.5, 0.0, 10.0) == 1.0
    assert outcome_value(-0.5, 0.0, 10.0) == -1.0
    assert outcome_value(0.0, 0.3, 10.0) == 0.0
    # (1 - 0.2) * 1 + 0.2 * tanh(10 / 10) = 0.8 + 0.2 * 0.76159
    assert outcome_value(10.0, 0.2, 10.0) == pytest.approx(0.952318, abs=1e-6)
    assert outcome_value(-5.0, 0.2, 10.0) == pytest.approx(-0.892423, abs=1e-6)
    margins = np.array([-30.5, -0.5, 0.0, 0.5, 7.0, 30.5])
    expected = [outcome_value(m, 0.25, 6.0) for m in margins]
    np.testing.assert_allclose(outcome_values(margins, 0.25, 6.0), expected)


def test_outcome_value_keeps_every_win_above_every_loss():
    margins = np.linspace(-80.5, 80.5, 162)
    for weight in (0.1, 0.5, 0.9):
        values = outcome_values(margins, weight, 10.0)
        assert np.all(np.diff(values) > 0)  # a bigger margin is always worth more
        assert values[margins > 0].min() > 0 > values[margins < 0].max()
        assert np.all(np.abs(values) <= 1.0)


def test_rollouts_add_the_margin_for_the_player_to_move():
    for to_move, sign in ((BLACK, 1.0), (WHITE, -1.0)):
        game = game_from_ascii(SETTLED, to_move=to_move, komi=7.5)
        plain, _ = RolloutRunner(seed=1).run([game.board], komi=7.5)
        blended, _ = RolloutRunner(seed=1, score_weight=0.5, score_scale=10.0).run(
            [game.board], komi=7.5)
        assert plain[0] == sign
        # Black's 25 points less komi: a margin of 17.5
        assert blended[0] == pytest.approx(sign * (0.5 + 0.5 * np.tanh(1.75)))


def test_scored_leaves_carry_the_margin_too():
    # Black to move can only pass (eye fills are pruned); White then passes: every leaf is a
    # finished game, scored exactly, so the root's value is the blended value of +17.5.
    game = game_from_ascii(SETTLED, to_move=BLACK, komi=7.5)
    config = SearchConfig(playouts=40, score_weight=0.5, score_scale=10.0, seed=2)
    result = MCTS(config).search(game)
    assert result.move == game.board.size ** 2  # the pass
    assert result.q[result.move] == pytest.approx(0.5 + 0.5 * np.tanh(1.75))


def test_score_weight_is_checked():
    with pytest.raises(ValueError, match="score_weight"):
        SearchConfig(score_weight=1.5)
    with pytest.raises(ValueError, match="score_scale"):
        SearchConfig(score_weight=0.1, score_scale=0.0)


def test_the_search_loads_the_policies_its_config_names(tmp_path):
    path = tmp_path / "uniform-tree.npz"
    LinearPolicy.empty("tree").save(path)
    config = SearchConfig(playouts=10, priors=Priors.TREE_POLICY, tree_policy=str(path))
    assert default_evaluator(config).model.num_patterns == 0
    again = default_evaluator(config).model
    assert again is default_evaluator(config).model  # one load per process and file stamp
    LinearPolicy.empty("tree", np.array([pat.make_key(pat.TAG_3X3, 5)])).save(path)
    assert default_evaluator(config).model.num_patterns == 1  # the file changed: read again
    shipped = dataclasses.replace(config, tree_policy="tree")
    assert default_evaluator(shipped).model.num_patterns > 0
    with pytest.raises(ValueError, match="tree_policy=.*missing.npz: no such model file"):
        SearchConfig(playouts=10, tree_policy=str(tmp_path / "missing.npz"))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="rollout_policy=.*broken.npz: not a policy model"):
        MCTS(SearchConfig(playouts=10, rollouts=Rollouts.TRAINED, rollout_policy=str(broken)))
