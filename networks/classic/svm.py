"""Support vector classifier trained by sequential minimal optimization (SMO).

The soft-margin SVM (Cortes & Vapnik 1995) solves, for targets ``y_i`` in {-1, +1} and a kernel
``K``, the dual problem

    minimise    f(a) = 1/2 sum_ij a_i a_j y_i y_j K(x_i, x_j) - sum_i a_i
    subject to  0 <= a_i <= C   and   sum_i y_i a_i = 0,

and classifies with ``f(x) = sum_i a_i y_i K(x_i, x) + b``. Samples with ``a_i > 0`` are the
support vectors. SMO (Platt 1998) changes two multipliers at a time, the smallest step that keeps
the equality constraint, so each step has a closed form. The pair is chosen by the second-order
rule of Fan, Chen & Lin (2005), the one LIBSVM uses: ``i`` is the most violating sample and ``j``
the partner that promises the largest decrease of ``f``. The whole kernel matrix is computed once
per ``fit`` and shared by every binary problem; the SMO loop is compiled with numba.

References
----------
Cortes, C. & Vapnik, V. (1995). Support-vector networks. Machine Learning, 20(3), 273-297.
Platt, J. C. (1998). Sequential minimal optimization: a fast algorithm for training support
vector machines. Microsoft Research Technical Report MSR-TR-98-14.
Fan, R.-E., Chen, P.-H. & Lin, C.-J. (2005). Working set selection using second order
information for training support vector machines. JMLR, 6, 1889-1918.
Hsu, C.-W. & Lin, C.-J. (2002). A comparison of methods for multiclass support vector machines.
IEEE Transactions on Neural Networks, 13(2), 415-425.
"""

from __future__ import annotations

import warnings
from itertools import combinations

import numpy as np
from numba import njit

from networks.classic._base import ParamsMixin, check_array, check_is_fitted, check_X_y

_TAU = 1e-12  # curvature floor for pairs whose kernel rows coincide (Fan, Chen & Lin 2005)


def _linear_kernel(A: np.ndarray, B: np.ndarray, gamma: float, degree: int, coef0: float
                   ) -> np.ndarray:
    """``K(a, b) = a . b``."""
    return A @ B.T


def _poly_kernel(A: np.ndarray, B: np.ndarray, gamma: float, degree: int, coef0: float
                 ) -> np.ndarray:
    """``K(a, b) = (gamma a . b + coef0) ** degree``."""
    return (gamma * (A @ B.T) + coef0) ** degree


def _rbf_kernel(A: np.ndarray, B: np.ndarray, gamma: float, degree: int, coef0: float
                ) -> np.ndarray:
    """``K(a, b) = exp(-gamma |a - b|^2)``, the squared distance expanded into dot products."""
    squared = (A * A).sum(axis=1)[:, None] + (B * B).sum(axis=1)[None, :] - 2.0 * (A @ B.T)
    return np.exp(-gamma * np.maximum(squared, 0.0))  # rounding can make a zero distance < 0


_KERNELS = {"linear": _linear_kernel, "poly": _poly_kernel, "rbf": _rbf_kernel}


@njit(cache=True)
def _working_set(K, diag, y, alpha, grad, C):  # pragma: no cover - compiled
    """The pair ``(i, j)`` to optimise and the optimality gap ``m(a) - M(a)``.

    ``I_up`` holds the samples whose ``y_t a_t`` may still grow, ``I_low`` those whose may
    shrink; the KKT conditions hold when ``max_{I_up} -y G <= min_{I_low} -y G``. ``i`` is the
    maximiser (first order); ``j`` minimises ``-b_it^2 / a_it`` over ``I_low`` with
    ``b_it = -y_i G_i + y_t G_t > 0`` and ``a_it = K_ii + K_tt - 2 K_it`` (second order).
    """
    n = y.shape[0]
    i, m = -1, -np.inf
    for t in range(n):
        in_up = (y[t] > 0 and alpha[t] < C) or (y[t] < 0 and alpha[t] > 0)
        if in_up and -y[t] * grad[t] > m:
            i, m = t, -y[t] * grad[t]
    j, M, best = -1, np.inf, np.inf
    if i < 0:
        return i, j, 0.0
    for t in range(n):
        if (y[t] > 0 and alpha[t] > 0) or (y[t] < 0 and alpha[t] < C):
            value = -y[t] * grad[t]
            M = min(M, value)
            b = m - value
            if b > 0.0:
                a = max(K[i, i] + diag[t] - 2.0 * K[i, t], _TAU)
                if -b * b / a < best:
                    j, best = t, -b * b / a
    return i, j, m - M


