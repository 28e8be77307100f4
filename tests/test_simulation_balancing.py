"""Simulation balancing: the rollouts it learns from are real rollouts, its gradient is the
gradient of the rollouts' log likelihood, and balancing moves rollout values toward the games'
results (both ways), end to end through ``go-engine balance-rollout``."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import style_games
from test_policy_training import write_sgf_folder

from go_engine.cli import main
from go_engine.rules import board_core as core
from go_engine.rules.coords import BLACK, WHITE
from go_engine.search import patterns as pat
from go_engine.search.policy_features import N_FIXED, keys_to_indices
from go_engine.search.policy_model import LinearPolicy, default_policy
from go_engine.training import linear_policy as lp
from go_engine.training import simulation_balancing as sb


@pytest.fixture(scope="module")
def games():
    """Eight 7x7 games of 24 moves in a local style; Black won the even ones."""
    return style_games(8, size=7, moves=24, seed=11, decided=True)


@pytest.fixture(scope="module")
def start():
    return default_policy("rollout")


def runner_for(games, policy, seed=0):
    return sb._Rollouts(games, policy, sb.BalanceConfig(), core.seed_rng(seed))


def test_positions_skip_unknown_results_the_opening_and_passes(games):
    unknown = replace(games, winners=np.where(np.arange(len(games)) == 1, 0,
                                              games.winners).astype(np.int8))
    config = sb.BalanceConfig(first_move=4, stride=3)
    rows = sb.positions_of(unknown, np.arange(len(games)), config)
    assert 1 not in rows[:, 0] and set(rows[:, 0]) == set(range(len(games))) - {1}
    assert rows[:, 1].min() == 4 and np.all(rows[:, 1] % 3 == 1)
    for game, played in rows:
        assert games.points[games.offsets[game] + played] != 49  # a move comes next


def test_recorded_rollouts_replay_legally_to_their_scores(games, start):
    runner = runner_for(games, start.with_temperature(0.7), seed=3)
    pts, meta, _, zob, komi, label = runner.position(2, 10)
    assert label == 1.0 and komi == games.komi[2]
    assert meta[core.M_TO_MOVE] == games.colors[games.offsets[2] + 10]
    histories, lengths, scores = runner.play(pts, meta, zob, 6)
    assert np.all(lengths > 0)
    for j in range(6):
        board_pts, board_meta = pts.copy(), meta.copy()
        color = meta[core.M_TO_MOVE]
        for q in histories[j, :lengths[j]]:
            assert q < 0 or core.is_legal(board_pts, board_meta, q, color)
            core.play(board_pts, board_meta, zob, q, color)
            color = 3 - color
        owner = np.zeros(pts.shape[1], np.int8)
        assert core.area_owner(board_pts, board_meta, owner) == scores[j]


def log_likelihood(pts0, meta0, captured0, stamp0, zob, moves, spec, table, weights):
    """Sum of log pi(a_t | s_t) along ``moves``, the softmax worked out here in numpy."""
    points = np.empty(lp.MAX_CANDIDATES, np.int64)
    keys = np.empty((lp.MAX_CANDIDATES, lp.MAX_KEYS), np.int64)
    counts = np.empty(lp.MAX_CANDIDATES, np.int64)
    flags = np.empty(lp.MAX_CANDIDATES, np.int64)
    indices = np.empty((lp.MAX_CANDIDATES, lp.MAX_INDICES), np.int64)
    index_counts = np.empty(lp.MAX_CANDIDATES, np.int64)
    pts, meta, captured = pts0.copy(), meta0.copy(), captured0.copy()
    lib3 = np.zeros(pts.shape[1], np.int64)
    color = meta[core.M_TO_MOVE]
    total = 0.0
    for t, q in enumerate(moves):
        if q >= 0:
            n = lp._position(pts, meta, lib3, color, spec, captured, stamp0 + t - 1, points,
                             keys, counts, flags)
            keys_to_indices(keys, counts, n, table, indices, index_counts)
            scores = np.array([weights[indices[k, :index_counts[k]]].sum() for k in range(n)])
            target = int(np.flatnonzero(points[:n] == q)[0])
            top = scores.max()
            total += scores[target] - top - np.log(np.exp(scores - top).sum())
        lp._advance(pts, meta, zob, captured, q, color, stamp0 + t)
        color = 3 - color
    return total


def test_the_gradient_is_that_of_the_rollout_log_likelihood(games, start):
    runner = runner_for(games, start, seed=5)
    pts, meta, captured, zob, _, _ = runner.position(4, 8)
    histories, lengths, _ = runner.play(pts, meta, zob, 1)
    lengths[:] = np.minimum(lengths, 14)
    weights = start.weights.astype(np.float64) / 0.7
    table = pat.build_table(start.pattern_keys, N_FIXED + np.arange(start.num_patterns))
    stamp = int(games.offsets[4]) + 8
    grad = np.zeros_like(weights)
    sb._add_gradient(pts, meta, captured, stamp, zob, histories, lengths, np.array([2.0]),
                     start.spec, table, weights, grad)
    moves = histories[0, :lengths[0]]
    checked = np.argsort(-np.abs(grad))[:6]
    assert np.abs(grad[checked]).min() > 1e-3
    for f in checked:
        up, down = weights.copy(), weights.copy()
        up[f] += 1e-5
        down[f] -= 1e-5
        numeric = (log_likelihood(pts, meta, captured, stamp, zob, moves, start.spec, table, up)
                   - log_likelihood(pts, meta, captured, stamp, zob, moves, start.spec, table,
                                    down)) / 2e-5
        assert grad[f] == pytest.approx(2.0 * numeric, rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("winner", [BLACK, WHITE])
def test_balancing_moves_rollout_values_toward_the_results(games, start, winner):
    """Every game relabelled as won by ``winner``: the rollouts from its positions must come
    to favour that side (the squared error against the labels falls)."""
    relabelled = replace(games, winners=np.full(len(games), winner, np.int8))
    positions = sb.positions_of(relabelled, np.arange(len(games)), sb.BalanceConfig())
    before = sb.rollout_value_error(start.with_temperature(0.7), relabelled, positions, 64)
    config = sb.BalanceConfig(learning_rate=0.5, epochs=6, batch_positions=10, seed=1)
    balanced = sb.balance(start, relabelled, positions, config)
    after = sb.rollout_value_error(balanced.with_temperature(0.7), relabelled, positions, 64)
    assert after.positions == before.positions == len(positions)
    assert after.mse < before.mse - 0.03  # measured: 0.202 -> 0.137, 0.405 -> 0.276
    assert balanced.info["balanced"]["positions"] == len(positions)
    assert isinstance(balanced, LinearPolicy) and balanced.kind == "rollout"


def test_balance_rollout_command(tmp_path, capsys):
    folder = tmp_path / "games"
    write_sgf_folder(folder, style_games(10, seed=7))
    out = tmp_path / "balanced.npz"
    assert main(["balance-rollout", "--games", str(folder), "--out", str(out),
                 "--holdout-fraction", "0.3", "--eval-rollouts", "8", "--cache-dir", "none",
                 "--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert set(figures) == {"mse_before", "mse_after", "corr_before", "corr_after",
                            "positions", "heldout_positions"}
    assert int(figures["positions"]) > 0 and int(figures["heldout_positions"]) > 0
    model = LinearPolicy.load(out)
    assert model.info["balanced"]["heldout_mse_after"] == pytest.approx(
        float(figures["mse_after"]), abs=1e-5)
    assert main(["balance-rollout", "--games", str(folder), "--out", str(out), "--start",
                 "tree", "--cache-dir", "none", "--no-progress"]) == 2
    assert "tree policy" in capsys.readouterr().err


def test_the_shipped_balanced_policy_is_a_rollout_model_a_search_can_name():
    from go_engine.search.config import SearchConfig

    balanced = default_policy("balanced")
    assert balanced.kind == "rollout"
    record = balanced.info["balanced"]
    assert record["heldout_mse_after"] < record["heldout_mse_before"]
    assert SearchConfig(rollout_policy="balanced").rollout_policy == "balanced"
    with pytest.raises(ValueError, match="kind"):
        LinearPolicy.empty("balanced")
