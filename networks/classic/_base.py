"""Helpers shared by the classic estimators: scikit-learn's conventions without depending on it.

* ``__init__`` only stores hyperparameters, unchanged; :class:`ParamsMixin` reads them back.
* Learned state is set by ``fit`` and ends in ``_``; :func:`check_is_fitted` guards the methods
  that need it.
* Randomness comes from ``random_state`` (``None``, an int seed or a ``numpy.random.Generator``)
  through :func:`check_random_state`, called once per ``fit``.
"""

from __future__ import annotations

import inspect

import numpy as np


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs learned state is called before ``fit``."""


def check_random_state(random_state) -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``None``, an int seed or a generator (returned as is)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, int | np.integer):
        return np.random.default_rng(random_state)
    raise ValueError("random_state must be None, an int or a numpy Generator, "
                     f"not {random_state!r}")


def check_array(X, *, ndim: int = 2, name: str = "X", dtype=np.float64) -> np.ndarray:
    """``X`` as a finite float array with ``ndim`` dimensions, or a clear ``ValueError``."""
    array = np.asarray(X, dtype=dtype)
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {array.shape}")
    if array.size and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinity")
    return array


def check_X_y(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Samples as a 2-D float array and targets as a 1-D array of the same length."""
    X = check_array(X)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(X):
        raise ValueError(f"y must be 1-D with one target per sample: X {X.shape}, y {y.shape}")
    return X, y


def check_is_fitted(estimator, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``estimator`` has the learned ``attribute``."""
    if not hasattr(estimator, attribute):
        name = type(estimator).__name__
        raise NotFittedError(f"this {name} is not fitted yet: call fit first")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, computed without overflow for large ``|z|``."""
    return np.exp(-np.logaddexp(0.0, -z))


class ParamsMixin:
    """``get_params``/``set_params``/``repr`` from the ``__init__`` signature, like scikit-learn."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self"]

    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = set(self._param_names())
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {name!r}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"
