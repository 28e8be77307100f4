"""The SMO support vector machine: kernels, the KKT conditions of its solution, and scikit-learn's
SVC (LIBSVM) as the reference on two-moons and the digits."""

from __future__ import annotations

import numpy as np
import pytest

from networks.classic._base import NotFittedError
from networks.classic.svm import SVM, _intercept, _linear_kernel, _poly_kernel, _rbf_kernel, _smo
from networks.tasks.digits import load_digits_split
from networks.tasks.maps import make_moons, moons_split


@pytest.fixture(scope="module")
def moons():
    return moons_split(300, noise=0.2, seed=1)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split(test_size=0.3, seed=0)


def test_kernels_match_their_formulas():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    squared = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1)
    assert np.allclose(_rbf_kernel(A, B, 0.7, 3, 0.0), np.exp(-0.7 * squared))
    assert np.allclose(_poly_kernel(A, B, 0.5, 3, 1.0), (0.5 * A @ B.T + 1.0) ** 3)
    assert np.allclose(_linear_kernel(A, B, 0.5, 3, 1.0), A @ B.T)
    gram = _rbf_kernel(A, A, 0.7, 3, 0.0)
    assert np.allclose(np.diag(gram), 1.0)
    assert np.linalg.eigvalsh(gram).min() > -1e-12  # a Mercer kernel: positive semi-definite


def test_smo_solution_satisfies_the_kkt_conditions(moons):
    X, _, y, _ = moons
    targets, C = np.where(y == 1, 1.0, -1.0), 1.0
    gram = _rbf_kernel(X, X, 0.5, 3, 0.0)
    alpha, grad, n_iter = _smo(gram, targets, C, 1e-6, -1)
    assert n_iter > 0
    assert np.all((alpha >= 0) & (alpha <= C))
    assert abs(targets @ alpha) < 1e-10  # SMO's pair steps keep sum y a = 0 exactly
    q = targets[:, None] * targets[None, :] * gram
    assert np.allclose(grad, q @ alpha - 1.0, atol=1e-9)  # the incremental gradient is right
    margin = targets * (gram @ (targets * alpha) + _intercept(targets, alpha, grad, C))
    free = (alpha > 0) & (alpha < C)
    assert free.any()
    assert np.all(np.abs(margin[free] - 1.0) < 1e-5)
    assert np.all(margin[alpha == 0] >= 1.0 - 1e-5)
    assert np.all(margin[alpha == C] <= 1.0 + 1e-5)


def test_hard_margin_on_four_points_finds_the_widest_gap():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.0]])
    svm = SVM(C=1e3, kernel="linear").fit(X, [0, 0, 1, 1])
    weights = svm.dual_coef_ @ svm.support_vectors_
    assert np.allclose(weights, [[1.0, 0.0]], atol=1e-6)  # margin 2 / |w| = 2, the full gap
    assert np.allclose(svm.intercept_, [-1.0], atol=1e-6)
    assert abs(svm.decision_function([[1.0, 0.5]])[0]) < 1e-6
    assert np.all(svm.n_support_ >= 1)
    # the dual optimum is not unique here, but every support vector must lie on the margin
    assert np.allclose(np.abs(svm.decision_function(svm.support_vectors_)), 1.0, atol=1e-6)


@pytest.mark.parametrize("kernel, params", [("rbf", {}), ("linear", {}),
                                            ("poly", {"degree": 3, "coef0": 1.0})])
def test_binary_problem_matches_sklearn_svc(moons, kernel, params):
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = moons
    ours = SVM(kernel=kernel, **params).fit(X_train, y_train)
    ref = SVC(kernel=kernel, **params).fit(X_train, y_train)
    assert abs(ours.score(X_test, y_test) - ref.score(X_test, y_test)) <= 0.01
    assert abs(len(ours.support_) - len(ref.support_)) <= 0.1 * len(ref.support_)
    assert np.allclose(ours.decision_function(X_test), ref.decision_function(X_test), atol=0.02)


def test_binary_labels_shapes_and_sign_convention(moons):
    X_train, X_test, y_train, _ = moons
    labels = np.array(["lower", "upper"])[y_train]
    svm = SVM().fit(X_train, labels)
    values = svm.decision_function(X_test)
    assert values.shape == (len(X_test),)
    assert list(svm.classes_) == ["lower", "upper"]
    assert np.array_equal(svm.predict(X_test), np.where(values > 0, "upper", "lower"))
    assert svm.dual_coef_.shape == (1, len(svm.support_))
    assert svm.support_vectors_.shape == (len(svm.support_), 2)
    assert svm.n_support_.sum() == len(svm.support_)


def test_linear_kernel_cannot_fit_the_moons_but_rbf_can():
    X_train, X_test, y_train, y_test = moons_split(600, noise=0.1, seed=2)
    linear = SVM(kernel="linear").fit(X_train, y_train).score(X_test, y_test)
    rbf = SVM(kernel="rbf").fit(X_train, y_train).score(X_test, y_test)
    assert linear < 0.92
    assert rbf > 0.98


def test_digits_one_vs_rest(digits):
    X_train, X_test, y_train, y_test = digits
    svm = SVM(kernel="rbf").fit(X_train, y_train)
    assert svm.score(X_test, y_test) >= 0.975
    assert svm.decision_function(X_test).shape == (len(X_test), 10)
    assert svm.dual_coef_.shape == (10, len(svm.support_))
    assert svm.n_support_.shape == (10,) and svm.n_support_.sum() == len(svm.support_)
    assert np.all(np.diff(y_train[svm.support_]) >= 0)  # support vectors grouped by class


def test_digits_one_vs_one_matches_svc(digits):
    from sklearn.svm import SVC

    X_train, X_test, y_train, y_test = digits
    ours = SVM(kernel="linear", multi_class="ovo").fit(X_train, y_train)
    ref = SVC(kernel="linear").fit(X_train, y_train)
    assert abs(ours.score(X_test, y_test) - ref.score(X_test, y_test)) <= 0.01
    assert np.abs(ours.n_support_ - ref.n_support_).sum() <= 0.1 * ref.n_support_.sum()
    assert ours.decision_function(X_test).shape == (len(X_test), 45)


def test_gamma_scale_and_auto():
    X, y = make_moons(100, seed=0)
    assert SVM(gamma="scale").fit(X, y).gamma_ == pytest.approx(1.0 / (2 * X.var()))
    assert SVM(gamma="auto").fit(X, y).gamma_ == pytest.approx(0.5)
    assert SVM(gamma=3.0).fit(X, y).gamma_ == 3.0


def test_errors_and_warnings():
    X, y = make_moons(60, seed=0)
    with pytest.raises(NotFittedError):
        SVM().predict(X)
    with pytest.raises(ValueError, match="kernel"):
        SVM(kernel="sigmoid").fit(X, y)
    with pytest.raises(ValueError, match="gamma"):
        SVM(gamma=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="two classes"):
        SVM().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="features"):
        SVM().fit(X, y).predict(np.zeros((2, 3)))
    with pytest.warns(RuntimeWarning, match="max_iter"):
        SVM(max_iter=2).fit(X, y)


def test_params_round_trip():
    svm = SVM(C=2.0, kernel="poly", degree=2)
    assert svm.get_params()["C"] == 2.0
    assert svm.set_params(kernel="linear").kernel == "linear"
    assert repr(svm).startswith("SVM(C=2.0, kernel='linear', degree=2")
