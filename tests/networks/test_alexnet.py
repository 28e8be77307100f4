"""AlexNet: the paper's shape, the scaled-down forms, gradient flow and a tiny overfit."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from networks.deep.alexnet import AlexNet
from networks.tasks.images import TrainConfig, evaluate, load_digit_images, train_classifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _convs(net: AlexNet) -> list[nn.Conv2d]:
    return [m for m in net.features if isinstance(m, nn.Conv2d)]


def test_paper_network() -> None:
    torch.manual_seed(0)
    net = AlexNet().eval()
    assert [c.out_channels for c in _convs(net)] == [96, 256, 384, 384, 256]
    assert _convs(net)[0].kernel_size == (11, 11) and _convs(net)[0].stride == (4, 4)
    assert net.feature_shape == (256, 6, 6)
    linears = [m for m in net.classifier if isinstance(m, nn.Linear)]
    assert [(f.in_features, f.out_features) for f in linears] == [
        (256 * 6 * 6, 4096), (4096, 4096), (4096, 1000)]
    # one tower of the paper's network: about 62 million parameters (the paper: "60 million")
    assert sum(p.numel() for p in net.parameters()) / 1e6 == pytest.approx(62.4, abs=0.1)
    with torch.no_grad():
        assert net(torch.randn(1, 3, 224, 224)).shape == (1, 1000)


@pytest.mark.parametrize("image_size, spatial", [(32, 3), (16, 1)])
@pytest.mark.parametrize("lrn", [False, True])
def test_small_images_shapes_and_gradient_flow(image_size: int, spatial: int,
                                               lrn: bool) -> None:
    torch.manual_seed(0)
    net = AlexNet(10, in_channels=1, image_size=image_size, width=0.125,
                  local_response_norm=lrn)
    assert [c.out_channels for c in _convs(net)] == [12, 32, 48, 48, 32]
    assert _convs(net)[0].kernel_size == (5, 5) and _convs(net)[0].stride == (1, 1)
    assert net.feature_shape == (32, spatial, spatial)
    assert sum(isinstance(m, nn.LocalResponseNorm) for m in net.modules()) == (2 if lrn else 0)
    out = net(torch.randn(4, 1, image_size, image_size))
    assert out.shape == (4, 10)
    out.square().sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_width_and_fc_width() -> None:
    net = AlexNet(5, in_channels=1, image_size=32, width=0.25, fc_width=0.0625)
    assert [c.out_channels for c in _convs(net)] == [24, 64, 96, 96, 64]
    hidden = [m.out_features for m in net.classifier if isinstance(m, nn.Linear)]
    assert hidden == [256, 256, 5]


def test_too_small_image_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        AlexNet(10, in_channels=1, image_size=8)


def test_dropout_only_in_training() -> None:
    torch.manual_seed(0)
    net = AlexNet(10, in_channels=1, image_size=16, width=0.125, dropout=0.5)
    x = torch.randn(2, 1, 16, 16)
    assert not torch.equal(net.train()(x), net(x))
    net.eval()
    assert torch.equal(net(x), net(x))


def test_alexnet_overfits_a_tiny_batch() -> None:
    X, _, y, _ = load_digit_images(size=16)
    X, y = X[:32], y[:32]
    torch.manual_seed(0)
    net = AlexNet(10, in_channels=1, image_size=16, width=0.125, dropout=0.0)
    history = train_classifier(net, X, y, TrainConfig(epochs=30, batch_size=16, lr=2e-3))
    loss, accuracy = evaluate(net, X, y)
    assert history[-1] < 0.1 * history[0]
    assert accuracy == 1.0 and loss < 0.05
