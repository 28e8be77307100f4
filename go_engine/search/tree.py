"""The search tree as flat arrays, and the compiled kernels that walk and update it.

Python objects per node cost tens of microseconds per simulation; here a simulation's descent,
expansion and backup run in numba, so the tree costs a small fraction of a rollout.

Storage (all growable, see :class:`TreeArrays`):

``nodes``      int64 ``[capacity, N_NODE_FIELDS]``: side to move, first edge, edge count,
               expanded flag, visits.
``edges``      int32 ``[capacity, N_EDGE_INT_FIELDS]``: the move (a *padded* point, -1 for
               pass), the child node (-1 until reached) and a legal flag (the root's superko
               filter clears it).
``stats``      float32 ``[capacity, N_EDGE_STAT_FIELDS]``: prior P, visits N, total value W,
               all-moves-as-first visits and value (RAVE), and a fixed random tiebreak.
``counts``     int64 ``[2]``: nodes and edges in use.

An expanded node owns the contiguous edges ``first .. first + count``, one per candidate move.
Values are from the point of view of the player to move at the edge's node, in [-1, 1].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from go_engine.rules import board_core as core
from go_engine.search.evaluation import outcome_value

# nodes columns
TO_MOVE = 0
FIRST_EDGE = 1
NUM_EDGES = 2
EXPANDED = 3
VISITS = 4
N_NODE_FIELDS = 5

# edges columns
MOVE = 0
CHILD = 1
LEGAL = 2
N_EDGE_INT_FIELDS = 3

# stats columns
PRIOR = 0
N = 1
W = 2
AMAF_N = 3
AMAF_W = 4
TIEBREAK = 5
N_EDGE_STAT_FIELDS = 6

# selection formulas
UCT = 0
PUCT = 1
RAVE = 2


class TreeArrays:
    """The arrays of one tree, grown on demand (amortised doubling)."""

    def __init__(self, node_capacity: int = 4096, edge_capacity: int = 65536) -> None:
        self.nodes = np.zeros((node_capacity, N_NODE_FIELDS), dtype=np.int64)
        # 32-bit edges halve the memory of big trees (an edge is 36 bytes): moves and child
        # ids fit easily, and float32 counts stay exact up to 2 ** 24 visits.
        self.edges = np.zeros((edge_capacity, N_EDGE_INT_FIELDS), dtype=np.int32)
        self.stats = np.zeros((edge_capacity, N_EDGE_STAT_FIELDS), dtype=np.float32)
        self.counts = np.zeros(2, dtype=np.int64)

    @property
    def node_count(self) -> int:
        """Nodes in use."""
        return int(self.counts[0])

    @property
    def edge_count(self) -> int:
        """Edges in use."""
        return int(self.counts[1])

    def reserve(self, nodes: int, edges: int) -> None:
        """Make room for ``nodes`` more nodes and ``edges`` more edges."""
        need = self.node_count + nodes
        if need > self.nodes.shape[0]:
            self.nodes = _grown(self.nodes, need)
        need = self.edge_count + edges
        if need > self.edges.shape[0]:
            self.edges = _grown(self.edges, need)
            self.stats = _grown(self.stats, need)

    def clear(self) -> None:
        """Forget every node (the arrays stay allocated)."""
        self.counts[:] = 0

    def new_root(self, to_move: int) -> int:
        """A fresh, unexpanded node; returns its id."""
        self.reserve(1, 0)
        return int(new_node(self.nodes, self.counts, to_move))

    def edge_range(self, node: int) -> range:
        """The edge ids of an expanded node."""
        first = int(self.nodes[node, FIRST_EDGE])
        return range(first, first + int(self.nodes[node, NUM_EDGES]))


def _grown(array: np.ndarray, need: int) -> np.ndarray:
    capacity = max(need, 2 * array.shape[0])
    bigger = np.zeros((capacity, array.shape[1]), dtype=array.dtype)
    bigger[:array.shape[0]] = array
    return bigger


@njit(cache=True)
def new_node(nodes, counts, to_move):
    """Append an unexpanded node for ``to_move``; return its id."""
    node = counts[0]
    counts[0] += 1
    nodes[node, TO_MOVE] = to_move
    nodes[node, FIRST_EDGE] = 0
    nodes[node, NUM_EDGES] = 0
    nodes[node, EXPANDED] = 0
    nodes[node, VISITS] = 0
    return node


@njit(cache=True, nogil=True)
def expand(nodes, edges, stats, counts, node, moves, priors, tiebreaks):
    """Give ``node`` one edge per candidate (``moves`` padded, -1 pass) with ``priors``."""
    if nodes[node, EXPANDED]:
        return
    first = counts[1]
    for i in range(moves.shape[0]):
        e = first + i
        edges[e, MOVE] = moves[i]
        edges[e, CHILD] = -1
        edges[e, LEGAL] = 1
        stats[e, PRIOR] = priors[i]
        stats[e, N] = 0.0
        stats[e, W] = 0.0
        stats[e, AMAF_N] = 0.0
        stats[e, AMAF_W] = 0.0
        stats[e, TIEBREAK] = tiebreaks[i]
    counts[1] = first + moves.shape[0]
    nodes[node, FIRST_EDGE] = first
    nodes[node, NUM_EDGES] = moves.shape[0]
    nodes[node, EXPANDED] = 1


# -- selection ---------------------------------------------------------------------------------


@njit(cache=True)
def select_edge(nodes, edges, stats, node, formula, params):
    """The edge of ``node`` with the best score under ``formula``.

    ``params``: ``[c_uct, c_puct, first_play_urgency, c_rave, rave_bias ** 2, rave_fpu,
    rave_prior_weight, relative_fpu (0 or 1), fpu_reduction]``.

    * UCT:  Q + c_uct sqrt(ln N / n); unvisited edges first, by prior then tiebreak.
    * PUCT: Q + c_puct P sqrt(N) / (1 + n), Q = first_play_urgency when n = 0 (AlphaGo), or
      with ``relative_fpu`` the node's mean value over its visits minus ``fpu_reduction``
      (Leela Zero's first-play urgency: an unexplored move is taken to be somewhat worse than
      the moves tried so far, so the search widens less where it is losing).
    * RAVE: (1 - beta) Q + beta Q~ + c_rave sqrt(ln N / (n + 1)), beta = n~ / (n + n~ +
      4 b^2 n n~) (Gelly & Silver 2011); ``rave_fpu`` when an edge has no statistics at all;
      plus the prior bonus ``rave_prior_weight * P sqrt(N) / (1 + n)``, PUCT's term, so that
      informative priors steer RAVE too (uniform priors add the same small bonus to all).
    """
    first = nodes[node, FIRST_EDGE]
    last = first + nodes[node, NUM_EDGES]
    total = 0.0
    total_w = 0.0
    for e in range(first, last):
        total += stats[e, N]
        total_w += stats[e, W]
    fpu = params[2]
    if params[7] > 0:
        fpu = (total_w / total if total > 0 else 0.0) - params[8]
    log_total = math.log(max(total, 1.0))
    sqrt_total = math.sqrt(total)
    best = -1
    best_score = -np.inf
    for e in range(first, last):
        if edges[e, LEGAL] == 0:
            continue
        n = stats[e, N]
        q = stats[e, W] / n if n > 0 else 0.0
        if formula == UCT:
            if n > 0:
                score = q + params[0] * math.sqrt(log_total / n)
            else:
                score = 1e9 + stats[e, PRIOR]
        elif formula == PUCT:
            if n == 0:
                q = fpu
            score = q + params[1] * stats[e, PRIOR] * sqrt_total / (1.0 + n)
        else:
            n_amaf = stats[e, AMAF_N]
            if n_amaf > 0:
                beta = n_amaf / (n + n_amaf + 4.0 * params[4] * n * n_amaf)
                value = (1.0 - beta) * q + beta * stats[e, AMAF_W] / n_amaf
            elif n > 0:
                value = q
            else:
                value = params[5]
            score = value + params[3] * math.sqrt(log_total / (n + 1.0))
            score += params[6] * stats[e, PRIOR] * sqrt_total / (1.0 + n)
        score += stats[e, TIEBREAK]
        if score > best_score:
            best_score = score
            best = e
    return best


# -- one round: descend, (expand), back up --------------------------------------------------------


@njit(cache=True, nogil=True)
def descend(nodes, edges, stats, counts, root, root_pts, root_meta, zob, formula, params,
            virtual_loss, leaf_pts, leaf_meta, leaf_nodes, path_nodes, path_edges, path_len):
    """Select ``leaf_pts.shape[0]`` leaves from ``root`` under virtual loss.

    Each descent plays its moves on its own copy of the root position (``leaf_pts[b]``,
    ``leaf_meta[b]``), adds ``virtual_loss`` to every edge it takes, and stops at an
    unexpanded node, a new child, a position after two passes, or the path capacity. Nodes
    for new children are created here (``counts`` must leave room for one per descent).
    """
    capacity = path_nodes.shape[1]
    for b in range(leaf_pts.shape[0]):
        leaf_pts[b, :, :] = root_pts
        leaf_meta[b, :] = root_meta
        node = root
        depth = 0
        while (nodes[node, EXPANDED] and leaf_meta[b, core.M_PASSES] < 2
               and depth < capacity):
            e = select_edge(nodes, edges, stats, node, formula, params)
            if e < 0:
                break
            path_nodes[b, depth] = node
            path_edges[b, depth] = e
            depth += 1
            stats[e, N] += virtual_loss
            stats[e, W] -= virtual_loss
            core.play(leaf_pts[b], leaf_meta[b], zob, edges[e, MOVE], leaf_meta[b, core.M_TO_MOVE])
            child = edges[e, CHILD]
            if child < 0:
                child = new_node(nodes, counts, leaf_meta[b, core.M_TO_MOVE])
                edges[e, CHILD] = child
                node = child
                break
            node = child
        leaf_nodes[b] = node
        path_len[b] = depth


@njit(cache=True, nogil=True)
def backup(nodes, edges, stats, leaf_nodes, path_nodes, path_edges, path_len, values,
           virtual_loss, first_movers):
    """Add each leaf's value (for its player to move) along its path and take the virtual
    losses back. With ``first_movers`` (``int8 [B, padded points]``, or ``[B, 0]`` to skip
    RAVE), also the all-moves-as-first statistics of every node on the path: walking up, each
    tree move becomes the first play of its point, and each node credits the edges whose
    points its player played first below it."""
    rave = first_movers.shape[1] > 0
    for b in range(leaf_nodes.shape[0]):
        leaf = leaf_nodes[b]
        value = values[b]
        leaf_mover = nodes[leaf, TO_MOVE]
        nodes[leaf, VISITS] += 1
        if rave:
            first = first_movers[b].copy()
        for d in range(path_len[b] - 1, -1, -1):
            e = path_edges[b, d]
            parent = path_nodes[b, d]
            mover = nodes[parent, TO_MOVE]
            signed = value if mover == leaf_mover else -value
            stats[e, N] += 1.0 - virtual_loss
            stats[e, W] += signed + virtual_loss
            nodes[parent, VISITS] += 1
            if rave:
                move = edges[e, MOVE]
                if move >= 0:
                    first[move] = mover
                start = nodes[parent, FIRST_EDGE]
                for e2 in range(start, start + nodes[parent, NUM_EDGES]):
                    point = edges[e2, MOVE]
                    if point >= 0 and first[point] == mover:
                        stats[e2, AMAF_N] += 1.0
                        stats[e2, AMAF_W] += signed


# -- candidates and uniform expansion -----------------------------------------------------------


@njit(cache=True)
def candidate_moves(pts, meta, prune_eye_fills, out):
    """Write the padded candidate moves of the side to move into ``out`` (pass last, always
    there) and return how many: legal under simple ko, and not filling one's own eye when
    ``prune_eye_fills``."""
    color = meta[core.M_TO_MOVE]
    width = meta[core.M_SIZE] + 2
    count = 0
    for p in range(width * width):
        if pts[core.COLOR, p] != core.EMPTY:
            continue
        if prune_eye_fills and core.is_eye_like(pts, meta, p, color):
            continue
        if core.is_legal(pts, meta, p, color):
            out[count] = p
            count += 1
    out[count] = -1
    return count + 1


@njit(cache=True, nogil=True)
def expand_uniform(nodes, edges, stats, counts, leaf_nodes, leaf_pts, leaf_meta, due,
                   prune_eye_fills, rng):
    """Expand every leaf ``b`` with ``due[b]`` over its candidates with uniform priors and
    random tiebreaks (drawn from the xorshift state ``rng``)."""
    moves = np.empty(leaf_pts.shape[2] + 1, dtype=np.int64)
    for b in range(leaf_nodes.shape[0]):
        node = leaf_nodes[b]
        if not due[b] or nodes[node, EXPANDED]:
            continue
        count = candidate_moves(leaf_pts[b], leaf_meta[b], prune_eye_fills, moves)
        priors = np.full(count, 1.0 / count)
        expand(nodes, edges, stats, counts, node, moves[:count], priors,
               random_tiebreaks(rng, count))


@njit(cache=True)
def random_tiebreaks(rng, count):
    """``count`` random tiebreaks in [0, 1e-6), drawn from the xorshift state ``rng``."""
    tiebreaks = np.empty(count)
    for i in range(count):
        tiebreaks[i] = (core.next_random(rng) >> np.uint64(11)) * (1e-6 / 2.0 ** 53)
    return tiebreaks


@njit(cache=True, nogil=True)
def leaf_status(nodes, leaf_nodes, leaf_pts, leaf_meta, komi, expand_threshold, values,
                terminal, due, score_weight, score_scale):
    """Sort the leaves of a round: ``terminal[b]`` where both players have passed, with the
    exact area result for the player to move in ``values[b]`` (+1, -1, 0, blended with the
    margin as rollouts are: :func:`~go_engine.search.evaluation.outcome_value`); ``due[b]``
    where an unexpanded leaf reaches ``expand_threshold`` visits with this one."""
    owner = np.zeros(leaf_pts.shape[2], dtype=np.int8)
    for b in range(leaf_meta.shape[0]):
        node = leaf_nodes[b]
        terminal[b] = leaf_meta[b, core.M_PASSES] >= 2
        due[b] = (not terminal[b] and not nodes[node, EXPANDED]
                  and nodes[node, VISITS] + 1 >= expand_threshold)
        if terminal[b]:
            margin = core.area_owner(leaf_pts[b], leaf_meta[b], owner) - komi
            if leaf_meta[b, core.M_TO_MOVE] != core.BLACK:
                margin = -margin
            values[b] = outcome_value(margin, score_weight, score_scale)


# -- tree reuse ----------------------------------------------------------------------------------


@njit(cache=True, nogil=True)
def compact(nodes, edges, stats, counts, root, new_nodes, new_edges, new_stats, new_counts):
    """Copy the subtree under ``root`` into the new arrays (which must be large enough);
    return the new id of the root (always 0)."""
    order = np.empty(counts[0], dtype=np.int64)
    new_id = np.full(counts[0], -1, dtype=np.int64)
    order[0] = root
    new_id[root] = 0
    head = 0
    tail = 1
    while head < tail:  # breadth first: ids in order of discovery
        node = order[head]
        head += 1
        if nodes[node, EXPANDED]:
            first = nodes[node, FIRST_EDGE]
            for e in range(first, first + nodes[node, NUM_EDGES]):
                child = edges[e, CHILD]
                if child >= 0:
                    new_id[child] = tail
                    order[tail] = child
                    tail += 1
    edge_total = 0
    for i in range(tail):
        node = order[i]
        new_nodes[i, :] = nodes[node, :]
        if nodes[node, EXPANDED]:
            first = nodes[node, FIRST_EDGE]
            count = nodes[node, NUM_EDGES]
            new_nodes[i, FIRST_EDGE] = edge_total
            for k in range(count):
                new_edges[edge_total + k, :] = edges[first + k, :]
                new_stats[edge_total + k, :] = stats[first + k, :]
                child = edges[first + k, CHILD]
                if child >= 0:
                    new_edges[edge_total + k, CHILD] = new_id[child]
            edge_total += count
    new_counts[0] = tail
    new_counts[1] = edge_total
    return 0
