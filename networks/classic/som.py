"""Kohonen's self-organizing map on a rectangular grid.

A grid of ``n_rows x n_cols`` units, each with a weight vector ``w_u`` in input space, sees one
sample ``x`` at a time. The best-matching unit ``c = argmin_u |x - w_u|`` wins, and every unit
moves towards the sample in proportion to a Gaussian of its grid distance to the winner:

    w_u <- w_u + eta(t) h(u, c, t) (x - w_u),    h = exp(-|r_u - r_c|^2 / (2 sigma(t)^2)),

where ``r_u`` is the unit's (row, column) position (Kohonen 1982). Neighbours on the grid learn
from the same samples, so they end up with similar weights: the map becomes a two-dimensional,
topology-preserving picture of the data. The learning rate ``eta`` and the radius ``sigma``
shrink during training: wide and fast at first to order the map, narrow and slow at the end to
fit it to the data.

Two measures of quality: the quantization error, the mean distance of a sample to its winner's
weights (how well the map fits the data), and the topographic error (Kiviluoto 1996), the
fraction of samples whose best and second-best units are not next to each other on the grid
(how well it preserves the data's topology). The U-matrix (Ultsch & Siemon 1990) shows each
unit's mean distance to its neighbours: high ridges separate clusters.

References
----------
Kohonen, T. (1982). Self-organized formation of topologically correct feature maps. Biological
Cybernetics, 43(1), 59-69.
Kiviluoto, K. (1996). Topology preservation in self-organizing maps. Proc. IEEE ICNN, 1, 294-299.
Ultsch, A. & Siemon, H. P. (1990). Kohonen's self organizing feature maps for exploratory data
analysis. Proc. International Neural Network Conference, 305-308.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from networks.classic._base import ParamsMixin, check_array, check_is_fitted, check_random_state

_DECAYS = ("asymptotic", "linear")


@njit(cache=True)
def _best_unit(x, weights):  # pragma: no cover - compiled
    """The index of the unit whose weights are nearest to ``x``."""
    best, winner = np.inf, 0
    for u in range(weights.shape[0]):
        distance = 0.0
        for f in range(x.shape[0]):  # explicit loops: no temporary arrays in the hot path
            distance += (x[f] - weights[u, f]) ** 2
        if distance < best:
            best, winner = distance, u
    return winner


@njit(cache=True)
def _neighbourhood(grid, winner, sigma):  # pragma: no cover - compiled
    """``h(u, c) = exp(-|r_u - r_c|^2 / (2 sigma^2))`` for every unit ``u``."""
    squared = np.sum((grid - grid[winner]) ** 2, axis=1)
    return np.exp(-squared / (2.0 * sigma * sigma))


@njit(cache=True)
def _train(X, order, weights, grid, rates, sigmas):  # pragma: no cover - compiled
    """Present ``X[order[s]]`` at step ``s``; move every unit by ``eta_s h_s(u, c) (x - w_u)``."""
    for s in range(order.shape[0]):
        x = X[order[s]]
        pull = rates[s] * _neighbourhood(grid, _best_unit(x, weights), sigmas[s])
        for u in range(weights.shape[0]):
            for f in range(x.shape[0]):
                weights[u, f] += pull[u] * (x[f] - weights[u, f])


class SOM(ParamsMixin):
    """Kohonen's self-organizing map: a rectangular grid of units with a Gaussian neighbourhood.

    Training presents ``n_iter`` samples, one at a time, in random order (each epoch is a fresh
    permutation of the training set, so every sample is seen equally often). Both ``eta`` and
    ``sigma`` follow the same schedule over the ``n_iter`` steps ``t``:

    * ``"asymptotic"``: ``v(t) = v0 / (1 + 2 t / n_iter)``, ending at a third of the start;
    * ``"linear"``: ``v(t) = v0 (1 - 0.99 t / n_iter)``, ending at a hundredth of the start.

    Parameters
    ----------
    n_rows, n_cols : the shape of the grid.
    sigma : the initial neighbourhood radius, in grid cells.
    learning_rate : the initial step ``eta``.
    n_iter : the number of samples presented.
    decay : the schedule of ``eta`` and ``sigma``: ``"asymptotic"`` or ``"linear"``.
    init : ``"random"`` (weights are random training samples) or ``"pca"`` (weights spread
        evenly over the plane of the first two principal components, Kohonen's linear
        initialisation, which starts the map already ordered).
    random_state : seed or generator for the initial weights and the order of the samples.

    Attributes
    ----------
    weights_ : array of shape (n_rows, n_cols, n_features), the weights of every unit.
    n_features_in_ : the input dimension.

    References
    ----------
    Kohonen, T. (1982). Self-organized formation of topologically correct feature maps.
    Biological Cybernetics, 43(1), 59-69.
    Kohonen, T. (2001). Self-Organizing Maps, 3rd edition. Springer (linear initialisation).
    """

    def __init__(self, n_rows: int = 10, n_cols: int = 10, sigma: float = 1.0,
                 learning_rate: float = 0.5, n_iter: int = 1000, decay: str = "asymptotic",
                 init: str = "random", random_state=None) -> None:
        self.n_rows = n_rows
        self.n_cols = n_cols
        self.sigma = sigma
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.decay = decay
        self.init = init
        self.random_state = random_state

    def fit(self, X, y=None) -> SOM:
        """Train the map on samples ``X`` of shape (n_samples, n_features)."""
        X = np.ascontiguousarray(check_array(X))
        if self.decay not in _DECAYS:
            raise ValueError(f"decay must be one of {_DECAYS}, not {self.decay!r}")
        rng = check_random_state(self.random_state)
        weights = self._initial_weights(X, rng)
        epochs = -(-self.n_iter // len(X))  # ceiling division
        order = np.concatenate([rng.permutation(len(X)) for _ in range(epochs)])[: self.n_iter]
        _train(X, order, weights, self._grid().astype(np.float64),
               self._schedule(self.learning_rate), self._schedule(self.sigma))
        self.weights_ = weights.reshape(self.n_rows, self.n_cols, X.shape[1])
        self.n_features_in_ = X.shape[1]
        return self

    def _grid(self) -> np.ndarray:
        """The (row, column) position of every unit, row-major, shape (n_units, 2)."""
        rows, cols = np.meshgrid(np.arange(self.n_rows), np.arange(self.n_cols), indexing="ij")
        return np.column_stack([rows.ravel(), cols.ravel()])

    def _schedule(self, start: float) -> np.ndarray:
        """The value of ``eta`` or ``sigma`` at every training step (see the class docstring)."""
        fraction = np.arange(self.n_iter) / self.n_iter
        if self.decay == "asymptotic":
            return start / (1.0 + 2.0 * fraction)
        return start * (1.0 - 0.99 * fraction)

    def _initial_weights(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Weights of shape (n_units, n_features): random samples, or the principal plane."""
        n_units = self.n_rows * self.n_cols
        if self.init == "random":
            return X[rng.choice(len(X), n_units, replace=len(X) < n_units)].copy()
        if self.init != "pca":
            raise ValueError(f"init must be 'random' or 'pca', not {self.init!r}")
        mean = X.mean(axis=0)
        _, singular, axes = np.linalg.svd(X - mean, full_matrices=False)
        spread = singular[:2] / np.sqrt(len(X))  # standard deviation along each component
        if self.n_rows < self.n_cols:  # the longer side of the grid follows the first component
            spread, axes = spread[::-1], axes[[1, 0]]
        rows = np.linspace(-1.0, 1.0, self.n_rows) if self.n_rows > 1 else np.zeros(1)
        cols = np.linspace(-1.0, 1.0, self.n_cols) if self.n_cols > 1 else np.zeros(1)
        plane = (rows[:, None, None] * spread[0] * axes[0]
                 + cols[None, :, None] * spread[1] * axes[1])
        return np.ascontiguousarray((mean + plane).reshape(n_units, X.shape[1]))

    def _unit_distances(self, X) -> np.ndarray:
        """Euclidean distances of every sample to every unit, shape (n_samples, n_units)."""
        check_is_fitted(self, "weights_")
        X = check_array(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the map was fitted on "
                             f"{self.n_features_in_}")
        w = self.weights_.reshape(-1, self.n_features_in_)
        squared = (X * X).sum(axis=1)[:, None] + (w * w).sum(axis=1)[None, :] - 2.0 * (X @ w.T)
        return np.sqrt(np.maximum(squared, 0.0))  # rounding can make a zero distance negative

    def transform(self, X) -> np.ndarray:
        """The distance of each sample to each unit's weights, shape (n_samples, n_units)."""
        return self._unit_distances(X)

    def predict(self, X) -> np.ndarray:
        """The flat index ``row * n_cols + col`` of each sample's best-matching unit."""
        return np.argmin(self._unit_distances(X), axis=1)

    def winner(self, X) -> np.ndarray:
        """The grid position (row, column) of each sample's best-matching unit, shape (n, 2)."""
        return self._grid()[self.predict(X)]

    def quantization_error(self, X) -> float:
        """The mean Euclidean distance of the samples to their best-matching unit's weights."""
        return float(self._unit_distances(X).min(axis=1).mean())

    def topographic_error(self, X) -> float:
        """The fraction of samples whose two best-matching units are not grid neighbours.

        Neighbours are the 8 cells around a unit (grid distance at most one in each direction).
        """
        best_two = np.argsort(self._unit_distances(X), axis=1)[:, :2]
        grid = self._grid()
        gap = np.abs(grid[best_two[:, 0]] - grid[best_two[:, 1]]).max(axis=1)
        return float(np.mean(gap > 1))

    def u_matrix(self) -> np.ndarray:
        """Each unit's mean distance to the weights of its (up to 8) grid neighbours.

        Returns an array of shape (n_rows, n_cols); high values mark borders between clusters.
        """
        check_is_fitted(self, "weights_")
        w = self.weights_
        total = np.zeros((self.n_rows, self.n_cols))
        count = np.zeros((self.n_rows, self.n_cols))
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if dr == dc == 0:
                    continue
                mine, theirs = self._overlap(dr), self._overlap(-dr)
                mine_c, theirs_c = self._overlap(dc), self._overlap(-dc)
                gap = np.linalg.norm(w[mine, mine_c] - w[theirs, theirs_c], axis=-1)
                total[mine, mine_c] += gap
                count[mine, mine_c] += 1
        return total / np.maximum(count, 1)

    @staticmethod
    def _overlap(shift: int) -> slice:
        """The slice of units that have a neighbour ``shift`` cells along an axis (-1, 0 or 1)."""
        return slice(max(-shift, 0), -shift if shift > 0 else None)
