"""The gymnasium environment: API conformance, conventions, opponents, vector use."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import go_engine
from go_engine.interfaces.gym_env import PLANES, GoEnv, random_opponent_move
from go_engine.rules.coords import BLACK, EMPTY, RESIGN, WHITE, from_gtp, to_point
from go_engine.rules.game import Game, IllegalMoveError, KoRule

# B C3, W D3, B B2, W D1, B C1, W E2, B D2, W C2 takes D2: Black may not retake at D2 now.
KO_MOVES = [(0, 1), (0, 2), (1, 0), (2, 2), (2, 1), (1, 3), (1, 2), (1, 1)]
KO_POINT = to_point(1, 2, 5)


def make(**kwargs) -> GoEnv:
    """A registered env, unwrapped."""
    return gymnasium.make(go_engine.ENV_ID, **kwargs).unwrapped


def play_ko(env: GoEnv) -> dict:
    """Reset ``env`` (5x5) and play :data:`KO_MOVES`; return the last info."""
    env.reset(seed=0)
    for row, col in KO_MOVES:
        _, _, _, _, info = env.step(to_point(row, col, 5))
    return info


def area_score(stones: np.ndarray, komi: float) -> float:
    """Black's area minus White's minus komi, by a flood fill written for this test."""
    size = stones.shape[0]
    score = float(np.sum(stones == BLACK) - np.sum(stones == WHITE)) - komi
    seen = np.zeros_like(stones, dtype=bool)
    for start in zip(*np.nonzero(stones == EMPTY), strict=True):
        if seen[start]:
            continue
        region, borders, stack = 0, set(), [start]
        seen[start] = True
        while stack:
            row, col = stack.pop()
            region += 1
            for r, c in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
                if not (0 <= r < size and 0 <= c < size):
                    continue
                if stones[r, c] != EMPTY:
                    borders.add(int(stones[r, c]))
                elif not seen[r, c]:
                    seen[r, c] = True
                    stack.append((r, c))
        if borders == {BLACK}:
            score += region
        elif borders == {WHITE}:
            score -= region
    return score


def assert_no_warnings(check) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check()
    assert [str(w.message) for w in caught] == []


# -- registration and API conformance ---------------------------------------------------------


def test_import_is_light_and_registers():
    code = ("import sys, gymnasium, go_engine; "
            "assert 'go_engine/Go-v0' in gymnasium.registry; "
            "assert 'numba' not in sys.modules and 'torch' not in sys.modules, 'heavy import'; "
            "assert 'go_engine.interfaces.gym_env' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_register_envs_is_idempotent():
    assert_no_warnings(lambda: (go_engine.register_envs(), go_engine.register_envs()))
    assert go_engine.ENV_ID in gymnasium.registry


def test_make_passes_kwargs():
    env = make(size=7, komi=6.5, ko_rule="simple", allow_suicide=True, max_moves=50)
    assert isinstance(env, GoEnv)
    assert env.game.size == 7 and env.game.komi == 6.5
    assert env.rules.ko_rule == KoRule.SIMPLE and env.rules.allow_suicide
    assert env.max_moves == 50
    assert env.action_space == gymnasium.spaces.Discrete(50)
    assert env.observation_space.shape == (len(PLANES), 7, 7)
    assert env.observation_space.dtype == np.float32


@pytest.mark.parametrize("kwargs", [
    {"size": 9, "komi": 7.5},
    {"size": 5, "render_mode": "ansi"},
    {"size": 5, "opponent": "random"},
    {"size": 5, "opponent": "random", "agent_color": "white"},
])
def test_check_env_passes_without_warnings(kwargs):
    env = make(**kwargs)
    assert_no_warnings(lambda: check_env(env))


@pytest.mark.parametrize("kwargs", [{"size": 1}, {"max_moves": 0}, {"opponent": "gnugo"},
                                    {"agent_color": 3}, {"render_mode": "human"},
                                    {"ko_rule": "japanese"}])
def test_bad_options_raise(kwargs):
    with pytest.raises(ValueError):
        GoEnv(**kwargs)


# -- observation and mask ---------------------------------------------------------------------


def test_reset_observation_and_mask():
    env = make(size=5)
    obs, info = env.reset(seed=1)
    assert obs.dtype == np.float32 and obs in env.observation_space
    assert obs[PLANES.index("empty")].all() and obs[PLANES.index("black_to_move")].all()
    assert not obs[[0, 1, 3, 4]].any()
    mask = info["action_mask"]
    assert mask.dtype == np.int8 and mask.shape == (26,) and mask.all()
    assert info["to_play"] == BLACK and info["move_number"] == 0


def test_planes_follow_the_player_to_move():
    env = make(size=5)
    env.reset(seed=0)
    obs, _, _, _, info = env.step(to_point(2, 2, 5))  # Black C3; White to move
    assert info["to_play"] == WHITE
    assert obs[PLANES.index("opponent"), 2, 2] == 1 and obs[PLANES.index("own")].sum() == 0
    assert not obs[PLANES.index("black_to_move")].any()
    assert obs[PLANES.index("empty")].sum() == 24
    assert info["action_mask"][to_point(2, 2, 5)] == 0
    obs, _, _, _, _ = env.step(to_point(0, 0, 5))  # White A5; Black to move
    assert obs[PLANES.index("own"), 2, 2] == 1 and obs[PLANES.index("opponent"), 0, 0] == 1
    assert obs[PLANES.index("black_to_move")].all()


def test_ko_point_is_marked_and_masked():
    env = make(size=5)
    info = play_ko(env)
    obs = env._observation()
    assert env.game.to_move == BLACK and env.game.board.ko_point == KO_POINT
    assert info["action_mask"][KO_POINT] == 0
    ko_plane = obs[PLANES.index("ko")]
    assert ko_plane[1, 2] == 1 and ko_plane.sum() == 1
    assert obs[PLANES.index("illegal"), 1, 2] == 1
    # every empty point but the ko point is legal, as the mask says
    illegal = obs[PLANES.index("illegal")].ravel().astype(bool)
    assert np.array_equal(illegal, (obs[PLANES.index("empty")].ravel() == 1)
                          & (info["action_mask"][:-1] == 0))


# -- illegal actions --------------------------------------------------------------------------


@pytest.mark.parametrize(("point", "reason"), [(KO_POINT, "ko"), (to_point(0, 1, 5), "occupied")])
def test_illegal_action_loses_for_the_mover(point, reason):
    env = make(size=5)
    play_ko(env)
    before = env.game.board.to_ascii()
    obs, reward, terminated, truncated, info = env.step(point)  # Black tries it
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert info["illegal"] and reason in info["illegal_reason"]
    assert info["winner"] == WHITE and info["result"] == "W+F"
    assert not info["action_mask"].any() and obs in env.observation_space
    assert env.game.board.to_ascii() == before and len(env.game.moves) == len(KO_MOVES)
    with pytest.raises(RuntimeError):
        env.step(25)


def test_illegal_action_against_an_opponent_loses_for_the_agent():
    env = make(size=5, opponent="random", agent_color=WHITE)
    _, info = env.reset(seed=3)
    _, reward, terminated, _, info = env.step(info["opponent_action"])  # the occupied point
    assert terminated and reward == -1.0 and info["winner"] == BLACK and info["illegal"]


def test_actions_outside_the_space_raise():
    env = make(size=5)
    env.reset(seed=0)
    for bad in (-1, 26, 3.5):
        with pytest.raises(ValueError, match="not in Discrete"):
            env.step(bad)
    assert len(env.game.moves) == 0
    _, _, terminated, _, _ = env.step(12)  # the env still plays on
    assert not terminated


def test_step_after_the_end_raises():
    env = make(size=5)
    env.reset(seed=0)
    env.step(25)
    env.step(25)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(25)


# -- rewards and the end of the game ----------------------------------------------------------


@pytest.mark.parametrize(("komi", "winner", "reward"), [(7.5, WHITE, 1.0), (-7.5, BLACK, -1.0),
                                                         (0.0, 0, 0.0)])
def test_reward_is_for_the_player_who_made_the_final_move(komi, winner, reward):
    env = make(size=5, komi=komi)
    env.reset(seed=0)
    _, first, terminated, truncated, info = env.step(25)  # Black passes
    assert (first, terminated, truncated) == (0.0, False, False) and "winner" not in info
    _, last, terminated, truncated, info = env.step(25)  # White passes: White moved last
    assert terminated and not truncated
    assert last == reward and info["winner"] == winner
    assert info["score"] == -komi
    assert not info["action_mask"].any()


def test_black_final_move_wins():
    env = make(size=5, komi=7.5)
    env.reset(seed=0)
    env.step(to_point(2, 2, 5))
    env.step(25)
    _, reward, terminated, _, info = env.step(25)  # Black: 25 points against komi 7.5
    assert terminated and reward == 1.0
    assert info["winner"] == BLACK and info["result"] == "B+17.5"


@pytest.mark.parametrize(("size", "seed"), [(5, 0), (5, 1), (7, 2), (9, 3), (9, 4)])
def test_random_masked_episode_matches_independent_score(size, seed):
    env = make(size=size, komi=5.5)
    _, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(20 * size * size):
        mover = info["to_play"]
        action = env.action_space.sample(mask=info["action_mask"])
        assert info["action_mask"][action] == 1
        _, reward, terminated, truncated, info = env.step(action)
        assert not truncated
        if terminated:
            break
    assert terminated
    stones = env.game.board.stones()
    score = area_score(stones, 5.5)
    assert info["score"] == score and abs(score) == env.game.result().margin
    expected_winner = BLACK if score > 0 else WHITE
    assert info["winner"] == expected_winner
    assert reward == (1.0 if expected_winner == mover else -1.0)


def test_max_moves_truncates():
    env = make(size=5, max_moves=4)
    _, info = env.reset(seed=0)
    for step, point in enumerate((0, 24, 6, 18), start=1):
        _, reward, terminated, truncated, info = env.step(point)
        assert reward == 0.0 and not terminated
        assert truncated == (step == 4)
    assert "winner" not in info and info["score"] == area_score(env.game.board.stones(), 7.5)
    assert not info["action_mask"].any()
    with pytest.raises(RuntimeError):
        env.step(25)
    _, info = env.reset()
    assert info["action_mask"].all()


# -- opponents --------------------------------------------------------------------------------


def test_random_opponent_game_from_the_agents_side():
    env = make(size=5, opponent="random")
    _, info = env.reset(seed=7)
    rng = np.random.default_rng(7)
    for _ in range(500):
        assert info["to_play"] == BLACK
        moves_before = info["move_number"]
        points = np.flatnonzero(info["action_mask"][:-1])
        action = int(rng.choice(points)) if len(points) else 25  # pass only when forced
        _, reward, terminated, truncated, info = env.step(action)
        if terminated:
            break
        assert info["move_number"] == moves_before + 2
        assert env.game.moves[-1].color == WHITE and env.game.moves[-1].point == info[
            "opponent_action"]
    assert terminated and not truncated
    result = env.game.result()
    assert reward == (1.0 if result.winner == BLACK else -1.0 if result.winner else 0.0)


def test_random_opponent_is_seeded_and_can_open():
    env = make(size=9, opponent="random", agent_color="white")
    runs = []
    for _ in range(2):
        obs, info = env.reset(seed=123)
        assert info["to_play"] == WHITE and info["move_number"] == 1
        runs.append((info["opponent_action"], obs))
    assert runs[0][0] == runs[1][0] and np.array_equal(runs[0][1], runs[1][1])
    assert runs[0][0] != 81  # the random opponent does not pass on an empty board
    others = {make(size=9, opponent="random", agent_color="white").reset(seed=s)[1][
        "opponent_action"] for s in range(10)}
    assert len(others) > 1


def test_random_opponent_keeps_its_eyes_and_passes_last():
    game = Game(5)
    black = [p for p in range(25) if p not in (0, 24)]
    game.setup_stones(black, [], to_move=BLACK)
    rng = np.random.default_rng(0)
    assert game.is_legal(0) and game.is_legal(24)
    assert random_opponent_move(game, rng) == game.pass_point
    game = Game(5)
    game.setup_stones([p for p in black if p not in (7, 12)], [], to_move=BLACK)
    assert {random_opponent_move(game, rng) for _ in range(30)} == {7, 12}


def test_callable_opponent_pass_and_resign():
    seen = []

    def passer(game: Game) -> int:
        seen.append(len(game.moves))
        return game.pass_point

    env = make(size=5, komi=7.5, opponent=passer)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(25)  # agent (Black) passes, the opponent too
    assert terminated and reward == -1.0 and info["winner"] == WHITE
    assert info["opponent_action"] == 25 and seen == [1]

    env = make(size=5, opponent=lambda game: RESIGN, agent_color=WHITE)
    _, info = env.reset(seed=0)
    assert info["opponent_action"] == RESIGN and not info["action_mask"].any()
    with pytest.raises(RuntimeError):
        env.step(12)
    env = make(size=5, opponent=lambda game: RESIGN)
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(12)
    assert terminated and reward == 1.0 and info["result"] == "B+R"


def test_illegal_opponent_move_raises():
    env = make(size=5, opponent=lambda game: 12)
    env.reset(seed=0)
    with pytest.raises(IllegalMoveError, match="opponent.*occupied"):
        env.step(12)


# -- rendering and vector envs ----------------------------------------------------------------


def test_render_ansi_draws_coordinates():
    env = make(size=9, render_mode="ansi")
    env.reset(seed=0)
    env.step(from_gtp("C3", 9))
    text = env.render()
    lines = text.splitlines()
    assert lines[0].split() == list("ABCDEFGHJ") and lines[10].split() == list("ABCDEFGHJ")
    row3 = lines[1 + 9 - 3].split()
    assert row3[0] == row3[-1] == "3" and row3[1:-1][2] == "X"
    assert "last C3" in text and "white to move" in text
    assert make(size=9).render() is None


def test_sync_vector_env_with_masks():
    count = 4
    envs = gymnasium.vector.SyncVectorEnv(
        [lambda: gymnasium.make(go_engine.ENV_ID, size=5) for _ in range(count)])
    obs, infos = envs.reset(seed=11)
    assert obs.shape == (count, len(PLANES), 5, 5) and infos["action_mask"].shape == (count, 26)
    envs.action_space.seed(11)
    finished = 0
    for _ in range(300):
        actions = envs.action_space.sample(mask=tuple(infos["action_mask"]))
        obs, rewards, terminated, truncated, infos = envs.step(actions)
        assert obs.shape == (count, len(PLANES), 5, 5) and rewards.shape == (count,)
        finished += int(terminated.sum())
        assert set(np.unique(rewards[terminated])) <= {-1.0, 0.0, 1.0}
    assert finished >= count
    envs.close()
