"""Simulation balancing: tune the rollout policy so that its rollouts *evaluate* positions well.

Maximum likelihood (:mod:`go_engine.training.linear_policy`) makes the rollout policy predict
experts' moves; a search needs something else from it: that the mean result of its rollouts
from a position be that position's value. A policy can predict most moves and still lose
every capturing race the same way, while errors that cancel between the two sides do no
harm. Simulation balancing (Silver & Tesauro 2009, "Monte-Carlo simulation balancing";
Huang, Coulom & Lin 2010, "Monte-Carlo simulation balancing in practice", where it took
Erica's 9x9 win rate against Fuego from 69% to 78%) fits the weights to that goal: for
positions ``s`` with target values ``V*(s)`` it descends

    J = 1/2 E_s[(V*(s) - V(s))^2],    V(s) = P(Black wins a rollout from s),

with the policy-gradient estimate ``grad V(s) = E[(z - b) sum_t grad log pi(a_t | s_t)]``
over rollouts (result ``z``, 1 when Black wins; both sides' moves count, as both follow the
policy; ``b`` a baseline, here the value estimate). Each position takes two independent sets
of rollouts, one for ``V(s)`` and one for its gradient, so that their product is unbiased, and
the step for weight ``w`` is ``(V* - V) * (z_j - V) / N * ([f in a_t] - pi_t(f))`` summed over
the gradient rollouts ``j`` and their moves ``t`` (``pi_t(f)``: the probability mass of the
candidates that have feature ``f``), with AdaGrad step sizes.

**Targets.** ``V*`` is the final result of the game a position comes from (1: Black won).
A single result is a noisy target, but an unbiased one for the value of the position under
the play of the games' players, and the update is linear in it, so the noise averages out
over positions; no deep search labels each position (Huang et al. used their program's own
analyses). Positions come from any SGF games, here meant for the engine's own match records.

**Temperature.** The rollout-only engine draws at ``rollout_temperature`` 0.7. Balancing
starts from the model at the temperature it will be played at (weights divided by it) and
saves the result multiplied back, so that the saved file plays at the engine's setting as it
is: ``--set rollout_policy=FILE``.

Rollouts are those of the search (:func:`~go_engine.search.rollout_policy.policy_moves`, own
eyes never filled); the gradient of each move is computed from scratch by the training path's
features (:func:`~go_engine.search.policy_features.position_keys`), whose softmax counts own
eye fills as candidates: a small difference that only bends the step a little.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from go_engine.data.dataset import GameDataset
from go_engine.rules import board_core as core
from go_engine.rules.board import zobrist_table
from go_engine.rules.coords import BLACK
from go_engine.search import patterns as pat
from go_engine.search import rollout_policy as rollout
from go_engine.search.policy_features import N_FIXED, keys_to_indices
from go_engine.search.policy_model import LinearPolicy
from go_engine.training.linear_policy import (
    MAX_CANDIDATES,
    MAX_INDICES,
    MAX_KEYS,
    _advance,
    _padded,
    _position,
    _scores,
    _set_up,
)


@dataclass(frozen=True)
class BalanceConfig:
    """How simulation balancing runs.

    Attributes:
        value_rollouts: rollouts estimating ``V(s)`` per position (M).
        gradient_rollouts: rollouts estimating its gradient per position (N).
        batch_positions: positions per weight update (the rollouts of a batch use the same
            weights).
        learning_rate: AdaGrad's step size (ascent on ``-J``).
        epochs: passes over the training positions.
        temperature: the rollout temperature the model will be played at (the engine's
            ``rollout_temperature``).
        first_move: positions before this move number are skipped (the opening, where the
            result says little).
        stride: take every this-th position of a game (neighbours are nearly the same).
        max_moves_factor: a rollout stops after this many times size**2 moves.
        seed: position order and rollouts.
    """

    value_rollouts: int = 16
    gradient_rollouts: int = 16
    batch_positions: int = 100
    learning_rate: float = 0.02
    epochs: int = 1
    temperature: float = 0.7
    first_move: int = 4
    stride: int = 2
    max_moves_factor: int = 3
    seed: int = 0


@dataclass(frozen=True)
class ValueAccuracy:
    """Mean squared error of the rollout value against the game results, and their
    correlation, over ``positions`` positions."""

    mse: float
    correlation: float
    positions: int


def positions_of(dataset: GameDataset, games: np.ndarray, config: BalanceConfig) -> np.ndarray:
    """``int64 [P, 2]``: (game, moves played) of every position used from ``games``: games
    with a known winner, from move ``first_move`` on, every ``stride``-th, with a move (not a
    pass) recorded next."""
    rows = []
    for g in np.asarray(games):
        if dataset.winners[g] == 0:
            continue
        start, end = int(dataset.offsets[g]), int(dataset.offsets[g + 1])
        size = int(dataset.sizes[g])
        for played in range(config.first_move, end - start, config.stride):
            if dataset.points[start + played] != size * size:
                rows.append((g, played))
    return np.array(rows, dtype=np.int64).reshape(-1, 2)


@njit(cache=True)
def _replay_to(points_arr, colors_arr, offsets, sizes, setup_points, setup_colors,
               setup_offsets, g, played, pts, meta, zob, captured):
    """Set ``pts``/``meta`` to game ``g`` after ``played`` moves, the recorded mover to play;
    ``captured`` gets the replay's capture stamps (the index of the capturing move)."""
    size = sizes[g]
    _set_up(pts, meta, zob, size, setup_points, setup_colors, setup_offsets[g],
            setup_offsets[g + 1])
    captured[:] = -1
    for i in range(offsets[g], offsets[g] + played):
        move = points_arr[i]
        q = -1 if move == size * size else _padded(move, size)
        _advance(pts, meta, zob, captured, q, colors_arr[i], i)
    meta[core.M_TO_MOVE] = colors_arr[offsets[g] + played]


