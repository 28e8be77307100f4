"""The multilayer perceptron trained by backpropagation, with every gradient written by hand.

Reference: D. E. Rumelhart, G. E. Hinton and R. J. Williams (1986), "Learning representations
by back-propagating errors", Nature 323, 533-536. The error signal ``delta`` of a layer is the
next layer's ``delta`` sent back through its weights and multiplied by the derivative of the
layer's activation; each weight's gradient is the product of its input and the ``delta`` of its
output. The updates use momentum, as in the paper (``Delta w(t) = -eta dE/dw + mu Delta w(t-1)``).

:func:`gradient_check` compares any hand-written gradient with central finite differences; it is
the project's gradient-check oracle, and :meth:`MLP.check_gradient` applies it to the network.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from networks.classic._base import (
    ParamsMixin,
    check_array,
    check_is_fitted,
    check_random_state,
    sigmoid,
)

_TASKS = ("classification", "regression")


def _relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


# Each activation and its derivative written in terms of the activation's output ``a``.
_ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "sigmoid": (sigmoid, lambda a: a * (1.0 - a)),
    "tanh": (np.tanh, lambda a: 1.0 - a * a),
    "relu": (_relu, lambda a: (a > 0.0).astype(a.dtype)),
}


def numerical_gradient(loss: Callable[[np.ndarray], float], params: np.ndarray,
                       epsilon: float = 1e-6) -> np.ndarray:
    """Central finite differences ``(f(p + e_i eps) - f(p - e_i eps)) / (2 eps)`` for every ``i``.

    ``params`` is a 1-D array; it is restored before returning.
    """
    params = np.asarray(params, dtype=np.float64)
    grad = np.empty_like(params)
    for i in range(params.size):
        saved = params[i]
        params[i] = saved + epsilon
        upper = loss(params)
        params[i] = saved - epsilon
        lower = loss(params)
        params[i] = saved
        grad[i] = (upper - lower) / (2.0 * epsilon)
    return grad


def gradient_check(loss: Callable[[np.ndarray], float], params: np.ndarray,
                   analytic: np.ndarray, epsilon: float = 1e-6,
                   blocks: list[int] | None = None) -> float:
    """The relative error between ``analytic`` and the finite-difference gradient ``numeric``.

    The error of a block of parameters is ``|g - n| / (|g| + |n|)`` with Euclidean norms, and the
    largest over the blocks is returned. Norms rather than single components, because central
    differences carry a round-off of about ``1e-16 |loss| / epsilon`` that swamps components
    many orders smaller than the rest; blocks (one per weight matrix or bias vector, say) so that
    a wrong gradient for a small group of parameters is not hidden by a large one. The
    denominator never falls below ``1e-6`` of the whole gradient's norm. A correct float64
    gradient gives about 1e-8; a wrong one, 1e-3 or more.

    Parameters
    ----------
    loss : the function of a flat parameter vector whose gradient is checked.
    params : the 1-D point at which to check (left unchanged).
    analytic : the hand-written gradient at ``params``, same size.
    epsilon : the finite-difference step.
    blocks : sizes of consecutive blocks of ``params`` (default: one block of everything).
    """
    params = np.array(params, dtype=np.float64, copy=True)
    numeric = numerical_gradient(loss, params, epsilon)
    analytic = np.asarray(analytic, dtype=np.float64).ravel()
    floor = 1e-6 * (np.linalg.norm(analytic) + np.linalg.norm(numeric)) + 1e-300
    edges = np.cumsum([0, *(blocks or [params.size])])
    if edges[-1] != params.size:
        raise ValueError(f"blocks add up to {edges[-1]}, not to the {params.size} parameters")
    errors = []
    for start, stop in zip(edges[:-1], edges[1:], strict=True):
        g, n = analytic[start:stop], numeric[start:stop]
        scale = max(np.linalg.norm(g) + np.linalg.norm(n), floor)
        errors.append(np.linalg.norm(g - n) / scale)
    return float(max(errors))


class MLP(ParamsMixin):
    """A fully connected feed-forward network trained by backpropagation with momentum.

    Hidden layers use ``activation`` (sigmoid, tanh or ReLU). The output layer is matched to its
    loss so that its error signal is simply ``output - target``:

    * classification with two classes: one logistic unit and the cross-entropy;
    * classification with more classes: softmax units and the cross-entropy;
    * regression: linear units and half the squared error.

    Training is minibatch stochastic gradient descent with (heavy-ball) momentum on the mean
    loss plus ``alpha / 2`` times the squared weights.

    Parameters
    ----------
    hidden_layer_sizes : the width of each hidden layer, input to output (empty for none).
    activation : ``"sigmoid"``, ``"tanh"`` or ``"relu"`` for the hidden layers.
    task : ``"classification"`` or ``"regression"``.
    learning_rate : the step ``eta``.
    momentum : the factor ``mu`` on the previous update.
    batch_size : samples per step (the whole set if larger than it).
    max_iter : epochs of training.
    alpha : L2 penalty on the weights (not on the biases).
    shuffle : draw new minibatches each epoch.
    random_state : seed or generator for the initial weights and the minibatches.

    Attributes
    ----------
    coefs_ : list of weight matrices, layer ``l`` of shape (fan_in, fan_out).
    intercepts_ : list of bias vectors.
    classes_ : the sorted class labels (classification).
    loss_curve_ : the mean training loss of each epoch (averaged over its minibatches).
    n_iter_ : the epochs run.

    References
    ----------
    Rumelhart, D. E., Hinton, G. E., & Williams, R. J. (1986). Learning representations by
    back-propagating errors. Nature, 323, 533-536.
    Glorot, X., & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward
    neural networks. AISTATS (the initial weight scale for sigmoid and tanh).
    He, K., Zhang, X., Ren, S., & Sun, J. (2015). Delving deep into rectifiers. ICCV (the
    initial weight scale for ReLU).
    """

    def __init__(self, hidden_layer_sizes: tuple[int, ...] = (100,), activation: str = "relu",
                 task: str = "classification", learning_rate: float = 0.01,
                 momentum: float = 0.9, batch_size: int = 32, max_iter: int = 200,
                 alpha: float = 0.0, shuffle: bool = True, random_state=None) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.task = task
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.alpha = alpha
        self.shuffle = shuffle
        self.random_state = random_state

    # ----------------------------------------------------------------------------- training
    def fit(self, X, y) -> MLP:
        """Train on ``X`` of shape (n_samples, n_features) and labels or targets ``y``."""
        X, T = self._check_data(X, y, fitting=True)
        rng = check_random_state(self.random_state)
        self._initialize(X.shape[1], T.shape[1], rng)
        velocity = [np.zeros_like(p) for p in self._params()]
        batch = max(1, min(self.batch_size, len(X)))
        self.loss_curve_, self.n_iter_ = [], 0
        for epoch in range(1, self.max_iter + 1):
            order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            losses = []
            for start in range(0, len(X), batch):
                rows = order[start : start + batch]
                loss, grads = self._loss_and_gradients(X[rows], T[rows])
                self._momentum_step(velocity, grads)
                losses.append(loss)
            self.loss_curve_.append(float(np.mean(losses)))
            self.n_iter_ = epoch
            if not np.isfinite(self.loss_curve_[-1]):
                raise FloatingPointError("training diverged: lower the learning rate")
        return self

    def _check_data(self, X, y, fitting: bool) -> tuple[np.ndarray, np.ndarray]:
        """Inputs as floats and targets as a 2-D array: 0/1 or one-hot columns, or real values."""
        if self.task not in _TASKS or self.activation not in _ACTIVATIONS:
            raise ValueError(f"task must be in {_TASKS}, activation in {list(_ACTIVATIONS)}")
        X = check_array(X)
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
        if self.task == "regression":
            return X, check_array(y.reshape(len(y), -1), name="y")
        if fitting:
            self.classes_ = np.unique(y)
            if len(self.classes_) < 2:
                raise ValueError("y must contain at least two classes")
        index = np.searchsorted(self.classes_, y)
        if np.any(index >= len(self.classes_)) or np.any(self.classes_[index] != y):
            raise ValueError("y contains labels that were not seen in fit")
        if len(self.classes_) == 2:
            return X, (index == 1).astype(np.float64)[:, None]
        return X, (index[:, None] == np.arange(len(self.classes_))).astype(np.float64)

    def _initialize(self, n_inputs: int, n_outputs: int, rng: np.random.Generator) -> None:
        """Uniform weights scaled to the fans (Glorot & Bengio; He et al. for ReLU); zero biases."""
        sizes = [n_inputs, *self.hidden_layer_sizes, n_outputs]
        self.coefs_, self.intercepts_ = [], []
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            hidden_relu = self.activation == "relu" and layer < len(sizes) - 2
            bound = np.sqrt(6.0 / fan_in) if hidden_relu else np.sqrt(6.0 / (fan_in + fan_out))
            self.coefs_.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
            self.intercepts_.append(np.zeros(fan_out))

    def _params(self) -> list[np.ndarray]:
        """Every parameter array, weights first then biases (the order of the gradients)."""
        return [*self.coefs_, *self.intercepts_]

    def _momentum_step(self, velocity: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """``v <- mu v - eta g``; ``w <- w + v`` for every parameter (in place)."""
        for param, v, g in zip(self._params(), velocity, grads, strict=True):
            v *= self.momentum
            v -= self.learning_rate * g
            param += v

    # ------------------------------------------------------------------ the model's equations
    def _forward(self, X: np.ndarray) -> list[np.ndarray]:
        """The activations of every layer, the input first and the network output last."""
        hidden = _ACTIVATIONS[self.activation][0]
        activations = [X]
        for W, b in zip(self.coefs_[:-1], self.intercepts_[:-1], strict=True):
            activations.append(hidden(activations[-1] @ W + b))
        activations.append(self._output(activations[-1] @ self.coefs_[-1] + self.intercepts_[-1]))
        return activations

    def _output(self, z: np.ndarray) -> np.ndarray:
        """The output units: identity (regression), logistic (two classes) or softmax."""
        if self.task == "regression":
            return z
        if z.shape[1] == 1:
            return sigmoid(z)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def _data_loss(self, output: np.ndarray, T: np.ndarray) -> float:
        """Mean cross-entropy (classification) or half the mean squared error (regression)."""
        if self.task == "regression":
            return float(0.5 * np.mean(np.sum((output - T) ** 2, axis=1)))
        p = np.clip(output, 1e-12, 1.0 - 1e-12)
        if T.shape[1] == 1:
            return float(-np.mean(T * np.log(p) + (1.0 - T) * np.log(1.0 - p)))
        return float(-np.mean(np.sum(T * np.log(p), axis=1)))

    def _penalty(self) -> float:
        """``alpha / 2`` times the sum of the squared weights."""
        return 0.5 * self.alpha * sum(float(np.sum(W * W)) for W in self.coefs_)

    def _backward(self, activations: list[np.ndarray], T: np.ndarray) -> list[np.ndarray]:
        """Backpropagation: the gradient of the loss for every weight matrix and bias vector.

        The output delta is ``(output - T) / n`` for each of the three matched output/loss
        pairs; a hidden layer's delta is ``(delta_next @ W_next.T) * f'(a)``; the gradient of
        ``W`` is ``input.T @ delta`` (plus ``alpha W``) and that of ``b`` is ``delta`` summed.
        """
        derivative = _ACTIVATIONS[self.activation][1]
        delta = (activations[-1] - T) / len(T)
        weight_grads, bias_grads = [], []
        for layer in range(len(self.coefs_) - 1, -1, -1):
            weight_grads.append(activations[layer].T @ delta + self.alpha * self.coefs_[layer])
            bias_grads.append(delta.sum(axis=0))
            if layer > 0:
                delta = (delta @ self.coefs_[layer].T) * derivative(activations[layer])
        return [*weight_grads[::-1], *bias_grads[::-1]]

    def _loss_and_gradients(self, X: np.ndarray, T: np.ndarray) -> tuple[float, list[np.ndarray]]:
        """One forward and one backward pass: the loss and every parameter's gradient."""
        activations = self._forward(X)
        loss = self._data_loss(activations[-1], T) + self._penalty()
        return loss, self._backward(activations, T)

    # -------------------------------------------------------------------------- public API
    def loss_and_gradients(self, X, y) -> tuple[float, list[np.ndarray]]:
        """The training loss at the current weights and its hand-written gradient.

        Returns
        -------
        loss : mean data loss plus the L2 penalty.
        grads : gradients in the order ``[*coefs_, *intercepts_]``.
        """
        check_is_fitted(self, "coefs_")
        X, T = self._check_data(X, y, fitting=False)
        return self._loss_and_gradients(X, T)

    def check_gradient(self, X, y, epsilon: float = 1e-6) -> float:
        """The relative error between backpropagation and finite differences on ``(X, y)``.

        :func:`gradient_check` with one block per weight matrix and per bias vector. Call it on
        a fitted (or :meth:`fit` with ``max_iter=0``) network and a few samples; it evaluates
        the loss twice per parameter. Values below about 1e-6 mean the gradient is right.
        """
        check_is_fitted(self, "coefs_")
        X, T = self._check_data(X, y, fitting=False)
        shapes = [p.shape for p in self._params()]
        saved = [p.copy() for p in self._params()]

        def loss_at(flat: np.ndarray) -> float:
            self._set_flat(flat, shapes)
            return self._data_loss(self._forward(X)[-1], T) + self._penalty()

        flat = np.concatenate([p.ravel() for p in saved])
        analytic = np.concatenate([g.ravel() for g in self._loss_and_gradients(X, T)[1]])
        try:
            blocks = [int(np.prod(shape)) for shape in shapes]
            return gradient_check(loss_at, flat, analytic, epsilon, blocks)
        finally:
            self._set_flat(flat, shapes)

    def _set_flat(self, flat: np.ndarray, shapes: list[tuple[int, ...]]) -> None:
        """Copy a flat parameter vector back into ``coefs_`` and ``intercepts_``."""
        start = 0
        for param, shape in zip(self._params(), shapes, strict=True):
            size = int(np.prod(shape))
            param[...] = flat[start : start + size].reshape(shape)
            start += size

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes) (classification only)."""
        check_is_fitted(self, "coefs_")
        if self.task != "classification":
            raise AttributeError("predict_proba is only available for classification")
        output = self._forward(check_array(X))[-1]
        return np.hstack([1.0 - output, output]) if output.shape[1] == 1 else output

    def predict(self, X) -> np.ndarray:
        """Classification: the most probable class. Regression: the outputs (1-D for one target)."""
        check_is_fitted(self, "coefs_")
        if self.task == "classification":
            return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
        output = self._forward(check_array(X))[-1]
        return output[:, 0] if output.shape[1] == 1 else output

    def score(self, X, y) -> float:
        """Classification: accuracy. Regression: R^2, averaged over the outputs."""
        y = np.asarray(y)
        prediction = self.predict(X)
        if self.task == "classification":
            return float(np.mean(prediction == y))
        y, prediction = y.reshape(len(y), -1), prediction.reshape(len(y), -1)
        residual = np.sum((y - prediction) ** 2, axis=0)
        total = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
        return float(np.mean(1.0 - residual / total))
