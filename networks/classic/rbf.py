"""The radial basis function network: Gaussian units around k-means centres, a linear readout.

References: D. S. Broomhead and D. Lowe (1988), "Multivariable functional interpolation and
adaptive networks", Complex Systems 2, 321-355 (the network, least-squares output weights);
J. Moody and C. J. Darken (1989), "Fast learning in networks of locally-tuned processing
units", Neural Computation 1(2), 281-294 (k-means centres, the nearest-neighbour widths, the
Mackey-Glass benchmark); D. Arthur and S. Vassilvitskii (2007), "k-means++: the advantages of
careful seeding", SODA (the initial centres).
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import (
    ParamsMixin,
    check_array,
    check_is_fitted,
    check_random_state,
    check_X_y,
)

_TASKS = ("regression", "classification")


def _squared_distances(X: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """``||x - c||^2`` for every sample and centre, shape (n_samples, n_centres)."""
    d2 = (X * X).sum(axis=1)[:, None] - 2.0 * X @ centres.T + (centres * centres).sum(axis=1)
    return np.maximum(d2, 0.0)


def _kmeans_plus_plus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding: each new centre drawn with probability proportional to ``D(x)^2``."""
    centres = [X[rng.integers(len(X))]]
    closest = _squared_distances(X, centres[0][None])[:, 0]
    for _ in range(1, k):
        total = closest.sum()
        index = rng.choice(len(X), p=closest / total) if total > 0 else rng.integers(len(X))
        centres.append(X[index])
        closest = np.minimum(closest, _squared_distances(X, X[index][None])[:, 0])
    return np.array(centres)


def kmeans(X: np.ndarray, k: int, rng: np.random.Generator, n_init: int = 3,
           max_iter: int = 100, tol: float = 1e-8) -> tuple[np.ndarray, float]:
    """Lloyd's k-means from ``n_init`` k-means++ starts; the centres with the lowest inertia.

    Returns
    -------
    centres : array of shape (k, n_features).
    inertia : the sum of squared distances of the samples to their nearest centre.
    """
    best, best_inertia = None, np.inf
    for _ in range(n_init):
        centres = _kmeans_plus_plus(X, k, rng)
        for _ in range(max_iter):
            d2 = _squared_distances(X, centres)
            nearest = d2.argmin(axis=1)
            moved = _lloyd_update(X, centres, nearest, d2)
            if moved < tol:
                break
        inertia = float(_squared_distances(X, centres).min(axis=1).sum())
        if inertia < best_inertia:
            best, best_inertia = centres, inertia
    return best, best_inertia


def _lloyd_update(X: np.ndarray, centres: np.ndarray, nearest: np.ndarray,
                  d2: np.ndarray) -> float:
    """Move each centre to the mean of its samples (in place); returns the largest squared move.

    A centre left without samples is moved onto the sample farthest from its own centre, so no
    unit is wasted.
    """
    counts = np.bincount(nearest, minlength=len(centres))
    sums = np.zeros_like(centres)
    np.add.at(sums, nearest, X)
    new = np.where(counts[:, None] > 0, sums / np.maximum(counts, 1)[:, None], centres)
    far = np.argsort(d2[np.arange(len(X)), nearest])[::-1]
    for j, sample in zip(np.flatnonzero(counts == 0), far, strict=False):
        new[j] = X[sample]
    moved = float(((new - centres) ** 2).sum(axis=1).max())
    centres[...] = new
    return moved


