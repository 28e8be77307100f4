"""Winner-take-all competitive learning: k-means quality on the digits, and DeSieno's conscience
against dead units (plain winner-take-all must leave units dead from a bad start)."""

from __future__ import annotations

import numpy as np
import pytest

from networks.classic._base import NotFittedError
from networks.classic.competitive import CompetitiveLayer, _winner
from networks.tasks.digits import load_digits_all


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits_all()
    return X


@pytest.fixture(scope="module")
def kmeans_inertia(digits):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=10, n_init=10, random_state=0).fit(digits).inertia_


def test_digits_inertia_within_five_percent_of_kmeans(digits, kmeans_inertia):
    layer = CompetitiveLayer(n_units=10, random_state=0).fit(digits)
    assert layer.inertia_ <= 1.05 * kmeans_inertia
    assert np.all(layer.counts_ > 0)


def test_conscience_revives_units_that_plain_winner_take_all_leaves_dead(digits, kmeans_inertia):
    # uniform random prototypes in the pixel box are far from every digit: a few units win all
    plain = CompetitiveLayer(n_units=10, conscience=0.0, init="uniform", random_state=0)
    assert np.sum(plain.fit(digits).counts_ == 0) >= 3
    fair = CompetitiveLayer(n_units=10, init="uniform", random_state=0).fit(digits)
    assert np.all(fair.counts_ > 0)
    assert fair.inertia_ <= 1.05 * kmeans_inertia


def test_the_bias_decides_a_close_competition():
    x = np.array([0.0, 0.0])
    weights = np.array([[1.0, 0.0], [0.0, 1.1]])
    assert _winner(x, weights, np.zeros(2)) == 0
    assert _winner(x, weights, np.array([-0.1, 0.2])) == 1  # unit 0 won too often: handicapped


def test_predict_transform_and_inertia_agree(digits):
    layer = CompetitiveLayer(n_units=5, n_epochs=3, random_state=1).fit(digits[:300])
    distances = layer.transform(digits[:300])
    assert distances.shape == (300, 5)
    assert np.array_equal(layer.predict(digits[:300]), distances.argmin(axis=1))
    assert np.array_equal(layer.labels_, layer.predict(digits[:300]))
    assert layer.inertia_ == pytest.approx((distances.min(axis=1) ** 2).sum())
    assert layer.win_frequency_.sum() == pytest.approx(1.0)  # the running shares stay a simplex


def test_same_seed_same_prototypes(digits):
    a = CompetitiveLayer(n_units=4, n_epochs=2, random_state=3).fit(digits[:200])
    b = CompetitiveLayer(n_units=4, n_epochs=2, random_state=3).fit(digits[:200])
    assert np.array_equal(a.cluster_centers_, b.cluster_centers_)


def test_errors():
    with pytest.raises(NotFittedError):
        CompetitiveLayer().predict(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="n_units"):
        CompetitiveLayer(n_units=5).fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="init"):
        CompetitiveLayer(n_units=2, init="kmeans++").fit(np.eye(3))
    with pytest.raises(ValueError, match="features"):
        CompetitiveLayer(n_units=2, n_epochs=1).fit(np.eye(3)).transform(np.zeros((1, 2)))
