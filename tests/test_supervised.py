"""Supervised training of the policy/value network: positions encoded from move lists, the
symmetries that move targets with the planes, deterministic batches, the train-sl command,
resumption after an interruption, and evaluate-policy on a checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from conftest import style_games as shared_style_games

from go_engine.cli import main
from go_engine.data.dataset import GameDataset
from go_engine.features import encode, get_feature_set
from go_engine.features.symmetry import transform_planes
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK
from go_engine.training.sl_data import (
    BatchPlan,
    PositionBatches,
    encode_positions,
    position_table,
    sample_positions,
)
from go_engine.training.supervised import SLConfig, Trainer, learning_rate
from networks.go.checkpoint import load_checkpoint

torch.set_num_threads(1)


def style_games(count: int, size: int = 7, moves: int = 24, seed: int = 0) -> GameDataset:
    """Seeded games in a learnable style (conftest's); Black wins the even games."""
    return shared_style_games(count, size, moves, seed, decided=True)


def replay(dataset: GameDataset, game: int, move: int) -> Board:
    record = dataset.game(game)
    board = Board(record.size)
    for color, point in zip(record.colors[:move], record.points[:move], strict=True):
        board.play(point, color)
    board.to_move = record.colors[move]
    return board


def test_position_table_lists_every_move_of_the_chosen_games():
    games = style_games(3, moves=5)
    game_of, move_of = position_table(games, np.array([0, 2]))
    assert game_of.tolist() == [0] * 5 + [2] * 5
    assert move_of.tolist() == [0, 1, 2, 3, 4] * 2


def test_encoded_positions_match_the_boards_replayed_in_python():
    games = style_games(2)
    features = get_feature_set("alphago")
    picked_games, picked_moves = np.array([0, 0, 1]), np.array([0, 9, 17])
    arrays = encode_positions(games, picked_games, picked_moves, features)
    for i, (g, k) in enumerate(zip(picked_games, picked_moves, strict=True)):
        board = replay(games, g, k)
        assert np.array_equal(arrays["planes"][i], encode(board, features).astype(np.uint8))
        assert arrays["targets"][i] == games.game(g).points[k]
        black_to_move = board.to_move == BLACK
        assert arrays["values"][i] == (1.0 if black_to_move == (g % 2 == 0) else -1.0)
        assert arrays["value_mask"][i] == 1.0


@pytest.mark.parametrize("symmetry", range(8))
def test_a_symmetry_moves_the_target_with_the_stones(symmetry):
    games = style_games(1)
    features = get_feature_set("compact")
    plain = encode_positions(games, np.array([0]), np.array([12]), features)
    moved = encode_positions(games, np.array([0]), np.array([12]), features,
                             symmetries=np.array([symmetry]))
    assert np.array_equal(moved["planes"][0], transform_planes(plain["planes"][0], symmetry))
    size = 7
    target = np.zeros((1, size, size))
    target[0].flat[plain["targets"][0]] = 1
    assert transform_planes(target, symmetry)[0].flat[moved["targets"][0]] == 1


def test_batches_are_a_pure_function_of_seed_epoch_and_index():
    games = style_games(6)
    features = get_feature_set("compact")
    batches = PositionBatches(games, np.arange(6), features, BatchPlan(16, seed=3))
    again = PositionBatches(games, np.arange(6), features, BatchPlan(16, seed=3))
    first = batches[2]
    assert all(torch.equal(first[k], again[2][k]) for k in first)
    again.set_epoch(1)
    assert not torch.equal(first["planes"], again[2]["planes"])
    loader = torch.utils.data.DataLoader(batches, batch_size=None, sampler=range(len(batches)),
                                         num_workers=2)
    for index, batch in enumerate(loader):
        assert torch.equal(batch["targets"], batches[index]["targets"])


def test_validation_sample_is_fixed_and_held_out():
    games = style_games(5)
    first = sample_positions(games, np.array([1, 3]), 20, seed=0)
    second = sample_positions(games, np.array([1, 3]), 20, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert set(first[0].tolist()) <= {1, 3} and len(first[0]) == 20


def test_learning_rate_warms_up_then_decays_to_zero():
    config = SLConfig(learning_rate=0.1, warmup_fraction=0.1, steps=100)
    assert learning_rate(config, 0.0) == 0.0
    assert learning_rate(config, 0.05) == pytest.approx(0.05)
    assert learning_rate(config, 0.1) == pytest.approx(0.1)
    assert learning_rate(config, 1.0) == pytest.approx(0.0)


def tiny_config(**changes) -> SLConfig:
    base = dict(net="b1c8", features="compact", batch_size=16, steps=20, eval_every=10,
                eval_positions=64, checkpoint_every=10, workers=0, device="cpu", seed=1)
    return SLConfig(**{**base, **changes})


def make_trainer(config: SLConfig, out, games: GameDataset) -> Trainer:
    heldout = np.arange(len(games)) % 5 == 0
    return Trainer(config, games, np.flatnonzero(~heldout), np.flatnonzero(heldout), out,
                   report=lambda line: None)


def test_an_interrupted_run_resumes_exactly_where_it_stopped(tmp_path):
    games = style_games(20)
    straight = make_trainer(tiny_config(), tmp_path / "straight", games)
    straight.run()

    class Stop(Exception):
        pass

    def stop_at_15(state):
        if state.step == 15:
            raise Stop

    broken = make_trainer(tiny_config(), tmp_path / "broken", games)
    with pytest.raises(Stop):
        broken.run(stop_at_15)  # the last checkpoint is at step 10
    resumed = make_trainer(tiny_config(), tmp_path / "broken", games)
    assert resumed.state.step == 10
    resumed.run()
    assert resumed.state.step == straight.state.step == 20
    for (name, a), b in zip(straight.model.state_dict().items(),
                            resumed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_resuming_with_another_network_is_refused(tmp_path):
    games = style_games(10)
    make_trainer(tiny_config(steps=10), tmp_path, games).run()
    with pytest.raises(ValueError, match="use another --out"):
        make_trainer(tiny_config(net="b2c8"), tmp_path, games)


def test_a_run_can_start_from_another_runs_weights(tmp_path):
    games = style_games(10)
    first = make_trainer(tiny_config(steps=10), tmp_path / "first", games)
    first.run()
    model = first.save_model()
    warm = make_trainer(tiny_config(steps=10, init_from=str(model)), tmp_path / "warm", games)
    assert warm.state.step == 0  # a fresh schedule and optimiser ...
    for (name, a), b in zip(first.model.state_dict().items(),
                            warm.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name  # ... from the first run's weights
    with pytest.raises(ValueError, match="give the --net it was trained as"):
        make_trainer(tiny_config(net="b2c8", init_from=str(model)), tmp_path / "other", games)


def test_a_short_run_learns_the_style(tmp_path):
    games = style_games(60, seed=4)
    trainer = make_trainer(tiny_config(net="b2c16", steps=150, eval_every=150,
                                       eval_positions=400, learning_rate=3e-3), tmp_path, games)
    before = trainer._evaluate(_NullLogger(), {"policy_loss": 0, "value_loss": 0, "count": 0})
    metrics = trainer.run()
    assert metrics["top1"] > before["top1"] + 0.15  # the answer is one of ~3 neighbours
    assert metrics["policy_loss"] < before["policy_loss"] - 0.5


class _NullLogger:
    def log(self, *args) -> None:
        pass


def test_train_sl_and_evaluate_policy_commands(tmp_path, capsys):
    games = style_games(12)
    data = tmp_path / "games.npz"
    games.save(data, compress=True)
    out = tmp_path / "run"
    args = ["train-sl", "--games", str(data), "--out", str(out), "--board-size", "7",
            "--net", "b1c8", "--features", "compact", "--batch-size", "8", "--steps", "12",
            "--eval-every", "6", "--eval-positions", "32", "--workers", "0", "--device", "cpu",
            "--holdout-fraction", "0.25", "--no-progress"]
    assert main(args) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert int(figures["steps"]) == 12 and 0 <= float(figures["top1"]) <= 1
    assert 0 <= float(figures["top1_int8"]) <= 1 and 0 <= float(figures["agreement_int8"]) <= 1
    assert (out / "model.int8.onnx").is_file()  # the 8-bit model the engine runs on a CPU
    checkpoint = load_checkpoint(out / "model.pt")
    assert checkpoint.step == 12 and checkpoint.feature_set == "compact"
    assert checkpoint.extra["holdout_fraction"] == 0.25
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert {line["set"] for line in lines} == {"train", "heldout"}
    assert main(["evaluate-policy", "--model", str(out / "model.pt"), "--games", str(data),
                 "--split", "heldout", "--device", "cpu", "--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert set(figures) == {"top1", "top5", "value_mse", "value_mse01", "positions",
                            "positions_per_second"}
    assert int(figures["positions"]) > 0
    assert main(args[:-1] + ["--steps", "14", "--no-progress"]) == 0  # resumes, 2 more steps
    assert "resumed from" in capsys.readouterr().out
    assert load_checkpoint(out / "latest.pt").step == 14


def test_train_sl_says_what_is_wrong_with_its_input(tmp_path, capsys):
    games = style_games(4)
    data = tmp_path / "games.npz"
    games.save(data)
    assert main(["train-sl", "--games", str(data), "--out", str(tmp_path / "run"),
                 "--board-size", "19", "--no-progress"]) == 2
    assert "games of size 19" in capsys.readouterr().err
    assert main(["train-sl", "--games", str(data), "--out", str(tmp_path / "run"),
                 "--board-size", "7", "--holdout-fraction", "0.5",
                 "--init-from", str(tmp_path / "missing.pt"),
                 "--workers", "0", "--no-progress"]) == 2
    assert "missing.pt" in capsys.readouterr().err
