"""LeNet-5 in both forms, and the 32x32 digits task (upsampling, shifts, training loop)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from networks.deep.lenet import (
    C3_TABLE,
    LeNet5,
    PartialConv2d,
    ScaledTanh,
    Subsampling,
    count_trainable,
)
from networks.tasks.images import (
    TrainConfig,
    evaluate,
    load_digit_images,
    random_shifts,
    train_classifier,
    upsample,
    warmup_cosine,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("form", ["classic", "modern"])
@pytest.mark.parametrize("partial_c3", [None, True, False])
def test_shapes_and_gradient_flow(form: str, partial_c3: bool | None) -> None:
    torch.manual_seed(0)
    net = LeNet5(num_classes=10, form=form, partial_c3=partial_c3)
    x = torch.randn(3, 1, 32, 32)
    assert net.features(x).shape == (3, 84)
    out = net(x)
    assert out.shape == (3, 10)
    out.square().sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        live = p.grad if name != "c3.weight" or not isinstance(net.c3, PartialConv2d) else (
            p.grad * net.c3.mask)
        assert live.abs().sum() > 0, name


def test_layer_sizes_follow_the_paper() -> None:
    net = LeNet5()
    x = torch.zeros(1, 1, 32, 32)
    sizes = []
    for layer in (net.c1, net.s2, net.c3, net.s4, net.c5):
        x = layer(x)
        sizes.append(tuple(x.shape[1:]))
    assert sizes == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120, 1, 1)]


def test_c3_connection_table() -> None:
    assert len(C3_TABLE) == 16
    assert sorted(len(maps) for maps in C3_TABLE) == [3] * 6 + [4] * 9 + [6]
    assert sum(len(maps) for maps in C3_TABLE) == 60
    assert C3_TABLE[0] == (0, 1, 2) and C3_TABLE[4] == (4, 5, 0) and C3_TABLE[14] == (0, 2, 3, 5)
    net = LeNet5(form="classic")
    assert count_trainable(net.c3) == 1516  # the paper's figure for C3
    assert count_trainable(net) == 60_000 + 850  # paper up to F6, plus our linear output


def test_absent_c3_connections_never_learn() -> None:
    torch.manual_seed(0)
    net = LeNet5(form="classic")
    absent = net.c3.mask.expand_as(net.c3.weight) == 0
    net(torch.randn(4, 1, 32, 32)).sum().backward()
    assert net.c3.weight.grad[absent].abs().max() == 0
    # changing an absent weight changes nothing
    x = torch.randn(2, 6, 14, 14)
    before = net.c3(x)
    with torch.no_grad():
        net.c3.weight[absent] = 5.0
    torch.testing.assert_close(net.c3(x), before)


def test_squashing_and_subsampling() -> None:
    f = ScaledTanh()
    torch.testing.assert_close(f(torch.tensor([1.0, -1.0, 0.0])),
                               torch.tensor([1.0, -1.0, 0.0]), atol=2e-3, rtol=0)
    s = Subsampling(2)
    with torch.no_grad():
        s.coefficient.copy_(torch.tensor([1.0, -2.0]))
        s.bias.copy_(torch.tensor([0.5, 0.0]))
    x = torch.arange(32.0).reshape(1, 2, 4, 4)
    expected = torch.stack([1.0 * F.avg_pool2d(x[:, :1], 2) * 4 + 0.5,
                            -2.0 * F.avg_pool2d(x[:, 1:], 2) * 4], dim=1).squeeze(2)
    torch.testing.assert_close(s(x), expected)


def test_forms_differ_as_documented() -> None:
    classic, modern = LeNet5(form="classic"), LeNet5(form="modern")
    assert isinstance(classic.s2, Subsampling) and isinstance(classic.act1, ScaledTanh)
    assert isinstance(modern.s2, torch.nn.MaxPool2d) and isinstance(modern.act1, torch.nn.ReLU)
    assert isinstance(classic.c3, PartialConv2d) and not isinstance(modern.c3, PartialConv2d)
    with pytest.raises(ValueError):
        LeNet5(form="postmodern")


def test_images_are_upsampled_digits() -> None:
    X_train, X_test, y_train, y_test = load_digit_images(size=32)
    assert X_train.shape == (1257, 1, 32, 32) and X_test.shape == (540, 1, 32, 32)
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0
    # bilinear upsampling keeps each image's mean ink and its corner pixels
    small, _, _, _ = load_digit_images(size=8)
    torch.testing.assert_close(X_train.mean(dim=(2, 3)), small.mean(dim=(2, 3)))
    torch.testing.assert_close(X_train[..., 0, 0], small[..., 0, 0])
    torch.testing.assert_close(X_train[..., -1, -1], small[..., -1, -1])
    assert upsample(small[:2].reshape(2, 64).numpy(), 16).shape == (2, 1, 16, 16)


def test_random_shifts_move_each_image_without_wrapping() -> None:
    image = torch.zeros(1, 1, 9, 9)
    image[0, 0, 4, 4] = 1.0
    images = image.repeat(200, 1, 1, 1)
    shifted = random_shifts(images, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == images.shape
    assert torch.equal(shifted.sum(dim=(1, 2, 3)), torch.ones(200))  # nothing lost or added
    where = shifted.flatten(1).argmax(1)
    rows, cols = where // 9, where % 9
    assert set(rows.tolist()) == set(range(2, 7)) and set(cols.tolist()) == set(range(2, 7))
    edge = torch.zeros(50, 1, 5, 5)
    edge[:, :, 0, :] = 1.0  # a top row shifted up must fall off, not wrap to the bottom
    moved = random_shifts(edge, 1, torch.Generator().manual_seed(1))
    assert moved[:, :, -1, :].abs().sum() == 0
    assert torch.equal(random_shifts(images, 0), images)


def test_learning_rate_schedule() -> None:
    factors = [warmup_cosine(step, warmup=4, total=20) for step in range(20)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]
    assert factors[4] == 1.0 and all(a >= b for a, b in zip(factors[4:], factors[5:], strict=False))
    assert factors[-1] < 0.01


@pytest.mark.parametrize("form", ["classic", "modern"])
def test_lenet_overfits_a_tiny_batch(form: str) -> None:
    X, _, y, _ = load_digit_images(size=32)
    X, y = X[:32], y[:32]
    torch.manual_seed(0)
    net = LeNet5(form=form)
    history = train_classifier(net, X, y, TrainConfig(epochs=30, batch_size=16, lr=3e-3))
    loss, accuracy = evaluate(net, X, y)
    assert history[-1] < 0.1 * history[0]
    assert accuracy == 1.0 and loss < 0.05
