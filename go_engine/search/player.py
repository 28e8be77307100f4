"""The engine as a player: search, then decide to move, pass or resign.

:class:`MCTSPlayer` is what GTP, the terminal and matches talk to. It keeps the search tree
between moves (following the moves actually played), and adds the judgement the bare search
lacks:

* it passes only when passing does not lose: after two passes the position would be counted
  as a win or a draw both with every stone alive (area) and with the dead stones estimated by
  light playouts taken off, or there is nothing sensible left to play;
* after the opponent's pass it ends a won game by passing, unless the search rates another
  move clearly higher;
* it resigns when the best move's win rate falls below ``resign_threshold`` after at least
  ``resign_min_visits`` root visits;
* in KGS's cleanup phase (``kgs-genmove_cleanup``) it does not pass while the opponent has
  stones it estimates dead and can attack: it captures them first.

With a :class:`~go_engine.search.time_control.MoveTimer` (a clock is running), the search runs
in chunks and the timer decides when it has seen enough (easy moves stop early, hard ones are
extended); see :mod:`go_engine.search.time_control`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, RESIGN, opponent, to_gtp
from go_engine.rules.game import Game, Move
from go_engine.rules.masks import sensible_mask
from go_engine.rules.scoring import score
from go_engine.search.config import SearchConfig
from go_engine.search.evaluation import Evaluator
from go_engine.search.mcts import MCTS, SearchResult
from go_engine.search.playout import estimate_dead_stones
from go_engine.search.time_control import MoveTimer, think


@dataclass(frozen=True)
class Decision:
    """A move and why: the search statistics behind it (``None`` when no search ran)."""

    move: int
    search: SearchResult | None
    reason: str = "search"

    @property
    def winrate(self) -> float | None:
        """Win rate of the chosen move for the player who chose it."""
        if self.search is None or self.move == RESIGN:
            return None
        return self.search.winrate(self.move)

    def comment(self, size: int) -> str:
        """A one-line summary for SGF comments and logs."""
        if self.search is None:
            return self.reason
        result = self.search
        best = result.top_moves(3)
        alternatives = ", ".join(
            f"{to_gtp(m, size)} {result.winrate(m):.1%}/{int(result.visits[m])}" for m in best)
        rate = "" if self.winrate is None else f"winrate {self.winrate:.1%} "
        return (f"{rate}visits {int(result.visits.sum())} playouts {result.playouts} "
                f"({self.reason}); top: {alternatives}")


class MCTSPlayer:
    """A Go player driven by Monte Carlo tree search."""

    # After the opponent's pass, a pass that wins is preferred to a move rated at most this
    # much better (in Q, on [-1, 1]): it ends a won game instead of filling one's own area.
    PASS_TOLERANCE = 0.05
    # Light playouts behind the dead-stone estimate that judges whether passing loses.
    DEAD_STONE_PLAYOUTS = 200
    # Kept back from a fixed time per move for what follows the search (choosing the move,
    # the judgement, the reply), so that the whole move stays within the time.
    FINISH_SECONDS = 0.005

    def __init__(self, config: SearchConfig | None = None,
                 evaluator: Evaluator | None = None) -> None:
        self.config = config or SearchConfig()
        self.mcts = MCTS(self.config, evaluator)
        self._tree_moves: list[Move] | None = None

    def genmove(self, game: Game, color: int | None = None, *, playouts: int | None = None,
                seconds: float | None = None, timer: MoveTimer | None = None,
                cleanup: bool = False, progress: Callable[[SearchResult], None] | None = None,
                progress_every: float = 0.5) -> Decision:
        """Choose a move for ``color`` (default: the side to move). The game is not changed.

        ``playouts`` and ``seconds`` limit the search (default: the config's); with a
        ``timer`` (a clock is running) the search is managed by it instead, ``playouts`` still
        capping it. ``cleanup`` is KGS's cleanup phase: the player does not pass while it sees
        dead stones of the opponent it can attack (:meth:`cleanup_move`). ``progress`` gets the
        statistics every ``progress_every`` seconds (live analysis)."""
        started = time.perf_counter()
        color = game.to_move if color is None else color
        position = self._position(game, color)
        if timer is None:
            seconds = self._seconds_left(seconds, started)
        result = self._search(position, playouts=playouts, seconds=seconds, timer=timer,
                              progress=progress, progress_every=progress_every)
        # The tree belongs to the real game only when the search ran on it.
        self._tree_moves = list(game.moves) if position is game else None
        decision = self._judge(position, result)
        if cleanup and decision.move == position.pass_point:
            move = self.cleanup_move(position)
            if move is not None:
                decision = Decision(move, result, "cleanup: attacking dead stones")
        return decision

    def analyze(self, game: Game, color: int | None = None, *, playouts: int | None = None,
                seconds: float | None = None, should_stop: Callable[[], bool] | None = None,
                progress: Callable[[SearchResult], None] | None = None,
                progress_every: float = 0.5) -> SearchResult:
        """Search the position for ``color`` (default: the side to move) without committing
        to a move; the limits, ``should_stop`` and ``progress`` are :meth:`MCTS.search`'s."""
        color = game.to_move if color is None else color
        position = self._position(game, color)
        result = self.mcts.search(position, playouts=playouts, seconds=seconds,
                                  should_stop=should_stop, progress=progress,
                                  progress_every=progress_every)
        self._tree_moves = list(game.moves) if position is game else None
        return result

    def new_game(self) -> None:
        """Forget the tree (a new game, a changed board, loaded position)."""
        self.mcts.reset()
        self._tree_moves = None

    def close(self) -> None:
        """Release threads."""
        self.mcts.close()

    # -- search -----------------------------------------------------------------------------

    def _position(self, game: Game, color: int) -> Game:
        """The game itself when ``color`` is to move (the tree follows it), else a copy with
        ``color`` to move (and a fresh tree)."""
        if color == game.to_move:
            self._follow(game)
            return game
        position = game.copy()
        position.board.to_move = color
        self.mcts.reset()
        return position

    def _seconds_left(self, seconds: float | None, started: float) -> float:
        """The search's share of a fixed time per move (0: none) begun at ``started``: walking
        the tree down the moves since the last search (up to ~10 ms on 9x9) is part of the
        move, and :attr:`FINISH_SECONDS` is kept for after the search. The search still gets
        at least a tenth of the time, however long the walk took."""
        seconds = self.config.seconds if seconds is None else seconds
        if seconds <= 0:
            return 0.0
        spent = time.perf_counter() - started + self.FINISH_SECONDS
        return max(seconds - spent, 0.1 * seconds)

    def _search(self, position: Game, *, playouts: int | None, seconds: float | None,
                timer: MoveTimer | None, progress: Callable[[SearchResult], None] | None,
                progress_every: float) -> SearchResult:
        if timer is None:
            return self.mcts.search(position, playouts=playouts, seconds=seconds,
                                    progress=progress, progress_every=progress_every)
        cap = self.config.playouts if playouts is None else playouts

        def chunk(count: int, seconds_left: float) -> SearchResult:
            return self.mcts.search(position, playouts=count, seconds=seconds_left)

        result, done = think(chunk, timer, max_playouts=cap, progress=progress,
                             progress_every=progress_every)
        return replace(result, playouts=done, seconds=timer.elapsed())

    # -- judgement --------------------------------------------------------------------------

    def _judge(self, game: Game, result: SearchResult) -> Decision:
        pass_point = game.pass_point
        best = result.move
        visits = int(result.visits.sum())
        if (self.config.resign_threshold > 0 and visits >= self.config.resign_min_visits
                and result.winrate(best) < self.config.resign_threshold):
            return Decision(RESIGN, result, "win rate below the resignation threshold")
        if best == pass_point and not self._passing_is_safe(game):
            alternatives = [m for m in result.top_moves(len(result.visits)) if m != pass_point]
            if alternatives:
                return Decision(alternatives[0], result, "passing would lose")
        if (best != pass_point and game.board.last_move == pass_point
                and result.visits[pass_point] > 0
                and result.q[pass_point] >= result.q[best] - self.PASS_TOLERANCE
                and self._passing_is_safe(game)):
            return Decision(pass_point, result, "the opponent passed and passing wins")
        return Decision(best, result)

    def _passing_is_safe(self, game: Game) -> bool:
        """True when the game, ended now by two passes, is not lost by the side to move: neither
        by the area count with every stone alive (Tromp-Taylor, this engine's own referee) nor
        by the count with the dead stones that light playouts estimate taken off (what a
        referee such as GNU Go's ``final_score`` does)."""
        dead = estimate_dead_stones(game.board, self.DEAD_STONE_PLAYOUTS, seed=self.config.seed)
        for margin in (game.area_score(), score(game.board, game.komi, dead).margin):
            if (margin < 0) if game.to_move == BLACK else (margin > 0):
                return False
        return True

    def cleanup_move(self, game: Game) -> int | None:
        """A move against the opponent's dead stones (KGS's cleanup phase), or ``None``.

        The stones are those :func:`estimate_dead_stones` gives away. Candidates are their
        chains' liberties where the side to move may play without filling its own eye (and
        without superko); a capture comes first, then the chain with the fewest liberties, and
        a move that puts the player's own stones in atari is never chosen. Kept simple on
        purpose: a chain that cannot be approached this way is left on the board.
        """
        board = game.board
        color = game.to_move
        dead = estimate_dead_stones(board, self.DEAD_STONE_PLAYOUTS, seed=self.config.seed)
        targets = sorted(p for p in dead if board.color_at(p) == opponent(color))
        if not targets:
            return None
        allowed = game.legal_moves(color) & sensible_mask(board, color)
        best: tuple[bool, int, int] | None = None
        seen: set[int] = set()
        for point in targets:
            if point in seen:
                continue
            seen.update(board.chain(point))
            liberties = board.liberties(point)
            captures = len(liberties) == 1
            for liberty in liberties:
                if not allowed[liberty] or (not captures and _self_atari(board, liberty, color)):
                    continue
                key = (not captures, len(liberties), liberty)
                best = key if best is None or key < best else best
        return None if best is None else best[2]

    # -- tree reuse -------------------------------------------------------------------------

    def _follow(self, game: Game) -> None:
        """Walk the tree down the moves played since the last search, or drop it."""
        known = self._tree_moves
        if known is None or game.moves[:len(known)] != known:
            self.mcts.reset()
            return
        replay = game.copy()
        new_moves = game.moves[len(known):]
        for _ in new_moves:
            replay.undo()
        for move in new_moves:
            if move.point == RESIGN:
                self.mcts.reset()
                return
            replay.play(move.point, move.color)
            self.mcts.advance(move.point, replay.board)


def _self_atari(board: Board, point: int, color: int) -> bool:
    """True when ``color`` at ``point`` leaves its own chain with one liberty or none."""
    after = board.copy()
    after.play(point, color)
    return after.liberty_count(point) < 2