@njit(cache=True)
def _pair_step(K, y, alpha, grad, C, i, j):  # pragma: no cover - compiled
    """Move ``a_i`` by ``+y_i s`` and ``a_j`` by ``-y_j s``, the exact line minimum in the box.

    Along this direction ``sum y a`` is unchanged, ``f`` has slope ``-b_ij`` and curvature
    ``a_ij``, so the unconstrained step is ``s = b_ij / a_ij``; it is cut where ``a_i`` or
    ``a_j`` meets 0 or C, and the gradient ``G = Q a - 1`` is updated from two kernel rows.
    """
    curvature = max(K[i, i] + K[j, j] - 2.0 * K[i, j], _TAU)
    limit_i = C - alpha[i] if y[i] > 0 else alpha[i]
    limit_j = alpha[j] if y[j] > 0 else C - alpha[j]
    step = min((y[j] * grad[j] - y[i] * grad[i]) / curvature, limit_i, limit_j)
    alpha[i] += y[i] * step
    alpha[j] -= y[j] * step
    if step == limit_i:  # land exactly on the bound so that a_i = 0 means "not a support vector"
        alpha[i] = C if y[i] > 0 else 0.0
    if step == limit_j:
        alpha[j] = 0.0 if y[j] > 0 else C
    for t in range(y.shape[0]):  # K is symmetric: read rows, which are contiguous in memory
        grad[t] += y[t] * step * (K[i, t] - K[j, t])


@njit(cache=True)
def _smo(K, y, C, tol, max_iter):  # pragma: no cover - compiled
    """Solve the dual from ``a = 0``; return ``(a, G, iterations)``. ``max_iter < 0``: no limit."""
    alpha = np.zeros(y.shape[0])
    grad = -np.ones(y.shape[0])
    diag = np.diag(K).copy()  # read once: a strided walk down K at every step would be slow
    n_iter = 0
    while max_iter < 0 or n_iter < max_iter:
        i, j, gap = _working_set(K, diag, y, alpha, grad, C)
        if j < 0 or gap < tol:
            break
        _pair_step(K, y, alpha, grad, C, i, j)
        n_iter += 1
    return alpha, grad, n_iter


def _intercept(y: np.ndarray, alpha: np.ndarray, grad: np.ndarray, C: float) -> float:
    """The bias ``b`` from the KKT conditions.

    A free support vector (``0 < a_t < C``) lies on the margin, ``y_t f(x_t) = 1``, which gives
    ``b = -y_t G_t``; the free ones are averaged against rounding. Without free vectors ``b``
    is only bracketed, by ``max_{I_up} -y G`` and ``min_{I_low} -y G``: take the midpoint.
    """
    free = (alpha > 0) & (alpha < C)
    values = -y * grad
    if free.any():
        return float(values[free].mean())
    up = ((y > 0) & (alpha < C)) | ((y < 0) & (alpha > 0))
    low = ((y > 0) & (alpha > 0)) | ((y < 0) & (alpha < C))
    return float((values[up].max() + values[low].min()) / 2.0)


