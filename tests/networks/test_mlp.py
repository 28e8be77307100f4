"""The hand-written backpropagation network: gradient checks, XOR, the digits, regression."""

from __future__ import annotations

import numpy as np
import pytest

from networks import MLP
from networks.classic._base import NotFittedError
from networks.classic.mlp import gradient_check, numerical_gradient
from networks.tasks.digits import load_digits_split
from networks.tasks.linear import logic_gate


def _targets(task: str, n: int, rng: np.random.Generator) -> np.ndarray:
    return {"binary": rng.integers(0, 2, n), "multiclass": rng.integers(0, 4, n),
            "regression": rng.standard_normal((n, 2))}[task]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_backprop_matches_finite_differences(activation: str, task: str, alpha: float) -> None:
    rng = np.random.default_rng(7)
    X = rng.standard_normal((8, 5))
    y = _targets(task, 8, rng)
    kind = "regression" if task == "regression" else "classification"
    model = MLP((6, 4), activation=activation, task=kind, alpha=alpha, max_iter=3,
                batch_size=4, random_state=1).fit(X, y)  # a few steps away from the init
    assert model.check_gradient(X, y) < 1e-6


def test_gradient_check_catches_a_wrong_gradient(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    model = MLP((4,), activation="tanh", max_iter=0, random_state=0).fit(X, y)
    assert model.check_gradient(X, y) < 1e-7
    right = MLP._backward

    def wrong_bias(self, activations, T):  # the first layer's bias gradient 10% too large
        grads = right(self, activations, T)
        grads[len(self.coefs_)] = 1.1 * grads[len(self.coefs_)]
        return grads

    monkeypatch.setattr(MLP, "_backward", wrong_bias)
    assert model.check_gradient(X, y) > 1e-3


def test_gradient_check_leaves_the_weights_unchanged() -> None:
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 3)), rng.integers(0, 2, 6)
    model = MLP((4,), max_iter=2, random_state=0).fit(X, y)
    before = [p.copy() for p in model._params()]
    loss, _ = model.loss_and_gradients(X, y)
    model.check_gradient(X, y)
    for a, b in zip(before, model._params(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.loss_and_gradients(X, y)[0] == loss


def test_gradient_check_on_a_trained_relu_network() -> None:
    """Round-off in the differences must not fail a correct gradient with tiny components."""
    X_train, X_test, y_train, y_test = load_digits_split(test_size=0.3, seed=0)
    model = MLP((16,), activation="relu", learning_rate=0.01, max_iter=5,
                random_state=0).fit(X_train, y_train)
    assert model.check_gradient(X_test[:5], y_test[:5]) < 1e-5


def test_gradient_check_blocks_must_cover_the_parameters() -> None:
    with pytest.raises(ValueError):
        gradient_check(lambda p: float(p @ p), np.ones(3), 2 * np.ones(3), blocks=[1, 1])


def test_numerical_gradient_of_a_known_function() -> None:
    point = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient(lambda p: float(np.sum(p**3)), point)
    np.testing.assert_allclose(grad, 3 * point**2, rtol=1e-8)
    np.testing.assert_array_equal(point, [1.0, -2.0, 0.5])  # left unchanged


def test_xor_2_2_1_is_learned_for_most_seeds() -> None:
    X, y = logic_gate("XOR")
    solved = sum(MLP((2,), activation="sigmoid", learning_rate=0.5, batch_size=4,
                     max_iter=1000, random_state=s).fit(X, y).score(X, y) == 1.0
                 for s in range(8))
    assert solved >= 4


def test_xor_needs_the_hidden_layer() -> None:
    X, y = logic_gate("XOR")
    model = MLP((), activation="sigmoid", learning_rate=0.5, batch_size=4, max_iter=500,
                random_state=0).fit(X, y)
    assert model.score(X, y) < 1.0  # logistic regression is a single linear boundary


def test_digits_accuracy() -> None:
    X_train, X_test, y_train, y_test = load_digits_split(test_size=0.3, seed=0)
    model = MLP((64,), activation="relu", learning_rate=0.01, batch_size=32, max_iter=10,
                random_state=0).fit(X_train, y_train)
    assert model.loss_curve_[-1] < model.loss_curve_[0] / 5
    assert model.score(X_test, y_test) >= 0.95
    proba = model.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_regression_of_a_sine() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (200, 1))
    y = np.sin(X[:, 0])
    model = MLP((20,), activation="tanh", task="regression", learning_rate=0.05,
                batch_size=16, max_iter=300, random_state=0).fit(X, y)
    assert model.predict(X).shape == (200,)
    assert model.score(X, y) > 0.98


def test_momentum_speeds_up_training() -> None:
    X_train, _, y_train, _ = load_digits_split(test_size=0.3, seed=0)
    kwargs = {"hidden_layer_sizes": (32,), "learning_rate": 0.005, "max_iter": 5,
              "random_state": 0}
    plain = MLP(momentum=0.0, **kwargs).fit(X_train, y_train)
    heavy = MLP(momentum=0.9, **kwargs).fit(X_train, y_train)
    assert heavy.loss_curve_[-1] < plain.loss_curve_[-1]


def test_conventions_and_errors() -> None:
    model = MLP(hidden_layer_sizes=(3,), activation="tanh")
    assert model.get_params()["hidden_layer_sizes"] == (3,)
    with pytest.raises(NotFittedError):
        model.predict([[0.0, 0.0]])
    with pytest.raises(ValueError):
        MLP(activation="softplus").fit([[0.0], [1.0]], [0, 1])
    regression = MLP((2,), task="regression", max_iter=1).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(AttributeError):
        regression.predict_proba([[0.0]])
    X, y = logic_gate("AND")
    with pytest.raises(ValueError):
        MLP((3,), max_iter=1).fit(X, y).check_gradient(X, y + 1)  # label 2 was never seen
    a = MLP((3,), max_iter=5, random_state=2).fit(X, y)
    b = MLP((3,), max_iter=5, random_state=2).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
