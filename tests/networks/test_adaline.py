"""Adaline (Widrow-Hoff LMS): online and batch reach the least-squares solution."""

from __future__ import annotations

import numpy as np
import pytest

from networks import Adaline
from networks.tasks.digits import load_digits_split
from networks.tasks.linear import make_linear_regression


@pytest.fixture(scope="module")
def regression() -> tuple[np.ndarray, ...]:
    """The benchmark's task: 1,000 training and 1,000 test points, d = 8, noise 0.1."""
    return make_linear_regression(n_train=1000, n_test=1000, n_features=8, noise=0.1, seed=0)


def _least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    design = np.hstack([X, np.ones((len(X), 1))])
    return np.linalg.lstsq(design, y, rcond=None)[0]


def test_batch_lms_converges_to_the_least_squares_weights(regression) -> None:
    X_train, _, y_train, _ = regression
    model = Adaline(mode="batch", learning_rate=0.5, max_iter=500, tol=0.0).fit(X_train, y_train)
    exact = _least_squares(X_train, y_train)
    np.testing.assert_allclose(model.coef_, exact[:-1], atol=1e-6)
    assert model.intercept_ == pytest.approx(exact[-1], abs=1e-6)
    assert np.all(np.diff(model.loss_curve_) <= 1e-12)  # gradient descent on a quadratic


@pytest.mark.parametrize("mode, rate", [("online", 0.002), ("batch", 0.5)])
def test_regression_test_mse_meets_the_bar(regression, mode: str, rate: float) -> None:
    X_train, X_test, y_train, y_test = regression
    model = Adaline(mode=mode, learning_rate=rate, max_iter=200, random_state=0)
    mse = np.mean((model.fit(X_train, y_train).predict(X_test) - y_test) ** 2)
    exact = _least_squares(X_train, y_train)
    best = np.mean((X_test @ exact[:-1] + exact[-1] - y_test) ** 2)
    assert mse <= 0.011
    assert mse <= best * 1.02
    assert model.score(X_test, y_test) > 0.99


def test_online_lms_lands_near_the_least_squares_weights(regression) -> None:
    X_train, _, y_train, _ = regression
    model = Adaline(mode="online", learning_rate=0.001, max_iter=30, tol=0.0,
                    random_state=0).fit(X_train, y_train)
    exact = _least_squares(X_train, y_train)
    # a constant step leaves a small jitter of order eta * noise around the solution
    np.testing.assert_allclose(model.coef_, exact[:-1], atol=0.01)


def test_digits_least_squares_classification() -> None:
    X_train, X_test, y_train, y_test = load_digits_split(test_size=0.3, seed=0)
    model = Adaline(task="classification", mode="online", learning_rate=0.003, max_iter=20,
                    random_state=0).fit(X_train, y_train)
    assert model.coef_.shape == (10, 64)
    assert model.score(X_test, y_test) >= 0.92


def test_two_classes_use_one_unit() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 3))
    y = np.where(X @ [1.0, -2.0, 0.5] > 0, "yes", "no")
    model = Adaline(task="classification", mode="batch", learning_rate=0.2,
                    max_iter=300).fit(X, y)
    assert model.coef_.shape == (3,)
    assert model.score(X, y) > 0.95


def test_batch_divergence_is_reported() -> None:
    X_train, _, y_train, _ = load_digits_split(test_size=0.3, seed=0)
    with pytest.raises(FloatingPointError):
        Adaline(task="classification", mode="batch", learning_rate=0.5,
                max_iter=20).fit(X_train, y_train)


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        Adaline(mode="minibatch").fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError):
        Adaline(task="ranking").fit([[0.0], [1.0]], [0.0, 1.0])
