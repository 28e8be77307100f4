"""The Go policy/value networks: configs, shapes on every board size with one set of weights,
gradient flow, parameter counts, a tiny net that learns, AlphaGo's networks, the export."""

from __future__ import annotations

import pickle

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from networks.deep.resnet import BasicBlock
from networks.go.inference import OnnxRuntimeNet, export_for_inference, fold_batch_norm
from networks.go.policy_value import (
    NAMED_SIZES,
    AlphaGoPolicyNet,
    AlphaGoValueNet,
    NetConfig,
    PolicyValueNet,
    build_network,
    global_pool,
    parameter_count,
)

PLANES = 8
BOARD_SIZES = (7, 9, 13, 19)
# Learned parameters with 48 input planes (the counts quoted in the report and benchmarks).
PARAMETERS_48 = {"b2c16": 33_218, "b6c64": 491_682, "b10c128": 3_033_890,
                 "b15c192": 10_076_322, "b20c256": 23_756_834}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _tiny(seed: int = 0, **overrides) -> PolicyValueNet:
    torch.manual_seed(seed)
    return build_network(NetConfig.named("b2c16", in_planes=PLANES, **overrides))


def _nonzero_grads(model: nn.Module) -> list[str]:
    """Names of the parameters without a finite, non-zero gradient."""
    return [name for name, p in model.named_parameters()
            if p.grad is None or not torch.isfinite(p.grad).all() or p.grad.abs().sum() == 0]


def _loss(policy: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    targets = torch.arange(policy.shape[0], device=policy.device) % policy.shape[1]
    return F.cross_entropy(policy, targets) + (value - 0.5).square().mean()


# --- configs --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMED_SIZES)
def test_named_sizes_parse(name: str) -> None:
    config = NetConfig.named(name, in_planes=48)
    assert config.name == name
    assert f"b{config.blocks}c{config.channels}" == name
    assert NetConfig.from_dict(config.to_dict()) == config
    assert pickle.loads(pickle.dumps(config)) == config


def test_config_errors() -> None:
    with pytest.raises(ValueError, match="b<blocks>c<channels>"):
        NetConfig.named("big", in_planes=48)
    with pytest.raises(ValueError, match="unknown network config fields"):
        NetConfig.from_dict({"in_planes": 3, "colour": "red"})
    with pytest.raises(ValueError, match="kind"):
        NetConfig(in_planes=3, kind="transformer")
    with pytest.raises(ValueError, match="board_size"):
        NetConfig(in_planes=3, kind="alphago_value")
    with pytest.raises(ValueError, match="in_planes"):
        NetConfig(in_planes=0)


def test_named_overrides_and_with() -> None:
    config = NetConfig.named("b6c64", in_planes=17, value_hidden=64)
    assert (config.blocks, config.channels, config.value_hidden) == (6, 64, 64)
    assert config.with_(blocks=3).name == "b3c64"


@pytest.mark.parametrize("name", NAMED_SIZES)
def test_parameter_counts(name: str) -> None:
    assert parameter_count(NetConfig.named(name, in_planes=48)) == PARAMETERS_48[name]


# --- the residual network -------------------------------------------------------------------

def test_trunk_is_made_of_basic_blocks() -> None:
    model = _tiny()
    assert len(model.trunk) == 2
    assert all(isinstance(block, BasicBlock) for block in model.trunk)


def test_every_board_size_with_the_same_weights_and_gradients() -> None:
    model = _tiny()
    for size in BOARD_SIZES:
        model.zero_grad()
        x = torch.randn(3, PLANES, size, size)
        policy, value = model(x)
        assert policy.shape == (3, size * size + 1)
        assert value.shape == (3,)
        assert (value.abs() <= 1).all()
        _loss(policy, value).backward()
        assert _nonzero_grads(model) == [], size


def test_pooling_sees_the_board_size() -> None:
    x = torch.ones(1, 2, 9, 9)
    pooled = global_pool(x)
    assert torch.allclose(pooled, torch.tensor([[1.0, 1.0, -0.5, -0.5, 1.0, 1.0]]))
    assert global_pool(torch.ones(1, 1, 19, 19))[0, 1].item() == pytest.approx(0.5)


def test_eval_is_deterministic_and_batch_independent() -> None:
    model = _tiny().eval()
    x = torch.randn(4, PLANES, 9, 9)
    with torch.no_grad():
        policy, value = model(x)
        one_policy, one_value = model(x[2:3])
    assert torch.allclose(policy[2:3], one_policy, atol=1e-5)
    assert torch.allclose(value[2:3], one_value, atol=1e-6)


def test_input_shape_errors() -> None:
    model = _tiny()
    with pytest.raises(ValueError, match=r"\[B, 8, N, N\]"):
        model(torch.randn(1, PLANES + 1, 9, 9))
    with pytest.raises(ValueError):
        model(torch.randn(1, PLANES, 9, 7))


def test_zero_init_residual_starts_blocks_as_identity() -> None:
    torch.manual_seed(0)
    model = PolicyValueNet(NetConfig.named("b2c16", in_planes=PLANES), zero_init_residual=True)
    assert all(block.bn2.weight.abs().sum() == 0 for block in model.trunk)


@pytest.mark.parametrize("name", ["b6c64", "b10c128", "b15c192"])
def test_named_sizes_run(name: str) -> None:
    torch.manual_seed(0)
    model = build_network(NetConfig.named(name, in_planes=48)).eval()
    assert model.num_parameters() == PARAMETERS_48[name]
    with torch.no_grad():
        policy, value = model(torch.randn(1, 48, 9, 9))
    assert policy.shape == (1, 82) and value.shape == (1,)
    assert torch.isfinite(policy).all()


def test_largest_size_runs_on_19x19() -> None:
    torch.manual_seed(0)
    model = build_network(NetConfig.named("b20c256", in_planes=48)).eval()
    with torch.no_grad():
        policy, value = model(torch.randn(1, 48, 19, 19))
    assert policy.shape == (1, 362) and value.shape == (1,)
    assert torch.isfinite(policy).all() and torch.isfinite(value).all()


def test_tiny_network_overfits_a_handful_of_positions() -> None:
    torch.manual_seed(0)
    model = _tiny(seed=1)
    x = torch.randn(8, PLANES, 9, 9)
    moves = torch.randint(0, 82, (8,))  # pass (81) included
    values = torch.empty(8).uniform_(-0.8, 0.8)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(200):
        policy, value = model(x)
        loss = F.cross_entropy(policy, moves) + F.mse_loss(value, values)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        policy, value = model(x)
    assert (policy.argmax(1) == moves).sum().item() >= 7
    assert F.mse_loss(value, values).item() < 0.05


# --- AlphaGo's networks ---------------------------------------------------------------------

def test_alphago_policy_network() -> None:
    torch.manual_seed(0)
    config = NetConfig.alphago_policy(filters=16, layers=5, in_planes=PLANES, board_size=9)
    model = build_network(config)
    assert isinstance(model, AlphaGoPolicyNet) and not model.has_value
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(5, 5), (3, 3), (3, 3), (3, 3), (1, 1)]
    policy, value = model(torch.randn(2, PLANES, 9, 9))
    assert policy.shape == (2, 82) and torch.equal(value, torch.zeros(2))
    F.cross_entropy(policy, torch.tensor([3, 81])).backward()
    assert _nonzero_grads(model) == []
    with pytest.raises(ValueError, match="only plays 9x9"):
        model(torch.randn(1, PLANES, 13, 13))


