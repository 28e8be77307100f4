"""Leaf evaluation for the tree search: priors and values in one batched call, and rollouts.

The search talks to knowledge through one method, :meth:`Evaluator.evaluate`, which takes a
batch of leaf positions with their candidate masks and returns priors over the actions and,
when the evaluator has one, a value for the player to move. A network evaluator (the networks
issue) plugs in here unchanged; this release ships :class:`UniformEvaluator` and the tree
policy's priors (:class:`go_engine.search.tree_policy.TreePolicyEvaluator`).

Rollouts are separate: :class:`RolloutRunner` plays one playout per leaf (light, or drawn from
the trained rollout policy of :mod:`go_engine.search.rollout_policy`), splitting the batch over
threads that run compiled ``nogil`` code, and returns each result from the leaf's
player-to-move perspective (+1 win, -1 loss, 0 draw), optionally blended with the margin (see
:func:`outcome_value`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import numpy as np
from numba import njit

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK
from go_engine.search.rollout_policy import (
    NO_REPLIES,
    RolloutPolicy,
    new_replies,
    policy_rollout_many,
)


@dataclass(frozen=True)
class Evaluation:
    """What an evaluator says about a batch of B positions with A actions each.

    Attributes:
        priors: ``float32 [B, A]``, zero on masked-out actions, each row summing to 1.
        values: ``float32 [B]`` in [-1, 1] for the player to move, or ``None`` when the
            evaluator has no value function.
    """

    priors: np.ndarray
    values: np.ndarray | None


class Evaluator(Protocol):
    """Anything that gives priors (and maybe values) for a batch of positions."""

    def evaluate(self, boards: Sequence[Board], masks: np.ndarray) -> Evaluation:
        """Evaluate ``boards``; ``masks`` is ``bool [B, A]``, the candidate moves of each."""
        ...

    # An evaluator with no values may also offer ``expand_leaves(arrays, leaves, pts, meta,
    # due, prune_eye_fills, rng)``: expand a round's due leaves in the tree's arrays itself, in
    # compiled code, instead of answering ``evaluate`` leaf by leaf (the tree policy does).


class UniformEvaluator:
    """Uniform priors over the candidate moves: the engine with no knowledge.

    Args:
        value: when given, a constant value for every position (a *free* evaluator: with
            ``mixing_lambda = 0`` the search then measures the cost of the tree alone).
    """

    def __init__(self, value: float | None = None) -> None:
        self.value = value

    def evaluate(self, boards: Sequence[Board], masks: np.ndarray) -> Evaluation:
        """Spread each row's prior evenly over its candidates."""
        priors = masks.astype(np.float32)
        priors /= np.maximum(priors.sum(axis=1, keepdims=True), 1.0)
        values = None if self.value is None else np.full(len(boards), self.value, np.float32)
        return Evaluation(priors, values)


@njit(cache=True, nogil=True)
def _rollout_many(pts_stack, meta_stack, zob, rng, max_moves, scores, first_movers):
    """One light playout from each stacked position (in place); area scores into ``scores``.

    ``first_movers`` is ``int8 [B, padded points]`` (the colour that played each point first
    in playout ``b``) or ``[B, 0]`` when the caller does not want it.
    """
    owner = np.zeros(pts_stack.shape[2], dtype=np.int8)
    for i in range(pts_stack.shape[0]):
        core.light_moves(pts_stack[i], meta_stack[i], zob, rng, max_moves, first_movers[i])
        scores[i] = core.area_owner(pts_stack[i], meta_stack[i], owner)


