"""The 8-bit network for CPU play: quantize-network makes it from a checkpoint, measures it
beside the float network, and the engine runs it only for the checkpoint it was made from."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
import torch
from conftest import style_games

from go_engine.cli import build_parser, main
from go_engine.search.network_evaluator import (
    EXPORTS,
    NetworkConfig,
    checkpoint_digest,
    load_evaluator,
    quantized_path,
)
from networks.go.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from networks.go.inference import (
    OnnxRuntimeNet,
    export_for_inference,
    quantize_onnx,
    with_metadata,
)
from networks.go.onnx_model import OnnxModel
from networks.go.policy_value import NetConfig, PolicyValueNet

torch.set_num_threads(1)


def test_the_trunk_in_8_bits_computes_nearly_what_the_float_network_computes():
    torch.manual_seed(0)
    model = PolicyValueNet(NetConfig.named("b2c16", in_planes=6)).eval()
    calibration = (np.random.default_rng(0).random((64, 6, 9, 9)) < 0.3).astype(np.float32)
    float_model = export_for_inference(model, method="onnx")
    int8 = OnnxRuntimeNet(quantize_onnx(float_model.onnx_model, calibration), 1)
    nodes = onnx.load_from_string(int8.onnx_model).graph.node
    quantized = [node.name for node in nodes if node.op_type == "QLinearConv"]
    assert len(quantized) == 5  # the stem and the two blocks' convolutions; heads in float
    assert not any("head" in name for name in quantized)
    for size in (9, 13):  # calibrated on 9x9, any size still runs
        x = torch.from_numpy(
            (np.random.default_rng(size).random((16, 6, size, size)) < 0.3).astype(np.float32))
        with torch.inference_mode():
            (want_logits, want_value), (logits, value) = model(x), int8(x)
        want, got = torch.softmax(want_logits, 1), torch.softmax(logits, 1)
        assert (want - got).abs().sum(dim=1).max() < 0.1  # total variation, per position
        assert (want_value - value).abs().max() < 0.05


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny network trained by train-sl on 7x7 games, and the games."""
    folder = tmp_path_factory.mktemp("quantize")
    data = folder / "games.npz"
    style_games(12, size=7, moves=24).save(data, compress=True)
    out = folder / "run"
    assert main(["train-sl", "--games", str(data), "--out", str(out), "--board-size", "7",
                 "--net", "b1c8", "--features", "compact", "--batch-size", "8", "--steps", "6",
                 "--eval-every", "6", "--eval-positions", "16", "--workers", "0",
                 "--device", "cpu", "--holdout-fraction", "0.25", "--no-progress",
                 "--no-quantize"]) == 0
    assert not quantized_path(out / "model.pt").exists()
    return out / "model.pt", data


def test_quantize_network_writes_the_model_the_engine_then_runs(trained, capsys):
    checkpoint, data = trained
    capsys.readouterr()
    assert main(["quantize-network", "--network", str(checkpoint), "--games", str(data),
                 "--calibration-positions", "32", "--eval-positions", "64",
                 "--no-progress"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert {"top1_float", "top1_int8", "value_mse_float", "value_mse_int8"} <= set(figures)
    assert int(figures["positions"]) > 0 and 0 <= float(figures["agreement"]) <= 1
    assert quantized_path(checkpoint).is_file()
    evaluator = load_evaluator(str(checkpoint))  # auto: the 8-bit model made from it
    assert isinstance(evaluator.model, OnnxModel)  # run without torch
    assert evaluator.model.onnx_model == quantized_path(checkpoint).read_bytes()
    forced = load_evaluator(str(checkpoint), NetworkConfig(export="onnx"))
    assert isinstance(forced.model, OnnxRuntimeNet)  # the float network, exported by torch
    assert forced.model.onnx_model != evaluator.model.onnx_model


def test_an_8_bit_model_of_another_checkpoint_is_not_used(trained, tmp_path):
    checkpoint, _ = trained
    other = tmp_path / "model.pt"
    loaded = load_checkpoint(checkpoint)
    torch.manual_seed(1)
    model = PolicyValueNet(loaded.net_config)  # other weights, same shape and features
    save_checkpoint(other, model, net_config=loaded.net_config,
                    feature_set=loaded.feature_set, feature_version=loaded.feature_version)
    planes = (np.random.default_rng(0).random((16, loaded.net_config.in_planes, 7, 7))
              < 0.3).astype(np.float32)
    made_for_first = with_metadata(  # an 8-bit model of the first checkpoint, beside the other
        quantize_onnx(export_for_inference(loaded.model, method="onnx").onnx_model, planes),
        {"checkpoint_sha256": checkpoint_digest(checkpoint)})
    quantized_path(other).write_bytes(made_for_first)
    evaluator = load_evaluator(str(other))
    assert isinstance(evaluator.model, OnnxRuntimeNet)
    assert evaluator.model.onnx_model != quantized_path(other).read_bytes()  # float ONNX
    with pytest.raises(CheckpointError, match="no 8-bit model"):
        load_evaluator(str(other), NetworkConfig(export="onnx-int8"))


def test_the_command_line_offers_every_export():
    parser = build_parser()
    gtp = parser._subparsers._group_actions[0].choices["gtp"]
    action = next(a for a in gtp._actions if a.dest == "network_export")
    assert set(action.choices) == set(EXPORTS)


def test_the_evaluation_returns_each_positions_first_move_for_comparing_two_models():
    from go_engine.training.supervised import HeldOut, evaluate_with_moves

    planes = torch.zeros((10, 1, 3, 3))
    planes[:, 0, 0, :] = (torch.arange(10)[:, None] % 3 == 0).float()  # 4 of the 10 marked
    heldout = HeldOut(planes, torch.zeros(10, dtype=torch.long), torch.zeros(10),
                      torch.ones(10))

    class Policy(torch.nn.Module):
        """Favours move 1; with ``marked``, move 0 on the marked rows."""

        def __init__(self, marked: bool) -> None:
            super().__init__()
            self.marked = marked

        def forward(self, x):
            logits = torch.zeros((len(x), 10))
            logits[:, 1] = 1.0
            if self.marked:
                logits[:, 0] = 2.0 * x[:, 0, 0, 0]
            return logits, torch.zeros(len(x))

    cpu = torch.device("cpu")
    metrics, marked = evaluate_with_moves(Policy(True), heldout, cpu, batch_size=3)
    _, again = evaluate_with_moves(Policy(True), heldout, cpu, batch_size=4)
    _, second = evaluate_with_moves(Policy(False), heldout, cpu, batch_size=3)
    assert metrics["top1"] == 0.4  # move 0 is every position's target
    assert np.mean(marked == again) == 1.0
    assert np.mean(marked == second) == 0.6
