"""Rosenblatt's perceptron: convergence on separable gates, failure on XOR, the digits."""

from __future__ import annotations

import numpy as np
import pytest

from networks import Perceptron
from networks.classic._base import NotFittedError
from networks.tasks.digits import load_digits_split
from networks.tasks.linear import logic_gate


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND"])
@pytest.mark.parametrize("seed", range(5))
def test_separable_gates_converge_within_20_epochs(gate: str, seed: int) -> None:
    X, y = logic_gate(gate)
    model = Perceptron(max_iter=20, random_state=seed).fit(X, y)
    assert model.converged_
    assert model.n_iter_ <= 20
    assert model.mistakes_[-1] == 0
    np.testing.assert_array_equal(model.predict(X), y)


@pytest.mark.parametrize("seed", range(5))
def test_xor_never_converges(seed: int) -> None:
    X, y = logic_gate("XOR")
    model = Perceptron(max_iter=200, random_state=seed).fit(X, y)
    assert not model.converged_
    assert model.n_iter_ == 200
    assert min(model.mistakes_) > 0  # every epoch errs: no line separates XOR
    assert model.score(X, y) < 1.0


def test_learning_rate_only_scales_the_weights() -> None:
    X, y = logic_gate("NAND")
    big = Perceptron(learning_rate=1.0, random_state=3).fit(X, y)
    small = Perceptron(learning_rate=0.01, random_state=3).fit(X, y)
    assert big.n_iter_ == small.n_iter_
    np.testing.assert_allclose(small.coef_ * 100, big.coef_)
    np.testing.assert_allclose(small.intercept_ * 100, big.intercept_)


def test_one_vs_rest_separates_three_blobs() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 5.0], [5.0, -3.0], [-5.0, -3.0]])
    X = np.concatenate([c + 0.5 * rng.standard_normal((30, 2)) for c in centres])
    y = np.repeat(np.array(["a", "b", "c"]), 30)
    model = Perceptron(random_state=0).fit(X, y)
    assert model.converged_
    assert model.coef_.shape == (3, 2)
    assert model.decision_function(X).shape == (90, 3)
    assert model.score(X, y) == 1.0
    assert set(model.predict(X)) == {"a", "b", "c"}


def test_digits_one_vs_rest_accuracy() -> None:
    X_train, X_test, y_train, y_test = load_digits_split(test_size=0.3, seed=0)
    model = Perceptron(max_iter=10, random_state=0).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.91


def test_estimator_conventions() -> None:
    model = Perceptron(learning_rate=0.5, max_iter=7)
    assert model.get_params() == {"learning_rate": 0.5, "max_iter": 7, "shuffle": True,
                                  "random_state": None}
    assert "max_iter=7" in repr(model)
    with pytest.raises(NotFittedError):
        model.predict([[0.0, 1.0]])
    X, y = logic_gate("AND")
    assert model.fit(X, y) is model
    with pytest.raises(ValueError):
        Perceptron().fit(X, np.zeros(4))
    with pytest.raises(ValueError):
        Perceptron().fit(X, y[:3])


def test_same_seed_same_model() -> None:
    X_train, _, y_train, _ = load_digits_split(test_size=0.3, seed=0)
    a = Perceptron(max_iter=2, random_state=5).fit(X_train[:300], y_train[:300])
    b = Perceptron(max_iter=2, random_state=5).fit(X_train[:300], y_train[:300])
    np.testing.assert_array_equal(a.coef_, b.coef_)
