"""Training the linear softmax policies: the dictionary, a tiny run that overfits a few games,
the evaluation's tie handling, and the train-rollout / evaluate-policy commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from conftest import style_games

from go_engine.cli import main
from go_engine.data.dataset import GameDataset
from go_engine.search import patterns as pat
from go_engine.search import policy_features as pf
from go_engine.search.policy_model import LinearPolicy
from go_engine.search.rollout_policy import RolloutPolicy
from go_engine.training.linear_policy import (
    TrainConfig,
    build_dictionary,
    evaluate,
    rollout_cost,
    train,
)

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def policy_games(count: int, size: int = 9, seed: int = 0) -> GameDataset:
    """Games that follow a fixed local style: answer next to the last move when possible."""
    return style_games(count, size, moves=30, seed=seed)


def test_dictionary_keeps_frequent_canonical_patterns():
    dataset = policy_games(6)
    config = TrainConfig(min_played=2, min_seen=10 ** 9)
    keys = build_dictionary(dataset, np.arange(len(dataset)), config)
    assert len(keys) > 0 and np.all(np.diff(keys) > 0)
    assert np.array_equal(pat.canonical_keys(keys), keys)
    tags = set((keys >> pat.TAG_SHIFT).tolist())
    assert pat.TAG_3X3 in tags and pat.TAG_RESPONSE in tags
    nothing = TrainConfig(min_played=10 ** 9, min_seen=10 ** 9)
    assert len(build_dictionary(dataset, np.arange(len(dataset)), nothing)) == 0


def test_a_tiny_training_run_learns_the_style():
    dataset = policy_games(8)
    games = np.arange(len(dataset))
    before = evaluate(LinearPolicy.empty("rollout"), dataset, games)
    config = TrainConfig(epochs=8, learning_rate=0.3, min_played=1, min_seen=10 ** 9)
    policy = train(dataset, games, config)
    after = evaluate(policy, dataset, games)
    assert before.positions == after.positions == dataset.num_moves
    assert before.top1 < 0.05  # uniform scores: ties broken at random
    assert after.top1 > 0.35 and after.top5 > 0.8
    assert policy.info["train_log_loss"] > 0
    assert rollout_cost(policy, dataset, games[:2]) > 0


def test_saved_models_round_trip(tmp_path):
    policy = LinearPolicy.empty("tree", np.array([pat.make_key(pat.TAG_3X3, 5)]))
    policy.weights[:] = np.arange(len(policy.weights))
    policy.info["note"] = "x"
    policy.save(tmp_path / "m.npz")
    loaded = LinearPolicy.load(tmp_path / "m.npz")
    assert loaded.kind == "tree" and loaded.info == {"note": "x"}
    assert np.array_equal(loaded.weights, policy.weights)
    assert np.array_equal(loaded.spec, policy.spec)


def test_a_format_1_model_loads_with_the_reading_features_off(tmp_path):
    keys = np.array([pat.make_key(pat.TAG_3X3, 5), pat.make_key(pat.TAG_3X3, 9)])
    old_weights = np.arange(pf.N_FIXED_V1 + 2, dtype=np.float32) + 1
    np.savez_compressed(tmp_path / "old.npz", format_version=np.int64(1), kind=np.array("tree"),
                        spec=pf.tree_spec()[:pf.SPEC_READING], pattern_keys=keys,
                        weights=old_weights, info=np.array("{}"))
    loaded = LinearPolicy.load(tmp_path / "old.npz")
    assert loaded.spec[pf.SPEC_READING] == 0
    assert np.array_equal(loaded.spec[:pf.SPEC_READING], pf.tree_spec()[:pf.SPEC_READING])
    assert np.array_equal(loaded.weights[:pf.N_FIXED_V1], old_weights[:pf.N_FIXED_V1])
    assert not loaded.weights[pf.N_FIXED_V1:pf.N_FIXED].any()
    assert np.array_equal(loaded.weights[pf.N_FIXED:], old_weights[pf.N_FIXED_V1:])


def test_a_tree_model_learns_reading_weights_and_rollouts_refuse_it():
    dataset = policy_games(6)
    config = TrainConfig(kind="tree", epochs=2, learning_rate=0.3, min_played=1,
                         min_seen=10 ** 9, spec=tuple(pf.tree_spec(reading=True)))
    policy = train(dataset, np.arange(len(dataset)), config)
    assert policy.spec[pf.SPEC_READING] == 1
    assert policy.weights[pf.N_FIXED_V1:pf.N_FIXED].any()  # the features occurred and moved
    try:
        RolloutPolicy(policy)
    except ValueError as error:
        assert "reading features" in str(error)
    else:
        raise AssertionError("a rollout policy took a model with reading features")


def write_sgf_folder(folder: Path, dataset: GameDataset) -> None:
    folder.mkdir()
    letters = "abcdefghijklmnopqrs"
    for g in range(len(dataset)):
        game = dataset.game(g)
        moves = "".join(f";{'B' if c == 1 else 'W'}[{letters[p % 9]}{letters[p // 9]}]"
                        for c, p in zip(game.colors, game.points, strict=True))
        (folder / f"{g}.sgf").write_text(f"(;GM[1]SZ[9]KM[7]RE[B+R]{moves})")


def test_train_rollout_and_evaluate_policy_commands(tmp_path, capsys):
    folder = tmp_path / "games"
    write_sgf_folder(folder, policy_games(12, seed=3))
    out = tmp_path / "model.npz"
    assert main(["train-rollout", "--games", str(folder), "--out", str(out), "--epochs", "2",
                 "--min-played", "1", "--holdout-fraction", "0.25", "--cache-dir", "none",
                 "--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert 0.0 <= float(figures["top1"]) <= 1.0 and int(figures["positions"]) > 0
    model = LinearPolicy.load(out)
    assert model.info["holdout_fraction"] == 0.25 and model.info["heldout_games"] > 0
    assert main(["evaluate-policy", "--model", str(out), "--games", str(folder), "--split",
                 "heldout", "--max-games", "12", "--cache-dir", "none", "--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert set(figures) == {"top1", "top5", "positions", "us_per_move"}
    assert int(figures["positions"]) == model.info["heldout_positions"]
    assert float(figures["us_per_move"]) > 0


def test_train_rollout_reading_option(tmp_path, capsys):
    folder = tmp_path / "games"
    write_sgf_folder(folder, policy_games(8, seed=4))
    common = ["--games", str(folder), "--min-played", "1", "--holdout-fraction", "0.25",
              "--cache-dir", "none", "--no-progress", "--reading"]
    assert main(["train-rollout", "--out", str(tmp_path / "r.npz"), *common]) == 2
    assert "--kind tree" in capsys.readouterr().err
    out = tmp_path / "tree.npz"
    assert main(["train-rollout", "--kind", "tree", "--out", str(out), *common]) == 0
    assert LinearPolicy.load(out).spec[pf.SPEC_READING] == 1


def test_evaluate_policy_runs_the_shipped_models_from_the_console(tmp_path):
    folder = tmp_path / "games"
    write_sgf_folder(folder, policy_games(2, seed=5))
    for model in ("rollout", "tree"):
        done = subprocess.run([sys.executable, "-m", "go_engine", "evaluate-policy", "--model",
                               model, "--games", str(folder), "--max-games", "1",
                               "--cache-dir", "none", "--no-progress"],
                              capture_output=True, text=True, timeout=300, check=True)
        assert done.stdout.strip().splitlines()[-1].startswith("top1=")


def test_evaluate_policy_rejects_a_missing_model(tmp_path, capsys):
    assert main(["evaluate-policy", "--model", str(tmp_path / "none.npz"), "--games",
                 str(tmp_path), "--cache-dir", "none"]) == 2


def test_rollout_benchmark_runs():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "rollout.py"), "--size", "9",
                           "--runs", "1", "--seconds", "0.05", "--no-accuracy"],
                          capture_output=True, text=True, timeout=300, check=True)
    figures = dict(p.split("=") for p in done.stdout.strip().splitlines()[-1].split())
    assert float(figures["policy_playouts_per_s"]) > 0
    assert float(figures["tactics_playouts_per_s"]) > 0
    assert float(figures["light_playouts_per_s"]) > 0