class RBFNetwork(ParamsMixin):
    """A Gaussian radial basis function network (Broomhead & Lowe 1988; Moody & Darken 1989).

    Training has two stages, neither of them gradient descent:

    1. centres ``c_j``: k-means on the inputs;
    2. widths: ``sigma_j = width_scale * sqrt(mean of ||c_j - c_i||^2 over its n_neighbors
       nearest centres)`` (Moody & Darken's p-nearest-neighbour heuristic);
    3. basis ``phi_j(x) = exp(-||x - c_j||^2 / (2 sigma_j^2))`` plus a constant unit;
    4. output weights: regularized least squares ``(Phi^T Phi + alpha I) w = Phi^T t``.

    For classification the targets are one-hot columns and the prediction is the largest output.

    Parameters
    ----------
    n_centers : the number of Gaussian units.
    width_scale : the factor on the nearest-neighbour width.
    n_neighbors : the ``p`` of the width heuristic.
    alpha : ridge penalty of the output least squares (keeps it well posed when units overlap).
    task : ``"regression"`` or ``"classification"``.
    n_init : k-means restarts; the lowest-inertia centres are kept.
    max_iter : the most Lloyd iterations per restart.
    random_state : seed or generator for the k-means seeding.

    Attributes
    ----------
    centers_ : array of shape (n_centers, n_features).
    widths_ : array of shape (n_centers,).
    coef_ : output weights, shape (n_centers + 1,) for one target or (n_centers + 1, n_outputs);
        the last row is the bias.
    classes_ : the sorted class labels (classification).
    inertia_ : the k-means inertia of ``centers_``.

    References
    ----------
    Broomhead, D. S., & Lowe, D. (1988). Multivariable functional interpolation and adaptive
    networks. Complex Systems, 2, 321-355.
    Moody, J., & Darken, C. J. (1989). Fast learning in networks of locally-tuned processing
    units. Neural Computation, 1(2), 281-294.
    """

    def __init__(self, n_centers: int = 50, width_scale: float = 2.0, n_neighbors: int = 2,
                 alpha: float = 1e-8, task: str = "regression", n_init: int = 3,
                 max_iter: int = 100, random_state=None) -> None:
        self.n_centers = n_centers
        self.width_scale = width_scale
        self.n_neighbors = n_neighbors
        self.alpha = alpha
        self.task = task
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, X, y) -> RBFNetwork:
        """Place the centres and widths on ``X``, then solve for the output weights on ``y``."""
        X, y = check_X_y(X, y)
        if self.task not in _TASKS:
            raise ValueError(f"task must be one of {_TASKS}, not {self.task!r}")
        if not 1 <= self.n_centers <= len(X) or not 1 <= self.n_neighbors < self.n_centers:
            raise ValueError("need 1 <= n_neighbors < n_centers <= n_samples")
        rng = check_random_state(self.random_state)
        self.centers_, self.inertia_ = kmeans(X, self.n_centers, rng, self.n_init, self.max_iter)
        self.widths_ = self._widths(self.centers_)
        self.coef_ = self._least_squares(self._design(X), self._targets(y))
        return self

    def _widths(self, centres: np.ndarray) -> np.ndarray:
        """``width_scale`` times the RMS distance of each centre to its ``p`` nearest centres."""
        d2 = _squared_distances(centres, centres)
        np.fill_diagonal(d2, np.inf)
        nearest = np.sort(d2, axis=1)[:, : self.n_neighbors]
        return self.width_scale * np.sqrt(np.maximum(nearest.mean(axis=1), 1e-12))

    def _design(self, X: np.ndarray) -> np.ndarray:
        """The Gaussian activations ``phi_j(x)`` of every sample, and a final column of ones."""
        phi = np.exp(-_squared_distances(X, self.centers_) / (2.0 * self.widths_**2))
        return np.hstack([phi, np.ones((len(X), 1))])

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Real targets as one column, or one-hot columns of the classes."""
        if self.task == "regression":
            return y.astype(np.float64)[:, None]
        self.classes_, index = np.unique(y, return_inverse=True)
        return (index[:, None] == np.arange(len(self.classes_))).astype(np.float64)

    def _least_squares(self, design: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Ridge least squares, solved stably as ordinary least squares on stacked rows."""
        n_basis = design.shape[1]
        penalty = np.sqrt(self.alpha) * np.eye(n_basis)
        A = np.vstack([design, penalty])
        B = np.vstack([T, np.zeros((n_basis, T.shape[1]))])
        weights = np.linalg.lstsq(A, B, rcond=None)[0]
        return weights[:, 0] if weights.shape[1] == 1 else weights

    def transform(self, X) -> np.ndarray:
        """The Gaussian activations of the hidden units, shape (n_samples, n_centers)."""
        check_is_fitted(self, "coef_")
        return self._design(check_array(X))[:, :-1]

    def decision_function(self, X) -> np.ndarray:
        """The linear outputs ``Phi w``."""
        check_is_fitted(self, "coef_")
        return self._design(check_array(X)) @ self.coef_

    def predict(self, X) -> np.ndarray:
        """Regression: the outputs. Classification: the class with the largest output."""
        outputs = self.decision_function(X)
        if self.task == "regression":
            return outputs
        return self.classes_[np.argmax(outputs, axis=1)]

    def score(self, X, y) -> float:
        """Regression: R^2. Classification: accuracy."""
        y = np.asarray(y)
        prediction = self.predict(X)
        if self.task == "classification":
            return float(np.mean(prediction == y))
        return float(1.0 - np.sum((y - prediction) ** 2) / np.sum((y - y.mean()) ** 2))
