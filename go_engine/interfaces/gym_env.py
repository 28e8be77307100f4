"""Go as a gymnasium environment: :class:`GoEnv`, registered as ``go_engine/Go-v0``.

``import go_engine`` registers it, so::

    import gymnasium
    import go_engine  # noqa: F401  (registers go_engine/Go-v0)

    env = gymnasium.make("go_engine/Go-v0", size=9, komi=7.5)
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(
        env.action_space.sample(mask=info["action_mask"]))

Conventions
-----------
Actions
    ``Discrete(N*N + 1)``: flat points ``row * N + col`` (row 0 at the top, see
    :mod:`go_engine.rules.coords`) and ``PASS = N*N`` last. Resignation is not an action of the
    agent; an opponent callable may return ``RESIGN`` (-1).

Observation
    A ``float32`` ``Box(0, 1, (6, N, N))`` seen from the player to move (at the end of a game,
    the player who would move next):

    =====  ==================  ===========================================================
    plane  name                1 where
    =====  ==================  ===========================================================
    0      ``own``             a stone of the player to move
    1      ``opponent``        a stone of the other player
    2      ``empty``           an empty point
    3      ``ko``              the simple-ko point the player to move may not retake now
    4      ``illegal``         an empty point the rules forbid to the player to move
                               (simple ko, suicide, superko)
    5      ``black_to_move``   everywhere when Black is to move; all zeros when White is
    =====  ==================  ===========================================================

    ``info["action_mask"]`` (``int8``, one entry per action) marks the actions :meth:`step`
    accepts: the legal moves, pass always among them while the episode runs. On the step that
    ends the episode (terminated or truncated) it is all zeros; so it is after a reset where the
    opponent resigned at once (a callable opponent may).

Two players, one env (``opponent=None``)
    Each step is one move by the player to move, Black first; ``info["to_play"]`` says whose
    turn comes next. The reward is 0 on every step but the one that ends the game, where it is
    given **from the perspective of the player who just moved** (who made the final move):
    +1 if that player won, -1 if that player lost, 0 for a draw. The game is zero-sum, so the
    other player's final reward is the negation.

One agent against a built-in opponent (``opponent="random"`` or a callable)
    The agent plays ``agent_color`` (Black by default); the env plays the other colour inside
    :meth:`GoEnv.reset` (when the agent is White) and inside :meth:`GoEnv.step`, right after the
    agent's move. Every reward is **from the agent's perspective**: +1 win, -1 loss, 0 draw,
    whichever side's move ended the game. ``"random"`` plays a uniformly random legal point
    that does not fill one of its own eye-like points, and passes only when no such point is
    left; it draws from the env's ``np_random``, so ``reset(seed=...)`` makes it repeatable. A
    callable receives the live :class:`~go_engine.rules.game.Game` (it must leave it as it
    found it) and returns an action or ``RESIGN``; ``info["opponent_action"]`` reports it.

End of an episode
    Two consecutive passes, the opponent's resignation or an illegal move (below) end the
    episode: ``terminated=True``, and ``info`` gains ``winner`` (``BLACK`` 1, ``WHITE`` 2, 0 for
    a draw), ``score`` (Black's area minus White's minus komi) and ``result`` (SGF style,
    ``"B+3.5"``, ``"W+R"``). The result is area
    scoring with komi, every stone counted alive (:meth:`Game.result`). When ``max_moves``
    moves (both colours, passes included) have been played without an end, the episode is
    ``truncated=True`` with reward 0 (``info["score"]`` gives the provisional count).

Illegal actions
    An illegal move (an occupied point, a ko retake, suicide, a superko repetition) **loses the
    game for the player who tried it**: the move is not played, the episode ends with
    ``terminated=True`` and reward -1 (the player who tried it is the one who just moved, and
    with an opponent it can only be the agent), and ``info`` gains ``illegal=True``,
    ``illegal_reason`` (e.g. ``"illegal move E5: the point is occupied"``), ``winner`` (the other
    colour), ``score`` and ``result`` (``"W+F"``, SGF's win by forfeit). A loss rather than an
    exception, so that an unmasked policy learns from it, one bad action does not crash a
    vector of envs, and ``check_env`` passes whatever position its random action meets.
    Bugs raise instead: a value outside the action space (``ValueError``), a step after the
    episode ended (``RuntimeError``), an illegal move by an opponent callable
    (:class:`~go_engine.rules.game.IllegalMoveError`, a ``ValueError``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from go_engine import ENV_ID, register_envs
from go_engine.rules.coords import (
    BLACK,
    EMPTY,
    GTP_COLUMNS,
    RESIGN,
    WHITE,
    check_size,
    color_name,
    opponent,
    parse_color,
    to_gtp,
)
from go_engine.rules.game import Game, GameResult, IllegalMoveError, KoRule, Rules

__all__ = ["ENV_ID", "PLANES", "GoEnv", "encode_planes", "outcome_for", "random_opponent_move",
           "register_envs", "render_text"]

PLANES = ("own", "opponent", "empty", "ko", "illegal", "black_to_move")

Opponent = Callable[[Game], int]
"""An opponent: given the live game (to be left unchanged), the action it plays, or RESIGN."""


def outcome_for(result: GameResult, color: int) -> float:
    """+1.0 when ``color`` won ``result``, -1.0 when it lost, 0.0 for a draw."""
    if result.winner is None:
        return 0.0
    return 1.0 if result.winner == color else -1.0


def random_opponent_move(game: Game, rng: np.random.Generator,
                         legal: np.ndarray | None = None) -> int:
    """A uniformly random legal point that is not the mover's own eye; pass when none is left.

    ``legal`` is ``game.legal_moves()`` when the caller already has it.
    """
    legal = game.legal_moves() if legal is None else legal
    color = game.to_move
    candidates = [int(p) for p in np.flatnonzero(legal[:-1])
                  if not game.board.is_eye_like(int(p), color)]
    if not candidates:
        return game.pass_point
    return candidates[int(rng.integers(len(candidates)))]


def encode_planes(game: Game, legal: np.ndarray) -> np.ndarray:
    """The ``float32 [len(PLANES), N, N]`` observation of ``game`` (see the module docstring).

    ``legal`` is the rules' mask for the player to move (``game.legal_moves()``).
    """
    size = game.size
    stones = game.board.stones()
    me = game.to_move
    planes = np.zeros((len(PLANES), size, size), dtype=np.float32)
    planes[0] = stones == me
    planes[1] = stones == opponent(me)
    planes[2] = stones == EMPTY
    ko = game.board.ko_point
    if ko is not None:
        planes[3].flat[ko] = 1.0
    planes[4] = (stones == EMPTY) & ~legal[:-1].reshape(size, size)
    planes[5] = float(me == BLACK)
    return planes


def render_text(game: Game) -> str:
    """The board with GTP coordinates around it and a status line (the ``ansi`` render)."""
    size = game.size
    letters = "   " + " ".join(GTP_COLUMNS[:size])
    lines = [letters]
    for row, text in enumerate(game.board.to_ascii().splitlines()):
        number = size - row
        lines.append(f"{number:2d} {text} {number}")
    lines.append(letters)
    last = game.board.last_move
    status = [f"move {len(game.moves)}", f"{color_name(game.to_move)} to move",
              f"captures B {game.board.captures(BLACK)} W {game.board.captures(WHITE)}",
              f"komi {game.komi:g}"]
    if last is not None:
        status.insert(1, f"last {to_gtp(last, size)}")
    if game.is_over:
        status.append(f"game over: {game.result().sgf()}")
    return "\n".join(lines) + "\n" + ", ".join(status) + "\n"


class GoEnv(gym.Env[np.ndarray, np.int64]):
    """Go for reinforcement learning; conventions in the module docstring.

    Args:
        size: board size N (2 to 25).
        komi: points given to White.
        ko_rule: ``"positional"`` (default), ``"situational"`` or ``"simple"``.
        allow_suicide: whether suicide is a legal move.
        max_moves: truncate the episode after this many moves of the game; ``None``: never.
        opponent: ``None`` (both colours are played through :meth:`step`), ``"random"`` or a
            callable ``(game) -> action`` that the env plays against the agent.
        agent_color: the agent's colour when there is an opponent (``BLACK``, ``WHITE``,
            ``"black"`` or ``"white"``); ignored without one.
        render_mode: ``None`` or ``"ansi"`` (:meth:`render` returns the board as text).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, size: int = 19, komi: float = 7.5, ko_rule: str | KoRule = "positional",
                 allow_suicide: bool = False, max_moves: int | None = None,
                 opponent: Opponent | str | None = None, agent_color: int | str = BLACK,
                 render_mode: str | None = None) -> None:
        self.size = check_size(size)
        self.rules = Rules(komi=float(komi), ko_rule=KoRule(ko_rule),
                           allow_suicide=bool(allow_suicide))
        if max_moves is not None and max_moves < 1:
            raise ValueError(f"max_moves must be positive or None, got {max_moves!r}")
        self.max_moves = max_moves
        if not (opponent is None or opponent == "random" or callable(opponent)):
            raise ValueError(f"opponent must be None, 'random' or a callable, got {opponent!r}")
        self.opponent = opponent
        if isinstance(agent_color, str):
            agent_color = parse_color(agent_color)
        self.agent_color = int(agent_color)
        if self.agent_color not in (BLACK, WHITE):
            raise ValueError(f"agent_color must be black or white, got {agent_color!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"unsupported render_mode {render_mode!r}")
        self.render_mode = render_mode

        self.action_space = spaces.Discrete(self.size * self.size + 1)
        self.observation_space = spaces.Box(0.0, 1.0, (len(PLANES), self.size, self.size),
                                            dtype=np.float32)
        self.game = Game(self.size, self.rules)
        self._legal = self.game.legal_moves()
        self._ended = False

    # -- the gymnasium API --------------------------------------------------------------------

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new game (``options`` is accepted and unused); return ``(obs, info)``.

        With an opponent and ``agent_color`` White, the opponent's first move is played here.
        """
        super().reset(seed=seed)
        self.game = Game(self.size, self.rules)
        self._ended = False
        self._legal = self.game.legal_moves()
        extra: dict[str, Any] = {}
        if self.opponent is not None and self.game.to_move != self.agent_color:
            extra["opponent_action"] = self._play_opponent()
            self._ended = self._stopped()  # an opening resignation leaves nothing to play
        return self._observation(), self._info(extra)

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Play ``action`` for the player to move (and the opponent's reply, if any)."""
        if self._ended:
            raise RuntimeError("the episode has ended; call reset()")
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in {self.action_space}")
        mover = self.game.to_move
        reason = self.game.illegal_reason(int(action))
        if reason is not None:
            return self._forfeit(mover, f"illegal move {to_gtp(int(action), self.size)}: {reason}")
        self.game.play(int(action))
        self._legal = self.game.legal_moves()
        extra: dict[str, Any] = {}
        if self.opponent is not None and not self._stopped():
            extra["opponent_action"] = self._play_opponent()
        terminated = self.game.is_over
        truncated = not terminated and self._stopped()
        self._ended = terminated or truncated
        reward = 0.0
        if terminated:
            result = self.game.result()
            viewer = mover if self.opponent is None else self.agent_color
            reward = outcome_for(result, viewer)
            extra.update(winner=result.winner or 0, score=self.game.area_score(),
                         result=result.sgf())
        elif truncated:
            extra["score"] = self.game.area_score()
        return self._observation(), reward, terminated, truncated, self._info(extra)

    def render(self) -> str | None:
        """The board as text in ``ansi`` mode; ``None`` without a render mode."""
        if self.render_mode == "ansi":
            return render_text(self.game)
        return None

    # -- helpers ------------------------------------------------------------------------------

    def legal_action_mask(self) -> np.ndarray:
        """``int8`` mask of the actions :meth:`step` accepts now (all zeros once it has ended)."""
        if self._ended:
            return np.zeros(self.action_space.n, dtype=np.int8)
        return self._legal.astype(np.int8)

    def _stopped(self) -> bool:
        """The game is over or the move limit is reached."""
        return self.game.is_over or (self.max_moves is not None
                                     and len(self.game.moves) >= self.max_moves)

    def _forfeit(self, mover: int, reason: str) -> tuple[np.ndarray, float, bool, bool,
                                                         dict[str, Any]]:
        """End the episode without playing the move: ``mover`` tried an illegal one and loses."""
        self._ended = True
        winner = opponent(mover)
        extra = {"illegal": True, "illegal_reason": reason, "winner": winner,
                 "score": self.game.area_score(), "result": f"{'B' if winner == BLACK else 'W'}+F"}
        return self._observation(), -1.0, True, False, self._info(extra)

    def _play_opponent(self) -> int:
        """Let the opponent move for the side to move; return its action."""
        if self.opponent == "random":
            action = random_opponent_move(self.game, self.np_random, self._legal)
        else:
            action = int(self.opponent(self.game))
        if action == RESIGN:
            self.game.resign()
        else:
            try:
                self.game.play(action)
            except IllegalMoveError as error:
                raise IllegalMoveError(f"the opponent played an {error}") from error
        self._legal = self.game.legal_moves()
        return action

    def _observation(self) -> np.ndarray:
        return encode_planes(self.game, self._legal)

    def _info(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {"action_mask": self.legal_action_mask(), "to_play": self.game.to_move,
                "move_number": len(self.game.moves), **extra}

