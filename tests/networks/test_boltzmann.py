"""BoltzmannMachine: exact gradients against finite differences, normalised probabilities, the
4-2-4 encoder, annealed read-out and sampled (Gibbs) learning."""

from __future__ import annotations

import numpy as np
import pytest

from networks import BoltzmannMachine
from networks.classic._base import NotFittedError
from networks.classic.boltzmann import binary_states
from networks.tasks.energy import encoder_connectivity, encoder_patterns

V1 = np.r_[np.ones(4, dtype=bool), np.zeros(4, dtype=bool)]  # clamp V1, read V2


def _random_machine(n_visible: int, n_hidden: int, seed: int) -> BoltzmannMachine:
    """A fully connected machine with random weights and biases (no training)."""
    rng = np.random.default_rng(seed)
    data = (rng.random((5, n_visible)) < 0.5).astype(float)
    bm = BoltzmannMachine(n_hidden=n_hidden, n_iter=0, random_state=seed).fit(data)
    n = n_visible + n_hidden
    upper = np.triu(rng.normal(0, 1, (n, n)), 1)
    bm.weights_ = upper + upper.T
    bm.biases_ = rng.normal(0, 1, n)
    return bm


def test_encoder_connectivity_links_groups_only_through_hidden_units():
    mask = encoder_connectivity(4, 2)
    assert mask.shape == (10, 10) and np.array_equal(mask, mask.T)
    assert not mask[:4, 4:8].any() and not np.diag(mask).any()
    assert mask[:8, 8:].all() and mask[:4, :4].sum() == 12
    assert not mask[8, 9] and encoder_connectivity(4, 2, hidden_lateral=True)[8, 9]


def test_exact_gradient_matches_finite_differences():
    bm = _random_machine(n_visible=3, n_hidden=2, seed=0)
    X = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]], dtype=float)
    grad_w, grad_b, log_likelihood = bm._gradient(X, np.random.default_rng(0))
    assert log_likelihood == pytest.approx(bm.score(X))
    eps = 1e-5
    for i, j in [(0, 1), (0, 4), (2, 3), (3, 4)]:
        bm.weights_[i, j] += eps
        bm.weights_[j, i] += eps
        up = bm.score(X)
        bm.weights_[i, j] -= 2 * eps
        bm.weights_[j, i] -= 2 * eps
        down = bm.score(X)
        bm.weights_[i, j] += eps
        bm.weights_[j, i] += eps
        assert grad_w[i, j] == pytest.approx((up - down) / (2 * eps), abs=1e-6)
    for i in range(5):
        bm.biases_[i] += eps
        up = bm.score(X)
        bm.biases_[i] -= 2 * eps
        down = bm.score(X)
        bm.biases_[i] += eps
        assert grad_b[i] == pytest.approx((up - down) / (2 * eps), abs=1e-6)


def test_probabilities_are_normalised():
    bm = _random_machine(n_visible=4, n_hidden=2, seed=1)
    every_visible = binary_states(4)
    assert np.exp(bm.log_likelihood(every_visible)).sum() == pytest.approx(1.0)
    # brute force: log Z from the energies of all 2**6 states
    energies = bm.energy(binary_states(6))
    assert bm.log_partition() == pytest.approx(np.log(np.exp(-energies).sum()))
    clamp = np.array([True, True, False, False])
    completions = np.hstack([np.tile([1.0, 0.0], (4, 1)), binary_states(2)])
    assert np.exp(bm.conditional_log_proba(completions, clamp)).sum() == pytest.approx(1.0)


def test_encoder_is_solved_and_read_out_by_annealing():
    X = encoder_patterns(4)
    solved = []
    for seed in range(4):
        bm = BoltzmannMachine(n_hidden=2, connectivity=encoder_connectivity(), n_iter=400,
                              random_state=seed).fit(X)
        assert bm.loss_curve_[-1] < bm.loss_curve_[0]
        assert np.all(bm.weights_[~bm.connectivity_] == 0)
        if np.all(np.exp(bm.conditional_log_proba(X, V1)) > 0.9):
            solved.append(bm)
            break
    assert solved, "no seed of 4 solved the 4-2-4 encoder"
    bm = solved[0]
    assert np.array_equal(bm.complete(X, V1), X)
    annealed = bm.complete(np.tile(X, (5, 1)), V1, method="anneal", random_state=0)
    assert np.mean(np.all(annealed == np.tile(X, (5, 1)), axis=1)) >= 0.9


def test_gibbs_learning_raises_the_exact_likelihood():
    X = encoder_patterns(4)
    params = dict(n_hidden=2, connectivity=encoder_connectivity(), random_state=0)
    before = BoltzmannMachine(n_iter=0, **params).fit(X).score(X)
    after = BoltzmannMachine(method="gibbs", n_iter=80, n_chains=100, learning_rate=0.2,
                             **params).fit(X)
    assert after.score(X) > before + 1.0
    assert after.loss_curve_ == []


def test_errors():
    with pytest.raises(NotFittedError):
        BoltzmannMachine().energy(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="method"):
        BoltzmannMachine(method="mean-field").fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="symmetric"):
        BoltzmannMachine(n_hidden=1, connectivity=np.ones((3, 3))).fit(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="enumerate"):
        BoltzmannMachine(n_hidden=1, n_iter=1).fit(np.zeros((2, 21)))
