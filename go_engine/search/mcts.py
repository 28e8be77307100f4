"""Monte Carlo tree search with priors, virtual loss, batched leaf evaluation and rollouts.

Notation after the AlphaGo paper (Silver et al. 2016): each edge (s, a) stores a visit count
N(s, a), a total value W(s, a) and a prior P(s, a); Q(s, a) = W / N. Values are always from the
point of view of the player to move at s, in [-1, 1] (a win rate w is (Q + 1) / 2).

One round of the search:

1. *select* ``batch_size`` leaves, each by descending from the root with the selection formula
   (UCT, PUCT or RAVE, see :class:`~go_engine.search.config.SearchConfig`), adding a virtual
   loss to
   every edge on the way so that the next descent looks elsewhere;
2. *evaluate* them together: the evaluator's priors (and value v, when it has one) in one
   batched call, and one rollout per leaf (z) on the rollout threads; the leaf value is
   ``(1 - lambda) * v + lambda * z``; a leaf where both players have passed is scored exactly;
3. *expand* leaves visited ``expand_threshold`` times, with the evaluator's priors;
4. *back up* the values, taking the virtual losses back; under RAVE, also the all-moves-as-first
   statistics of every node on the path: each move the node's player made later in the
   simulation (tree or rollout, first play of a point only) counts as if played at the node.

Superko is judged at the root only (the moves the engine actually plays); inside the tree the
board's simple-ko rule applies. The tree is kept between moves (:meth:`MCTS.advance`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK
from go_engine.rules.game import Game
from go_engine.rules.masks import masks
from go_engine.search.config import SearchConfig, Selection
from go_engine.search.evaluation import Evaluator, RolloutRunner, UniformEvaluator


class Node:
    """A position in the tree; its arrays describe the edges to its children."""

    __slots__ = ("to_move", "visits", "expanded", "legal", "prior", "child_n", "child_w",
                 "amaf_n", "amaf_w", "tiebreak", "children")

    def __init__(self, to_move: int) -> None:
        self.to_move = to_move
        self.visits = 0
        self.expanded = False
        self.children: dict[int, Node] = {}
        self.legal: np.ndarray | None = None
        self.prior: np.ndarray | None = None
        self.child_n: np.ndarray | None = None
        self.child_w: np.ndarray | None = None
        self.amaf_n: np.ndarray | None = None  # RAVE only: all-moves-as-first visits and value
        self.amaf_w: np.ndarray | None = None
        self.tiebreak: np.ndarray | None = None

    def expand(self, legal: np.ndarray, prior: np.ndarray, rng: np.random.Generator,
               amaf: bool = False) -> None:
        """Create the edge statistics over the candidate moves ``legal``."""
        self.legal = legal
        self.prior = prior.astype(np.float64)
        self.child_n = np.zeros(legal.shape[0])
        self.child_w = np.zeros(legal.shape[0])
        if amaf:
            self.amaf_n = np.zeros(legal.shape[0])
            self.amaf_w = np.zeros(legal.shape[0])
        # A fixed random tiebreak per node spreads equal scores without a draw per descent.
        self.tiebreak = rng.random(legal.shape[0]) * 1e-6
        self.expanded = True

    def q(self) -> np.ndarray:
        """Q(s, a) of every edge (0 where unvisited)."""
        return self.child_w / np.maximum(self.child_n, 1.0)


@dataclass
class SearchResult:
    """What a search found at the root.

    Attributes:
        move: the move chosen by visits (and temperature); the player may overrule it.
        visits: N(root, a) for every action.
        q: Q(root, a) for the player to move at the root.
        prior: P(root, a).
        playouts: simulations done in this search.
        seconds: wall-clock time spent.
        principal_variation: the most visited line from the root.
    """

    move: int
    visits: np.ndarray
    q: np.ndarray
    prior: np.ndarray
    playouts: int
    seconds: float
    principal_variation: list[int]

    def winrate(self, move: int | None = None) -> float:
        """Win rate in [0, 1] of ``move`` (default: the chosen move) for the root player."""
        move = self.move if move is None else move
        return float((self.q[move] + 1.0) / 2.0)

    def top_moves(self, count: int = 5) -> list[int]:
        """The most visited moves, most visits first."""
        order = np.argsort(-self.visits, kind="stable")
        return [int(m) for m in order[:count] if self.visits[m] > 0]


class MCTS:
    """A reusable search tree over one game.

    Args:
        config: search settings.
        evaluator: priors (and values) for leaves; uniform priors when ``None``.
    """

    def __init__(self, config: SearchConfig, evaluator: Evaluator | None = None) -> None:
        self.config = config
        self.evaluator = evaluator or UniformEvaluator()
        self.rollouts = RolloutRunner(config.rollout_threads, config.seed,
                                      config.max_rollout_moves_factor)
        self.rng = np.random.default_rng(config.seed)
        self.rave = config.selection == Selection.RAVE
        self.root: Node | None = None
        self._root_hash: tuple[int, int, int] | None = None

    # -- public -----------------------------------------------------------------------------

    def search(self, game: Game, *, playouts: int | None = None, seconds: float | None = None,
               should_stop: Callable[[], bool] | None = None,
               progress: Callable[[SearchResult], None] | None = None,
               progress_every: float = 0.5) -> SearchResult:
        """Search the position of ``game`` for its player to move and return the statistics.

        Limits default to the config's (``0`` for both: search until ``should_stop``).
        ``should_stop`` lets a caller (pondering, GTP analysis) end the search early;
        ``progress`` receives the statistics so far every ``progress_every`` seconds (live
        analysis in GUIs).
        """
        playouts = self.config.playouts if playouts is None else playouts
        seconds = self.config.seconds if seconds is None else seconds
        if not playouts and not seconds and should_stop is None:
            raise ValueError("a search with no playout or time limit needs should_stop")
        start = time.perf_counter()
        next_report = start + progress_every
        root_board = game.board
        root = self._prepare_root(game)
        done = 0
        while True:
            if progress is not None and time.perf_counter() >= next_report:
                progress(self._result(root, done, time.perf_counter() - start))
                next_report = time.perf_counter() + progress_every
            if playouts and done >= playouts:
                break
            if seconds and time.perf_counter() - start >= seconds:
                break
            if should_stop is not None and should_stop():
                break
            batch = self.config.batch_size
            if playouts:
                batch = min(batch, playouts - done)
            self._run_round(root, root_board, game.komi, batch)
            done += batch
        return self._result(root, done, time.perf_counter() - start)

    def advance(self, move: int, board: Board) -> None:
        """Keep the subtree under ``move`` as the new root (tree reuse); ``board`` is the
        position after the move."""
        if self.root is None or not self.config.reuse_tree:
            self.reset()
            return
        self.root = self.root.children.get(move)
        self._root_hash = (board.size, board.hash, board.to_move) if self.root else None

    def reset(self) -> None:
        """Forget the tree."""
        self.root = None
        self._root_hash = None

    def close(self) -> None:
        """Release the rollout threads."""
        self.rollouts.close()

    # -- root -------------------------------------------------------------------------------

    def _prepare_root(self, game: Game) -> Node:
        board = game.board
        key = (board.size, board.hash, board.to_move)
        if self.root is None or self._root_hash != key:
            self.root = Node(board.to_move)
            self._root_hash = key
        legal, sensible = masks(board)
        candidates = sensible if self.config.prune_eye_fills else legal
        candidates = candidates & game.legal_moves()
        if not candidates[:-1].any():
            candidates[-1] = True
        root = self.root
        if not root.expanded:
            priors = self.evaluator.evaluate([board], candidates[None, :]).priors[0]
            root.expand(candidates, priors, self.rng, self.rave)
        else:
            root.legal = root.legal & candidates
            root.prior = np.where(root.legal, root.prior, 0.0)
            root.prior /= max(root.prior.sum(), 1e-12)
        if self.config.dirichlet_alpha > 0:
            self._add_noise(root)
        return root

    def _add_noise(self, root: Node) -> None:
        moves = np.flatnonzero(root.legal)
        noise = self.rng.dirichlet([self.config.dirichlet_alpha] * len(moves))
        fraction = self.config.noise_fraction
        root.prior[moves] = (1 - fraction) * root.prior[moves] + fraction * noise

    # -- one round --------------------------------------------------------------------------

    def _run_round(self, root: Node, root_board: Board, komi: float, batch: int) -> None:
        leaves = [self._descend(root, root_board) for _ in range(batch)]
        values, first_movers = self._evaluate(leaves, komi)
        for (path, leaf, _), value, first in zip(leaves, values, first_movers, strict=True):
            self._backup(path, leaf, value)
            if self.rave:
                self._backup_amaf(path, leaf, value, first, root_board.size)

    def _descend(self, root: Node, root_board: Board) -> tuple[list, Node, Board]:
        board = root_board.copy()
        node = root
        path: list[tuple[Node, int]] = []
        loss = self.config.virtual_loss
        while node.expanded:
            move = self._select(node)
            path.append((node, move))
            node.child_n[move] += loss
            node.child_w[move] -= loss
            board.play(move)
            child = node.children.get(move)
            if child is None:
                child = node.children[move] = Node(board.to_move)
                return path, child, board
            node = child
        return path, node, board

    def _select(self, node: Node) -> int:
        if self.rave:
            return _select_rave(node.child_n, node.child_w, node.amaf_n, node.amaf_w, node.legal,
                                node.tiebreak, self.config.c_rave, self.config.rave_bias ** 2,
                                self.config.rave_first_play_urgency)
        if self.config.selection == Selection.UCT:
            return _select_uct(node.child_n, node.child_w, node.prior, node.legal,
                               node.tiebreak, self.config.c_uct)
        return _select_puct(node.child_n, node.child_w, node.prior, node.legal, node.tiebreak,
                            self.config.c_puct, self.config.first_play_urgency)

    def _evaluate(self, leaves: list, komi: float) -> tuple[list[float], list]:
        """Leaf values for the player to move at each leaf, and (RAVE) the rollouts' first
        movers per point; expands the leaves that are due."""
        values = [0.0] * len(leaves)
        first_movers: list[np.ndarray | None] = [None] * len(leaves)
        open_leaves = []
        for i, (_, leaf, board) in enumerate(leaves):
            if board.passes >= 2:
                margin = board.area()[0] - komi
                values[i] = float(np.sign(margin)) * (1 if leaf.to_move == BLACK else -1)
            else:
                open_leaves.append(i)
        if not open_leaves:
            return values, first_movers
        boards = [leaves[i][2] for i in open_leaves]
        lam = self.config.mixing_lambda
        v = self._priors_and_values(leaves, open_leaves)
        if v is None or lam > 0:
            z, first = self.rollouts.run(boards, komi, record_first_movers=self.rave)
        else:
            z, first = np.zeros(len(boards)), None
        mixed = z if v is None else (1.0 - lam) * v + lam * z
        for k, i in enumerate(open_leaves):
            values[i] = float(mixed[k])
            if first is not None:
                first_movers[i] = first[k]
        return values, first_movers

    def _priors_and_values(self, leaves: list, open_leaves: list[int]) -> np.ndarray | None:
        """Evaluate leaves in one batch, expand those that are due, and return the values of
        the open leaves when the evaluator has them and the mix uses them (else ``None``)."""
        due = [i for i in open_leaves
               if not leaves[i][1].expanded
               and leaves[i][1].visits + 1 >= self.config.expand_threshold]
        wants_values = self.config.mixing_lambda < 1.0
        batch = open_leaves if wants_values else due
        if not batch:
            return None
        candidate_masks = np.stack([self._candidates(leaves[i][2]) for i in batch])
        evaluation = self.evaluator.evaluate([leaves[i][2] for i in batch], candidate_masks)
        due_set = set(due)
        for row, i in enumerate(batch):
            leaf = leaves[i][1]
            if i in due_set and not leaf.expanded:
                leaf.expand(candidate_masks[row], evaluation.priors[row], self.rng, self.rave)
        if wants_values and evaluation.values is not None:
            return np.asarray(evaluation.values, dtype=np.float64)
        return None

    def _candidates(self, board: Board) -> np.ndarray:
        legal, sensible = masks(board)
        candidates = sensible if self.config.prune_eye_fills else legal
        if not candidates[:-1].any():
            candidates = candidates.copy()
            candidates[-1] = True
        return candidates

    def _backup(self, path: list, leaf: Node, value: float) -> None:
        loss = self.config.virtual_loss
        leaf.visits += 1
        for node, move in reversed(path):
            signed = value if node.to_move == leaf.to_move else -value
            node.child_n[move] += 1.0 - loss
            node.child_w[move] += signed + loss
            node.visits += 1

    @staticmethod
    def _backup_amaf(path: list, leaf: Node, value: float, first: np.ndarray | None,
                     size: int) -> None:
        """All-moves-as-first: walking up from the leaf, each tree move becomes the first play
        of its point, and each node credits every point its player played first below it."""
        first = np.zeros(size * size, np.int8) if first is None else first.copy()
        pass_point = size * size
        for node, move in reversed(path):
            if move != pass_point:
                first[move] = node.to_move
            signed = value if node.to_move == leaf.to_move else -value
            _credit_first_moves(node.amaf_n, node.amaf_w, first, node.to_move, signed)

    # -- result -----------------------------------------------------------------------------

    def _result(self, root: Node, playouts: int, seconds: float) -> SearchResult:
        visits = root.child_n.copy()
        move = self._choose(root)
        return SearchResult(move, visits, root.q(), root.prior.copy(), playouts, seconds,
                            self._principal_variation(root, move))

    def _choose(self, root: Node) -> int:
        visits = np.where(root.legal, root.child_n, 0.0)
        if visits.sum() <= 0:
            return int(np.argmax(np.where(root.legal, root.prior + root.tiebreak, -np.inf)))
        temperature = self.config.temperature
        if temperature <= 0:
            best = visits.max()
            ties = np.flatnonzero(visits == best)
            return int(ties[np.argmax(root.q()[ties])])
        weights = visits ** (1.0 / temperature)
        return int(self.rng.choice(len(weights), p=weights / weights.sum()))

    @staticmethod
    def _principal_variation(root: Node, first: int, limit: int = 20) -> list[int]:
        line = [first]
        node = root.children.get(first)
        while node is not None and node.expanded and len(line) < limit:
            if node.child_n.max() <= 0:
                break
            move = int(np.argmax(node.child_n))
            line.append(move)
            node = node.children.get(move)
        return line


# -- selection formulas, compiled: they run once per tree level per simulation ---------------


@njit(cache=True)
def _select_uct(child_n, child_w, prior, legal, tiebreak, c_uct):
    """argmax of Q + c * sqrt(ln N / n); unvisited edges first, by prior (then tiebreak)."""
    total = 0.0
    for a in range(child_n.shape[0]):
        total += child_n[a]
    log_total = math.log(max(total, 1.0))
    best = -1
    best_score = -np.inf
    for a in range(child_n.shape[0]):
        if not legal[a]:
            continue
        n = child_n[a]
        if n > 0:
            score = child_w[a] / n + c_uct * math.sqrt(log_total / n)
        else:
            score = 1e9 + prior[a]
        score += tiebreak[a]
        if score > best_score:
            best_score = score
            best = a
    return best


@njit(cache=True)
def _select_puct(child_n, child_w, prior, legal, tiebreak, c_puct, first_play_urgency):
    """argmax of Q + c_puct * P * sqrt(N) / (1 + n), with Q = first_play_urgency if n = 0."""
    total = 0.0
    for a in range(child_n.shape[0]):
        total += child_n[a]
    sqrt_total = math.sqrt(total)
    best = -1
    best_score = -np.inf
    for a in range(child_n.shape[0]):
        if not legal[a]:
            continue
        n = child_n[a]
        q = child_w[a] / n if n > 0 else first_play_urgency
        score = q + c_puct * prior[a] * sqrt_total / (1.0 + n) + tiebreak[a]
        if score > best_score:
            best_score = score
            best = a
    return best


@njit(cache=True)
def _select_rave(child_n, child_w, amaf_n, amaf_w, legal, tiebreak, c_rave, bias_sq, fpu):
    """argmax of (1 - beta) Q + beta Q~ + c sqrt(ln N / (n + 1)), where Q~ is the AMAF value
    and beta = n~ / (n + n~ + 4 b^2 n n~); ``fpu`` for edges with no statistics at all."""
    total = 0.0
    for a in range(child_n.shape[0]):
        total += child_n[a]
    log_total = math.log(max(total, 1.0))
    best = -1
    best_score = -np.inf
    for a in range(child_n.shape[0]):
        if not legal[a]:
            continue
        n = child_n[a]
        n_amaf = amaf_n[a]
        q = child_w[a] / n if n > 0 else 0.0
        if n_amaf > 0:
            beta = n_amaf / (n + n_amaf + 4.0 * bias_sq * n * n_amaf)
            value = (1.0 - beta) * q + beta * amaf_w[a] / n_amaf
        elif n > 0:
            value = q
        else:
            value = fpu
        score = value + c_rave * math.sqrt(log_total / (n + 1.0)) + tiebreak[a]
        if score > best_score:
            best_score = score
            best = a
    return best


@njit(cache=True)
def _credit_first_moves(amaf_n, amaf_w, first, color, value):
    """Add one AMAF visit worth ``value`` to every point ``color`` played first."""
    for p in range(first.shape[0]):
        if first[p] == color:
            amaf_n[p] += 1.0
            amaf_w[p] += value
