"""Rosenblatt's perceptron: a linear threshold unit trained by its error-correction rule.

Reference: F. Rosenblatt (1958), "The perceptron: a probabilistic model for information storage
and organization in the brain", Psychological Review 65(6), 386-408. The convergence theorem
(Novikoff 1962) guarantees a finite number of mistakes on linearly separable data; on data that
is not separable (XOR, Minsky & Papert 1969) the rule never stops making mistakes.
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


class Perceptron(ParamsMixin):
    """Rosenblatt's perceptron, one-vs-rest for more than two classes.

    Each class ``k`` has a unit with output ``sign(w_k . x + b_k)``. After every mistake on a
    sample ``x`` with target ``t`` in {-1, +1} the unit moves towards the sample:
    ``w <- w + eta * t * x`` and ``b <- b + eta * t``. An epoch visits every sample once in a
    random order; training stops after the first epoch without a mistake (``converged_`` is
    then True) or after ``max_iter`` epochs.

    Parameters
    ----------
    learning_rate : the step ``eta``. With zero initial weights it only scales the weights, so
        the predictions do not depend on it.
    max_iter : the most epochs.
    shuffle : visit the samples in a new random order each epoch.
    random_state : seed or generator for the visiting order.

    Attributes
    ----------
    classes_ : the sorted class labels.
    coef_ : array of shape (n_units, n_features); one unit for two classes, else one per class.
    intercept_ : array of shape (n_units,).
    n_iter_ : the epochs run.
    converged_ : whether the last epoch made no mistake (every unit separated its classes).
    mistakes_ : list of the mistakes made in each epoch, summed over the units.

    References
    ----------
    Rosenblatt, F. (1958). The perceptron: a probabilistic model for information storage and
    organization in the brain. Psychological Review, 65(6), 386-408.
    """

    def __init__(self, learning_rate: float = 1.0, max_iter: int = 100, shuffle: bool = True,
                 random_state=None) -> None:
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state

    def fit(self, X, y) -> Perceptron:
        """Train on samples ``X`` of shape (n_samples, n_features) and labels ``y``."""
        X, y = check_X_y(X, y)
        rng = check_random_state(self.random_state)
        self.classes_, targets = self._signed_targets(y)
        self.coef_ = np.zeros((targets.shape[1], X.shape[1]))
        self.intercept_ = np.zeros(targets.shape[1])
        self.mistakes_ = []
        self.converged_, self.n_iter_ = False, 0
        for epoch in range(1, self.max_iter + 1):
            order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            self.mistakes_.append(self._epoch(X[order], targets[order]))
            self.n_iter_ = epoch
            if self.mistakes_[-1] == 0:
                self.converged_ = True
                break
        return self

    def _signed_targets(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The labels and each unit's +-1 targets (one unit for two classes, else one per class)."""
        classes, index = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError("y must contain at least two classes")
        if len(classes) == 2:
            return classes, np.where(index == 1, 1.0, -1.0)[:, None]
        return classes, np.where(index[:, None] == np.arange(len(classes)), 1.0, -1.0)

    def _epoch(self, X: np.ndarray, targets: np.ndarray) -> int:
        """One pass of the error-correction rule over the samples; returns the mistakes made."""
        mistakes = 0
        for x, t in zip(X, targets, strict=True):
            wrong = self._fires(x) != t
            if wrong.any():
                step = self.learning_rate * t[wrong]
                self.coef_[wrong] += step[:, None] * x
                self.intercept_[wrong] += step
                mistakes += int(wrong.sum())
        return mistakes

    def _fires(self, x: np.ndarray) -> np.ndarray:
        """The threshold output ``sign(w . x + b)`` of every unit, with sign(0) = -1."""
        return np.where(self.coef_ @ x + self.intercept_ > 0.0, 1.0, -1.0)

    def decision_function(self, X) -> np.ndarray:
        """``w . x + b`` of every unit.

        Shape (n_samples,) for two classes, else (n_samples, n_classes).
        """
        check_is_fitted(self, "coef_")
        scores = check_array(X) @ self.coef_.T + self.intercept_
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        """Each sample's class: the unit's side for two classes, else the highest-scoring unit."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0.0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]

    def score(self, X, y) -> float:
        """Accuracy of :meth:`predict` on ``X`` against ``y``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
