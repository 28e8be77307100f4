"""The network as the search's evaluator: priors on the right points under every symmetry,
the evaluation cache, checkpoints through --network, and searches that use the value."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from go_engine.cli import main
from go_engine.features import get_feature_set
from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK
from go_engine.rules.game import Game, Rules
from go_engine.rules.masks import masks
from go_engine.search.config import SearchConfig, Selection
from go_engine.search.mcts import MCTS
from go_engine.search.network_evaluator import (
    EXPORTS,
    GPU_DEVICE_FILES,
    NetworkConfig,
    NetworkEvaluator,
    load_evaluator,
)
from networks.go.checkpoint import CheckpointError, save_checkpoint
from networks.go.inference import METHODS, OnnxRuntimeNet
from networks.go.policy_value import NetConfig, PolicyValueNet

torch.set_num_threads(1)

# Black to move can capture the white stone at C7 (row 0, col 2) by playing D7... the only
# capture on the board: the "captures 1 stone" plane is 1 at exactly one point.
CAPTURE = """
. X O . . . .
. . X . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
. . . . . . .
"""
CAPTURE_POINT = 3  # row 0, col 3


class PlaneModel(torch.nn.Module):
    """A stand-in network: logits are 20 times one input plane (pass gets 0), value 0.25.
    It has no weights, so the evaluator runs it as it is (``export="none"``)."""

    def __init__(self, plane: int) -> None:
        super().__init__()
        self.plane = plane

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        board = x[:, self.plane].flatten(1) * 20.0
        logits = torch.cat([board, torch.zeros(len(x), 1)], dim=1)
        return logits, torch.full((len(x),), 0.25)


def capture_evaluator(seed: int) -> NetworkEvaluator:
    features = get_feature_set("alphago")
    plane = features.slice_of("capture_size").start + 1  # "captures exactly one stone"
    return NetworkEvaluator(PlaneModel(plane), features, NetworkConfig(seed=seed, export="none"))


@pytest.mark.parametrize("seed", range(6))
def test_priors_land_on_the_capture_whatever_symmetry_the_network_saw(seed):
    board = Board.from_ascii(CAPTURE, to_move=BLACK)
    legal, _ = masks(board)
    evaluation = capture_evaluator(seed).evaluate([board], legal[None, :])
    assert int(np.argmax(evaluation.priors[0])) == CAPTURE_POINT
    assert evaluation.priors[0, CAPTURE_POINT] > 0.99
    assert evaluation.priors[0].sum() == pytest.approx(1.0)
    assert np.all(evaluation.priors[0][~legal] == 0)
    assert evaluation.values[0] == pytest.approx(0.25)


def test_a_position_seen_again_comes_from_the_cache():
    evaluator = capture_evaluator(0)
    board = Board.from_ascii(CAPTURE, to_move=BLACK)
    legal, _ = masks(board)
    first = evaluator.evaluate([board, board.copy()], np.stack([legal, legal]))
    assert evaluator.forward_positions == 2  # one batch: both went through the network
    again = evaluator.evaluate([board], legal[None, :])
    assert evaluator.forward_positions == 2 and evaluator.cache_hits == 1
    assert np.array_equal(first.priors[0], again.priors[0])
    board.play(CAPTURE_POINT)
    evaluator.evaluate([board], masks(board)[0][None, :])
    assert evaluator.forward_positions == 3  # a new position is computed


def tiny_checkpoint(path, features: str = "compact") -> None:
    feature_set = get_feature_set(features)
    config = NetConfig.named("b1c8", in_planes=feature_set.num_planes)
    torch.manual_seed(0)
    save_checkpoint(path, PolicyValueNet(config), net_config=config, feature_set=features,
                    feature_version=feature_set.version)


def test_a_checkpoint_becomes_an_evaluator_and_bad_ones_say_why(tmp_path):
    good = tmp_path / "net.pt"
    tiny_checkpoint(good)
    evaluator = load_evaluator(str(good))
    assert isinstance(evaluator, NetworkEvaluator) and evaluator.feature_set.name == "compact"
    assert load_evaluator("none") is None
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_evaluator(str(tmp_path / "missing.pt"))
    broken = tmp_path / "broken.pt"
    broken.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError):
        load_evaluator(str(broken))


def test_onnx_runtime_answers_what_the_torch_module_answers(tmp_path):
    path = tmp_path / "net.pt"
    tiny_checkpoint(path)
    plain = load_evaluator(str(path), NetworkConfig(random_symmetry=False, export="none"))
    fast = load_evaluator(str(path), NetworkConfig(random_symmetry=False))
    assert isinstance(fast.model, OnnxRuntimeNet)  # the engine's default on the CPU
    game = Game(9, Rules(komi=7.5))
    boards = []
    for move in (40, 30, 50, 31):  # a few positions of a 9x9 game
        game.play(move)
        boards.append(game.board.copy())
    legal = np.stack([masks(board)[0] for board in boards])
    want, got = plain.evaluate(boards, legal), fast.evaluate(boards, legal)
    assert np.allclose(want.priors, got.priors, atol=1e-5)
    assert np.allclose(want.values, got.values, atol=1e-5)


def test_an_unknown_export_is_refused():
    with pytest.raises(ValueError, match="export must be one of"):
        NetworkConfig(export="tensorrt")
    assert set(METHODS) <= set(EXPORTS)  # EXPORTS spells them out so as not to import torch


# The engine's GTP session with the bundled network, in a fresh interpreter that cannot
# import torch: on a CPU with the 8-bit model the engine must not need it.
WITHOUT_TORCH = r"""
import io, sys

class NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"the engine imported {name} with its 8-bit model")

sys.meta_path.insert(0, NoTorch())
from go_engine.cli import main
sys.stdin = io.TextIOWrapper(io.BytesIO(b"boardsize 9\nclear_board\ngenmove b\nquit\n"))
status = main(["gtp", "--size", "9", "--playouts", "16"])
print("torch loaded:", "torch" in sys.modules, "status:", status)
"""


@pytest.mark.skipif(any(os.path.exists(name) for name in GPU_DEVICE_FILES),
                    reason="a GPU machine: the network runs there with torch")
def test_the_engine_plays_with_its_8_bit_model_without_importing_torch():

    done = subprocess.run([sys.executable, "-c", WITHOUT_TORCH], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "= " in done.stdout and "torch loaded: False status: 0" in done.stdout


@pytest.mark.parametrize("mixing_lambda", [0.0, 0.5])
def test_a_search_guided_by_a_network_plays_legal_moves(tmp_path, mixing_lambda):
    path = tmp_path / "net.pt"
    tiny_checkpoint(path)
    config = SearchConfig(playouts=48, selection=Selection.PUCT, mixing_lambda=mixing_lambda,
                          expand_threshold=1, seed=2)
    evaluator = load_evaluator(str(path))
    search = MCTS(config, evaluator)
    game = Game(7, Rules(komi=7.5))
    for _ in range(4):  # an untrained network may pass; a finished game has no search
        if game.is_over:
            break
        result = search.search(game)
        assert game.is_legal(result.move)
        assert result.visits.sum() > 0 and np.isclose(result.prior.sum(), 1.0, atol=1e-4)
        game.play(result.move)
    assert evaluator.forward_positions > 0


def test_the_engine_plays_through_gtp_with_a_network(tmp_path, capsys, monkeypatch):
    import io

    path = tmp_path / "net.pt"
    tiny_checkpoint(path)
    commands = io.BytesIO(b"boardsize 7\ngenmove b\nquit\n")
    answers = io.BytesIO()
    from go_engine.cli import build_parser, engine_options
    from go_engine.interfaces.gtp import run_gtp

    args = build_parser().parse_args(["gtp", "--network", str(path), "--playouts", "16",
                                      "--size", "7"])
    options = engine_options(args)
    assert (options.search.mixing_lambda, options.search.expand_threshold) == (1.0, 8)  # 7x7
    assert run_gtp(options, commands, answers) == 0
    replies = answers.getvalue().decode().split("\n\n")
    assert replies[1].startswith("= ") and replies[1][2:].strip()


def test_the_command_line_seeds_and_exports_the_network_as_asked(tmp_path):
    from go_engine.cli import build_parser, engine_options

    path = tmp_path / "net.pt"
    tiny_checkpoint(path)
    args = build_parser().parse_args(["gtp", "--network", str(path), "--seed", "7",
                                      "--network-export", "freeze"])
    evaluator = engine_options(args).make_player().mcts.evaluator
    assert evaluator.config.seed == 7  # games with other seeds draw other symmetries
    assert evaluator.config.export == "freeze"
    assert not isinstance(evaluator.model, OnnxRuntimeNet)


def test_a_missing_network_is_a_clear_error(tmp_path, capsys):
    assert main(["gtp", "--network", str(tmp_path / "nope.pt")]) == 2
    assert "no checkpoint" in capsys.readouterr().err
