"""The tree search: formulas, virtual loss, batched evaluation, mixing, reuse, determinism."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, WHITE, from_gtp
from go_engine.rules.game import Game, Rules
from go_engine.search.config import SearchConfig, Selection
from go_engine.search.evaluation import Evaluation, RolloutRunner, UniformEvaluator
from go_engine.search.mcts import MCTS, Node


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


def test_visits_add_up_and_virtual_loss_is_taken_back():
    game = Game(7)
    mcts = MCTS(SearchConfig(playouts=300, batch_size=8, virtual_loss=3.0, seed=3))
    result = mcts.search(game)
    assert result.visits.sum() == 300
    assert np.all(result.visits == np.round(result.visits))
    assert mcts.root.visits == 300
    # Every expanded node's edge counts equal its children's visits: no loss left behind.
    stack = [mcts.root]
    while stack:
        node = stack.pop()
        for move, child in node.children.items():
            assert node.child_n[move] == child.visits
            if child.expanded:
                assert child.child_n.sum() <= child.visits
                stack.append(child)
    assert np.all(np.abs(result.q) <= 1.0)


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
    mcts = MCTS(SearchConfig(playouts=400, seed=4))
    first = mcts.search(game)
    reply = int(np.argmax(mcts.root.children[first.move].child_n))
    expected_visits = mcts.root.children[first.move].children[reply].visits
    for move in (first.move, reply):
        game.play(move)
        mcts.advance(move, game.board)
    assert mcts.root is not None and mcts.root.visits == expected_visits > 0
    result = mcts.search(game, playouts=100)
    assert mcts.root.visits == expected_visits + 100
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
    config = SearchConfig()
    assert dataclasses.replace(config, playouts=10).playouts == 10


def test_amaf_credits_each_players_first_moves_along_the_path():
    """A path root -(Black A)-> n1 -(White B)-> leaf, then a rollout where Black played C
    first and White played A (after capturing Black's stone there) and D. Seen from n1, White
    played B, A and D first; seen from the root, A was Black's, so Black gets A and C. The
    leaf value +1 is for Black (to move at the leaf)."""
    size = 3
    a, b, c, d = 0, 1, 2, 3
    root, n1 = Node(BLACK), Node(WHITE)
    rng = np.random.default_rng(0)
    everything = np.ones(size * size + 1, dtype=bool)
    for node in (root, n1):
        node.expand(everything, everything / everything.sum(), rng, amaf=True)
    leaf = Node(BLACK)
    first = np.zeros(size * size, np.int8)
    first[[c, a, d]] = [BLACK, WHITE, WHITE]
    MCTS._backup_amaf([(root, a), (n1, b)], leaf, 1.0, first, size)
    assert set(np.flatnonzero(root.amaf_n)) == {a, c}
    assert np.all(root.amaf_w[[a, c]] == 1.0)
    assert set(np.flatnonzero(n1.amaf_n)) == {a, b, d}
    assert np.all(n1.amaf_w[[a, b, d]] == -1.0)


def test_rave_gathers_more_amaf_than_real_visits():
    config = SearchConfig(playouts=200, selection=Selection.RAVE, seed=1)
    mcts = MCTS(config)
    mcts.search(Game(7))
    root = mcts.root
    assert root.amaf_n.sum() > 5 * root.child_n.sum()
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
