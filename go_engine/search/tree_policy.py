"""The tree policy: priors for the search from a linear softmax over move features.

After Silver et al. 2016 (Extended Data Table 4, "tree policy"): the rollout policy's features
plus 12-point diamond patterns around the candidate and the distance to each of the last two
moves (and, in a model trained with them, the reading features of
:mod:`~go_engine.search.policy_features`: exact liberties, chain sizes, ladders). It is slower
than the rollout policy (every candidate's features are computed from scratch, about 20 us a
position on 9x9 and 90 us on 19x19, 2.5-3 times that with the reading features) but only runs
once per expanded node, so it gives the search informative priors when no policy network is
loaded.

:class:`TreePolicyEvaluator` follows the :class:`~go_engine.search.evaluation.Evaluator`
protocol: priors for a batch of boards with candidate masks, no value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit

from go_engine.rules import board_core as core
from go_engine.rules.board import Board
from go_engine.search import patterns as pat
from go_engine.search import tree
from go_engine.search.evaluation import Evaluation
from go_engine.search.policy_features import MAX_KEYS, keys_to_indices, position_keys
from go_engine.search.policy_model import LinearPolicy, default_policy

_MAX_POINTS = 25 * 25


@njit(cache=True, nogil=True)
def policy_scores(pts, meta, spec, table, weights, out):
    """The linear score of every legal move of the side to move (simple ko; own eyes
    included) into ``out`` (``float64 [size * size]``, flat order); ``-inf`` elsewhere.
    Nakade features are off (a board does not know what its last move captured)."""
    size = meta[core.M_SIZE]
    width = size + 2
    lib3 = np.zeros(pts.shape[1], np.int64)
    pat.fill_lib3(pts, meta, lib3)
    captured = np.full(pts.shape[1], -1, np.int64)
    points = np.empty(_MAX_POINTS, np.int64)
    keys = np.empty((_MAX_POINTS, MAX_KEYS), np.int64)
    counts = np.empty(_MAX_POINTS, np.int64)
    flags = np.empty(_MAX_POINTS, np.int64)
    n = position_keys(pts, meta, lib3, meta[core.M_TO_MOVE], spec, captured, -2, points, keys,
                      counts, flags)
    indices = np.empty((_MAX_POINTS, MAX_KEYS + 1), np.int64)
    index_counts = np.empty(_MAX_POINTS, np.int64)
    keys_to_indices(keys, counts, n, table, indices, index_counts)
    out[:] = -np.inf
    for i in range(n):
        score = 0.0
        for j in range(index_counts[i]):
            score += weights[indices[i, j]]
        p = points[i]
        out[(p // width - 1) * size + p % width - 1] = score
    return n


@njit(cache=True, nogil=True)
def expand_leaves(nodes, edges, stats, counts, leaf_nodes, leaf_pts, leaf_meta, due,
                  prune_eye_fills, rng, spec, table, weights, pass_prior, temperature):
    """Expand every leaf ``b`` with ``due[b]`` over its candidates (as
    :func:`~go_engine.search.tree.candidate_moves` gives them) with the tree policy's softmax
    priors and random tiebreaks: :meth:`TreePolicyEvaluator.evaluate` and the search's
    expansion in one compiled call, with no Python per leaf."""
    moves = np.empty(leaf_pts.shape[2] + 1, dtype=np.int64)
    size = leaf_meta[0, core.M_SIZE]
    scores = np.empty(size * size, np.float64)
    for b in range(leaf_nodes.shape[0]):
        node = leaf_nodes[b]
        if not due[b] or nodes[node, tree.EXPANDED]:
            continue
        count = tree.candidate_moves(leaf_pts[b], leaf_meta[b], prune_eye_fills, moves)
        policy_scores(leaf_pts[b], leaf_meta[b], spec, table, weights, scores)
        priors = np.empty(count)
        softmax_priors(moves[:count], scores, size, pass_prior, temperature, priors)
        tree.expand(nodes, edges, stats, counts, node, moves[:count], priors,
                    tree.random_tiebreaks(rng, count))


@njit(cache=True)
def softmax_priors(moves, scores, size, pass_prior, temperature, priors):
    """Priors over ``moves`` (padded points, pass last as -1) from the flat ``scores``:
    :meth:`TreePolicyEvaluator.evaluate`'s rule (a point the policy calls illegal scores 5
    below the lowest legal one; pass gets ``pass_prior``), rounded through float32 as the
    evaluator's output is."""
    points = moves.shape[0] - 1
    if points == 0:
        priors[0] = 1.0
        return
    width = size + 2
    lowest, highest = np.inf, -np.inf
    for i in range(points):
        p = moves[i]
        value = scores[(p // width - 1) * size + p % width - 1] / temperature
        priors[i] = value
        if np.isfinite(value):
            lowest = min(lowest, value)
            highest = max(highest, value)
    floor = lowest - 5.0 if np.isfinite(lowest) else 0.0
    highest = max(highest, floor)
    total = 0.0
    for i in range(points):
        value = priors[i] if np.isfinite(priors[i]) else floor
        priors[i] = np.exp(value - highest)
        total += priors[i]
    for i in range(points):
        priors[i] = np.float32((1.0 - pass_prior) * priors[i] / total)
    priors[points] = np.float32(pass_prior)


class TreePolicyEvaluator:
    """Priors from the tree policy (or any :class:`LinearPolicy`); no value.

    Args:
        model: the policy; the shipped tree policy (``weights/tree.npz``) when ``None``.
        pass_prior: the prior share given to pass when the mask allows it (the policy does
            not score passes; 1 when pass is the only candidate).
        temperature: softmax temperature (1: the trained policy).
    """

    def __init__(self, model: LinearPolicy | None = None, pass_prior: float = 1e-3,
                 temperature: float = 1.0) -> None:
        if not 0.0 <= pass_prior < 1.0:
            raise ValueError("pass_prior must lie in [0, 1)")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive")
        self.model = default_policy("tree") if model is None else model
        self.pass_prior = pass_prior
        self.temperature = temperature
        self._tables = self.model.tables()

    def scores(self, board: Board) -> np.ndarray:
        """The policy's score of every point (``float64 [size * size]``, ``-inf`` where the
        move is illegal)."""
        out = np.empty(board.size * board.size, np.float64)
        t = self._tables
        policy_scores(board.pts, board.meta, t.spec, t.table, t.weights, out)
        return out

    def evaluate(self, boards: Sequence[Board], masks: np.ndarray) -> Evaluation:
        """Softmax priors over each row's candidates (``masks`` is ``bool [B, N*N + 1]``)."""
        priors = np.zeros(masks.shape, dtype=np.float32)
        for row, board in enumerate(boards):
            priors[row] = self._priors(board, masks[row])
        return Evaluation(priors, None)

    def expand_leaves(self, arrays: tree.TreeArrays, leaves: np.ndarray, pts: np.ndarray,
                      meta: np.ndarray, due: np.ndarray, prune_eye_fills: bool,
                      rng: np.ndarray) -> None:
        """Expand the due leaves of a search round in place (see :func:`expand_leaves`);
        the candidates always include pass, as the search's do."""
        t = self._tables
        expand_leaves(arrays.nodes, arrays.edges, arrays.stats, arrays.counts, leaves, pts,
                      meta, due, prune_eye_fills, rng, t.spec, t.table, t.weights,
                      self.pass_prior, self.temperature)

    def _priors(self, board: Board, mask: np.ndarray) -> np.ndarray:
        points = mask[:-1]
        out = np.zeros(mask.shape[0], np.float64)
        if not points.any():
            out[-1] = 1.0 if mask[-1] else 0.0
            return out.astype(np.float32)
        scores = self.scores(board)[points] / self.temperature
        finite = np.isfinite(scores)
        floor = scores[finite].min() - 5.0 if finite.any() else 0.0
        scores = np.where(finite, scores, floor)  # candidates the policy calls illegal
        weights = np.exp(scores - scores.max())
        share = 1.0 - self.pass_prior if mask[-1] else 1.0
        out[:-1][points] = share * weights / weights.sum()
        if mask[-1]:
            out[-1] = self.pass_prior
        return out.astype(np.float32)