def test_alphago_value_network() -> None:
    torch.manual_seed(0)
    config = NetConfig.alphago_value(filters=16, layers=4, in_planes=PLANES, board_size=7)
    model = build_network(config)
    assert isinstance(model, AlphaGoValueNet) and not model.has_policy
    assert model.hidden.out_features == 256
    policy, value = model(torch.randn(3, PLANES, 7, 7))
    assert torch.equal(policy, torch.zeros(3, 50)) and value.shape == (3,)
    (value - 0.3).square().sum().backward()
    assert _nonzero_grads(model) == []


def test_alphago_paper_sizes() -> None:
    policy = NetConfig.alphago_policy()
    assert (policy.in_planes, policy.channels, policy.blocks + 2) == (48, 192, 13)
    assert NetConfig.alphago_value().in_planes == 49
    assert 3.5e6 < parameter_count(policy) < 4.5e6


# --- export ---------------------------------------------------------------------------------

def _perturb_batch_norms(model: nn.Module) -> None:
    """Non-trivial running statistics, so folding batch norm is really tested."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            module.running_mean.normal_()
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.normal_()


@pytest.mark.parametrize("method", ["onnx", "freeze", "fold"])
def test_export_matches_the_model_on_every_size(method: str) -> None:
    model = _tiny()
    _perturb_batch_norms(model)
    model.eval()
    exported = export_for_inference(model, method=method, board_size=19)
    with torch.inference_mode():
        for size, batch in ((9, 1), (13, 5), (19, 2)):
            x = torch.randn(batch, PLANES, size, size)
            for want, got in zip(model(x), exported(x), strict=True):
                assert torch.allclose(want, got, atol=1e-4), (size, batch)


def test_export_of_alphago_network_keeps_batch_free() -> None:
    torch.manual_seed(0)
    model = build_network(NetConfig.alphago_policy(filters=8, layers=3, in_planes=PLANES,
                                                   board_size=7)).eval()
    exported = export_for_inference(model)
    x = torch.randn(4, PLANES, 7, 7)
    with torch.inference_mode():
        assert torch.allclose(model(x)[0], exported(x)[0], atol=1e-4)


def test_auto_export_on_the_cpu_is_onnx_runtime_and_survives_pickling() -> None:
    model = _tiny()
    _perturb_batch_norms(model)
    model.eval()
    exported = export_for_inference(model)
    assert isinstance(exported, OnnxRuntimeNet)
    copied = pickle.loads(pickle.dumps(exported))
    x = torch.randn(3, PLANES, 9, 9)
    with torch.inference_mode():
        for want, got in zip(model(x), copied(x), strict=True):
            assert torch.allclose(want, got, atol=1e-4)


def test_export_of_alphago_value_network_by_onnx() -> None:
    torch.manual_seed(0)
    model = build_network(NetConfig.alphago_value(filters=8, layers=3, in_planes=PLANES + 1,
                                                  board_size=7)).eval()
    exported = export_for_inference(model, method="onnx")
    x = torch.randn(5, PLANES + 1, 7, 7)
    with torch.inference_mode():
        assert torch.allclose(model(x)[1], exported(x)[1], atol=1e-4)


def test_fold_batch_norm_removes_norms_and_keeps_the_model() -> None:
    model = _tiny()
    _perturb_batch_norms(model)
    folded = fold_batch_norm(model)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert model.training  # the original is untouched


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_bf16_training_step_and_export() -> None:
    model = _tiny().cuda()
    x = torch.randn(16, PLANES, 19, 19, device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        policy, value = model(x)
        loss = _loss(policy.float(), value.float())
    loss.backward()
    assert _nonzero_grads(model) == []
    model.eval()
    exported = export_for_inference(model)
    with torch.inference_mode():
        for want, got in zip(model(x), exported(x), strict=True):
            assert torch.allclose(want, got, atol=1e-3)
