"""RBM: exact likelihood against brute force, the gradient formula against finite differences,
the Gibbs sampler against the exact distribution, CD and PCD on bars-and-stripes, the demo."""

from __future__ import annotations

import numpy as np
import pytest

from networks import RBM
from networks.classic._base import NotFittedError
from networks.classic.boltzmann import binary_states
from networks.tasks.energy import bars_and_stripes


def _random_rbm(n_visible: int, n_hidden: int, seed: int, scale: float = 1.0) -> RBM:
    """An RBM with random parameters, set by hand (no training)."""
    rng = np.random.default_rng(seed)
    rbm = RBM(n_components=n_hidden)
    rbm.components_ = rng.normal(0, scale, (n_hidden, n_visible))
    rbm.intercept_visible_ = rng.normal(0, scale, n_visible)
    rbm.intercept_hidden_ = rng.normal(0, scale, n_hidden)
    return rbm


def _brute_force_log_probs(rbm: RBM) -> np.ndarray:
    """``log P(v)`` of every visible state, summing ``exp(-E(v, h))`` over every joint state."""
    n_hidden, n_visible = rbm.components_.shape
    V, H = binary_states(n_visible), binary_states(n_hidden)
    neg_energy = (V @ rbm.intercept_visible_)[:, None] + (H @ rbm.intercept_hidden_)[None, :] \
        + V @ rbm.components_.T @ H.T
    unnormalised = np.exp(neg_energy).sum(axis=1)
    return np.log(unnormalised / unnormalised.sum())


def _kl_from_uniform(rbm: RBM, patterns: np.ndarray) -> float:
    """KL(data || model) for data uniform over ``patterns``."""
    return float(-np.log(len(patterns)) - rbm.log_likelihood(patterns).mean())


@pytest.mark.parametrize("n_visible, n_hidden", [(4, 3), (3, 5)])  # both enumeration branches
def test_exact_likelihood_matches_brute_force(n_visible, n_hidden):
    rbm = _random_rbm(n_visible, n_hidden, seed=0)
    V = binary_states(n_visible)
    np.testing.assert_allclose(rbm.log_likelihood(V), _brute_force_log_probs(rbm), atol=1e-10)
    np.testing.assert_allclose(rbm.score_samples(V, method="exact"), rbm.log_likelihood(V))
    np.testing.assert_allclose(rbm.score_samples(V, method="free_energy"), -rbm.free_energy(V))


def test_gradient_with_exact_negative_phase_matches_finite_differences():
    rbm = _random_rbm(4, 3, seed=1, scale=0.5)
    X = np.array([[1, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0]], dtype=float)
    every_visible = binary_states(4)
    model_probs = np.exp(rbm.log_likelihood(every_visible))
    grads = rbm._gradient(X, every_visible, neg_weights=model_probs)
    params = [rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_]
    eps = 1e-6
    for param, grad in zip(params, grads, strict=True):
        for index in np.ndindex(param.shape):
            param[index] += eps
            up = rbm.log_likelihood(X).mean()
            param[index] -= 2 * eps
            down = rbm.log_likelihood(X).mean()
            param[index] += eps
            assert grad[index] == pytest.approx((up - down) / (2 * eps), abs=1e-6)


def test_pseudo_likelihood_matches_conditionals_of_the_exact_distribution():
    rbm = _random_rbm(4, 3, seed=2)
    log_p = _brute_force_log_probs(rbm)  # indexed by the binary code of v
    V = binary_states(4)
    codes = np.arange(16)
    expected = np.zeros(16)
    for i in range(4):
        flipped = codes ^ (1 << (3 - i))
        expected += log_p[codes] - np.logaddexp(log_p[codes], log_p[flipped])
    np.testing.assert_allclose(rbm.score_samples(V), expected, atol=1e-10)


def test_gibbs_chains_sample_the_exact_distribution():
    rbm = _random_rbm(3, 2, seed=3)
    samples = rbm.sample(4000, n_steps=30, random_state=0)
    codes = samples @ np.array([4, 2, 1])
    frequencies = np.bincount(codes.astype(int), minlength=8) / len(samples)
    np.testing.assert_allclose(frequencies, np.exp(_brute_force_log_probs(rbm)), atol=0.025)


@pytest.mark.parametrize("k, persistent, learning_rate, momentum, n_iter", [
    (5, False, 0.05, 0.9, 600),  # CD-5
    (1, True, 0.1, 0.0, 2000),  # PCD-1: momentum makes persistent chains lag and diverge
])
def test_cd_and_pcd_reduce_kl_on_bars_and_stripes(k, persistent, learning_rate, momentum, n_iter):
    X = bars_and_stripes(4)
    params = dict(n_components=12, learning_rate=learning_rate, batch_size=30, k=k,
                  persistent=persistent, momentum=momentum, random_state=0)
    untrained = _kl_from_uniform(RBM(n_iter=0, **params).fit(X), X)
    rbm = RBM(n_iter=n_iter, **params).fit(X)
    assert untrained > 7.0  # close to log(2**16 / 30) = 7.7 with tiny random weights
    assert _kl_from_uniform(rbm, X) < 2.5
    assert rbm.transform(X).shape == (30, 12)
    assert hasattr(rbm, "chains_") == persistent


def test_gibbs_probabilities_and_shapes():
    rbm = _random_rbm(6, 4, seed=4)
    X = binary_states(6)[:5]
    samples = rbm.gibbs(X, n_steps=3, random_state=0)
    assert samples.shape == (5, 6) and set(np.unique(samples)) <= {0.0, 1.0}
    probs = rbm.gibbs(X, n_steps=1, probabilities=True, random_state=0)
    assert np.all((probs > 0) & (probs < 1))
    assert np.all((rbm.transform(X) > 0) & (rbm.transform(X) < 1))


def test_errors():
    with pytest.raises(NotFittedError):
        RBM().transform(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        RBM().fit(np.full((2, 3), 2.0))
    with pytest.raises(ValueError, match="enumerated"):
        _random_rbm(21, 21, seed=0).log_partition()
    with pytest.raises(ValueError, match="method"):
        _random_rbm(3, 2, seed=0).score_samples(np.zeros((1, 3)), method="bogus")


def test_demo_saves_a_picture(tmp_path):
    from networks.demo import run

    path = run("rbm", tmp_path, quick=True)
    assert path.exists() and path.suffix == ".png" and path.stat().st_size > 10_000
