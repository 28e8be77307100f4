"""The RBF network: its own k-means, the width heuristic, least squares, Mackey-Glass."""

from __future__ import annotations

import numpy as np
import pytest

from networks import RBFNetwork
from networks.classic.rbf import kmeans
from networks.tasks.linear import mackey_glass, mackey_glass_split, mackey_glass_windows, nrmse


@pytest.fixture(scope="module")
def mackey_glass_data() -> tuple[np.ndarray, ...]:
    return mackey_glass_split(n_train=1000, n_test=500, horizon=6)


def test_mackey_glass_series_is_deterministic_and_bounded() -> None:
    a, b = mackey_glass(300), mackey_glass(300)
    np.testing.assert_array_equal(a, b)
    assert 0.2 < a.min() < a.max() < 1.5
    assert a.std() > 0.15  # the chaotic attractor, not a decayed fixed point


def test_windows_line_up_with_the_series() -> None:
    series = np.arange(40.0)
    X, y = mackey_glass_windows(series, delays=(0, 6, 12, 18), horizon=6)
    np.testing.assert_array_equal(X[0], [18, 12, 6, 0])
    assert y[0] == 24
    assert len(X) == 40 - 18 - 6


def test_kmeans_finds_separated_blobs() -> None:
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.concatenate([c + rng.standard_normal((50, 2)) for c in centres])
    found, inertia = kmeans(X, 3, np.random.default_rng(1))
    order = np.argsort(found[:, 0] + 2 * found[:, 1])
    np.testing.assert_allclose(found[order], centres, atol=0.5)
    assert inertia == pytest.approx(np.sum(np.min(
        ((X[:, None] - found[None]) ** 2).sum(-1), axis=1)))


def test_kmeans_inertia_matches_scikit_learn(mackey_glass_data) -> None:
    from sklearn.cluster import KMeans

    X_train = mackey_glass_data[0]
    _, ours = kmeans(X_train, 50, np.random.default_rng(0), n_init=3)
    reference = KMeans(50, n_init=3, random_state=0).fit(X_train).inertia_
    assert ours <= 1.05 * reference


def test_widths_follow_the_nearest_neighbour_heuristic() -> None:
    X = np.array([[0.0], [1.0], [3.0], [7.0]])
    model = RBFNetwork(n_centers=4, width_scale=1.0, n_neighbors=1, n_init=1,
                       random_state=0).fit(X, X[:, 0])
    gaps = {0.0: 1.0, 1.0: 1.0, 3.0: 2.0, 7.0: 4.0}
    expected = [gaps[c] for c in model.centers_[:, 0]]
    np.testing.assert_allclose(model.widths_, expected)


def test_one_centre_per_sample_interpolates() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (30, 2))
    y = np.sin(X[:, 0]) * np.cos(X[:, 1])
    model = RBFNetwork(n_centers=30, width_scale=1.0, alpha=1e-12, random_state=0).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, atol=1e-4)


def test_mackey_glass_nrmse_meets_the_bar(mackey_glass_data) -> None:
    X_train, X_test, y_train, y_test = mackey_glass_data
    model = RBFNetwork(50, width_scale=2.0, n_neighbors=2, random_state=0).fit(X_train, y_train)
    assert model.transform(X_test).shape == (len(X_test), 50)
    assert nrmse(y_test, model.predict(X_test)) <= 0.035
    assert model.score(X_test, y_test) > 0.99


def test_more_centres_fit_better(mackey_glass_data) -> None:
    X_train, X_test, y_train, y_test = mackey_glass_data
    errors = [nrmse(y_test, RBFNetwork(k, random_state=0).fit(X_train, y_train).predict(X_test))
              for k in (5, 50)]
    assert errors[1] < errors[0] / 2


def test_classification_of_two_rings() -> None:
    rng = np.random.default_rng(1)
    radius = np.repeat([1.0, 3.0], 100)
    angle = rng.uniform(0, 2 * np.pi, 200)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + 0.2 * rng.standard_normal((200, 2))
    y = np.repeat(["inner", "outer"], 100)
    model = RBFNetwork(20, task="classification", alpha=1e-6, random_state=0).fit(X, y)
    assert model.coef_.shape == (21, 2)
    assert model.score(X, y) > 0.97  # no line separates the rings; the Gaussian units do


def test_invalid_settings() -> None:
    X = np.zeros((5, 2))
    with pytest.raises(ValueError):
        RBFNetwork(n_centers=6).fit(X, np.zeros(5))
    with pytest.raises(ValueError):
        RBFNetwork(n_centers=3, task="ranking").fit(X, np.zeros(5))
