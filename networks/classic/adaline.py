"""Adaline: a linear unit trained by the Widrow-Hoff least-mean-squares (LMS) rule.

Reference: B. Widrow and M. E. Hoff (1960), "Adaptive switching circuits", IRE WESCON
Convention Record, part 4, 96-104. Unlike the perceptron, the error is measured on the linear
output before the threshold, so the rule is gradient descent on the squared error and settles
on the least-squares solution even when the classes are not separable.
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

_MODES = ("online", "batch")
_TASKS = ("regression", "classification")


class Adaline(ParamsMixin):
    """Adaptive linear neuron trained by LMS, for regression or (one-vs-rest) classification.

    The output is linear, ``o = w . x + b``, and the rule descends the squared error
    ``E = 1/2 (t - o)^2``:

    * ``mode="online"`` (Widrow & Hoff's rule): after each sample,
      ``w <- w + eta * (t - o) * x`` and ``b <- b + eta * (t - o)``;
    * ``mode="batch"``: once per epoch, the same step averaged over all samples.

    For classification each class ``k`` has a unit with target +1 on its own samples and -1 on
    the others (one unit for two classes); the prediction is the unit with the largest output,
    so the model is a least-squares classifier.

    Parameters
    ----------
    task : ``"regression"`` or ``"classification"``.
    mode : ``"online"`` or ``"batch"``.
    learning_rate : the step ``eta``; LMS is stable for ``eta < 2 / lambda_max`` of the input
        correlation matrix (batch) and for ``eta < 2 / ||x||^2`` per sample (online).
    max_iter : the most epochs.
    tol : stop when the mean squared error of an epoch improves by less than ``tol``.
    alpha : L2 penalty on the weights (0 for the plain rule; a small value plays the role of
        ridge regression on ill-conditioned inputs).
    shuffle : visit the samples in a new random order each epoch (online mode).
    random_state : seed or generator for the visiting order.

    Attributes
    ----------
    coef_ : array of shape (n_features,) for regression and two classes, else
        (n_classes, n_features).
    intercept_ : float or array of shape (n_classes,).
    classes_ : the sorted class labels (classification only).
    loss_curve_ : half the mean squared error of the linear output (plus the L2 penalty) at
        the end of each epoch.
    n_iter_ : the epochs run.

    References
    ----------
    Widrow, B., & Hoff, M. E. (1960). Adaptive switching circuits. IRE WESCON Convention Record,
    4, 96-104.
    """

    def __init__(self, task: str = "regression", mode: str = "online",
                 learning_rate: float = 0.01, max_iter: int = 50, tol: float = 1e-6,
                 alpha: float = 0.0, shuffle: bool = True, random_state=None) -> None:
        self.task = task
        self.mode = mode
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.tol = tol
        self.alpha = alpha
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X, y) -> Adaline:
        """Train on samples ``X`` of shape (n_samples, n_features) and targets or labels ``y``."""
        X, y = check_X_y(X, y)
        if self.mode not in _MODES or self.task not in _TASKS:
            raise ValueError(f"mode must be one of {_MODES} and task one of {_TASKS}")
        rng = check_random_state(self.random_state)
        T = self._targets(y)
        W, b = np.zeros((T.shape[1], X.shape[1])), np.zeros(T.shape[1])
        self.loss_curve_, self.n_iter_ = [], 0
        for epoch in range(1, self.max_iter + 1):
            if self.mode == "online":
                order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
                self._online_epoch(X[order], T[order], W, b)
            else:
                self._batch_step(X, T, W, b)
            self.loss_curve_.append(self._loss(X, T, W, b))
            self.n_iter_ = epoch
            if self._diverged():
                raise FloatingPointError("LMS diverged: lower the learning rate")
            if epoch > 1 and self.loss_curve_[-2] - self.loss_curve_[-1] < self.tol:
                break
        single = T.shape[1] == 1
        self.coef_ = W[0] if single else W
        self.intercept_ = float(b[0]) if single else b
        return self

    def _targets(self, y: np.ndarray) -> np.ndarray:
        """Targets as columns: ``y`` itself for regression, +-1 per unit for classification."""
        if self.task == "regression":
            return y.astype(np.float64)[:, None]
        self.classes_, index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("y must contain at least two classes")
        if len(self.classes_) == 2:
            return np.where(index == 1, 1.0, -1.0)[:, None]
        return np.where(index[:, None] == np.arange(len(self.classes_)), 1.0, -1.0)

    def _online_epoch(self, X: np.ndarray, T: np.ndarray, W: np.ndarray, b: np.ndarray) -> None:
        """Widrow-Hoff: ``w <- w + eta (t - w.x - b) x`` after every sample (in place)."""
        eta, decay = self.learning_rate, 1.0 - self.learning_rate * self.alpha
        for x, t in zip(X, T, strict=True):
            error = t - (W @ x + b)
            W *= decay
            W += eta * np.outer(error, x)
            b += eta * error

    def _batch_step(self, X: np.ndarray, T: np.ndarray, W: np.ndarray, b: np.ndarray) -> None:
        """One gradient step on the mean squared error over all samples (in place)."""
        error = T - (X @ W.T + b)
        W += self.learning_rate * (error.T @ X / len(X) - self.alpha * W)
        b += self.learning_rate * error.mean(axis=0)

    def _loss(self, X: np.ndarray, T: np.ndarray, W: np.ndarray, b: np.ndarray) -> float:
        """Half the mean squared error of the linear outputs, summed over the units, plus L2."""
        squared = np.mean(np.sum((T - (X @ W.T + b)) ** 2, axis=1))
        return float(0.5 * squared + 0.5 * self.alpha * np.sum(W * W))

    def _diverged(self) -> bool:
        """A non-finite loss, or (batch mode) any rise of the loss.

        Batch LMS is gradient descent on a convex quadratic: each eigen-direction of the input
        correlation shrinks by ``|1 - eta lambda|`` per epoch, so the loss falls at every epoch
        when ``eta < 2 / lambda_max`` and a rise means the step is too large.
        """
        curve = self.loss_curve_
        if not np.isfinite(curve[-1]):
            return True
        return self.mode == "batch" and len(curve) > 1 and curve[-1] > curve[-2] * (1 + 1e-12)

    def decision_function(self, X) -> np.ndarray:
        """The linear output(s) ``w . x + b``: shape (n_samples,) or (n_samples, n_classes)."""
        check_is_fitted(self, "coef_")
        return check_array(X) @ self.coef_.T + self.intercept_

    def predict(self, X) -> np.ndarray:
        """Regression: the linear output. Classification: the class of the largest unit output."""
        scores = self.decision_function(X)
        if self.task == "regression":
            return scores
        if scores.ndim == 1:
            return self.classes_[(scores > 0.0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X, y) -> float:
        """Regression: the coefficient of determination R^2. Classification: the accuracy."""
        y = np.asarray(y)
        prediction = self.predict(X)
        if self.task == "classification":
            return float(np.mean(prediction == y))
        residual = np.sum((y - prediction) ** 2)
        return float(1.0 - residual / np.sum((y - y.mean()) ** 2))
