"""Maximum-likelihood training and evaluation of the linear softmax policies on expert games.

After Silver et al. 2016 (Methods, "Rollout policy"): the weights maximise the log likelihood
of the expert's move under a softmax over the legal moves of each position (simple ko, own
eyes included; positions where the expert passed are skipped).

1. *Dictionary* (:func:`build_dictionary`): replay the training games and count canonical
   pattern keys (:func:`~go_engine.search.patterns.canonical_key`) at the played move of every
   position and at every candidate of every ``seen_stride``-th position (response and nakade
   patterns, which only a dozen candidates have, at every position). A pattern is kept when it
   was played ``min_played`` times or seen about ``min_seen`` times as a candidate: rare
   patterns have no weight, and common patterns that experts avoid get a negative one.
2. *Training* (:func:`train`): stochastic gradient descent, one position at a time, with
   AdaGrad step sizes (Duchi et al. 2011; sparse features get larger steps), games shuffled
   each epoch. The gradient of ``-log p(a*)`` for weight ``w_f`` is
   ``sum_a p(a) [f in a] - [f in a*]``.
3. *Evaluation* (:func:`evaluate`): top-1 and top-5 accuracy over the positions of held-out
   games. Equal scores are broken at random, in expectation (a target tied with ``t`` others
   for the last ``s`` places counts ``s / (t + 1)``), so a policy gains nothing from ties.

Every kernel replays games in compiled code: the board core plays the moves, liberty counts
(capped at 3) are recomputed per position, and :func:`position_keys` gives every candidate's
feature keys, exactly as the tree policy computes them at play time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from go_engine.data.dataset import GameDataset
from go_engine.rules import board_core as core
from go_engine.search import patterns as pat
from go_engine.search import rollout_policy as rollout
from go_engine.search.policy_features import (
    MAX_KEYS,
    N_FIXED,
    keys_to_indices,
    position_keys,
    rollout_spec,
    tree_spec,
)
from go_engine.search.policy_model import LinearPolicy

MAX_CANDIDATES = 25 * 25
MAX_INDICES = MAX_KEYS + 1


@dataclass(frozen=True)
class TrainConfig:
    """How a policy is trained.

    Attributes:
        kind: ``"rollout"`` or ``"tree"`` (its feature spec).
        epochs: passes over the training games.
        learning_rate: AdaGrad's step size.
        l2: L2 penalty per weight, applied when a weight is updated.
        min_played: keep a pattern played at least this many times...
        min_seen: ...or seen about this many times as a candidate.
        seen_stride: count candidates' 3x3 and diamond patterns at every this-th position.
        dictionary_games: games used to build the dictionary (0: all training games).
        seed: shuffles the games each epoch.
        spec: the feature spec (``SPEC_*`` entries); the kind's default when ``None``.
    """

    kind: str = "rollout"
    epochs: int = 1
    learning_rate: float = 0.05
    l2: float = 0.0
    min_played: int = 4
    min_seen: int = 200
    seen_stride: int = 8
    dictionary_games: int = 0
    seed: int = 0
    spec: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Accuracy:
    """Top-1 and top-5 accuracy over ``positions`` positions, and the time per position."""

    top1: float
    top5: float
    positions: int
    us_per_move: float


# -- replay helpers ---------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _padded(p, size):
    return (p // size + 1) * (size + 2) + p % size + 1


@njit(cache=True)
def _set_up(pts, meta, zob, size, setup_points, setup_colors, first, last):
    core.init_board(pts, meta, size)
    for i in range(first, last):
        core.place_stone(pts, meta, zob, _padded(setup_points[i], size), setup_colors[i])
    meta[core.M_KO_POINT] = -1


@njit(cache=True)
def _advance(pts, meta, zob, captured, q, color, stamp):
    """Play ``color`` at padded ``q`` (-1: pass), marking the stones it captures."""
    if q >= 0:
        width = meta[core.M_SIZE] + 2
        for n in (q - width, q - 1, q + 1, q + width):
            c = pts[core.COLOR, n]
            if c == 3 - color and core._in_atari(pts, pts[core.HEAD, n]):
                stone = n
                while True:
                    captured[stone] = stamp
                    stone = pts[core.NEXT, stone]
                    if stone == n:
                        break
    core.play(pts, meta, zob, q, color)


@njit(cache=True)
def _position(pts, meta, lib3, color, spec, captured, stamp, points, keys, counts, flags):
    """Candidates and feature keys of the position before move ``stamp + 1``."""
    meta[core.M_TO_MOVE] = color
    pat.fill_lib3(pts, meta, lib3)
    return position_keys(pts, meta, lib3, color, spec, captured, stamp, points, keys, counts,
                         flags)


# -- dictionary -------------------------------------------------------------------------------


@njit(cache=True)
def _count_keys(points_arr, colors_arr, offsets, sizes, setup_points, setup_colors,
                setup_offsets, games, spec, stride, played, seen):
    """Pattern keys (not canonical yet) at played moves and at candidates; returns counts."""
    zob = np.zeros((3, 27 * 27), np.int64)
    points = np.empty(MAX_CANDIDATES, np.int64)
    keys = np.empty((MAX_CANDIDATES, MAX_KEYS), np.int64)
    counts = np.empty(MAX_CANDIDATES, np.int64)
    flags = np.empty(MAX_CANDIDATES, np.int64)
    n_played = 0
    n_seen = 0
    position = 0
    for g in games:
        size = sizes[g]
        pts = np.zeros((core.N_FIELDS, (size + 2) ** 2), np.int64)
        meta = np.zeros(core.N_META, np.int64)
        lib3 = np.zeros((size + 2) ** 2, np.int64)
        captured = np.full((size + 2) ** 2, -1, np.int64)
        _set_up(pts, meta, zob, size, setup_points, setup_colors, setup_offsets[g],
                setup_offsets[g + 1])
        for i in range(offsets[g], offsets[g + 1]):
            color = colors_arr[i]
            move = points_arr[i]
            q = -1 if move == size * size else _padded(move, size)
            if q >= 0:
                n = _position(pts, meta, lib3, color, spec, captured, i - 1, points, keys,
                              counts, flags)
                sampled = position % stride == 0
                position += 1
                for k in range(n):
                    target = points[k] == q
                    for j in range(counts[k]):
                        key = keys[k, j]
                        tag = key >> pat.TAG_SHIFT
                        if tag == 0:
                            continue
                        if target:
                            played[n_played] = key
                            n_played += 1
                        if sampled or tag == pat.TAG_RESPONSE or tag == pat.TAG_NAKADE:
                            seen[n_seen] = key
                            n_seen += 1
            _advance(pts, meta, zob, captured, q, color, i)
    return n_played, n_seen


def _merge_counts(keys: np.ndarray, counts: np.ndarray, new_keys: np.ndarray,
                  weight: int = 1) -> tuple[np.ndarray, np.ndarray]:
    unique, found = np.unique(pat.canonical_keys(new_keys),
                              return_counts=True)
    all_keys = np.concatenate([keys, unique])
    all_counts = np.concatenate([counts, found.astype(np.int64) * weight])
    merged, inverse = np.unique(all_keys, return_inverse=True)
    return merged, np.bincount(inverse, weights=all_counts).astype(np.int64)


def _spec_of(config: TrainConfig) -> np.ndarray:
    if config.spec is not None:
        return np.asarray(config.spec, dtype=np.int64)
    return rollout_spec() if config.kind == "rollout" else tree_spec()


def build_dictionary(dataset: GameDataset, games: np.ndarray, config: TrainConfig,
                     progress: Callable[[int], None] | None = None) -> np.ndarray:
    """The canonical pattern keys to keep (sorted), from ``games`` of ``dataset``."""
    spec = _spec_of(config)
    played_keys = seen_keys = np.zeros(0, np.int64)
    played_counts = seen_counts = np.zeros(0, np.int64)
    for chunk in np.array_split(games, max(1, len(games) // 100)):
        positions = int((dataset.offsets[chunk + 1] - dataset.offsets[chunk]).sum())
        played = np.empty(positions * MAX_KEYS + 1, np.int64)
        seen = np.empty((positions // config.seen_stride + 1) * MAX_CANDIDATES * 3
                        + positions * 13 * 2 + 1, np.int64)
        n_played, n_seen = _count_keys(
            dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
            dataset.setup_points, dataset.setup_colors, dataset.setup_offsets,
            chunk.astype(np.int64), spec, config.seen_stride, played, seen)
        played_keys, played_counts = _merge_counts(played_keys, played_counts, played[:n_played])
        seen_keys, seen_counts = _merge_counts(seen_keys, seen_counts, seen[:n_seen])
        if progress:
            progress(len(chunk))
    tags = seen_keys >> pat.TAG_SHIFT
    dense = (tags == pat.TAG_RESPONSE) | (tags == pat.TAG_NAKADE)
    seen_estimate = np.where(dense, seen_counts, seen_counts * config.seen_stride)
    keep = set(played_keys[played_counts >= config.min_played].tolist())
    keep |= set(seen_keys[seen_estimate >= config.min_seen].tolist())
    return np.array(sorted(keep), dtype=np.int64)


# -- training ---------------------------------------------------------------------------------


@njit(cache=True)
def _scores(weights, indices, index_counts, n, scores):
    best = -1e300
    for i in range(n):
        s = 0.0
        for j in range(index_counts[i]):
            s += weights[indices[i, j]]
        scores[i] = s
        best = max(best, s)
    return best


@njit(cache=True)
def _train_games(points_arr, colors_arr, offsets, sizes, setup_points, setup_colors,
                 setup_offsets, games, spec, table, weights, squares,
                 learning_rate, l2, stats):
    """One SGD pass over ``games``; ``stats`` += (positions, log loss, top-1 hits)."""
    zob = np.zeros((3, 27 * 27), np.int64)
    points = np.empty(MAX_CANDIDATES, np.int64)
    keys = np.empty((MAX_CANDIDATES, MAX_KEYS), np.int64)
    counts = np.empty(MAX_CANDIDATES, np.int64)
    flags = np.empty(MAX_CANDIDATES, np.int64)
    indices = np.empty((MAX_CANDIDATES, MAX_INDICES), np.int64)
    index_counts = np.empty(MAX_CANDIDATES, np.int64)
    scores = np.empty(MAX_CANDIDATES, np.float64)
    grad = np.zeros(weights.shape[0], np.float64)
    touched = np.empty(MAX_CANDIDATES * MAX_INDICES, np.int64)
    for g in games:
        size = sizes[g]
        pts = np.zeros((core.N_FIELDS, (size + 2) ** 2), np.int64)
        meta = np.zeros(core.N_META, np.int64)
        lib3 = np.zeros((size + 2) ** 2, np.int64)
        captured = np.full((size + 2) ** 2, -1, np.int64)
        _set_up(pts, meta, zob, size, setup_points, setup_colors, setup_offsets[g],
                setup_offsets[g + 1])
        for i in range(offsets[g], offsets[g + 1]):
            color = colors_arr[i]
            move = points_arr[i]
            q = -1 if move == size * size else _padded(move, size)
            if q >= 0:
                n = _position(pts, meta, lib3, color, spec, captured, i - 1, points, keys,
                              counts, flags)
                target = -1
                for k in range(n):
                    if points[k] == q:
                        target = k
                if target >= 0:
                    keys_to_indices(keys, counts, n, table, indices, index_counts)
                    best = _scores(weights, indices, index_counts, n, scores)
                    total = 0.0
                    for k in range(n):
                        scores[k] = np.exp(scores[k] - best)
                        total += scores[k]
                    stats[0] += 1
                    stats[1] -= np.log(scores[target] / total)
                    if scores[target] >= 1.0:
                        stats[2] += 1
                    m = 0
                    for k in range(n):
                        g_k = scores[k] / total
                        if k == target:
                            g_k -= 1.0
                        for j in range(index_counts[k]):
                            f = indices[k, j]
                            if grad[f] == 0.0:
                                touched[m] = f
                                m += 1
                            grad[f] += g_k
                    for t in range(m):
                        f = touched[t]
                        step = grad[f] + l2 * weights[f]
                        squares[f] += step * step
                        weights[f] -= learning_rate * step / np.sqrt(squares[f] + 1e-8)
                        grad[f] = 0.0
            _advance(pts, meta, zob, captured, q, color, i)


def train(dataset: GameDataset, train_games: np.ndarray, config: TrainConfig,
          dictionary: np.ndarray | None = None,
          progress: Callable[[str, int, int], None] | None = None) -> LinearPolicy:
    """Train a policy of ``config.kind`` on ``train_games`` (indices into ``dataset``).

    ``progress(phase, done, total)`` is called as games are processed (phases
    ``"dictionary"`` and ``"epoch k"``).
    """
    rng = np.random.default_rng(config.seed)
    if dictionary is None:
        dict_games = train_games
        if config.dictionary_games and config.dictionary_games < len(train_games):
            dict_games = rng.choice(train_games, config.dictionary_games, replace=False)
        done = [0]

        def step(count: int) -> None:
            done[0] += count
            if progress:
                progress("dictionary", done[0], len(dict_games))

        dictionary = build_dictionary(dataset, np.asarray(dict_games), config, step)
    policy = LinearPolicy.empty(config.kind, dictionary)
    policy.spec = _spec_of(config)
    table = pat.build_table(policy.pattern_keys, N_FIXED + np.arange(policy.num_patterns))
    weights = np.zeros(policy.weights.shape[0], np.float64)
    squares = np.zeros_like(weights)
    stats = np.zeros(3, np.float64)
    for epoch in range(config.epochs):
        order = rng.permutation(np.asarray(train_games))
        chunks = np.array_split(order, max(1, len(order) // 50))
        done = 0
        for chunk in chunks:
            _train_games(dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
                         dataset.setup_points, dataset.setup_colors, dataset.setup_offsets,
                         chunk.astype(np.int64), policy.spec, table, weights, squares,
                         config.learning_rate, config.l2, stats)
            done += len(chunk)
            if progress:
                progress(f"epoch {epoch + 1}", done, len(order))
    policy.weights = weights.astype(np.float32)
    policy.info["train_positions_per_epoch"] = int(stats[0] / max(1, config.epochs))
    policy.info["train_log_loss"] = float(stats[1] / max(1.0, stats[0]))
    return policy


# -- evaluation -------------------------------------------------------------------------------


@njit(cache=True)
def _evaluate_games(points_arr, colors_arr, offsets, sizes, setup_points, setup_colors,
                    setup_offsets, games, spec, table, weights, stats):
    """``stats`` += (positions, expected top-1 hits, expected top-5 hits)."""
    zob = np.zeros((3, 27 * 27), np.int64)
    points = np.empty(MAX_CANDIDATES, np.int64)
    keys = np.empty((MAX_CANDIDATES, MAX_KEYS), np.int64)
    counts = np.empty(MAX_CANDIDATES, np.int64)
    flags = np.empty(MAX_CANDIDATES, np.int64)
    indices = np.empty((MAX_CANDIDATES, MAX_INDICES), np.int64)
    index_counts = np.empty(MAX_CANDIDATES, np.int64)
    scores = np.empty(MAX_CANDIDATES, np.float64)
    for g in games:
        size = sizes[g]
        pts = np.zeros((core.N_FIELDS, (size + 2) ** 2), np.int64)
        meta = np.zeros(core.N_META, np.int64)
        lib3 = np.zeros((size + 2) ** 2, np.int64)
        captured = np.full((size + 2) ** 2, -1, np.int64)
        _set_up(pts, meta, zob, size, setup_points, setup_colors, setup_offsets[g],
                setup_offsets[g + 1])
        for i in range(offsets[g], offsets[g + 1]):
            color = colors_arr[i]
            move = points_arr[i]
            q = -1 if move == size * size else _padded(move, size)
            if q >= 0:
                n = _position(pts, meta, lib3, color, spec, captured, i - 1, points, keys,
                              counts, flags)
                keys_to_indices(keys, counts, n, table, indices, index_counts)
                _scores(weights, indices, index_counts, n, scores)
                _rank_target(points, scores, n, q, stats)
            _advance(pts, meta, zob, captured, q, color, i)


@njit(cache=True)
def _rank_target(points, scores, n, q, stats):
    target = -1
    for k in range(n):
        if points[k] == q:
            target = k
    stats[0] += 1
    if target < 0:
        return
    above = 0
    ties = 0
    for k in range(n):
        if k != target:
            if scores[k] > scores[target]:
                above += 1
            elif scores[k] == scores[target]:
                ties += 1
    for slot, top in ((1, 1), (2, 5)):
        if above < top:
            stats[slot] += min(1.0, (top - above) / (ties + 1.0))


def evaluate(policy: LinearPolicy, dataset: GameDataset, games: np.ndarray | None = None,
             progress: Callable[[int, int], None] | None = None) -> Accuracy:
    """Top-1/top-5 accuracy of ``policy`` over every non-pass move of ``games`` (default all),
    computing each position's features from scratch (the tree policy's way)."""
    games = np.arange(len(dataset)) if games is None else np.asarray(games)
    tables = policy.tables()
    stats = np.zeros(3, np.float64)
    elapsed = 0.0
    chunks = np.array_split(games, max(1, len(games) // 20))
    done = 0
    for chunk in chunks:
        start = time.perf_counter()
        _evaluate_games(dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
                        dataset.setup_points, dataset.setup_colors, dataset.setup_offsets,
                        chunk.astype(np.int64), tables.spec, tables.table, tables.weights,
                        stats)
        elapsed += time.perf_counter() - start
        done += len(chunk)
        if progress:
            progress(done, len(games))
    positions = int(stats[0])
    return Accuracy(stats[1] / max(1, positions), stats[2] / max(1, positions), positions,
                    elapsed / max(1, positions) * 1e6)


@njit(cache=True)
def _replay_with_rollout_state(points_arr, colors_arr, offsets, sizes, setup_points,
                               setup_colors, setup_offsets, games, model, rng):
    """Follow ``games`` with the rollout policy's incremental state: a draw (discarded) and
    an update per move, as in a rollout. Returns the number of moves."""
    zob = np.zeros((3, 27 * 27), np.int64)
    moves = 0
    for g in games:
        size = sizes[g]
        points = (size + 2) ** 2
        pts = np.zeros((core.N_FIELDS, points), np.int64)
        meta = np.zeros(core.N_META, np.int64)
        ints = np.zeros((rollout.N_INTS, points), np.int64)
        floats = np.zeros((rollout.N_FLOATS, points), np.float64)
        ctr = np.zeros(rollout.N_CTR, np.int64)
        _set_up(pts, meta, zob, size, setup_points, setup_colors, setup_offsets[g],
                setup_offsets[g + 1])
        rollout.init_state(pts, meta, ints, floats, ctr, model, 0)
        for i in range(offsets[g], offsets[g + 1]):
            color = colors_arr[i]
            move = points_arr[i]
            meta[core.M_TO_MOVE] = color
            rollout.choose_move(pts, meta, ints, floats, ctr, model, rng)
            q = -1 if move == size * size else _padded(move, size)
            rollout.play_update(pts, meta, zob, ints, floats, ctr, model, q, color)
            moves += 1
    return moves


def rollout_cost(policy: LinearPolicy, dataset: GameDataset, games: np.ndarray) -> float:
    """Microseconds per move of the rollout policy's draw and incremental update, following
    the moves of ``games`` (the cost of a rollout move, on real positions)."""
    games = np.asarray(games, dtype=np.int64)
    if len(games) == 0:
        return 0.0
    model = rollout.RolloutPolicy(policy).kernel_model()
    rng = core.seed_rng(0)
    arrays = (dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
              dataset.setup_points, dataset.setup_colors, dataset.setup_offsets)
    _replay_with_rollout_state(*arrays, games[:1], model, rng)  # compile outside the clock
    start = time.perf_counter()
    moves = _replay_with_rollout_state(*arrays, games, model, rng)
    return (time.perf_counter() - start) / max(1, moves) * 1e6
