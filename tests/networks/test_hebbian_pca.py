"""Oja's rule, Oja's subspace rule and Sanger's generalized Hebbian algorithm against the SVD."""

from __future__ import annotations

import numpy as np
import pytest

from networks import OjaPCA, SangerPCA
from networks.classic._base import NotFittedError
from networks.tasks.linear import make_gaussian_pca, subspace_angle


@pytest.fixture(scope="module")
def gaussian() -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's data and its top-3 right singular vectors after centring."""
    X, _ = make_gaussian_pca(n_samples=2000, seed=0)
    return X, np.linalg.svd(X - X.mean(axis=0), full_matrices=False)[2][:3]


def _row_angles(W: np.ndarray, axes: np.ndarray) -> np.ndarray:
    cosines = np.abs(np.sum(W * axes, axis=1)) / np.linalg.norm(W, axis=1)
    return np.degrees(np.arccos(np.clip(cosines, 0.0, 1.0)))


def test_subspace_angle_helper() -> None:
    basis = np.eye(4)[:2]
    assert subspace_angle(basis, basis[::-1] * 3.0) == pytest.approx(0.0, abs=1e-6)
    tilted = np.array([[1.0, 0, 0, 0], [0, np.cos(0.3), np.sin(0.3), 0]])
    assert subspace_angle(basis, tilted) == pytest.approx(np.degrees(0.3))


def test_gaussian_task_has_the_requested_covariance() -> None:
    X, axes = make_gaussian_pca(n_samples=20_000, variances=(4.0, 1.0, 0.25), seed=1)
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-12)
    variances = np.var(X @ axes.T, axis=0)
    np.testing.assert_allclose(variances, [4.0, 1.0, 0.25], rtol=0.05)


def test_oja_single_unit_finds_the_first_axis(gaussian) -> None:
    X, svd_axes = gaussian
    model = OjaPCA(1, max_iter=3, random_state=0).fit(X)
    w = model.components_[0]
    assert np.linalg.norm(w) == pytest.approx(1.0, abs=0.02)
    assert _row_angles(model.components_, svd_axes[:1])[0] < 2.0


@pytest.mark.parametrize("cls", [OjaPCA, SangerPCA])
@pytest.mark.parametrize("seed", [0, 1])
def test_top3_subspace_and_orthonormal_rows(gaussian, cls, seed: int) -> None:
    X, svd_axes = gaussian
    model = cls(3, learning_rate=0.02, learning_rate_decay=0.01, max_iter=5,
                random_state=seed).fit(X)
    W = model.components_
    assert subspace_angle(W, svd_axes) <= 3.0
    assert np.abs(W @ W.T - np.eye(3)).max() <= 0.05


def test_sanger_finds_the_individual_axes_in_order(gaussian) -> None:
    X, svd_axes = gaussian
    model = SangerPCA(3, max_iter=5, random_state=0).fit(X)
    assert _row_angles(model.components_, svd_axes).max() <= 3.0
    variances = model.transform(X).var(axis=0)
    assert np.all(np.diff(variances) < 0)


def test_oja_subspace_rule_mixes_the_axes(gaussian) -> None:
    """Any rotation of the principal axes is a fixed point of the symmetric rule."""
    X, svd_axes = gaussian
    angles = [_row_angles(OjaPCA(3, max_iter=5, random_state=s).fit(X).components_,
                          svd_axes).max() for s in range(3)]
    assert max(angles) > 10.0


def test_constant_step_jitters_more_than_a_decaying_one(gaussian) -> None:
    X, svd_axes = gaussian
    kwargs = {"n_components": 3, "learning_rate": 0.02, "max_iter": 3, "random_state": 0}
    constant = SangerPCA(learning_rate_decay=0.0, **kwargs).fit(X).components_
    decaying = SangerPCA(learning_rate_decay=0.01, **kwargs).fit(X).components_
    assert subspace_angle(decaying, svd_axes) < subspace_angle(constant, svd_axes)


def test_partial_fit_keeps_a_running_mean(gaussian) -> None:
    X, _ = gaussian
    shifted = X + 5.0
    model = SangerPCA(2, random_state=0)
    for chunk in np.array_split(shifted, 4):
        model.partial_fit(chunk)
    np.testing.assert_allclose(model.mean_, shifted.mean(axis=0))
    assert model.n_samples_seen_ == len(X)
    assert model.n_iter_ == 4


def test_transform_and_reconstruction(gaussian) -> None:
    X, svd_axes = gaussian
    model = SangerPCA(3, random_state=0)
    Y = model.fit_transform(X)
    assert Y.shape == (len(X), 3)
    ours = np.mean((model.inverse_transform(Y) - X) ** 2)
    centred = X - X.mean(axis=0)
    best = np.mean((centred @ svd_axes.T @ svd_axes - centred) ** 2)
    assert ours <= 1.01 * best


def test_divergence_and_fit_checks(gaussian) -> None:
    X, _ = gaussian
    with pytest.raises(FloatingPointError):
        OjaPCA(3, learning_rate=2.0, learning_rate_decay=0.0, max_iter=1,
               random_state=0).fit(X * 10)
    with pytest.raises(ValueError):
        OjaPCA(11).fit(X)
    with pytest.raises(NotFittedError):
        SangerPCA(2).transform(X)