@njit(cache=True)
def _rollouts(pts0, meta0, zob, rng, max_moves, model, replies, histories, lengths, scores):
    """One rollout per row of ``histories`` from the position ``pts0``/``meta0``: its moves
    (padded points, -1: pass), its length and its area score (Black minus White)."""
    points = pts0.shape[1]
    ints = np.zeros((rollout.N_INTS, points), np.int64)
    floats = np.zeros((rollout.N_FLOATS, points), np.float64)
    ctr = np.zeros(rollout.N_CTR, np.int64)
    owner = np.zeros(points, np.int8)
    no_record = np.empty(0, np.int8)
    for j in range(histories.shape[0]):
        pts = pts0.copy()
        meta = meta0.copy()
        lengths[j] = rollout.policy_moves(pts, meta, zob, rng, max_moves, no_record, ints,
                                          floats, ctr, model, replies, histories[j])
        scores[j] = core.area_owner(pts, meta, owner)


@njit(cache=True)
def _add_gradient(pts0, meta0, captured0, stamp0, zob, histories, lengths, coefs, spec, table,
                  weights, grad):
    """``grad += sum_j coefs[j] * sum_t grad log pi(a_t | s_t)`` over the rollouts
    ``histories[j, :lengths[j]]`` from the position ``pts0``/``meta0`` (passes skipped)."""
    points = np.empty(MAX_CANDIDATES, np.int64)
    keys = np.empty((MAX_CANDIDATES, MAX_KEYS), np.int64)
    counts = np.empty(MAX_CANDIDATES, np.int64)
    flags = np.empty(MAX_CANDIDATES, np.int64)
    indices = np.empty((MAX_CANDIDATES, MAX_INDICES), np.int64)
    index_counts = np.empty(MAX_CANDIDATES, np.int64)
    scores = np.empty(MAX_CANDIDATES, np.float64)
    lib3 = np.zeros(pts0.shape[1], np.int64)
    for j in range(histories.shape[0]):
        pts = pts0.copy()
        meta = meta0.copy()
        captured = captured0.copy()
        color = meta[core.M_TO_MOVE]
        for t in range(lengths[j]):
            q = histories[j, t]
            stamp = stamp0 + t
            if q >= 0:
                n = _position(pts, meta, lib3, color, spec, captured, stamp - 1, points, keys,
                              counts, flags)
                keys_to_indices(keys, counts, n, table, indices, index_counts)
                best = _scores(weights, indices, index_counts, n, scores)
                total = 0.0
                for k in range(n):
                    scores[k] = np.exp(scores[k] - best)
                    total += scores[k]
                for k in range(n):
                    step = -coefs[j] * scores[k] / total
                    if points[k] == q:
                        step += coefs[j]
                    for i in range(index_counts[k]):
                        grad[indices[k, i]] += step
            _advance(pts, meta, zob, captured, q, color, stamp)
            color = 3 - color


