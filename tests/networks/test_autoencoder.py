"""Autoencoder and SparseAutoencoder: shapes, gradient flow, the sparsity term, short training."""

from __future__ import annotations

import math

import pytest
import torch

from networks import Autoencoder, SparseAutoencoder
from networks.deep.autoencoder import reconstruction_error, train_autoencoder
from networks.tasks.digits import load_digits_split

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _digits(n: int) -> torch.Tensor:
    X_train, _, _, _ = load_digits_split()
    return torch.tensor(X_train[:n], dtype=torch.float32)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_autoencoder_shapes_and_gradient_flow(activation):
    torch.manual_seed(0)
    model = Autoencoder((64, 32, 8), activation=activation)
    x = torch.rand(5, 64)
    assert model.encode(x).shape == (5, 8)
    assert model.decode(model.encode(x)).shape == (5, 64)
    out = model(x)
    assert out.shape == (5, 64) and torch.all((out > 0) & (out < 1))
    model.loss(x).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def test_sparse_autoencoder_shapes_and_gradient_flow():
    torch.manual_seed(0)
    model = SparseAutoencoder(n_features=64, n_hidden=100)
    x = torch.rand(5, 64)
    hidden = model.encode(x)
    assert hidden.shape == (5, 100) and model(x).shape == (5, 64)
    model.loss(x).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_sparsity_penalty_is_the_kl_divergence():
    model = SparseAutoencoder(n_features=4, n_hidden=2, sparsity_target=0.1, sparsity_weight=2.0)
    at_target = torch.full((3, 2), 0.1)
    assert model.sparsity_penalty(at_target).item() == pytest.approx(0.0, abs=1e-6)
    hidden = torch.tensor([[0.2, 0.5], [0.4, 0.3]], requires_grad=True)  # means 0.3 and 0.4
    expected = 0.0
    for q in (0.3, 0.4):
        expected += 0.1 * math.log(0.1 / q) + 0.9 * math.log(0.9 / (1 - q))
    penalty = model.sparsity_penalty(hidden)
    assert penalty.item() == pytest.approx(2.0 * expected, rel=1e-5)
    penalty.backward()
    assert torch.all(hidden.grad > 0)  # activations above the target are pushed down


def test_training_reduces_reconstruction_error():
    torch.manual_seed(0)
    data = _digits(300)
    model = Autoencoder((64, 64, 16))
    with torch.no_grad():
        before = reconstruction_error(model(data), data).item()
    curve = train_autoencoder(model, data, n_epochs=15, learning_rate=3e-3, batch_size=32,
                              generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        after = reconstruction_error(model(data), data).item()
    assert curve[-1] < curve[0] and after < 0.5 * before


def test_sparsity_target_is_approached():
    torch.manual_seed(0)
    data = _digits(300)
    model = SparseAutoencoder(sparsity_target=0.05, sparsity_weight=3.0)
    with torch.no_grad():
        start = model.encode(data).mean().item()
    train_autoencoder(model, data, n_epochs=30, learning_rate=3e-3, batch_size=32,
                      generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        end = model.encode(data).mean().item()
    assert start > 0.3 and end < 0.12


def test_invalid_arguments():
    with pytest.raises(ValueError):
        Autoencoder((64,))
    with pytest.raises(ValueError):
        Autoencoder((64, 8), activation="swish")
    with pytest.raises(ValueError):
        SparseAutoencoder(sparsity_target=0.0)
