"""DBN: backprop against finite differences, pretrained weights copied into the network, a small
semi-supervised digits run."""

from __future__ import annotations

import numpy as np
import pytest

from networks import DBN
from networks.classic._base import NotFittedError
from networks.tasks.digits import load_digits_split


def _tiny_dbn() -> tuple[DBN, np.ndarray, np.ndarray]:
    """An untrained 5-4-3-3 network with random weights, inputs and one-hot targets."""
    rng = np.random.default_rng(0)
    X = rng.random((6, 5))
    y = np.array([0, 1, 2, 0, 1, 2])
    dbn = DBN(hidden_layer_sizes=(4, 3), pretrain=False, n_epochs=0, weight_decay=0.01,
              random_state=0).fit(X, y)
    for coef in dbn.coefs_:
        coef[...] = rng.normal(0, 1, coef.shape)
    for intercept in dbn.intercepts_:
        intercept[...] = rng.normal(0, 1, intercept.shape)
    return dbn, X, np.eye(3)[y]


def test_backprop_matches_finite_differences():
    dbn, X, Y = _tiny_dbn()
    grad_coefs, grad_intercepts = dbn._backward(dbn._forward(X), Y)
    eps = 1e-6
    for params, grads in [(dbn.coefs_, grad_coefs), (dbn.intercepts_, grad_intercepts)]:
        for param, grad in zip(params, grads, strict=True):
            assert grad.shape == param.shape
            for index in np.ndindex(param.shape):
                param[index] += eps
                up = dbn._loss(dbn._forward(X), Y)
                param[index] -= 2 * eps
                down = dbn._loss(dbn._forward(X), Y)
                param[index] += eps
                assert grad[index] == pytest.approx((up - down) / (2 * eps), abs=1e-7)


def test_pretraining_initialises_the_hidden_layers_from_the_rbms():
    rng = np.random.default_rng(1)
    X = (rng.random((40, 10)) < 0.3).astype(float)
    y = np.arange(40) % 2
    dbn = DBN(hidden_layer_sizes=(6, 4), rbm_n_iter=3, n_epochs=0, random_state=0).fit(X, y)
    assert [c.shape for c in dbn.coefs_] == [(10, 6), (6, 4), (4, 2)]
    for layer, rbm in enumerate(dbn.rbms_):
        np.testing.assert_array_equal(dbn.coefs_[layer], rbm.components_.T)
        np.testing.assert_array_equal(dbn.intercepts_[layer], rbm.intercept_hidden_)
    np.testing.assert_allclose(dbn.transform(X), dbn.rbms_[1].transform(dbn.rbms_[0].transform(X)))
    assert DBN(hidden_layer_sizes=(6, 4), pretrain=False, n_epochs=0).fit(X, y).rbms_ == []


def test_semi_supervised_digits_small():
    X_train, X_test, y_train, y_test = load_digits_split()
    rng = np.random.default_rng(0)
    labelled = np.concatenate([rng.choice(np.flatnonzero(y_train == c), 10, replace=False)
                               for c in range(10)])
    dbn = DBN(hidden_layer_sizes=(64,), rbm_n_iter=5, n_epochs=300, random_state=0)
    dbn.fit(X_train[labelled], y_train[labelled], X_unlabelled=X_train)
    assert dbn.loss_curve_[-1] < 0.2 * dbn.loss_curve_[0]
    assert dbn.score(X_test, y_test) > 0.8
    proba = dbn.predict_proba(X_test[:5])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_labels_of_any_type_and_errors():
    X = np.random.default_rng(2).random((8, 4))
    y = np.array(["cat", "dog"] * 4)
    dbn = DBN(hidden_layer_sizes=(3,), pretrain=False, n_epochs=5, random_state=0).fit(X, y)
    assert set(dbn.predict(X)) <= {"cat", "dog"} and list(dbn.classes_) == ["cat", "dog"]
    with pytest.raises(NotFittedError):
        DBN().predict(X)
    with pytest.raises(ValueError):
        DBN().fit(X, y[:3])