class SVM(ParamsMixin):
    """Soft-margin support vector classifier trained by SMO; binary, one-vs-rest or one-vs-one.

    Two classes make one binary problem (``classes_[1]`` is the positive side). With more
    classes, ``multi_class="ovr"`` trains one problem per class against all the others and
    predicts the class of the largest decision value; ``"ovo"`` trains one problem per pair
    of classes (as LIBSVM and scikit-learn's ``SVC`` do) and predicts by majority vote.

    Parameters
    ----------
    C : the box bound on every multiplier: the price of a margin violation.
    kernel : ``"linear"`` (``a . b``), ``"poly"`` (``(gamma a . b + coef0) ** degree``) or
        ``"rbf"`` (``exp(-gamma |a - b|^2)``).
    degree : the degree of the polynomial kernel.
    gamma : ``"scale"`` (``1 / (n_features * X.var())``), ``"auto"`` (``1 / n_features``) or a
        positive float.
    coef0 : the constant of the polynomial kernel.
    tol : stop when the KKT gap ``max_{I_up} -y G - min_{I_low} -y G`` is below ``tol``.
    max_iter : the most SMO steps per binary problem; None for no limit.
    multi_class : ``"ovr"`` (one-vs-rest) or ``"ovo"`` (one-vs-one) for more than two classes.

    Attributes
    ----------
    classes_ : the sorted class labels.
    gamma_ : the kernel's gamma as used.
    support_ : indices of the support vectors in the training set, grouped by class: every
        sample with a non-zero multiplier in at least one binary problem, counted once.
    support_vectors_ : array of shape (n_SV, n_features), the samples ``X[support_]``.
    n_support_ : the number of support vectors of each class.
    dual_coef_ : array of shape (n_problems, n_SV): ``y_i a_i`` of each support vector in each
        binary problem, zero where the vector is not part of that problem's solution.
    intercept_ : array of shape (n_problems,), the bias ``b`` of each binary problem.
    n_iter_ : array of shape (n_problems,), the SMO steps each problem took.

    References
    ----------
    Platt, J. C. (1998). Sequential minimal optimization: a fast algorithm for training support
    vector machines. MSR-TR-98-14.
    Fan, R.-E., Chen, P.-H. & Lin, C.-J. (2005). Working set selection using second order
    information for training support vector machines. JMLR, 6, 1889-1918.
    """

    def __init__(self, C: float = 1.0, kernel: str = "rbf", degree: int = 3,
                 gamma: str | float = "scale", coef0: float = 0.0, tol: float = 1e-3,
                 max_iter: int | None = None, multi_class: str = "ovr") -> None:
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter
        self.multi_class = multi_class

    def fit(self, X, y) -> SVM:
        """Train on samples ``X`` of shape (n_samples, n_features) and labels ``y``."""
        X, y = check_X_y(X, y)
        self._check_params()
        self.classes_, index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("y must contain at least two classes")
        self.gamma_ = self._resolve_gamma(X)
        gram = self._kernel(X, X)
        problems = self._binary_problems(index)
        coefs = np.zeros((len(problems), len(X)))
        self.intercept_ = np.zeros(len(problems))
        self.n_iter_ = np.zeros(len(problems), dtype=np.int64)
        for p, (rows, targets) in enumerate(problems):
            sub = gram if len(rows) == len(X) else np.ascontiguousarray(gram[np.ix_(rows, rows)])
            alpha, grad, self.n_iter_[p] = _smo(sub, targets, float(self.C), float(self.tol),
                                                -1 if self.max_iter is None else self.max_iter)
            coefs[p, rows] = targets * alpha
            self.intercept_[p] = _intercept(targets, alpha, grad, float(self.C))
        self._warn_if_unconverged()
        self._store_support(X, index, coefs)
        return self

    def _check_params(self) -> None:
        if self.kernel not in _KERNELS:
            raise ValueError(f"kernel must be one of {sorted(_KERNELS)}, not {self.kernel!r}")
        if self.multi_class not in ("ovr", "ovo"):
            raise ValueError(f"multi_class must be 'ovr' or 'ovo', not {self.multi_class!r}")
        if not self.C > 0:
            raise ValueError(f"C must be positive, not {self.C!r}")

    def _resolve_gamma(self, X: np.ndarray) -> float:
        """The numeric gamma: ``"scale"`` adapts it to the spread of the training inputs."""
        if self.gamma == "scale":
            variance = X.var()
            return 1.0 / (X.shape[1] * variance) if variance > 0 else 1.0
        if self.gamma == "auto":
            return 1.0 / X.shape[1]
        if isinstance(self.gamma, str) or not self.gamma > 0:
            raise ValueError(f"gamma must be 'scale', 'auto' or a positive float, "
                             f"not {self.gamma!r}")
        return float(self.gamma)

    def _kernel(self, A: np.ndarray, B: np.ndarray) -> np.ndarray:
        """The kernel matrix ``K[a, b]`` between the rows of ``A`` and of ``B``."""
        return _KERNELS[self.kernel](A, B, self.gamma_, self.degree, self.coef0)

    def _binary_problems(self, index: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(training rows, +-1 targets)`` of each binary problem, in ``dual_coef_`` order.

        One problem for two classes; one per class (that class +1) for one-vs-rest; one per pair
        ``(a, b)``, ``a < b``, on the samples of those two classes (``b`` +1) for one-vs-one.
        """
        n_classes = len(self.classes_)
        every = np.arange(len(index))
        if n_classes == 2:
            return [(every, np.where(index == 1, 1.0, -1.0))]
        if self.multi_class == "ovr":
            return [(every, np.where(index == k, 1.0, -1.0)) for k in range(n_classes)]
        problems = []
        for a, b in combinations(range(n_classes), 2):
            rows = np.flatnonzero((index == a) | (index == b))
            problems.append((rows, np.where(index[rows] == b, 1.0, -1.0)))
        return problems

    def _warn_if_unconverged(self) -> None:
        if self.max_iter is not None and np.any(self.n_iter_ >= self.max_iter):
            warnings.warn(f"SMO stopped at max_iter={self.max_iter} before the KKT gap fell "
                          f"below tol={self.tol}", RuntimeWarning, stacklevel=3)

    def _store_support(self, X: np.ndarray, index: np.ndarray, coefs: np.ndarray) -> None:
        """Keep only the samples with a non-zero multiplier in some problem, grouped by class."""
        support = np.flatnonzero(np.any(coefs != 0.0, axis=0))
        self.support_ = support[np.argsort(index[support], kind="stable")]
        self.support_vectors_ = X[self.support_]
        self.n_support_ = np.bincount(index[self.support_], minlength=len(self.classes_))
        self.dual_coef_ = coefs[:, self.support_]

    def decision_function(self, X) -> np.ndarray:
        """``f(x) = sum_i y_i a_i K(x_i, x) + b`` of each binary problem.

        Returns an array of shape (n_samples,) for two classes, (n_samples, n_classes) for
        one-vs-rest and (n_samples, n_classes * (n_classes - 1) / 2) for one-vs-one (pairs in
        the order (0, 1), (0, 2), ..., positive for the second class of the pair).
        """
        check_is_fitted(self, "dual_coef_")
        X = check_array(X)
        if X.shape[1] != self.support_vectors_.shape[1]:
            raise ValueError(f"X has {X.shape[1]} features, the SVM was fitted on "
                             f"{self.support_vectors_.shape[1]}")
        values = self._kernel(X, self.support_vectors_) @ self.dual_coef_.T + self.intercept_
        return values[:, 0] if len(self.classes_) == 2 else values

    def predict(self, X) -> np.ndarray:
        """The class of each sample: the sign, the largest one-vs-rest value or the most votes."""
        values = self.decision_function(X)
        n_classes = len(self.classes_)
        if n_classes == 2:
            return self.classes_[(values > 0).astype(np.int64)]
        if self.multi_class == "ovr":
            return self.classes_[np.argmax(values, axis=1)]
        votes = np.zeros((len(values), n_classes), dtype=np.int64)
        for p, (a, b) in enumerate(combinations(range(n_classes), 2)):
            winner = np.where(values[:, p] > 0, b, a)
            votes[np.arange(len(values)), winner] += 1
        return self.classes_[np.argmax(votes, axis=1)]  # ties go to the lower class

    def score(self, X, y) -> float:
        """The accuracy of :meth:`predict` on ``(X, y)``."""
        X, y = check_X_y(X, y)
        return float(np.mean(self.predict(X) == y))
