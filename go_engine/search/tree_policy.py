"""The tree policy: priors for the search from a linear softmax over move features.

After Silver et al. 2016 (Extended Data Table 4, "tree policy"): the rollout policy's features
plus 12-point diamond patterns around the candidate and the distance to each of the last two
moves. It is slower than the rollout policy (every candidate's features are computed from
scratch, about 50-150 microseconds a position on 19x19) but only runs once per expanded node,
so it gives the search informative priors when no policy network is loaded.

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
