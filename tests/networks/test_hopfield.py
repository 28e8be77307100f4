"""The Hopfield network: storage rules, recall, the capacity curve, the energy; the two demos
of the linear family (Hopfield recall and Oja's rule) run quickly into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from networks import HopfieldNetwork
from networks.demo import run as run_demo
from networks.tasks.linear import flip_noise, random_patterns


def _mean_overlap(load: float, trials: int, rule: str = "hebbian", n_units: int = 100) -> float:
    overlaps = []
    for trial in range(trials):
        patterns = random_patterns(round(load * n_units), n_units, seed=trial)
        net = HopfieldNetwork(rule=rule, random_state=trial).fit(patterns)
        overlaps.append(net.overlap(net.recall(flip_noise(patterns, 0.1, seed=99 + trial))))
    return float(np.mean(overlaps))


@pytest.mark.parametrize("rule", ["hebbian", "pseudoinverse"])
def test_weights_are_symmetric_with_zero_diagonal(rule: str) -> None:
    net = HopfieldNetwork(rule=rule).fit(random_patterns(7, 50, seed=0))
    np.testing.assert_allclose(net.weights_, net.weights_.T, atol=1e-12)
    np.testing.assert_array_equal(np.diag(net.weights_), 0.0)


def test_hebbian_weights_follow_hebbs_rule() -> None:
    patterns = random_patterns(3, 20, seed=1)
    net = HopfieldNetwork().fit(patterns)
    i, j = 2, 11
    expected = np.sum(patterns[:, i] * patterns[:, j]) / 20
    assert net.weights_[i, j] == pytest.approx(expected)


@pytest.mark.parametrize("rule, load", [("hebbian", 0.05), ("pseudoinverse", 0.3)])
def test_stored_patterns_are_fixed_points(rule: str, load: float) -> None:
    patterns = random_patterns(round(load * 100), 100, seed=2)
    net = HopfieldNetwork(rule=rule, random_state=0).fit(patterns)
    for mode in ("async", "sync"):
        np.testing.assert_array_equal(net.recall(patterns, mode=mode), patterns)
        assert net.n_iter_ == 1  # one pass that changes nothing


def test_capacity_curve_has_the_issues_shape() -> None:
    low, critical, high = (_mean_overlap(load, trials=10) for load in (0.05, 0.138, 0.2))
    assert low == 1.0
    assert low > critical > high
    assert critical == pytest.approx(0.97, abs=0.06)
    assert high == pytest.approx(0.80, abs=0.08)


def test_pseudoinverse_beats_hebb_beyond_capacity() -> None:
    assert _mean_overlap(0.2, trials=3, rule="pseudoinverse") == 1.0
    assert _mean_overlap(0.2, trials=3, rule="hebbian") < 0.95


@pytest.mark.parametrize("rule", ["hebbian", "pseudoinverse"])
def test_energy_never_rises_under_asynchronous_updates(rule: str) -> None:
    patterns = random_patterns(25, 60, seed=3)  # well beyond capacity: long, bumpy descents
    net = HopfieldNetwork(rule=rule, random_state=3).fit(patterns)
    start = flip_noise(patterns, 0.4, seed=4)
    states, energies = net.recall(start, return_energies=True)
    assert energies.shape[1] == len(patterns)
    assert np.all(np.diff(energies, axis=0) <= 1e-12)
    assert np.all(energies[-1] < energies[0])
    np.testing.assert_allclose(energies[-1], net.energy(states))
    # a state where recall stopped is a fixed point: no single flip lowers the energy further
    np.testing.assert_array_equal(net.recall(states), states)


def test_energy_formula() -> None:
    patterns = random_patterns(4, 30, seed=5)
    net = HopfieldNetwork().fit(patterns)
    s = flip_noise(patterns[0], 0.2, seed=6)
    assert net.energy(s) == pytest.approx(-0.5 * s @ net.weights_ @ s)
    assert net.energy(np.stack([s, -s])).shape == (2,)


def test_synchronous_updates_can_oscillate_where_asynchronous_ones_settle() -> None:
    net = HopfieldNetwork(max_iter=10, random_state=0).fit([[1.0, 1.0]])  # w_12 = 1/2
    probe = np.array([1.0, -1.0])
    state, energies = net.recall(probe, mode="sync", return_energies=True)
    np.testing.assert_array_equal(state, probe)  # two-cycle (1,-1) <-> (-1,1), 10 steps
    assert net.n_iter_ == 10
    np.testing.assert_allclose(energies[:, 0], 0.5)
    settled = net.recall(probe, mode="async")
    assert abs(net.overlap(settled)[0]) == 1.0  # the pattern or its mirror image


def test_input_checks() -> None:
    with pytest.raises(ValueError):
        HopfieldNetwork().fit([[1.0, 0.0, -1.0]])
    with pytest.raises(ValueError):
        HopfieldNetwork(rule="storkey").fit([[1.0, -1.0]])
    net = HopfieldNetwork().fit([[1.0, -1.0, 1.0]])
    with pytest.raises(ValueError):
        net.recall([1.0, 1.0, 1.0], mode="parallel")
    assert net.recall([1.0, 1.0, 1.0]).shape == (3,)


@pytest.mark.parametrize("name", ["hopfield", "oja"])
def test_demo_saves_a_picture(name: str, tmp_path: Path) -> None:
    path = run_demo(name, tmp_path, quick=True)
    assert path.parent == tmp_path
    assert path.suffix == ".png"
    assert path.stat().st_size > 10_000
