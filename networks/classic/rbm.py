"""The Bernoulli restricted Boltzmann machine, trained by contrastive divergence.

Conventions: ``n_features`` binary visible units ``v`` and ``n_components`` binary hidden units
``h``, connected only across the two layers, with energy

    E(v, h) = -v^T b - h^T c - h^T W v,   W of shape (n_components, n_features),

stored as ``components_ = W``, ``intercept_visible_ = b`` and ``intercept_hidden_ = c``.
Summing out ``h`` gives the free energy ``F(v) = -v^T b - sum_j softplus(c_j + W_j v)`` and
``P(v) = exp(-F(v)) / Z``. Inputs are rows of values in [0, 1] (read as probabilities of a unit
being on); the exact partition function ``Z`` is available when one layer has at most 20 units.
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import (
    ParamsMixin,
    check_array,
    check_is_fitted,
    check_random_state,
    sigmoid,
)
from networks.classic.boltzmann import MAX_EXACT_UNITS, _logsumexp, binary_states

_CHUNK = 4096  # states per block when enumerating, to bound memory


class RBM(ParamsMixin):
    """Bernoulli restricted Boltzmann machine (Smolensky 1986) trained with CD-k or PCD.

    Contrastive divergence (Hinton 2002) follows the log-likelihood gradient

        dW ∝ <h v^T>_data - <h v^T>_model

    replacing the model average by the state of a Gibbs chain run ``k`` steps from each training
    vector (CD-k); persistent CD (Tieleman 2008) instead keeps ``batch_size`` chains running
    across updates, so they stay close to the model's distribution.

    Parameters
    ----------
    n_components : number of hidden units.
    learning_rate : step size on the mini-batch mean gradient.
    batch_size : training vectors per update (and number of persistent chains).
    n_iter : number of passes over the training data.
    k : Gibbs steps of the negative phase per update.
    persistent : keep the negative chains between updates (PCD) instead of restarting them at
        the data (CD).
    momentum : fraction of the previous update added to the current one.
    weight_decay : L2 penalty on the weights (not the intercepts).
    random_state : ``None``, an int seed or a ``numpy.random.Generator``.

    Attributes
    ----------
    components_ : ``(n_components, n_features)`` weights ``W``.
    intercept_hidden_ : ``(n_components,)`` hidden biases ``c``.
    intercept_visible_ : ``(n_features,)`` visible biases ``b``.
    chains_ : ``(batch_size, n_features)`` visible states of the persistent chains (PCD only).

    References
    ----------
    P. Smolensky, "Information processing in dynamical systems: foundations of harmony theory",
    in Parallel Distributed Processing vol. 1 (1986) 194-281.
    G. E. Hinton, "Training products of experts by minimizing contrastive divergence", Neural
    Computation 14 (2002) 1771-1800.
    T. Tieleman, "Training restricted Boltzmann machines using approximations to the likelihood
    gradient", ICML 2008.
    """

    def __init__(self, n_components: int = 64, learning_rate: float = 0.1, batch_size: int = 10,
                 n_iter: int = 10, k: int = 1, persistent: bool = False, momentum: float = 0.0,
                 weight_decay: float = 0.0, random_state=None):
        self.n_components = n_components
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.k = k
        self.persistent = persistent
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.random_state = random_state

    # ------------------------------------------------------------------ the model's equations
    def _hidden_probabilities(self, V: np.ndarray) -> np.ndarray:
        """``P(h_j = 1 | v) = sigmoid(c_j + W_j v)``, shape ``(n, n_components)``."""
        return sigmoid(V @ self.components_.T + self.intercept_hidden_)

    def _visible_probabilities(self, H: np.ndarray) -> np.ndarray:
        """``P(v_i = 1 | h) = sigmoid(b_i + h^T W_:i)``, shape ``(n, n_features)``."""
        return sigmoid(H @ self.components_ + self.intercept_visible_)

    @staticmethod
    def _bernoulli(p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A binary sample with ``P(1) = p`` elementwise."""
        return (rng.random(p.shape) < p).astype(np.float64)

    def free_energy(self, X) -> np.ndarray:
        """``F(v) = -v^T b - sum_j softplus(c_j + W_j v)`` of each row (``P(v) ∝ exp(-F(v))``)."""
        check_is_fitted(self, "components_")
        V = check_array(X)
        pre_activation = V @ self.components_.T + self.intercept_hidden_
        return -V @ self.intercept_visible_ - np.logaddexp(0.0, pre_activation).sum(axis=1)

    def _hidden_free_energy(self, H: np.ndarray) -> np.ndarray:
        """The free energy with ``v`` summed out: ``-h^T c - sum_i softplus(b_i + h^T W_:i)``."""
        pre_activation = H @ self.components_ + self.intercept_visible_
        return -H @ self.intercept_hidden_ - np.logaddexp(0.0, pre_activation).sum(axis=1)

    def _gibbs_step(self, V: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One block Gibbs step ``v -> h ~ P(h|v) -> v' ~ P(v|h)``, returning ``v'``."""
        H = self._bernoulli(self._hidden_probabilities(V), rng)
        return self._bernoulli(self._visible_probabilities(H), rng)

    def gibbs(self, X, n_steps: int = 1, probabilities: bool = False,
              random_state=None) -> np.ndarray:
        """Visible states after ``n_steps`` block Gibbs steps started at the rows of ``X``.

        With ``probabilities=True`` the last step returns ``P(v = 1 | h)`` instead of a binary
        sample (smoother pictures of where the chains are).
        """
        check_is_fitted(self, "components_")
        rng = check_random_state(random_state)
        V = check_array(X)
        for step in range(n_steps):
            if probabilities and step == n_steps - 1:
                H = self._bernoulli(self._hidden_probabilities(V), rng)
                return self._visible_probabilities(H)
            V = self._gibbs_step(V, rng)
        return V

    # ------------------------------------------------------------------ learning
    def _negative_phase(self, V_data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Visible states of the negative phase: ``k`` Gibbs steps from the data (CD-k) or
        from the persistent chains (PCD), which are then advanced."""
        V = self.chains_ if self.persistent else V_data
        for _ in range(self.k):
            V = self._gibbs_step(V, rng)
        if self.persistent:
            self.chains_ = V
        return V

    def _gradient(self, V_pos: np.ndarray, V_neg: np.ndarray,
                  neg_weights: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Estimate of the mean log-likelihood gradient for ``W``, ``b`` and ``c``.

        The data term averages over ``V_pos``, the model term over ``V_neg`` (uniformly, or
        with ``neg_weights`` summing to one: given every visible state weighted by its exact
        probability the result is the exact gradient, which the tests check). Hidden statistics
        use the probabilities ``P(h|v)`` rather than samples, which has the same expectation and
        less noise (Hinton 2002).
        """
        if neg_weights is None:
            neg_weights = np.full(len(V_neg), 1.0 / len(V_neg))
        H_pos = self._hidden_probabilities(V_pos)
        H_neg = self._hidden_probabilities(V_neg)
        grad_w = H_pos.T @ V_pos / len(V_pos) - (H_neg * neg_weights[:, None]).T @ V_neg
        grad_w -= self.weight_decay * self.components_
        grad_b = V_pos.mean(axis=0) - neg_weights @ V_neg
        grad_c = H_pos.mean(axis=0) - neg_weights @ H_neg
        return grad_w, grad_b, grad_c

    def _initialize(self, n_features: int, rng: np.random.Generator) -> None:
        """Small random weights, zero intercepts, empty velocities and (PCD) random chains."""
        self.components_ = rng.normal(0.0, 0.01, (self.n_components, n_features))
        self.intercept_hidden_ = np.zeros(self.n_components)
        self.intercept_visible_ = np.zeros(n_features)
        self._velocity = [np.zeros_like(self.components_), np.zeros_like(self.intercept_visible_),
                          np.zeros_like(self.intercept_hidden_)]
        if self.persistent:
            self.chains_ = self._bernoulli(np.full((self.batch_size, n_features), 0.5), rng)

    def _update(self, V_batch: np.ndarray, rng: np.random.Generator) -> None:
        """One momentum step of gradient ascent on one mini-batch."""
        gradients = self._gradient(V_batch, self._negative_phase(V_batch, rng))
        params = [self.components_, self.intercept_visible_, self.intercept_hidden_]
        for param, velocity, grad in zip(params, self._velocity, gradients, strict=True):
            velocity *= self.momentum
            velocity += self.learning_rate * grad
            param += velocity

    def fit(self, X, y=None) -> RBM:
        """Train on the rows of ``X`` (values in [0, 1]) for ``n_iter`` shuffled passes."""
        X = check_array(X)
        if X.min() < 0 or X.max() > 1:
            raise ValueError("X must hold values in [0, 1]")
        rng = check_random_state(self.random_state)
        self._initialize(X.shape[1], rng)
        for _ in range(self.n_iter):
            order = rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                self._update(X[order[start:start + self.batch_size]], rng)
        return self

    # ------------------------------------------------------------------ using the model
    def transform(self, X) -> np.ndarray:
        """Hidden-unit probabilities ``P(h = 1 | v)`` of each row: the learned features."""
        check_is_fitted(self, "components_")
        return self._hidden_probabilities(check_array(X))

    def log_partition(self) -> float:
        """Exact ``log Z``, enumerating the states of the smaller layer (at most 20 units)."""
        check_is_fitted(self, "components_")
        n_visible, n_hidden = self.components_.shape[1], self.components_.shape[0]
        n_enumerated = min(n_visible, n_hidden)
        if n_enumerated > MAX_EXACT_UNITS:
            raise ValueError(f"both layers have more than {MAX_EXACT_UNITS} units: "
                             "the partition function cannot be enumerated")
        states = binary_states(n_enumerated)
        free_energy = self.free_energy if n_visible <= n_hidden else self._hidden_free_energy
        blocks = [-free_energy(states[i:i + _CHUNK]) for i in range(0, len(states), _CHUNK)]
        return float(_logsumexp(np.concatenate(blocks), axis=0))

    def log_likelihood(self, X) -> np.ndarray:
        """Exact ``log P(v) = -F(v) - log Z`` of each row (small networks only)."""
        return -self.free_energy(X) - self.log_partition()

    def score_samples(self, X, method: str = "pseudo_likelihood") -> np.ndarray:
        """A per-row score of how well the model fits ``X`` (higher is better).

        ``method="pseudo_likelihood"`` (Besag 1975): ``sum_i log P(v_i | v_-i)``, every unit
        scored given all the others, computed from free-energy differences (deterministic;
        ``X`` should be binary). ``"free_energy"``: ``-F(v)``, the log-likelihood up to the
        constant ``log Z``. ``"exact"``: the exact log-likelihood.
        """
        check_is_fitted(self, "components_")
        V = check_array(X)
        if method == "free_energy":
            return -self.free_energy(V)
        if method == "exact":
            return self.log_likelihood(V)
        if method != "pseudo_likelihood":
            raise ValueError(f"unknown method {method!r}")
        return self._pseudo_log_likelihood(V)

    def _pseudo_log_likelihood(self, V: np.ndarray) -> np.ndarray:
        """``sum_i log sigmoid(F(v with bit i flipped) - F(v))`` for each row."""
        energy = self.free_energy(V)
        total = np.zeros(len(V))
        for i in range(V.shape[1]):
            flipped = V.copy()
            flipped[:, i] = 1.0 - flipped[:, i]
            total += -np.logaddexp(0.0, energy - self.free_energy(flipped))
        return total

    def sample(self, n_samples: int, n_steps: int = 1000, random_state=None) -> np.ndarray:
        """Visible samples from ``n_samples`` Gibbs chains run ``n_steps`` from random states."""
        check_is_fitted(self, "components_")
        rng = check_random_state(random_state)
        start = self._bernoulli(np.full((n_samples, self.components_.shape[1]), 0.5), rng)
        return self.gibbs(start, n_steps=n_steps, random_state=rng)
