"""Principal component analysis by Hebbian learning: Oja's rule and Sanger's generalization.

References: E. Oja (1982), "A simplified neuron model as a principal component analyzer",
Journal of Mathematical Biology 15, 267-273 (one linear unit whose normalized Hebbian rule
converges to the first principal axis); E. Oja (1989), "Neural networks, principal components,
and subspaces", International Journal of Neural Systems 1(1), 61-68 (the symmetric subspace
rule for several units); T. D. Sanger (1989), "Optimal unsupervised learning in a single-layer
linear feedforward neural network", Neural Networks 2(6), 459-473 (the generalized Hebbian
algorithm, whose units converge to the individual principal axes in order).
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import ParamsMixin, check_array, check_is_fitted, check_random_state


class _HebbianPCA(ParamsMixin):
    """Shared training loop: online (or minibatch) Hebbian updates of a linear layer ``y = W x``.

    Subclasses define :meth:`_decorrelation`, the term subtracted from the Hebbian product
    ``y x^T`` that keeps the rows of ``W`` bounded and decorrelated.
    """

    def __init__(self, n_components: int = 1, learning_rate: float = 0.02,
                 learning_rate_decay: float = 0.01, max_iter: int = 5, batch_size: int = 1,
                 center: bool = True, shuffle: bool = True, random_state=None) -> None:
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.center = center
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X) -> _HebbianPCA:
        """Learn ``components_`` from ``X`` (n_samples, n_features) in ``max_iter`` epochs."""
        X = check_array(X)
        self._rng = check_random_state(self.random_state)
        self.mean_ = X.mean(axis=0) if self.center else np.zeros(X.shape[1])
        self.n_samples_seen_, self.n_updates_ = len(X), 0
        self.components_ = self._initial_weights(X.shape[1])
        for _ in range(self.max_iter):
            self._epoch(X - self.mean_)
        self.n_iter_ = self.max_iter
        return self

    def partial_fit(self, X) -> _HebbianPCA:
        """One epoch over the batch ``X``, continuing from the current weights.

        The mean is a running mean over every sample seen so far (when ``center``).
        """
        X = check_array(X)
        if not hasattr(self, "components_"):
            self._rng = check_random_state(self.random_state)
            self.mean_, self.n_samples_seen_, self.n_updates_ = np.zeros(X.shape[1]), 0, 0
            self.components_ = self._initial_weights(X.shape[1])
            self.n_iter_ = 0
        if self.center:
            total = self.n_samples_seen_ + len(X)
            self.mean_ = self.mean_ + (X.sum(axis=0) - len(X) * self.mean_) / total
        self.n_samples_seen_ += len(X)
        self._epoch(X - self.mean_)
        self.n_iter_ += 1
        return self

    def _initial_weights(self, n_features: int) -> np.ndarray:
        """Small random rows of norm 0.1 (the rules grow them to unit norm)."""
        if not 1 <= self.n_components <= n_features:
            raise ValueError(f"n_components must be in 1..{n_features}")
        W = self._rng.standard_normal((self.n_components, n_features))
        return 0.1 * W / np.linalg.norm(W, axis=1, keepdims=True)

    def _epoch(self, X: np.ndarray) -> None:
        """One pass over the centred samples, updating ``components_`` after each minibatch."""
        order = self._rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
        batch = max(1, self.batch_size)
        W = self.components_
        for start in range(0, len(X), batch):
            x = X[order[start : start + batch]]
            y = x @ W.T
            with np.errstate(over="ignore", invalid="ignore"):  # reported just below
                W += self._step_size() * self._update(x, y, W)
            self.n_updates_ += 1
            if not np.isfinite(W).all():
                raise FloatingPointError("the weights diverged: lower the learning rate")

    def _step_size(self) -> float:
        """``eta_t = eta_0 / (1 + decay * t)`` after ``t`` updates.

        A step that decays like ``1/t`` meets the stochastic-approximation conditions
        (``sum eta_t`` infinite, ``sum eta_t^2`` finite) under which the rules converge
        (Oja & Karhunen 1985); a constant step leaves the weights jittering around the axes.
        """
        return self.learning_rate / (1.0 + self.learning_rate_decay * self.n_updates_)

    def _update(self, x: np.ndarray, y: np.ndarray, W: np.ndarray) -> np.ndarray:
        """The averaged rule ``y x^T - D(y y^T) W`` over a minibatch (``x``, ``y`` as rows)."""
        return (y.T @ x - self._decorrelation(y.T @ y) @ W) / len(x)

    def _decorrelation(self, yyT: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def transform(self, X) -> np.ndarray:
        """The outputs ``y = W (x - mean)``, shape (n_samples, n_components)."""
        check_is_fitted(self, "components_")
        return (check_array(X) - self.mean_) @ self.components_.T

    def inverse_transform(self, Y) -> np.ndarray:
        """Back to input space: ``W^T y + mean``."""
        check_is_fitted(self, "components_")
        return check_array(Y, name="Y") @ self.components_ + self.mean_

    def fit_transform(self, X) -> np.ndarray:
        """:meth:`fit` then :meth:`transform` on the same ``X``."""
        return self.fit(X).transform(X)


class OjaPCA(_HebbianPCA):
    """Oja's rule (one unit) and Oja's symmetric subspace rule (several units).

    With one unit ``y = w . x`` the rule is ``Delta w = eta y (x - y w)``: Hebb's ``y x`` minus a
    decay ``y^2 w`` that normalizes ``w``; it converges to the unit eigenvector of the largest
    eigenvalue of the input covariance (Oja 1982). With several units,
    ``Delta W = eta (y x^T - y y^T W)`` (Oja 1989): the rows converge to an orthonormal basis of
    the top principal subspace, but not to the individual axes (any rotation of them is a fixed
    point). :class:`SangerPCA` finds the axes themselves.

    Parameters
    ----------
    n_components : the number of linear units.
    learning_rate : the initial step ``eta_0``; it must be small against ``1 / lambda_max``.
    learning_rate_decay : ``eta_t = eta_0 / (1 + learning_rate_decay * t)`` after ``t`` updates
        (0 for a constant step).
    max_iter : epochs over the data in :meth:`fit`.
    batch_size : samples per update (1 is the online rule).
    center : subtract the mean of the data first.
    shuffle : visit the samples in a new random order each epoch.
    random_state : seed or generator for the initial weights and the order.

    Attributes
    ----------
    components_ : array of shape (n_components, n_features); rows nearly orthonormal.
    mean_ : the mean subtracted from the inputs.
    n_samples_seen_ : samples used for ``mean_``.
    n_iter_ : epochs run.
    n_updates_ : weight updates made (the ``t`` of the step size).

    References
    ----------
    Oja, E. (1982). A simplified neuron model as a principal component analyzer. Journal of
    Mathematical Biology, 15, 267-273.
    Oja, E. (1989). Neural networks, principal components, and subspaces. International Journal
    of Neural Systems, 1(1), 61-68.
    Oja, E., & Karhunen, J. (1985). On stochastic approximation of the eigenvectors and
    eigenvalues of the expectation of a random matrix. Journal of Mathematical Analysis and
    Applications, 106(1), 69-84.
    """

    def _decorrelation(self, yyT: np.ndarray) -> np.ndarray:
        """The full ``y y^T``: every unit is decorrelated from every other."""
        return yyT


class SangerPCA(_HebbianPCA):
    """Sanger's generalized Hebbian algorithm: the principal axes themselves, in order.

    ``Delta W = eta (y x^T - LT(y y^T) W)`` with ``LT`` the lower triangle (diagonal included):
    unit ``k`` sees the input minus what units ``1..k`` already reconstruct,
    ``Delta w_k = eta y_k (x - sum_{j <= k} y_j w_j)``, so unit 1 runs Oja's rule, unit 2 Oja's
    rule on what unit 1 leaves, and so on; row ``k`` converges to the ``k``-th eigenvector of the
    covariance (Sanger 1989).

    Parameters and attributes are those of :class:`OjaPCA`; ``components_`` is ordered by
    decreasing explained variance.

    References
    ----------
    Sanger, T. D. (1989). Optimal unsupervised learning in a single-layer linear feedforward
    neural network. Neural Networks, 2(6), 459-473.
    """

    def _decorrelation(self, yyT: np.ndarray) -> np.ndarray:
        """The lower triangle of ``y y^T``: unit ``k`` only subtracts units ``1..k``."""
        return np.tril(yyT)
