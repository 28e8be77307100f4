"""Standard tasks for the first classic networks: perceptron, Adaline, MLP, Hopfield, RBF, PCA.

* :func:`logic_gate`: the four rows of AND, OR, NAND or XOR (Minsky & Papert's XOR is the one
  a single-layer perceptron cannot learn).
* :func:`make_linear_regression`: ``y = w.x + b + noise`` in ``d = 8`` dimensions.
* :func:`mackey_glass`, :func:`mackey_glass_windows` and :func:`mackey_glass_split`: the
  chaotic delay-differential series (Mackey & Glass 1977) with ``tau = 17``, its time-delay
  embedding and the train/test windows for six-steps-ahead prediction; :func:`nrmse` scores it.
* :func:`random_patterns` and :func:`flip_noise`: random +-1 patterns for Hopfield memories and
  their noisy probes.
* :func:`make_gaussian_pca`: zero-mean Gaussian data in ``d = 10`` with a known covariance,
  whose top principal subspace is known exactly; :func:`subspace_angle` measures how far a
  learned basis is from it.

The digits come from :func:`networks.tasks.digits.load_digits_split`. Every generator takes a
seed or a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import check_random_state

_GATES = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "XOR": (0, 1, 1, 0),
}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of a two-input gate as ``X`` of shape (4, 2) in {0, 1} and ``y`` in {0, 1}.

    Parameters
    ----------
    name : one of ``"AND"``, ``"OR"``, ``"NAND"``, ``"XOR"`` (case-insensitive).
    """
    try:
        outputs = _GATES[name.upper()]
    except KeyError:
        raise ValueError(f"unknown gate {name!r}; choose from {', '.join(_GATES)}") from None
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array(outputs, dtype=np.int64)


def make_linear_regression(n_train: int = 1000, n_test: int = 1000, n_features: int = 8,
                           noise: float = 0.1, seed=0
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test`` from ``y = w.x + b + noise``.

    Inputs are standard normal, the true weights standard normal, the bias 0.5 and the noise
    Gaussian with standard deviation ``noise``, so the best possible test MSE is ``noise**2``.
    """
    rng = check_random_state(seed)
    weights = rng.standard_normal(n_features)
    X = rng.standard_normal((n_train + n_test, n_features))
    y = X @ weights + 0.5 + noise * rng.standard_normal(n_train + n_test)
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def mackey_glass(n_samples: int = 2000, tau: float = 17.0, a: float = 0.2, b: float = 0.1,
                 n: float = 10.0, dt: float = 0.1, sample_every: float = 1.0,
                 x0: float = 1.2, discard: int = 500) -> np.ndarray:
    """The Mackey-Glass series ``dx/dt = a x(t-tau) / (1 + x(t-tau)^n) - b x(t)``.

    Integrated with the classical Runge-Kutta scheme at step ``dt``; the delayed term at the
    half steps is the mean of its two neighbouring grid values. The history before ``t = 0`` is
    constant ``x0``; the first ``discard`` samples (the transient) are dropped. With ``tau = 17``
    the series is chaotic (Mackey & Glass 1977, "Oscillation and chaos in physiological control
    systems", Science 197).

    Returns
    -------
    series : array of shape (n_samples,), one value every ``sample_every`` time units.
    """
    lag = int(round(tau / dt))
    stride = int(round(sample_every / dt))
    n_steps = (n_samples + discard) * stride
    x = np.empty(n_steps + lag + 1)
    x[: lag + 1] = x0

    def slope(now: float, delayed: float) -> float:
        return a * delayed / (1.0 + delayed**n) - b * now

    for i in range(lag, lag + n_steps):
        late, late_next = x[i - lag], x[i - lag + 1]
        late_mid = 0.5 * (late + late_next)
        k1 = slope(x[i], late)
        k2 = slope(x[i] + 0.5 * dt * k1, late_mid)
        k3 = slope(x[i] + 0.5 * dt * k2, late_mid)
        k4 = slope(x[i] + dt * k3, late_next)
        x[i + 1] = x[i] + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x[lag::stride][discard : discard + n_samples].copy()


def mackey_glass_windows(series: np.ndarray, delays: tuple[int, ...] = (0, 6, 12, 18),
                         horizon: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Time-delay embedding: inputs ``x(t - d)`` for ``d`` in ``delays``, target ``x(t + horizon)``.

    The defaults are the classic benchmark setting (Lapedes & Farber 1987; Moody & Darken 1989):
    four inputs six steps apart, predicting six steps ahead.

    Returns
    -------
    X : array of shape (n_windows, len(delays)); y : array of shape (n_windows,).
    """
    series = np.asarray(series, dtype=np.float64)
    start = max(delays)
    times = np.arange(start, len(series) - horizon)
    X = np.stack([series[times - d] for d in delays], axis=1)
    return X, series[times + horizon]


def mackey_glass_split(n_train: int = 1000, n_test: int = 500, horizon: int = 6
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test``: the first windows to train, the next to test."""
    delays = (0, 6, 12, 18)
    series = mackey_glass(n_train + n_test + max(delays) + horizon)  # exactly enough windows
    X, y = mackey_glass_windows(series, delays=delays, horizon=horizon)
    return X[:n_train], X[n_train : n_train + n_test], y[:n_train], y[n_train : n_train + n_test]


def nrmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Root-mean-square error divided by the standard deviation of ``y_true``."""
    y_true = np.asarray(y_true, dtype=np.float64)
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)) / np.std(y_true))