class _Rollouts:
    """Rollouts from dataset positions with a policy's current weights."""

    def __init__(self, dataset: GameDataset, policy: LinearPolicy, config: BalanceConfig,
                 rng: np.ndarray) -> None:
        self.dataset = dataset
        self.config = config
        self.rng = rng
        self.model = rollout.RolloutPolicy(policy).kernel_model()
        self._arrays = (dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
                        dataset.setup_points, dataset.setup_colors, dataset.setup_offsets)

    def position(self, game: int, played: int):
        """``(pts, meta, captured, zobrist, komi, label)`` of a position (label 1: Black won
        the game)."""
        size = int(self.dataset.sizes[game])
        points = (size + 2) ** 2
        pts = np.zeros((core.N_FIELDS, points), np.int64)
        meta = np.zeros(core.N_META, np.int64)
        captured = np.full(points, -1, np.int64)
        zob = zobrist_table(size)
        _replay_to(*self._arrays, game, played, pts, meta, zob, captured)
        label = 1.0 if self.dataset.winners[game] == BLACK else 0.0
        return pts, meta, captured, zob, float(self.dataset.komi[game]), label

    def play(self, pts, meta, zob, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``count`` rollouts from a position: their moves, lengths and scores."""
        size = int(meta[core.M_SIZE])
        max_moves = self.config.max_moves_factor * size * size
        histories = np.empty((count, max_moves), np.int32)
        lengths = np.empty(count, np.int64)
        scores = np.empty(count, np.float64)
        _rollouts(pts, meta, zob, self.rng, max_moves, self.model, rollout.new_replies(size),
                  histories, lengths, scores)
        return histories, lengths, scores


def _wins(scores: np.ndarray, komi: float) -> np.ndarray:
    """1 where Black wins, 0 where White does, 0.5 for a draw."""
    return np.where(scores > komi, 1.0, np.where(scores < komi, 0.0, 0.5))


def rollout_value_error(policy: LinearPolicy, dataset: GameDataset, positions: np.ndarray,
                        rollouts: int = 64, seed: int = 0) -> ValueAccuracy:
    """How well ``policy``'s rollouts (``rollouts`` per position) predict the game results."""
    runner = _Rollouts(dataset, policy, BalanceConfig(), core.seed_rng(seed))
    values = np.empty(len(positions))
    labels = np.empty(len(positions))
    for k, (game, played) in enumerate(positions):
        pts, meta, _, zob, komi, labels[k] = runner.position(int(game), int(played))
        _, _, scores = runner.play(pts, meta, zob, rollouts)
        values[k] = _wins(scores, komi).mean()
    if len(positions) < 2 or values.std() == 0 or labels.std() == 0:
        correlation = float("nan")
    else:
        correlation = float(np.corrcoef(values, labels)[0, 1])
    return ValueAccuracy(float(np.mean((values - labels) ** 2)), correlation, len(positions))


def balance(start: LinearPolicy, dataset: GameDataset, positions: np.ndarray,
            config: BalanceConfig,
            progress: Callable[[int, int, float], None] | None = None) -> LinearPolicy:
    """Simulation balancing of the rollout policy ``start`` on ``positions``
    (:func:`positions_of`); returns the balanced model, to be played at
    ``config.temperature``. ``progress(done, total, mse)`` follows the positions (mse: the
    training error of the value estimates so far)."""
    if start.kind != "rollout":
        raise ValueError("simulation balancing tunes a rollout policy")
    rng = np.random.default_rng(config.seed)
    kernel_rng = core.seed_rng(config.seed)
    weights = start.weights.astype(np.float64) / config.temperature
    table = pat.build_table(start.pattern_keys, N_FIXED + np.arange(start.num_patterns))
    squares = np.zeros_like(weights)
    done, total, square_error = 0, config.epochs * len(positions), 0.0
    begin = time.perf_counter()
    for _ in range(config.epochs):
        order = positions[rng.permutation(len(positions))]
        for first in range(0, len(order), config.batch_positions):
            current = LinearPolicy("rollout", start.spec, start.pattern_keys,
                                   weights.astype(np.float32))
            runner = _Rollouts(dataset, current, config, kernel_rng)
            grad = np.zeros_like(weights)
            for game, played in order[first:first + config.batch_positions]:
                square_error += _balance_position(runner, int(game), int(played), start.spec,
                                                  table, weights, grad)
                done += 1
            squares += grad * grad
            weights += config.learning_rate * grad / np.sqrt(squares + 1e-8)
            if progress:
                progress(done, total, square_error / done)
    info = dict(start.info, balanced={
        "positions": int(len(positions)), "epochs": config.epochs,
        "value_rollouts": config.value_rollouts, "gradient_rollouts": config.gradient_rollouts,
        "learning_rate": config.learning_rate, "temperature": config.temperature,
        "train_mse": square_error / max(1, done), "seconds": time.perf_counter() - begin})
    return LinearPolicy("rollout", start.spec.copy(), start.pattern_keys.copy(),
                        (weights * config.temperature).astype(np.float32), info)


def _balance_position(runner: _Rollouts, game: int, played: int, spec: np.ndarray,
                      table: np.ndarray, weights: np.ndarray, grad: np.ndarray) -> float:
    """Add one position's step to ``grad``; return its squared value error."""
    config = runner.config
    pts, meta, captured, zob, komi, label = runner.position(game, played)
    _, _, scores = runner.play(pts, meta, zob, config.value_rollouts)
    value = _wins(scores, komi).mean()
    histories, lengths, scores = runner.play(pts, meta, zob, config.gradient_rollouts)
    coefs = (label - value) * (_wins(scores, komi) - value) / config.gradient_rollouts
    stamp = int(runner.dataset.offsets[game]) + played
    _add_gradient(pts, meta, captured, stamp, zob, histories, lengths, coefs, spec, table,
                  weights, grad)
    return (label - value) ** 2