class RolloutRunner:
    """Runs one playout per leaf, in parallel over ``threads`` threads.

    Playouts are light (uniform legal non-eye moves) by default, or drawn from a trained
    ``policy`` (:class:`~go_engine.search.rollout_policy.RolloutPolicy`, AlphaGo's fast
    rollout policy). :meth:`run_in_place` splits a batch over the threads and waits; each
    thread has its own xorshift state derived from ``seed``, so the same sequence of calls
    gives the same results. :meth:`start` runs a whole batch on one thread in the background,
    for a search that keeps several batches in flight (see :class:`~go_engine.search.mcts.MCTS`).

    With ``last_good_reply`` (trained rollouts only), each random stream has a reply table
    (:func:`~go_engine.search.rollout_policy.new_replies`) that its rollouts play from and
    learn into, kept from call to call: :meth:`start`'s caller passes the table of its stream.

    ``score_weight`` and ``score_scale`` blend each result with its margin
    (:func:`outcome_value`; 0 keeps the plain +1/-1/0). ``tactics`` (trained rollouts only)
    makes the rollouts answer the last move's ataris first
    (:mod:`go_engine.search.rollout_tactics`).
    """

    def __init__(self, threads: int = 1, seed: int = 0, max_moves_factor: int = 3,
                 policy: RolloutPolicy | None = None, last_good_reply: bool = False,
                 score_weight: float = 0.0, score_scale: float = 10.0,
                 tactics: bool = False) -> None:
        if (last_good_reply or tactics) and policy is None:
            raise ValueError("last good reply and rollout tactics need trained rollouts")
        self.tactics = tactics
        self.score_weight = score_weight
        self.score_scale = score_scale
        self.threads = max(1, threads)
        self.max_moves_factor = max_moves_factor
        self.policy = policy
        self.last_good_reply = last_good_reply
        self._rngs = core.seed_rngs([seed * 1009 + i for i in range(self.threads)])
        self._replies: dict[int, np.ndarray] = {}
        # The calling thread is one of the ``threads``: it plays a share of the rollouts too.
        self._pool = ThreadPoolExecutor(self.threads - 1) if self.threads > 1 else None

    def run(self, boards: Sequence[Board], komi: float,
            record_first_movers: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Play one rollout from each board (the boards are not changed).

        Returns the results (+1/-1/0 for the player to move at each board, blended with the
        margin when ``score_weight`` is set: :func:`outcome_value`; ``float64 [B]``)
        and, when asked, ``int8 [B, size * size]``: the colour that played each point first in
        each rollout (0: nobody), for RAVE.
        """
        if not boards:
            return np.zeros(0), None
        size = boards[0].size
        pts = np.stack([b.pts for b in boards])
        meta = np.stack([b.meta for b in boards])
        results, first = self.run_in_place(pts, meta, boards[0].zobrist, komi,
                                           record_first_movers)
        return results, None if first is None else first[:, padded_index(size)[:-1]]

    def run_in_place(self, pts: np.ndarray, meta: np.ndarray, zobrist: np.ndarray, komi: float,
                     record_first_movers: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Play one rollout from each stacked position ``pts [B, F, P]``, ``meta [B, M]``
        (scratch arrays: the rollouts play on them). The first movers, when asked, come back
        per *padded* point, ``int8 [B, P]``. Otherwise as :meth:`run`."""
        count = pts.shape[0]
        if self._pool is None or count == 1:
            return self._play(pts, meta, zobrist, komi, record_first_movers, self._rngs[0],
                              self.stream_replies(0, int(meta[0, core.M_SIZE])))
        black_to_move = meta[:, core.M_TO_MOVE] == BLACK  # before the rollouts play on
        scores = np.zeros(count, dtype=np.int64)
        first = np.zeros((count, pts.shape[2] if record_first_movers else 0), np.int8)
        kernel, max_moves = self._kernel(meta)
        chunks = [slice(c[0], c[-1] + 1)
                  for c in np.array_split(np.arange(count), self.threads) if len(c)]
        size = int(meta[0, core.M_SIZE])
        extras = [self._extra(self.stream_replies(i, size), komi) for i in range(len(chunks))]
        jobs = [self._pool.submit(kernel, pts[c], meta[c], zobrist, self._rngs[i], max_moves,
                                  scores[c], first[c], *extras[i])
                for i, c in enumerate(chunks) if i]
        c = chunks[0]
        kernel(pts[c], meta[c], zobrist, self._rngs[0], max_moves, scores[c], first[c],
               *extras[0])
        for job in jobs:
            job.result()
        return self._outcomes(scores, black_to_move, komi), first if record_first_movers else None

    def start(self, pts: np.ndarray, meta: np.ndarray, zobrist: np.ndarray, komi: float,
              record_first_movers: bool, rng: np.ndarray,
              replies: np.ndarray = NO_REPLIES) -> RolloutBatch:
        """Queue :meth:`run_in_place`'s work for a pool thread and return at once.

        The whole batch runs on one thread, drawing from ``rng`` (and playing from and
        learning into ``replies``, with ``last_good_reply``): the caller keeps one random
        stream per batch in flight, so the results do not depend on which thread ran which
        batch (the calling thread may take a queued batch back, :meth:`RolloutBatch.run_here`).
        """
        if self._pool is None:
            raise RuntimeError("start needs a runner with two threads or more")
        args = (pts, meta, zobrist, komi, record_first_movers, rng, replies)
        return RolloutBatch(self._pool.submit(self._play, *args), partial(self._play, *args))

    def stream_replies(self, stream: int, size: int) -> np.ndarray:
        """The reply table of random stream ``stream`` (:meth:`run_in_place`: thread
        ``stream``'s; :meth:`start`: the caller's numbering) for ``size`` boards, new when
        the size changed; :data:`NO_REPLIES` without ``last_good_reply``."""
        if not self.last_good_reply:
            return NO_REPLIES
        replies = self._replies.get(stream)
        if replies is None or replies.shape[1] != (size + 2) ** 2:
            replies = self._replies[stream] = new_replies(size)
        return replies

    def _play(self, pts: np.ndarray, meta: np.ndarray, zobrist: np.ndarray, komi: float,
              record_first_movers: bool, rng: np.ndarray,
              replies: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Every rollout of the batch in the calling thread."""
        black_to_move = meta[:, core.M_TO_MOVE] == BLACK  # before the rollouts play on
        scores = np.zeros(pts.shape[0], dtype=np.int64)
        first = np.zeros((pts.shape[0], pts.shape[2] if record_first_movers else 0), np.int8)
        kernel, max_moves = self._kernel(meta)
        kernel(pts, meta, zobrist, rng, max_moves, scores, first, *self._extra(replies, komi))
        return self._outcomes(scores, black_to_move, komi), first if record_first_movers else None

    def _outcomes(self, scores: np.ndarray, black_to_move: np.ndarray,
                  komi: float) -> np.ndarray:
        """Area scores (Black minus White, no komi) as values for the player to move at each
        start."""
        black_margin = scores - komi
        margins = np.where(black_to_move, black_margin, -black_margin)
        return outcome_values(margins, self.score_weight, self.score_scale)

    def _kernel(self, meta: np.ndarray) -> tuple[Callable, int]:
        """The compiled batch kernel and its move limit."""
        size = int(meta[0, core.M_SIZE])
        max_moves = self.max_moves_factor * size * size
        return (_rollout_many if self.policy is None else policy_rollout_many), max_moves

    def _extra(self, replies: np.ndarray, komi: float) -> tuple:
        """The kernel's arguments after the first movers: none for light playouts; the model,
        the reply table, komi and the tactics switch for the trained policy."""
        if self.policy is None:
            return ()
        return self.policy.kernel_model(), replies, float(komi), self.tactics

    def close(self) -> None:
        """Stop the worker threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class RolloutBatch:
    """A batch of rollouts started by :meth:`RolloutRunner.start`: queued, running on a pool
    thread, or done."""

    def __init__(self, future: Future, play: Callable[[], tuple]) -> None:
        self._future = future
        self._play = play
        self._result: tuple | None = None

    def done(self) -> bool:
        """True when :meth:`result` will not wait."""
        return self._result is not None or self._future.done()

    def run_here(self) -> bool:
        """Play the batch on the calling thread if no pool thread has taken it yet (a caller
        that would otherwise wait does useful work instead); True if it did."""
        if self._result is None and self._future.cancel():
            self._result = self._play()
            return True
        return False

    def result(self) -> tuple[np.ndarray, np.ndarray | None]:
        """What :meth:`RolloutRunner.run_in_place` returns, waiting for it if needed."""
        if self._result is None:
            self._result = self._future.result()
        return self._result

    def cancel(self) -> None:
        """Drop the batch when still queued, else wait until its thread is done with it; its
        result (or error) is not wanted any more."""
        if self._result is None and not self._future.cancel():
            wait([self._future])


@njit(cache=True, nogil=True)
def outcome_value(margin: float, score_weight: float, score_scale: float) -> float:
    """The value of a finished game to a player who won it by ``margin`` points (negative: lost).

    ``(1 - w) * sign(margin) + w * tanh(margin / scale)``: with ``w = score_weight = 0`` the
    plain result (+1 win, -1 loss, 0 draw), which is what the search maximises the chance of;
    a small ``w`` also prefers bigger margins among moves that win alike, so a won game is not
    given away point by point by moves that the rollouts judge equal (KataGo's score utility,
    Wu 2019, "Accelerating self-play learning in Go", had the same aim).
    """
    sign = 1.0 if margin > 0 else -1.0 if margin < 0 else 0.0
    if score_weight == 0.0:
        return sign
    return (1.0 - score_weight) * sign + score_weight * math.tanh(margin / score_scale)


@njit(cache=True, nogil=True)
def outcome_values(margins: np.ndarray, score_weight: float, score_scale: float) -> np.ndarray:
    """:func:`outcome_value` of each margin, ``float64``."""
    values = np.empty(len(margins))
    for i in range(len(margins)):
        values[i] = outcome_value(margins[i], score_weight, score_scale)
    return values
