"""A deep belief network: RBMs stacked greedily, then fine-tuned as a classifier by backprop.

Conventions: the network maps ``(n_samples, n_features)`` inputs in [0, 1] through sigmoid
layers of sizes ``hidden_layer_sizes`` to a softmax over the classes. Layer ``l`` computes
``a_l = sigmoid(a_{l-1} @ coefs_[l] + intercepts_[l])``; the last layer's logits go through a
softmax. Pretraining fits one :class:`~networks.classic.rbm.RBM` per hidden layer, each on the
hidden probabilities of the one below, and copies its weights into the layer.
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import (
    ParamsMixin,
    check_array,
    check_is_fitted,
    check_random_state,
    check_X_y,
    sigmoid,
)
from networks.classic.rbm import RBM


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so that ``exp`` cannot overflow."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class DBN(ParamsMixin):
    """Deep belief network (Hinton, Osindero & Teh 2006) used as a classifier.

    ``fit`` first trains a stack of RBMs without labels, layer by layer (greedy layer-wise
    pretraining), on the labelled inputs plus any ``X_unlabelled``; the stack's weights then
    initialise a sigmoid network with a softmax output layer, which is fine-tuned on the
    labelled data by backpropagation of the cross-entropy (Hinton & Salakhutdinov 2006). With
    ``pretrain=False`` the same network starts from random weights instead (Glorot & Bengio
    2010 scaling), the baseline that shows what pretraining buys when labels are scarce.

    Parameters
    ----------
    hidden_layer_sizes : units in each hidden (RBM) layer, bottom to top.
    pretrain : initialise the hidden layers by greedy RBM pretraining (else randomly).
    rbm_learning_rate, rbm_n_iter, rbm_batch_size, rbm_k, rbm_momentum : the RBMs'
        ``learning_rate``, ``n_iter``, ``batch_size``, ``k`` and ``momentum``.
    learning_rate : fine-tuning step size.
    momentum : fine-tuning momentum.
    n_epochs : passes over the labelled data during fine-tuning.
    batch_size : fine-tuning mini-batch size (``None``: the whole labelled set).
    weight_decay : L2 penalty on the weights during fine-tuning.
    random_state : ``None``, an int seed or a ``numpy.random.Generator``.

    Attributes
    ----------
    rbms_ : the pretrained RBMs, bottom to top (empty when ``pretrain=False``).
    coefs_ : weight matrices, ``coefs_[l]`` of shape ``(n_in, n_out)``; the last is the output's.
    intercepts_ : bias vectors, one per layer.
    classes_ : the class labels, in the order of the output units.
    loss_curve_ : mean training loss (cross-entropy plus penalty) after each epoch.

    References
    ----------
    G. E. Hinton, S. Osindero and Y.-W. Teh, "A fast learning algorithm for deep belief nets",
    Neural Computation 18 (2006) 1527-1554.
    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of data with neural
    networks", Science 313 (2006) 504-507.
    X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward neural
    networks", AISTATS 2010.
    """

    def __init__(self, hidden_layer_sizes: tuple[int, ...] = (128, 64), pretrain: bool = True,
                 rbm_learning_rate: float = 0.05, rbm_n_iter: int = 20, rbm_batch_size: int = 10,
                 rbm_k: int = 1, rbm_momentum: float = 0.5, learning_rate: float = 0.1,
                 momentum: float = 0.9, n_epochs: int = 200, batch_size: int | None = None,
                 weight_decay: float = 1e-4, random_state=None):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.pretrain = pretrain
        self.rbm_learning_rate = rbm_learning_rate
        self.rbm_n_iter = rbm_n_iter
        self.rbm_batch_size = rbm_batch_size
        self.rbm_k = rbm_k
        self.rbm_momentum = rbm_momentum
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.random_state = random_state

    # ------------------------------------------------------------------ initialisation
    def _pretrain_layers(self, X: np.ndarray, rng: np.random.Generator) -> None:
        """Greedy layer-wise pretraining: each RBM models the features of the one below."""
        self.rbms_ = []
        data = X
        for size in self.hidden_layer_sizes:
            rbm = RBM(n_components=size, learning_rate=self.rbm_learning_rate,
                      batch_size=self.rbm_batch_size, n_iter=self.rbm_n_iter, k=self.rbm_k,
                      momentum=self.rbm_momentum, random_state=rng).fit(data)
            self.rbms_.append(rbm)
            data = rbm.transform(data)
        self.coefs_ = [rbm.components_.T.copy() for rbm in self.rbms_]
        self.intercepts_ = [rbm.intercept_hidden_.copy() for rbm in self.rbms_]

    def _random_layers(self, n_features: int, rng: np.random.Generator) -> None:
        """Hidden layers drawn uniformly in ``±sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio)."""
        self.rbms_ = []
        sizes = [n_features, *self.hidden_layer_sizes]
        self.coefs_ = [rng.uniform(-1, 1, (n_in, n_out)) * np.sqrt(6.0 / (n_in + n_out))
                       for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
        self.intercepts_ = [np.zeros(n_out) for n_out in sizes[1:]]

    def _add_output_layer(self, n_classes: int, rng: np.random.Generator) -> None:
        """A softmax layer with small random weights on top of the hidden stack."""
        n_in = self.coefs_[-1].shape[1]
        self.coefs_.append(rng.normal(0.0, 0.01, (n_in, n_classes)))
        self.intercepts_.append(np.zeros(n_classes))

    # ------------------------------------------------------------------ backpropagation
    def _forward(self, X: np.ndarray) -> list[np.ndarray]:
        """Activations of every layer, input first and softmax probabilities last."""
        activations = [X]
        for coef, intercept in zip(self.coefs_[:-1], self.intercepts_[:-1], strict=True):
            activations.append(sigmoid(activations[-1] @ coef + intercept))
        activations.append(_softmax(activations[-1] @ self.coefs_[-1] + self.intercepts_[-1]))
        return activations

    def _loss(self, activations: list[np.ndarray], Y: np.ndarray) -> float:
        """Mean cross-entropy of the one-hot targets ``Y`` plus ``weight_decay/2 * sum W^2``."""
        cross_entropy = -np.mean(np.sum(Y * np.log(activations[-1] + 1e-12), axis=1))
        penalty = 0.5 * self.weight_decay * sum(np.sum(c * c) for c in self.coefs_)
        return float(cross_entropy + penalty)

    def _backward(self, activations: list[np.ndarray], Y: np.ndarray
                  ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of :meth:`_loss` for every weight matrix and bias (backpropagation).

        At the softmax the error is ``p - y``; below, each sigmoid layer multiplies the error
        passed down by its derivative ``a (1 - a)``.
        """
        delta = (activations[-1] - Y) / len(Y)
        grad_coefs, grad_intercepts = [], []
        for layer in range(len(self.coefs_) - 1, -1, -1):
            grad_coefs.append(activations[layer].T @ delta + self.weight_decay * self.coefs_[layer])
            grad_intercepts.append(delta.sum(axis=0))
            if layer:
                below = activations[layer]
                delta = (delta @ self.coefs_[layer].T) * below * (1.0 - below)
        return grad_coefs[::-1], grad_intercepts[::-1]

    def _fine_tune(self, X: np.ndarray, Y: np.ndarray, rng: np.random.Generator) -> None:
        """Mini-batch gradient descent with momentum on the whole network."""
        params = self.coefs_ + self.intercepts_
        velocities = [np.zeros_like(p) for p in params]
        batch = self.batch_size or len(X)
        self.loss_curve_ = []
        for _ in range(self.n_epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), batch):
                rows = order[start:start + batch]
                grad_coefs, grad_intercepts = self._backward(self._forward(X[rows]), Y[rows])
                for param, velocity, grad in zip(params, velocities,
                                                 grad_coefs + grad_intercepts, strict=True):
                    velocity *= self.momentum
                    velocity -= self.learning_rate * grad
                    param += velocity
            self.loss_curve_.append(self._loss(self._forward(X), Y))

    # ------------------------------------------------------------------ estimator API
    def fit(self, X, y, X_unlabelled=None) -> DBN:
        """Pretrain on ``X`` and ``X_unlabelled`` (if ``pretrain``), then fine-tune on ``(X, y)``.

        ``X`` holds values in [0, 1]; ``X_unlabelled`` (optional) more inputs without labels,
        used only by the unsupervised pretraining.
        """
        X, y = check_X_y(X, y)
        rng = check_random_state(self.random_state)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if self.pretrain:
            pool = X if X_unlabelled is None else np.vstack([X, check_array(X_unlabelled)])
            self._pretrain_layers(pool, rng)
        else:
            self._random_layers(X.shape[1], rng)
        self._add_output_layer(len(self.classes_), rng)
        self._fine_tune(X, np.eye(len(self.classes_))[y_index], rng)
        return self

    def transform(self, X) -> np.ndarray:
        """Activations of the top hidden layer, ``(n_samples, hidden_layer_sizes[-1])``."""
        check_is_fitted(self, "coefs_")
        return self._forward(check_array(X))[-2]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities from the softmax layer, columns ordered as ``classes_``."""
        check_is_fitted(self, "coefs_")
        return self._forward(check_array(X))[-1]

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row."""
        check_is_fitted(self, "coefs_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def score(self, X, y) -> float:
        """Classification accuracy on ``(X, y)``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
