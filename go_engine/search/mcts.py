"""Monte Carlo tree search with priors, virtual loss, batched leaf evaluation and rollouts.

Notation after the AlphaGo paper (Silver et al. 2016): each edge (s, a) stores a visit count
N(s, a), a total value W(s, a) and a prior P(s, a); Q(s, a) = W / N. Values are always from the
point of view of the player to move at s, in [-1, 1] (a win rate w is (Q + 1) / 2).

One round of the search (the tree lives in flat arrays walked by compiled kernels, see
:mod:`go_engine.search.tree`):

1. *select* ``batch_size`` leaves, each by descending from the root with the selection formula
   (RAVE, UCT or PUCT, see :class:`~go_engine.search.config.SearchConfig`), adding a virtual
   loss to every edge on the way so that the next descent looks elsewhere;
2. *expand* the leaves visited ``expand_threshold`` times, with priors from the evaluator in
   one batched call (uniform priors are set by compiled code, without a call);
3. *evaluate* them: one rollout per leaf (z) and, when the evaluator has one, its value v;
   the leaf value is ``(1 - lambda) * v + lambda * z``; a leaf where both players have
   passed is scored exactly. With several rollout threads the rounds overlap: up to
   ``2 * threads`` rounds have their rollouts queued or running while the calling thread
   selects, expands and backs up others (and plays queued rollouts itself rather than wait),
   so the tree's work no longer serialises the search. Rounds are backed up oldest first
   and each round slot has its own random stream, so a search with a playout limit gives
   the same tree on every run;
4. *back up* the values, taking the virtual losses back; under RAVE, also the all-moves-as-first
   statistics of every node on the path: each move the node's player made later in the
   simulation (tree or rollout, first play of a point only) counts as if played at the node.

Superko is judged at the root only (the moves the engine actually plays); inside the tree the
board's simple-ko rule applies. The tree is kept between moves (:meth:`MCTS.advance`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, flat_index, padded_index
from go_engine.rules.game import Game
from go_engine.rules.masks import masks
from go_engine.search import tree as kernels
from go_engine.search.config import Priors, Rollouts, SearchConfig, Selection
from go_engine.search.evaluation import Evaluator, RolloutBatch, RolloutRunner, UniformEvaluator
from go_engine.search.policy_model import LinearPolicy, load_policy
from go_engine.search.rollout_policy import RolloutPolicy
from go_engine.search.tree import TreeArrays

FORMULAS = {Selection.UCT: kernels.UCT, Selection.PUCT: kernels.PUCT, Selection.RAVE: kernels.RAVE}
VARIATIONS = 10  # candidates that get a principal variation in every SearchResult


@dataclass
class SearchResult:
    """What a search found at the root, over the ``size * size + 1`` actions.

    Attributes:
        move: the move chosen by visits (and temperature); the player may overrule it.
        visits: N(root, a) for every action.
        q: Q(root, a) for the player to move at the root (0 where unvisited).
        prior: P(root, a).
        playouts: simulations done in this search.
        seconds: wall-clock time spent.
        principal_variation: the most visited line from the root, starting with ``move``.
        variations: the most visited line after each of the most visited root moves.
    """

    move: int
    visits: np.ndarray
    q: np.ndarray
    prior: np.ndarray
    playouts: int
    seconds: float
    principal_variation: list[int]
    variations: dict[int, list[int]] = field(default_factory=dict)

    def winrate(self, move: int | None = None) -> float:
        """Win rate in [0, 1] of ``move`` (default: the chosen move) for the root player."""
        move = self.move if move is None else move
        return float((self.q[move] + 1.0) / 2.0)

    def top_moves(self, count: int = 5) -> list[int]:
        """The most visited moves, most visits first."""
        order = np.argsort(-self.visits, kind="stable")
        return [int(m) for m in order[:count] if self.visits[m] > 0]


@dataclass(frozen=True)
class NodeView:
    """A read-only look at one node of the tree, in flat coordinates (for tests and tools)."""

    node: int
    to_move: int
    visits: int
    expanded: bool
    moves: np.ndarray  # flat actions of the edges
    prior: np.ndarray
    n: np.ndarray
    w: np.ndarray
    amaf_n: np.ndarray
    amaf_w: np.ndarray
    children: dict[int, int]  # flat action -> child node id


@dataclass
class _Round:
    """Scratch arrays of one round of ``batch`` descents (reused between rounds)."""

    pts: np.ndarray
    meta: np.ndarray
    leaves: np.ndarray
    path_nodes: np.ndarray
    path_edges: np.ndarray
    path_len: np.ndarray
    values: np.ndarray
    terminal: np.ndarray
    due: np.ndarray
    evaluator_values: np.ndarray | None = None  # the evaluator's v of each leaf, when mixed in
    busy: bool = False  # its rollouts are in flight

    @classmethod
    def allocate(cls, batch: int, board: Board) -> _Round:
        depth = 4 * board.size * board.size
        return cls(np.empty((batch, *board.pts.shape), np.int64),
                   np.empty((batch, board.meta.shape[0]), np.int64),
                   np.zeros(batch, np.int64), np.zeros((batch, depth), np.int64),
                   np.zeros((batch, depth), np.int64), np.zeros(batch, np.int64),
                   np.zeros(batch), np.zeros(batch, np.bool_), np.zeros(batch, np.bool_))


def default_evaluator(config: SearchConfig) -> Evaluator:
    """The evaluator a search uses when none is given: uniform or tree-policy priors."""
    if config.priors == Priors.TREE_POLICY:
        from go_engine.search.tree_policy import TreePolicyEvaluator

        return TreePolicyEvaluator(configured_policy(config.tree_policy, "tree_policy"),
                                   temperature=config.tree_policy_temperature)
    return UniformEvaluator()


def configured_policy(name: str, setting: str) -> LinearPolicy:
    """The linear policy a search setting names (a shipped kind or a model file); a file that
    cannot be read raises ``ValueError`` naming the setting."""
    try:
        return load_policy(name)
    except (OSError, ValueError, KeyError) as error:
        raise ValueError(f"{setting}={name}: not a policy model ({error})") from None


class MCTS:
    """A reusable search tree over one game.

    Args:
        config: search settings.
        evaluator: priors (and values) for leaves; uniform priors when ``None``.
    """

    def __init__(self, config: SearchConfig, evaluator: Evaluator | None = None) -> None:
        self.config = config
        self.evaluator = evaluator or default_evaluator(config)
        policy = None
        if config.rollouts == Rollouts.TRAINED:
            model = configured_policy(config.rollout_policy, "rollout_policy")
            if config.rollout_temperature != 1.0:
                model = model.with_temperature(config.rollout_temperature)
            policy = RolloutPolicy(model)
        self.rollouts = RolloutRunner(config.rollout_threads, config.seed,
                                      config.max_rollout_moves_factor, policy,
                                      config.last_good_reply, config.score_weight,
                                      config.score_scale, config.rollout_tactics)
        self.rng = np.random.default_rng(config.seed)
        self.tree_rng = core.seed_rng(config.seed + 7919)
        self.arrays = TreeArrays()
        self.root: int | None = None
        self._root_key: tuple[int, int, int] | None = None
        self._formula = FORMULAS[Selection(config.selection)]
        self._params = np.array([config.c_uct, config.c_puct, config.first_play_urgency,
                                 config.c_rave, config.rave_bias ** 2,
                                 config.rave_first_play_urgency, config.rave_prior_weight,
                                 float(config.relative_fpu), config.fpu_reduction])
        # With several rollout threads, up to 2 * threads rounds are in flight (selected, their
        # rollouts running or queued) while this thread selects and backs up others; each slot
        # has its own scratch and random stream, so a round's result does not depend on which
        # thread played it.
        self._depth = 2 * config.rollout_threads if config.rollout_threads > 1 else 0
        self._scratches: list[_Round | None] = [None] * (self._depth + 1)
        self._streams = core.seed_rngs([config.seed * 7919 + 104729 + slot
                                        for slot in range(self._depth + 1)])
        self._in_flight: deque[tuple[_Round, RolloutBatch]] = deque()
        self._rounds_started = 0

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
        root = self._prepare_root(game)
        done = rounds = 0  # simulations started (all finished before a report); rounds
        try:
            while True:
                if progress is not None and time.perf_counter() >= next_report:
                    self._finish_rounds()
                    progress(self._result(root, game.size, done, time.perf_counter() - start))
                    next_report = time.perf_counter() + progress_every
                if playouts and done >= playouts:
                    break
                if seconds and _next_round_overruns(time.perf_counter() - start, rounds,
                                                    seconds):
                    break
                if should_stop is not None and should_stop():
                    break
                batch = self.config.batch_size
                if playouts:
                    batch = min(batch, playouts - done)
                self._start_round(game.board, game.komi, batch)
                done += batch
                rounds += 1
            self._finish_rounds()
        except BaseException:
            self._abandon_rounds()
            raise
        return self._result(root, game.size, done, time.perf_counter() - start)

    def advance(self, move: int, board: Board) -> None:
        """Keep the subtree under ``move`` as the new root (tree reuse); ``board`` is the
        position after the move."""
        if self.root is None or not self.config.reuse_tree:
            self.reset()
            return
        child = self._child(self.root, move, board.size)
        if child is None:
            self.reset()
            return
        self.root = self._compact(child)
        self._root_key = (board.size, board.hash, board.to_move)

    def reset(self) -> None:
        """Forget the tree."""
        self.arrays.clear()
        self.root = None
        self._root_key = None

    def close(self) -> None:
        """Release the rollout threads."""
        self.rollouts.close()

    def node(self, node: int, size: int) -> NodeView:
        """A read-only view of ``node`` (flat moves)."""
        arrays = self.arrays
        edges = arrays.edge_range(node)
        moves = flat_index(size)[arrays.edges[edges, kernels.MOVE]] if len(edges) else \
            np.zeros(0, np.int64)
        moves = np.where(arrays.edges[edges, kernels.MOVE] < 0, size * size, moves)
        stats = arrays.stats[edges]
        children = {int(m): int(c) for m, c in zip(moves, arrays.edges[edges, kernels.CHILD],
                                                   strict=True) if c >= 0}
        return NodeView(node, int(arrays.nodes[node, kernels.TO_MOVE]),
                        int(arrays.nodes[node, kernels.VISITS]),
                        bool(arrays.nodes[node, kernels.EXPANDED]), moves,
                        stats[:, kernels.PRIOR].copy(), stats[:, kernels.N].copy(),
                        stats[:, kernels.W].copy(), stats[:, kernels.AMAF_N].copy(),
                        stats[:, kernels.AMAF_W].copy(), children)

    # -- root -------------------------------------------------------------------------------

    def _prepare_root(self, game: Game) -> int:
        board = game.board
        key = (board.size, board.hash, board.to_move)
        if self.root is None or self._root_key != key:
            self.reset()
            self.root = self.arrays.new_root(board.to_move)
            self._root_key = key
        legal, sensible = masks(board)
        candidates = (sensible if self.config.prune_eye_fills else legal) & game.legal_moves()
        if not candidates[:-1].any():
            candidates[-1] = True
        root = self.root
        if not self.arrays.nodes[root, kernels.EXPANDED]:
            priors = self.evaluator.evaluate([board], candidates[None, :]).priors[0]
            self._expand(root, candidates, priors, board.size)
        self._restrict_root(root, candidates, board.size)
        return root

    def _restrict_root(self, root: int, candidates: np.ndarray, size: int) -> None:
        """Clear the legal flag of root edges the game forbids (superko) and renormalise the
        priors; add Dirichlet noise for self-play."""
        arrays = self.arrays
        edges = np.array(arrays.edge_range(root))
        moves = self.node(root, size).moves
        allowed = candidates[moves]
        arrays.edges[edges, kernels.LEGAL] = allowed
        prior = np.where(allowed, arrays.stats[edges, kernels.PRIOR], 0.0)
        prior /= max(prior.sum(), 1e-12)
        alpha = self.config.dirichlet_alpha
        if alpha > 0 and allowed.any():
            noise = self.rng.dirichlet([alpha] * int(allowed.sum()))
            fraction = self.config.noise_fraction
            prior[allowed] = (1 - fraction) * prior[allowed] + fraction * noise
        arrays.stats[edges, kernels.PRIOR] = prior

    def _expand(self, node: int, candidates: np.ndarray, priors: np.ndarray, size: int) -> None:
        moves = np.flatnonzero(candidates)
        self.arrays.reserve(0, len(moves))
        arrays = self.arrays
        kernels.expand(arrays.nodes, arrays.edges, arrays.stats, arrays.counts, node,
                       padded_index(size)[moves], priors[moves].astype(np.float64),
                       self.rng.random(len(moves)) * 1e-6)

    # -- one round --------------------------------------------------------------------------

    def _start_round(self, root_board: Board, komi: float, batch: int) -> None:
        """Select ``batch`` leaves, expand and value them, and back them up: at once, or with
        several rollout threads, when their rollouts come back (the oldest round is finished
        once more than ``2 * threads`` are in flight)."""
        slot = self._rounds_started % len(self._scratches)
        self._rounds_started += 1
        while self._scratches[slot] is not None and self._scratches[slot].busy:
            self._finish_oldest()
        scratch = self._scratch_for(slot, root_board, batch)
        arrays = self.arrays
        # Room for one new node per descent and one expansion per leaf.
        arrays.reserve(batch, batch * (root_board.size ** 2 + 1))
        kernels.descend(arrays.nodes, arrays.edges, arrays.stats, arrays.counts, self.root,
                        root_board.pts, root_board.meta, root_board.zobrist, self._formula,
                        self._params, self.config.virtual_loss, scratch.pts, scratch.meta,
                        scratch.leaves, scratch.path_nodes, scratch.path_edges, scratch.path_len)
        kernels.leaf_status(arrays.nodes, scratch.leaves, scratch.pts, scratch.meta, komi,
                            self.config.expand_threshold, scratch.values, scratch.terminal,
                            scratch.due, self.config.score_weight, self.config.score_scale)
        values = scratch.evaluator_values = self._expand_and_value(scratch, root_board)
        record = self._formula == kernels.RAVE
        if values is not None and self.config.mixing_lambda == 0:
            self._back_up(scratch, None, None)
        elif not self._depth:
            self._back_up(scratch, *self.rollouts.run_in_place(
                scratch.pts, scratch.meta, root_board.zobrist, komi, record))
        else:
            scratch.busy = True
            self._in_flight.append((scratch, self.rollouts.start(
                scratch.pts, scratch.meta, root_board.zobrist, komi, record,
                self._streams[slot], self.rollouts.stream_replies(slot, root_board.size))))
            if len(self._in_flight) > self._depth:
                self._finish_oldest()

    def _finish_oldest(self) -> None:
        """Back up the oldest round in flight. While its rollouts run, this thread plays the
        newest batches still queued rather than wait: it is one of the rollout threads."""
        oldest = self._in_flight[0][1]
        while not oldest.done():
            if not any(batch.run_here() for _, batch in reversed(self._in_flight)):
                break
        scratch, rollouts = self._in_flight.popleft()
        self._back_up(scratch, *rollouts.result())
        scratch.busy = False

    def _finish_rounds(self) -> None:
        """Back up every round in flight, oldest first (the same order on every run)."""
        while self._in_flight:
            self._finish_oldest()

    def _abandon_rounds(self) -> None:
        """After an error or an interrupt: wait for the rollouts in flight and forget the tree,
        whose paths still carry their virtual losses."""
        for _, rollouts in self._in_flight:
            rollouts.cancel()
        self._in_flight.clear()
        for scratch in self._scratches:
            if scratch is not None:
                scratch.busy = False
        self.reset()

    def _back_up(self, scratch: _Round, z: np.ndarray | None,
                 first: np.ndarray | None) -> None:
        """Mix each open leaf's rollout result ``z`` with the evaluator's value and back up
        the batch (terminal leaves keep their exact score)."""
        values, lam = scratch.evaluator_values, self.config.mixing_lambda
        if z is None or values is None:
            mixed = values if z is None else z
        else:
            mixed = (1.0 - lam) * values + lam * z
        open_leaves = ~scratch.terminal
        scratch.values[open_leaves] = mixed[open_leaves]
        if first is None:
            first = np.zeros((len(scratch.leaves), 0), np.int8)
        else:
            first[scratch.terminal] = 0
        arrays = self.arrays
        kernels.backup(arrays.nodes, arrays.edges, arrays.stats, scratch.leaves,
                       scratch.path_nodes, scratch.path_edges, scratch.path_len, scratch.values,
                       self.config.virtual_loss, first)

    def _scratch_for(self, slot: int, board: Board, batch: int) -> _Round:
        scratch = self._scratches[slot]
        if (scratch is None or scratch.pts.shape[0] != batch
                or scratch.pts.shape[1:] != board.pts.shape):
            scratch = self._scratches[slot] = _Round.allocate(batch, board)
        return scratch

    def _expand_and_value(self, scratch: _Round, root_board: Board) -> np.ndarray | None:
        """Expand the leaves that are due; return the evaluator's values of every leaf when the
        mix uses them (else ``None``)."""
        arrays = self.arrays
        due = scratch.due
        wants_values = self.config.mixing_lambda < 1.0
        if isinstance(self.evaluator, UniformEvaluator):  # all in compiled code
            kernels.expand_uniform(arrays.nodes, arrays.edges, arrays.stats, arrays.counts,
                                   scratch.leaves, scratch.pts, scratch.meta, due,
                                   self.config.prune_eye_fills, self.tree_rng)
            if not wants_values or self.evaluator.value is None:
                return None
            return np.full(len(scratch.leaves), self.evaluator.value)
        expand_leaves = getattr(self.evaluator, "expand_leaves", None)
        if expand_leaves is not None:  # an evaluator without values, in compiled code
            expand_leaves(arrays, scratch.leaves, scratch.pts, scratch.meta, due,
                          self.config.prune_eye_fills, self.tree_rng)
            return None
        rows = np.flatnonzero(~scratch.terminal if wants_values else due)
        if len(rows) == 0:
            return None
        boards = [self._board_view(root_board, scratch, b) for b in rows]
        candidate_masks = np.stack([self._candidates(board) for board in boards])
        evaluation = self.evaluator.evaluate(boards, candidate_masks)
        for row, b in enumerate(rows):
            if due[b] and not arrays.nodes[scratch.leaves[b], kernels.EXPANDED]:
                self._expand(int(scratch.leaves[b]), candidate_masks[row],
                             evaluation.priors[row], root_board.size)
        if not wants_values or evaluation.values is None:
            return None
        values = np.zeros(len(scratch.leaves))
        values[rows] = evaluation.values
        return values

    @staticmethod
    def _board_view(root_board: Board, scratch: _Round, b: int) -> Board:
        board = root_board.copy()
        board.pts = scratch.pts[b]
        board.meta = scratch.meta[b]
        return board

    def _candidates(self, board: Board) -> np.ndarray:
        legal, sensible = masks(board)
        candidates = sensible if self.config.prune_eye_fills else legal
        candidates[-1] = True
        return candidates

    # -- tree reuse -------------------------------------------------------------------------

    def _child(self, node: int, move: int, size: int) -> int | None:
        view = self.node(node, size)
        return view.children.get(move)

    def _compact(self, root: int) -> int:
        """Copy the subtree under ``root`` into fresh arrays; the old nodes are dropped."""
        old = self.arrays
        new = TreeArrays(max(old.node_count, 16), max(old.edge_count, 16))
        kernels.compact(old.nodes, old.edges, old.stats, old.counts, root, new.nodes, new.edges,
                        new.stats, new.counts)
        self.arrays = new
        return 0

    # -- result -----------------------------------------------------------------------------

    def _result(self, root: int, size: int, playouts: int, seconds: float) -> SearchResult:
        view = self.node(root, size)
        actions = size * size + 1
        visits, q, prior = np.zeros(actions), np.zeros(actions), np.zeros(actions)
        visits[view.moves] = view.n
        q[view.moves] = view.w / np.maximum(view.n, 1.0)
        prior[view.moves] = view.prior
        legal = np.zeros(actions, bool)
        legal[view.moves] = self.arrays.edges[self.arrays.edge_range(root), kernels.LEGAL] > 0
        move = self._choose(visits, q, prior, legal)
        variations = {m: self._principal_variation(root, m, size)
                      for m in [move, *np.argsort(-visits, kind="stable")[:VARIATIONS]]
                      if visits[m] > 0 or m == move}
        return SearchResult(move, visits, q, prior, playouts, seconds, variations[move],
                            {int(m): line for m, line in variations.items()})

    def _choose(self, visits: np.ndarray, q: np.ndarray, prior: np.ndarray,
                legal: np.ndarray) -> int:
        visits = np.where(legal, visits, 0.0)
        if visits.sum() <= 0:
            return int(np.argmax(np.where(legal, prior, -np.inf)))
        temperature = self.config.temperature
        if temperature <= 0:
            ties = np.flatnonzero(visits == visits.max())
            return int(ties[np.argmax(q[ties])])
        weights = visits ** (1.0 / temperature)
        return int(self.rng.choice(len(weights), p=weights / weights.sum()))

    def _principal_variation(self, root: int, first: int, size: int,
                             limit: int = 20) -> list[int]:
        """The most visited line from ``root`` that starts with ``first``, read straight from
        the arrays: cheap enough for every candidate at every progress report (live analysis,
        the time manager's looks)."""
        arrays, flat = self.arrays, flat_index(size)
        line = [int(first)]
        node, padded = root, int(padded_index(size)[first])
        while len(line) < limit:
            lo = int(arrays.nodes[node, kernels.FIRST_EDGE])
            hi = lo + int(arrays.nodes[node, kernels.NUM_EDGES])
            edge = np.flatnonzero(arrays.edges[lo:hi, kernels.MOVE] == padded)
            node = int(arrays.edges[lo + edge[0], kernels.CHILD]) if len(edge) else -1
            if node < 0 or not arrays.nodes[node, kernels.EXPANDED]:
                break
            lo = int(arrays.nodes[node, kernels.FIRST_EDGE])
            visits = arrays.stats[lo:lo + int(arrays.nodes[node, kernels.NUM_EDGES]), kernels.N]
            if visits.max(initial=0) <= 0:
                break
            padded = int(arrays.edges[lo + int(np.argmax(visits)), kernels.MOVE])
            line.append(size * size if padded < 0 else int(flat[padded]))
        return line


def _next_round_overruns(elapsed: float, rounds: int, seconds: float) -> bool:
    """Whether a round as long as the average one so far would end past ``seconds``.

    Waiting for the limit itself overran it by half a round on average: nothing for the
    rollout-only engine (a round takes a millisecond), but with the network on 19x19 a round
    takes a tenth of a second, and 5 s moves took 5.09 s."""
    mean_round = elapsed / rounds if rounds else 0.0
    return elapsed + mean_round >= seconds
