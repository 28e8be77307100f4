"""Winner-take-all competitive learning with a conscience against dead units.

A layer of ``N`` units with weight vectors ``w_k`` sees one sample ``x`` at a time. The unit
nearest to the sample wins and moves towards it, ``w_win <- w_win + eta (x - w_win)``; the others
stay where they are (Rumelhart & Zipser 1985). Each unit thus drifts to the centre of the
samples it wins, and the layer ends as an online k-means (MacQueen 1967): a vector quantiser.

Plain winner-take-all has a well-known failure: a unit that starts far from the data never wins
and never moves (a dead unit), while one unit covers two clusters. DeSieno's (1988) conscience
fixes it: every unit keeps a running estimate ``p_k`` of how often it wins, and the competition
subtracts a bias ``b_k = c (1/N - p_k)`` from the squared distances, so a unit that wins too
often is handicapped and one that never wins is favoured until it finds samples of its own.
Here the conscience ``c`` fades out faster than the learning rate, so that the last epochs are
plain winner-take-all and the units settle on the centres of their own samples. The price of a
conscience is its push towards equal shares: on clusters of very unequal size it can leave two
units in the big cluster and one between two small ones (lower ``conscience`` there).

References
----------
Rumelhart, D. E. & Zipser, D. (1985). Feature discovery by competitive learning. Cognitive
Science, 9(1), 75-112.
DeSieno, D. (1988). Adding a conscience to competitive learning. IEEE International Conference
on Neural Networks, vol. 1, 117-124.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from networks.classic._base import ParamsMixin, check_array, check_is_fitted, check_random_state


@njit(cache=True)
def _winner(x, weights, bias):  # pragma: no cover - compiled
    """The unit minimising ``|x - w_k|^2 - b_k``: the biased competition."""
    best, winner = np.inf, 0
    for k in range(weights.shape[0]):
        score = -bias[k]
        for f in range(x.shape[0]):  # explicit loops: no temporary arrays in the hot path
            score += (x[f] - weights[k, f]) ** 2
        if score < best:
            best, winner = score, k
    return winner


@njit(cache=True)
def _train(X, order, weights, frequency, rates, consciences, beta):  # pragma: no cover - compiled
    """Present ``X[order[s]]`` at step ``s`` with rate ``rates[s]``, conscience ``consciences[s]``.

    Per step: the bias ``b_k = c (1/N - p_k)``; the winner; the frequency update
    ``p_k <- p_k + beta (y_k - p_k)`` with ``y_k = 1`` for the winner only; and the winner's move
    ``w <- w + eta (x - w)``. ``weights`` and ``frequency`` are updated in place.
    """
    n_units = weights.shape[0]
    for s in range(order.shape[0]):
        x = X[order[s]]
        bias = consciences[s] * (1.0 / n_units - frequency)
        k = _winner(x, weights, bias)
        frequency *= 1.0 - beta
        frequency[k] += beta
        for f in range(x.shape[0]):
            weights[k, f] += rates[s] * (x[f] - weights[k, f])


class CompetitiveLayer(ParamsMixin):
    """A winner-take-all layer of ``n_units`` prototypes with DeSieno's conscience.

    Training runs ``n_epochs`` passes over the samples in a fresh random order. The learning
    rate decays geometrically from ``learning_rate`` to ``final_learning_rate`` over the whole
    run, and the conscience with its square: ``c_s = c (eta_s / eta_0)^2``.

    Parameters
    ----------
    n_units : the number of competing units (prototypes).
    n_epochs : the passes over the training set.
    learning_rate : the initial step ``eta`` of the winner towards the sample.
    final_learning_rate : the step at the end of training.
    conscience : DeSieno's bias factor ``c`` at the start, in units of the data's total
        variance (the mean squared distance of the samples to their mean), so that it does not
        depend on the scale of the inputs; 0 gives plain winner-take-all.
    beta : the rate of the running win frequencies ``p_k`` (DeSieno's ``B``).
    init : ``"random"`` (the prototypes start on distinct random training samples) or
        ``"uniform"`` (uniform random points in the bounding box of the data, the random start
        of Rumelhart & Zipser, where plain winner-take-all leaves units dead).
    random_state : seed or generator for the initial prototypes and the visiting order.

    Attributes
    ----------
    cluster_centers_ : array of shape (n_units, n_features), the prototypes ``w_k``.
    win_frequency_ : the running win frequencies ``p_k`` at the end of training.
    labels_ : the nearest unit of each training sample.
    counts_ : the number of training samples nearest to each unit (0 marks a dead unit).
    inertia_ : the sum of squared distances of the training samples to their nearest unit.

    References
    ----------
    Rumelhart, D. E. & Zipser, D. (1985). Feature discovery by competitive learning. Cognitive
    Science, 9(1), 75-112.
    DeSieno, D. (1988). Adding a conscience to competitive learning. Proc. IEEE ICNN, 1, 117-124.
    """

    def __init__(self, n_units: int = 10, n_epochs: int = 20, learning_rate: float = 0.1,
                 final_learning_rate: float = 1e-3, conscience: float = 30.0, beta: float = 1e-3,
                 init: str = "random", random_state=None) -> None:
        self.n_units = n_units
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.final_learning_rate = final_learning_rate
        self.conscience = conscience
        self.beta = beta
        self.init = init
        self.random_state = random_state

    def fit(self, X, y=None) -> CompetitiveLayer:
        """Learn the prototypes from samples ``X`` of shape (n_samples, n_features)."""
        X = np.ascontiguousarray(check_array(X))
        if len(X) < self.n_units:
            raise ValueError(f"need at least n_units={self.n_units} samples, got {len(X)}")
        rng = check_random_state(self.random_state)
        weights = self._initial_weights(X, rng)
        frequency = np.full(self.n_units, 1.0 / self.n_units)
        order = np.concatenate([rng.permutation(len(X)) for _ in range(self.n_epochs)])
        rates = self._learning_rates(len(order))
        consciences = self._consciences(X, rates)
        _train(X, order, weights, frequency, rates, consciences, float(self.beta))
        self.cluster_centers_, self.win_frequency_ = weights, frequency
        distances = self._squared_distances(X)
        self.labels_ = np.argmin(distances, axis=1)
        self.counts_ = np.bincount(self.labels_, minlength=self.n_units)
        self.inertia_ = float(distances[np.arange(len(X)), self.labels_].sum())
        return self

    def _initial_weights(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Random training samples, or uniform random points in the data's bounding box."""
        if self.init == "random":
            return X[rng.choice(len(X), self.n_units, replace=False)].copy()
        if self.init == "uniform":
            return rng.uniform(X.min(axis=0), X.max(axis=0), (self.n_units, X.shape[1]))
        raise ValueError(f"init must be 'random' or 'uniform', not {self.init!r}")

    def _learning_rates(self, n_steps: int) -> np.ndarray:
        """``eta_s = eta_0 (eta_end / eta_0) ** (s / n_steps)``: a geometric decay."""
        fraction = np.arange(n_steps) / max(n_steps, 1)
        return self.learning_rate * (self.final_learning_rate / self.learning_rate) ** fraction

    def _consciences(self, X: np.ndarray, rates: np.ndarray) -> np.ndarray:
        """The bias factor ``c_s = conscience * total variance * (eta_s / eta_0)^2``.

        Strong at first, so that units far from the data get their turn, then fading faster than
        the learning rate, so that the final positions are the centres of the units' own samples
        rather than a compromise towards equal shares.
        """
        total_variance = float(((X - X.mean(axis=0)) ** 2).sum(axis=1).mean())
        return self.conscience * total_variance * (rates / self.learning_rate) ** 2

    def _squared_distances(self, X: np.ndarray) -> np.ndarray:
        """``|x - w_k|^2`` for every sample and unit, expanded into dot products."""
        w = self.cluster_centers_
        squared = (X * X).sum(axis=1)[:, None] + (w * w).sum(axis=1)[None, :] - 2.0 * (X @ w.T)
        return np.maximum(squared, 0.0)  # rounding can make a zero distance slightly negative

    def transform(self, X) -> np.ndarray:
        """The Euclidean distance of each sample to each unit, shape (n_samples, n_units)."""
        check_is_fitted(self, "cluster_centers_")
        return np.sqrt(self._squared_distances(self._checked(X)))

    def predict(self, X) -> np.ndarray:
        """The winner (nearest unit, without the conscience) of each sample."""
        check_is_fitted(self, "cluster_centers_")
        return np.argmin(self._squared_distances(self._checked(X)), axis=1)

    def fit_predict(self, X, y=None) -> np.ndarray:
        """Fit on ``X`` and return the winner of each training sample."""
        return self.fit(X).labels_

    def _checked(self, X) -> np.ndarray:
        X = check_array(X)
        if X.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the layer was fitted on "
                             f"{self.cluster_centers_.shape[1]}")
        return X
