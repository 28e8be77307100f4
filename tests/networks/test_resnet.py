"""ResNet, BasicBlock and Bottleneck: shapes, gradient flow, shortcuts, parameter counts."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from networks.deep.resnet import (
    BasicBlock,
    Bottleneck,
    PadShortcut,
    ResNet,
    blocks_per_stage,
    conv3x3,
)
from networks.tasks.images import TrainConfig, evaluate, load_digit_images, train_classifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _grads_reach(model: nn.Module) -> bool:
    """Every parameter got a finite, non-zero gradient."""
    return all(p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
               for p in model.parameters())


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
@pytest.mark.parametrize("shortcut", [True, False])
def test_cifar_depths_shapes_and_gradients(depth: int, shortcut: bool) -> None:
    torch.manual_seed(0)
    model = ResNet(depth, num_classes=7, in_channels=1, shortcut=shortcut)
    x = torch.randn(2, 1, 8, 8)
    out = model(x)
    assert out.shape == (2, 7)
    out.square().sum().backward()
    assert _grads_reach(model)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) + 1 == depth  # option A adds no layer: depth = convolutions + classifier


@pytest.mark.parametrize("option", ["A", "B"])
def test_bottleneck_network_shapes_and_gradients(option: str) -> None:
    torch.manual_seed(0)
    model = ResNet(29, num_classes=5, in_channels=3, block="bottleneck", shortcut_option=option)
    out = model(torch.randn(2, 3, 12, 12))
    assert out.shape == (2, 5)
    assert model.fc.in_features == 64 * 4
    out.sum().backward()
    assert _grads_reach(model)


def test_depth_must_be_6n_plus_2() -> None:
    assert blocks_per_stage(56) == 9
    assert blocks_per_stage(164, "bottleneck") == 18
    with pytest.raises(ValueError):
        ResNet(21)
    with pytest.raises(ValueError):
        ResNet(32, block="bottleneck")


@pytest.mark.parametrize("size", [9, 19])
@pytest.mark.parametrize("shortcut", [True, False])
def test_basic_block_keeps_the_board_size(size: int, shortcut: bool) -> None:
    torch.manual_seed(0)
    block = BasicBlock(5, 8, shortcut=shortcut)
    x = torch.randn(3, 5, size, size, requires_grad=True)
    out = block(x)
    assert out.shape == (3, 8, size, size)
    out.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert conv3x3(4, 6)(torch.randn(1, 4, size, size)).shape == (1, 6, size, size)


def test_a_go_trunk_from_the_module_docstring() -> None:
    trunk = nn.Sequential(conv3x3(17, 64), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                          *[BasicBlock(64, 64) for _ in range(6)])
    assert trunk(torch.randn(2, 17, 19, 19)).shape == (2, 64, 19, 19)
    assert all(block.downsample is None for block in trunk[3:])  # pure identity shortcuts


def test_blocks_downsample_with_stride_two() -> None:
    x = torch.randn(2, 16, 19, 19)
    assert BasicBlock(16, 32, stride=2)(x).shape == (2, 32, 10, 10)
    assert Bottleneck(16, 64, stride=2)(x).shape == (2, 64, 10, 10)
    assert Bottleneck(64, 64)(torch.randn(2, 64, 9, 9)).shape == (2, 64, 9, 9)
    assert PadShortcut(16, 32, 2)(x).shape == (2, 32, 10, 10)


def test_injectable_norm_layer() -> None:
    block = BasicBlock(8, 8, norm_layer=lambda c: nn.GroupNorm(2, c))
    assert isinstance(block.bn1, nn.GroupNorm) and isinstance(block.bn2, nn.GroupNorm)
    bare = BasicBlock(8, 8, norm_layer=lambda c: nn.Identity())
    assert [name for name, _ in bare.named_parameters()] == ["conv1.weight", "conv2.weight"]
    assert bare(torch.randn(1, 8, 9, 9)).shape == (1, 8, 9, 9)
    model = ResNet(8, in_channels=1, norm_layer=lambda c: nn.GroupNorm(1, c))
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)


def test_shortcut_option_really_removes_the_shortcut() -> None:
    torch.manual_seed(0)
    residual = BasicBlock(4, 4).eval()
    plain = BasicBlock(4, 4, shortcut=False).eval()
    plain.load_state_dict(residual.state_dict())
    # with the convolutions silenced, F(x) = 0: the residual block passes relu(x), the plain 0
    for block in (residual, plain):
        nn.init.zeros_(block.conv2.weight)
    x = torch.randn(2, 4, 9, 9)
    torch.testing.assert_close(residual(x), torch.relu(x))
    assert plain(x).abs().max() == 0
    assert "shortcut=False" in repr(plain) and "shortcut=False" not in repr(residual)
    assert BasicBlock(4, 8, shortcut=False).downsample is None
    assert BasicBlock(4, 8).downsample is not None
    assert Bottleneck(8, 8, shortcut=False)(torch.randn(1, 8, 5, 5)).shape == (1, 8, 5, 5)


def test_plain_twin_has_the_same_parameters() -> None:
    residual, plain = ResNet(20), ResNet(20, shortcut=False)
    assert [p.shape for p in residual.parameters()] == [p.shape for p in plain.parameters()]
    assert all(block.shortcut is False for block in plain.modules()
               if isinstance(block, BasicBlock))
    assert not any(isinstance(m, PadShortcut) for m in plain.modules())
    assert any(isinstance(m, PadShortcut) for m in residual.modules())


@pytest.mark.parametrize("depth, millions", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85),
                                             (110, 1.7)])
def test_parameter_counts_match_the_paper(depth: int, millions: float) -> None:
    # He et al. (2016), Table 6 (CIFAR-10, 3 input channels, option-A shortcuts)
    count = sum(p.numel() for p in ResNet.cifar(depth).parameters())
    assert count / 1e6 == pytest.approx(millions, abs=0.005 if depth < 110 else 0.05)


def test_zero_init_residual_starts_each_block_as_identity() -> None:
    model = ResNet(20, in_channels=1, zero_init_residual=True)
    block = model.layer1[0]
    assert block.bn2.weight.abs().sum() == 0
    x = torch.relu(torch.randn(2, 16, 8, 8))
    torch.testing.assert_close(block.eval()(x), x)


def test_resnet_overfits_a_tiny_batch() -> None:
    X, _, y, _ = load_digit_images(size=8)
    X, y = X[:32], y[:32]
    torch.manual_seed(0)
    model = ResNet(8, in_channels=1)
    config = TrainConfig(epochs=40, batch_size=32, optimizer="adam", lr=1e-2, seed=0)
    history = train_classifier(model, X, y, config)
    loss, accuracy = evaluate(model, X, y)
    assert history[-1] < 0.1 * history[0]
    assert accuracy == 1.0 and loss < 0.1


def test_demo_saves_a_picture(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from networks.demos.resnet import main

    path = main(tmp_path, quick=True)
    assert path.exists() and path.suffix == ".png" and path.parent == tmp_path