def random_patterns(n_patterns: int, n_units: int = 100, seed=0) -> np.ndarray:
    """``n_patterns`` independent random patterns of +-1 (each unit +1 with probability 1/2)."""
    rng = check_random_state(seed)
    return rng.choice(np.array([-1.0, 1.0]), size=(n_patterns, n_units))


def flip_noise(patterns: np.ndarray, fraction: float = 0.1, seed=0) -> np.ndarray:
    """Copies of the +-1 ``patterns``, each with ``round(fraction * n_units)`` units flipped."""
    rng = check_random_state(seed)
    noisy = np.array(patterns, dtype=np.float64, copy=True).reshape(-1, np.shape(patterns)[-1])
    n_flip = int(round(fraction * noisy.shape[1]))
    for row in noisy:
        row[rng.choice(noisy.shape[1], size=n_flip, replace=False)] *= -1
    return noisy.reshape(np.shape(patterns))


PCA_VARIANCES = (5.0, 3.0, 2.0, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1)


def make_gaussian_pca(n_samples: int = 2000, variances: tuple[float, ...] = PCA_VARIANCES,
                      seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Zero-mean Gaussian samples whose covariance has the given eigenvalues in a random basis.

    The default spectrum (5, 3, 2, then 0.5 and below, in ``d = 10``) has a clear gap after the
    third eigenvalue, so the top-3 principal subspace is well defined.

    Returns
    -------
    X : array of shape (n_samples, d) with ``d = len(variances)`` (10 by default).
    axes : array of shape (d, d); row ``k`` is the ``k``-th principal axis of the true covariance
        (the eigenvalues are sorted from the largest).
    """
    rng = check_random_state(seed)
    variances = np.sort(np.asarray(variances, dtype=np.float64))[::-1]
    d = len(variances)
    axes, _ = np.linalg.qr(rng.standard_normal((d, d)))
    axes = axes.T
    X = (rng.standard_normal((n_samples, d)) * np.sqrt(variances)) @ axes
    return X, axes


def subspace_angle(A: np.ndarray, B: np.ndarray) -> float:
    """The largest principal angle, in degrees, between the row spaces of ``A`` and ``B``."""
    qa, _ = np.linalg.qr(np.asarray(A, dtype=np.float64).T)
    qb, _ = np.linalg.qr(np.asarray(B, dtype=np.float64).T)
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return float(np.degrees(np.arccos(np.clip(cosines.min(), -1.0, 1.0))))
