"""Kohonen's SOM: the update rule, the quality measures on hand-made maps, iris against the bar,
the definitions of QE and TE against minisom's, and a smoke run of the digits demo."""

from __future__ import annotations

import numpy as np
import pytest

from networks.classic._base import NotFittedError
from networks.classic.som import SOM, _neighbourhood, _train
from networks.tasks.maps import load_iris_standardized


@pytest.fixture(scope="module")
def iris():
    X, _ = load_iris_standardized()
    return X


def grid_map(n_rows: int, n_cols: int) -> SOM:
    """A 'fitted' map whose weights are the units' own grid positions: perfectly ordered."""
    som = SOM(n_rows, n_cols)
    som.weights_ = som._grid().astype(np.float64).reshape(n_rows, n_cols, 2)
    som.n_features_in_ = 2
    return som


def test_gaussian_neighbourhood():
    grid = SOM(3, 3)._grid().astype(np.float64)
    h = _neighbourhood(grid, 4, 2.0)  # the centre unit of a 3x3 grid
    assert h[4] == 1.0
    assert h[1] == pytest.approx(np.exp(-1 / 8))  # one cell away
    assert h[0] == pytest.approx(np.exp(-2 / 8))  # diagonal


def test_one_step_moves_every_unit_by_its_neighbourhood_share():
    grid = SOM(1, 3)._grid().astype(np.float64)
    weights = np.array([[0.0], [1.0], [2.0]])
    before = weights.copy()
    _train(np.array([[0.2]]), np.array([0]), weights, grid, np.array([0.5]), np.array([1.0]))
    h = np.exp(-np.array([0.0, 1.0, 4.0]) / 2.0)  # unit 0 wins; grid distances 0, 1, 2
    assert np.allclose(weights[:, 0], before[:, 0] + 0.5 * h * (0.2 - before[:, 0]))


def test_schedules():
    som = SOM(n_iter=100, decay="asymptotic")
    assert som._schedule(0.6)[0] == 0.6
    assert som._schedule(0.6)[50] == pytest.approx(0.3)  # v0 / (1 + 2 t / T)
    linear = SOM(n_iter=100, decay="linear")._schedule(2.0)
    assert linear[0] == 2.0 and linear[-1] == pytest.approx(2.0 * (1 - 0.99 * 0.99))
    assert np.all(np.diff(linear) < 0)


def test_measures_on_a_perfectly_ordered_map():
    som = grid_map(3, 3)
    samples = som._grid() + np.array([0.1, 0.05])
    assert som.quantization_error(samples) == pytest.approx(np.hypot(0.1, 0.05))
    assert som.topographic_error(samples) == 0.0
    u = som.u_matrix()
    assert u[0, 0] == pytest.approx((2 + np.sqrt(2)) / 3)  # corner: 2 sides and a diagonal
    assert u[1, 1] == pytest.approx((4 + 4 * np.sqrt(2)) / 8)  # centre: all 8 neighbours
    assert u[0, 1] == pytest.approx((3 + 2 * np.sqrt(2)) / 5)  # edge: 5 neighbours


def test_a_twisted_map_has_topographic_errors():
    som = grid_map(3, 3)
    weights = som.weights_.reshape(9, 2)
    weights[[0, 8]] = weights[[8, 0]]  # swap two opposite corners
    samples = np.array([[0.0, 0.4], [2.0, 1.6]])  # best unit is a swapped corner, second not near
    assert som.topographic_error(samples) == 1.0


def test_iris_map_meets_the_bar(iris):
    som = SOM(10, 10, sigma=2.0, learning_rate=0.5, n_iter=5000, random_state=0).fit(iris)
    assert som.weights_.shape == (10, 10, 4)
    assert som.quantization_error(iris) <= 0.27  # minisom: about 0.245 in the same setting
    assert som.topographic_error(iris) <= 0.05
    rows, cols = som.winner(iris).T
    assert np.array_equal(rows * 10 + cols, som.predict(iris))
    assert som.transform(iris).shape == (150, 100)


def test_training_orders_a_random_map(iris):
    untrained = SOM(6, 6, n_iter=1, learning_rate=1e-9, random_state=0).fit(iris)
    trained = SOM(6, 6, sigma=1.5, n_iter=2000, random_state=0).fit(iris)
    assert trained.topographic_error(iris) < untrained.topographic_error(iris) - 0.3


def test_pca_init_starts_on_the_principal_plane(iris):
    som = SOM(5, 7, n_iter=1, learning_rate=0.0, init="pca").fit(iris)
    centred = som.weights_.reshape(35, 4) - iris.mean(axis=0)
    _, _, axes = np.linalg.svd(iris - iris.mean(axis=0), full_matrices=False)
    residual = centred - centred @ axes[:2].T @ axes[:2]
    assert np.abs(residual).max() < 1e-10
    assert som.topographic_error(iris) < 0.2  # already roughly ordered before any learning


def test_quality_measures_match_minisom_definitions(iris):
    minisom = pytest.importorskip("minisom")
    reference = minisom.MiniSom(6, 6, 4, sigma=1.5, learning_rate=0.5, random_seed=0)
    reference.train(iris, 500, random_order=True)
    som = SOM(6, 6)
    som.weights_, som.n_features_in_ = reference.get_weights().copy(), 4
    assert som.quantization_error(iris) == pytest.approx(reference.quantization_error(iris))
    assert som.topographic_error(iris) == pytest.approx(reference.topographic_error(iris))


def test_errors(iris):
    with pytest.raises(NotFittedError):
        SOM().quantization_error(iris)
    with pytest.raises(NotFittedError):
        SOM().u_matrix()
    with pytest.raises(ValueError, match="decay"):
        SOM(decay="cosine").fit(iris)
    with pytest.raises(ValueError, match="init"):
        SOM(init="zeros").fit(iris)
    with pytest.raises(ValueError, match="features"):
        SOM(3, 3, n_iter=10).fit(iris).predict(np.zeros((1, 2)))


def test_demo_saves_a_picture(tmp_path):
    from networks.demo import run

    path = run("som", tmp_path, quick=True)
    assert path.exists() and path.suffix == ".png" and path.stat().st_size > 10_000
