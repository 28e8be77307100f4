"""Standard tasks for the kernel machine and the maps: SVM, competitive learning, SOM.

* :func:`make_moons` and :func:`moons_split`: two interleaving half circles with Gaussian
  noise, the smallest problem a linear classifier cannot solve but an RBF kernel can.
* :func:`load_iris_standardized`: Fisher's iris (150 flowers, 4 measurements), each feature
  scaled to zero mean and unit variance, the usual input of a 10x10 SOM.

The digits come from :func:`networks.tasks.digits.load_digits_split` and
:func:`networks.tasks.digits.load_digits_all`. Every generator takes a seed or a
``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import check_random_state


def make_moons(n_samples: int = 1000, noise: float = 0.2, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in the plane, ``X`` of shape (n_samples, 2), ``y`` in {0, 1}.

    Class 0 lies on the upper unit half circle centred at (0, 0), class 1 on the lower one
    centred at (1, 0.5); each point gets isotropic Gaussian noise of standard deviation
    ``noise``. The samples come shuffled, with the two classes equally represented.
    """
    rng = check_random_state(seed)
    n_upper = (n_samples + 1) // 2
    angles = rng.uniform(0.0, np.pi, n_samples)
    upper = np.column_stack([np.cos(angles[:n_upper]), np.sin(angles[:n_upper])])
    lower = np.column_stack([1.0 - np.cos(angles[n_upper:]), 0.5 - np.sin(angles[n_upper:])])
    X = np.vstack([upper, lower]) + noise * rng.standard_normal((n_samples, 2))
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_samples - n_upper, np.int64)])
    order = rng.permutation(n_samples)
    return X[order], y[order]


def moons_split(n_samples: int = 1000, noise: float = 0.2, test_size: float = 0.3, seed=0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``X_train, X_test, y_train, y_test`` of :func:`make_moons`; the last ``test_size`` held out.

    The samples are already shuffled, so the split is a cut of the shuffled list.
    """
    X, y = make_moons(n_samples, noise, seed)
    n_test = int(round(test_size * n_samples))
    return X[n_test:], X[:n_test], y[n_test:], y[:n_test]


def load_iris_standardized() -> tuple[np.ndarray, np.ndarray]:
    """Fisher's iris as ``(X, y)``: 150 samples, 4 features each of zero mean and unit variance."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    return (X - X.mean(axis=0)) / X.std(axis=0), y
