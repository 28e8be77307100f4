"""The Boltzmann machine of Ackley, Hinton & Sejnowski (1985), with exact or sampled gradients.

Conventions: units are binary (0 or 1) and ordered visible first, then hidden; a state of the
whole network is a row ``s`` of length ``n_units = n_visible + n_hidden``. The energy is

    E(s) = -1/2 s^T W s - b^T s,   W symmetric with a zero diagonal,

and at temperature ``T`` the network visits state ``s`` with probability
``exp(-E(s) / T) / Z`` (the Boltzmann distribution); learning happens at ``T = 1``. A connectivity
mask says which weights exist (for example the encoder's, where ``V1`` and ``V2`` meet only
through the hidden units); absent weights stay at zero.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from networks.classic._base import (
    ParamsMixin,
    check_array,
    check_is_fitted,
    check_random_state,
    sigmoid,
)

MAX_EXACT_UNITS = 20  # 2**20 states: the most that exact enumeration handles in memory
# Read-out by annealing continues cooling below T = 1 so that the answer is the bottom of an
# energy valley rather than a T = 1 sample: (temperature, sweeps), then one greedy sweep.
_READOUT_COOLING = ((0.5, 2), (0.25, 2), (0.1, 2))


@lru_cache(maxsize=8)
def binary_states(n: int) -> np.ndarray:
    """Every binary vector of length ``n``, as the rows of a ``(2**n, n)`` float array.

    Row ``r`` is the binary expansion of ``r``, most significant bit first. The result is cached
    (training enumerates the same states at every update) and therefore read-only.
    """
    codes = np.arange(2**n)[:, None]
    states = ((codes >> np.arange(n - 1, -1, -1)) & 1).astype(np.float64)
    states.flags.writeable = False
    return states


def _logsumexp(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """``log(sum(exp(a)))`` along ``axis`` without overflow."""
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis=axis) + np.log(np.sum(np.exp(a - top), axis=axis))


class BoltzmannMachine(ParamsMixin):
    """A Boltzmann machine with visible and hidden units, trained by the Boltzmann learning rule.

    The log-likelihood gradient of a weight is the difference of two co-occurrence statistics
    (Ackley, Hinton & Sejnowski 1985)::

        d log P(data) / d w_ij = <s_i s_j>_clamped - <s_i s_j>_free

    where ``clamped`` averages over the hidden states given each training vector and ``free``
    over the model's own equilibrium distribution. With ``method="exact"`` both averages are
    computed by enumerating every state (small networks only, at most 20 units); with
    ``method="gibbs"`` they are estimated from Gibbs-sampling chains that are first cooled by
    simulated annealing (Kirkpatrick, Gelatt & Vecchi 1983), as in the original paper.

    Parameters
    ----------
    n_hidden : number of hidden units.
    connectivity : symmetric boolean ``(n_units, n_units)`` mask of the weights that exist
        (visible units first); ``None`` connects every pair of distinct units.
    method : ``"exact"`` (enumeration) or ``"gibbs"`` (annealed Gibbs sampling).
    learning_rate : step size of gradient ascent on the mean log-likelihood.
    n_iter : number of full-batch updates.
    momentum : fraction of the previous update added to the current one.
    weight_decay : L2 penalty on the weights (not the biases).
    init_scale : standard deviation of the initial weights.
    annealing_schedule : ``(temperature, sweeps)`` pairs run in order before statistics are
        collected at ``T = 1`` (``method="gibbs"`` and ``complete(..., method="anneal")``).
    n_collect_sweeps : sweeps at ``T = 1`` whose states are averaged into the statistics.
    n_chains : number of parallel chains per phase (``method="gibbs"``).
    random_state : ``None``, an int seed or a ``numpy.random.Generator``.

    Attributes
    ----------
    weights_ : ``(n_units, n_units)`` symmetric weights, zero where ``connectivity`` is False.
    biases_ : ``(n_units,)`` unit biases.
    n_visible_ : number of visible units seen in ``fit``.
    connectivity_ : the boolean mask used.
    loss_curve_ : mean negative log-likelihood before each update (``method="exact"`` only).

    References
    ----------
    D. H. Ackley, G. E. Hinton and T. J. Sejnowski, "A learning algorithm for Boltzmann
    machines", Cognitive Science 9 (1985) 147-169.
    """

    def __init__(self, n_hidden: int = 2, connectivity: np.ndarray | None = None,
                 method: str = "exact", learning_rate: float = 0.5, n_iter: int = 1000,
                 momentum: float = 0.5, weight_decay: float = 0.0, init_scale: float = 0.5,
                 annealing_schedule: tuple = ((8.0, 2), (4.0, 2), (2.0, 2), (1.5, 2), (1.0, 2)),
                 n_collect_sweeps: int = 10, n_chains: int = 200, random_state=None):
        self.n_hidden = n_hidden
        self.connectivity = connectivity
        self.method = method
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.init_scale = init_scale
        self.annealing_schedule = annealing_schedule
        self.n_collect_sweeps = n_collect_sweeps
        self.n_chains = n_chains
        self.random_state = random_state

    # ------------------------------------------------------------------ the model's equations
    def energy(self, states: np.ndarray) -> np.ndarray:
        """``E(s) = -1/2 s^T W s - b^T s`` of each row of ``states`` (shape ``(..., n_units)``)."""
        check_is_fitted(self, "weights_")
        return -0.5 * np.sum((states @ self.weights_) * states, axis=-1) - states @ self.biases_

    def _local_field(self, states: np.ndarray, unit: int) -> np.ndarray:
        """Energy gap of turning ``unit`` on: ``sum_j w_ij s_j + b_i``, one per row."""
        return states @ self.weights_[:, unit] + self.biases_[unit]

    def _sweep(self, states: np.ndarray, free: np.ndarray, temperature: float,
               rng: np.random.Generator) -> None:
        """Visit each free unit once, setting it on with probability ``sigmoid(gap / T)``.

        ``temperature=0`` makes the update greedy (the unit takes its lower-energy state).
        Updates ``states`` in place; one random visiting order is shared by all chains.
        """
        for unit in rng.permutation(free):
            gap = self._local_field(states, unit)
            if temperature == 0:
                states[:, unit] = gap > 0
            else:
                states[:, unit] = rng.random(len(states)) < sigmoid(gap / temperature)

    def _anneal(self, states: np.ndarray, free: np.ndarray, rng: np.random.Generator) -> None:
        """Cool the free units along ``annealing_schedule`` (simulated annealing), in place."""
        for temperature, sweeps in self.annealing_schedule:
            for _ in range(sweeps):
                self._sweep(states, free, temperature, rng)

    # ------------------------------------------------------------------ exact enumeration
    def _enumerate(self, clamped_rows: np.ndarray, clamped: np.ndarray) -> np.ndarray:
        """Every state that agrees with each row on the ``clamped`` units.

        ``clamped_rows`` is ``(m, n_units)`` (values on unclamped units are ignored); the result
        is ``(m, 2**n_free, n_units)``.
        """
        free = np.flatnonzero(~clamped)
        if len(free) > MAX_EXACT_UNITS:
            raise ValueError(f"{len(free)} free units is too many to enumerate "
                             f"(at most {MAX_EXACT_UNITS}); use method='gibbs'")
        states = np.repeat(clamped_rows[:, None, :], 2 ** len(free), axis=1)
        states[:, :, free] = binary_states(len(free))
        return states

    def _visible_clamp(self) -> np.ndarray:
        """Boolean mask over all units, True on the visible ones."""
        return np.arange(len(self.biases_)) < self.n_visible_

    def _pad_hidden(self, V: np.ndarray) -> np.ndarray:
        """Visible rows padded with zeros for the hidden units, shape ``(m, n_units)``."""
        return np.hstack([V, np.zeros((len(V), self.n_hidden))])

    @staticmethod
    def _moments(states: np.ndarray, log_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sums over rows ``r`` of ``<s s^T>`` and ``<s>`` under ``p_r(k) ∝ exp(log_weights[r,k])``.

        ``states`` is ``(m, K, n_units)`` and ``log_weights`` ``(m, K)``.
        """
        p = np.exp(log_weights - _logsumexp(log_weights)[:, None])
        flat = states.reshape(-1, states.shape[-1])
        weighted = flat * p.reshape(-1, 1)
        return weighted.T @ flat, weighted.sum(axis=0)

    def _exact_statistics(self, V: np.ndarray) -> tuple[np.ndarray, ...]:
        """Clamped and free ``<s s^T>``, ``<s>`` and the mean log-likelihood, by enumeration."""
        clamped_states = self._enumerate(self._pad_hidden(V), self._visible_clamp())
        clamped_logits = -self.energy(clamped_states)  # (m, 2**n_hidden)
        pos_ss, pos_s = self._moments(clamped_states, clamped_logits)
        n_units = len(self.biases_)
        free_states = self._enumerate(np.zeros((1, n_units)), np.zeros(n_units, dtype=bool))
        free_logits = -self.energy(free_states)
        neg_ss, neg_s = self._moments(free_states, free_logits)
        log_likelihood = np.mean(_logsumexp(clamped_logits)) - _logsumexp(free_logits)[0]
        m = len(V)
        return pos_ss / m, pos_s / m, neg_ss, neg_s, log_likelihood

    def _sampled_statistics(self, V: np.ndarray, rng: np.random.Generator
                            ) -> tuple[np.ndarray, ...]:
        """Clamped and free ``<s s^T>``, ``<s>`` from annealed Gibbs chains (log-lik. is NaN)."""
        n_units = len(self.biases_)
        per_row = max(1, self.n_chains // len(V))
        clamped = self._pad_hidden(np.repeat(V, per_row, axis=0))
        clamped[:, self.n_visible_:] = rng.random((len(clamped), self.n_hidden)) < 0.5
        pos_ss, pos_s = self._chain_moments(clamped, np.arange(self.n_visible_, n_units), rng)
        free = (rng.random((self.n_chains, n_units)) < 0.5).astype(np.float64)
        neg_ss, neg_s = self._chain_moments(free, np.arange(n_units), rng)
        return pos_ss, pos_s, neg_ss, neg_s, np.nan

    def _chain_moments(self, states: np.ndarray, free: np.ndarray, rng: np.random.Generator
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Anneal ``states``, then average ``s s^T`` and ``s`` over ``n_collect_sweeps`` at T=1."""
        self._anneal(states, free, rng)
        second = np.zeros((states.shape[1], states.shape[1]))
        first = np.zeros(states.shape[1])
        for _ in range(self.n_collect_sweeps):
            self._sweep(states, free, 1.0, rng)
            second += states.T @ states / len(states)
            first += states.mean(axis=0)
        return second / self.n_collect_sweeps, first / self.n_collect_sweeps

    def _gradient(self, V: np.ndarray, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray, float]:
        """Gradient of the mean log-likelihood for the weights and biases, and the
        log-likelihood itself (NaN when sampled)."""
        if self.method == "exact":
            pos_ss, pos_s, neg_ss, neg_s, log_likelihood = self._exact_statistics(V)
        else:
            pos_ss, pos_s, neg_ss, neg_s, log_likelihood = self._sampled_statistics(V, rng)
        grad_w = (pos_ss - neg_ss) * self.connectivity_
        return grad_w, pos_s - neg_s, log_likelihood

    # ------------------------------------------------------------------ estimator API
    def _check_params(self, n_units: int) -> np.ndarray:
        """The connectivity mask to use, after checking the hyperparameters."""
        if self.method not in ("exact", "gibbs"):
            raise ValueError(f"method must be 'exact' or 'gibbs', not {self.method!r}")
        if self.connectivity is None:
            mask = ~np.eye(n_units, dtype=bool)
        else:
            mask = np.asarray(self.connectivity, dtype=bool)
        if mask.shape != (n_units, n_units) or not np.array_equal(mask, mask.T):
            raise ValueError(f"connectivity must be a symmetric ({n_units}, {n_units}) mask")
        return mask & ~np.eye(n_units, dtype=bool)

    def fit(self, X) -> BoltzmannMachine:
        """Learn weights so that the free-running network reproduces the rows of ``X``.

        ``X`` is ``(n_samples, n_visible)`` of 0/1 values; its rows are equally likely under
        the data distribution (repeat a row to give it more weight).
        """
        X = check_array(X)
        rng = check_random_state(self.random_state)
        n_units = X.shape[1] + self.n_hidden
        self.connectivity_ = self._check_params(n_units)
        self.n_visible_ = X.shape[1]
        upper = np.triu(rng.normal(0.0, self.init_scale, (n_units, n_units)), 1)
        self.weights_ = (upper + upper.T) * self.connectivity_
        self.biases_ = np.zeros(n_units)
        self.loss_curve_ = []
        velocity_w, velocity_b = np.zeros_like(self.weights_), np.zeros_like(self.biases_)
        for _ in range(self.n_iter):
            grad_w, grad_b, log_likelihood = self._gradient(X, rng)
            grad_w -= self.weight_decay * self.weights_
            velocity_w = self.momentum * velocity_w + self.learning_rate * grad_w
            velocity_b = self.momentum * velocity_b + self.learning_rate * grad_b
            self.weights_ += velocity_w
            self.biases_ += velocity_b
            if self.method == "exact":
                self.loss_curve_.append(-log_likelihood)
        return self

    def log_partition(self) -> float:
        """``log Z``, the log of the sum of ``exp(-E(s))`` over all states (exact)."""
        check_is_fitted(self, "weights_")
        n_units = len(self.biases_)
        states = self._enumerate(np.zeros((1, n_units)), np.zeros(n_units, dtype=bool))
        return float(_logsumexp(-self.energy(states))[0])

    def log_likelihood(self, X) -> np.ndarray:
        """Exact ``log P(v)`` of each visible row of ``X``, summing over the hidden states."""
        check_is_fitted(self, "weights_")
        V = check_array(X)
        states = self._enumerate(self._pad_hidden(V), self._visible_clamp())
        return _logsumexp(-self.energy(states)) - self.log_partition()

    def score(self, X) -> float:
        """Mean exact log-likelihood of the rows of ``X``."""
        return float(np.mean(self.log_likelihood(X)))

    def conditional_log_proba(self, X, clamped) -> np.ndarray:
        """Exact ``log P(v_free | v_clamped)`` of each row of ``X``.

        ``clamped`` is a boolean mask over the visible units: those units are held at the row's
        values; the other visible units are scored at the row's values, the hidden units summed
        out. For the encoder, clamping ``V1`` gives the probability of the right ``V2`` pattern.
        """
        check_is_fitted(self, "weights_")
        V = check_array(X)
        mask = np.r_[np.asarray(clamped, dtype=bool), np.zeros(self.n_hidden, dtype=bool)]
        numerator = _logsumexp(-self.energy(self._enumerate(self._pad_hidden(V),
                                                            self._visible_clamp())))
        denominator = _logsumexp(-self.energy(self._enumerate(self._pad_hidden(V), mask)))
        return numerator - denominator

    def complete(self, X, clamped, method: str = "exact", random_state=None) -> np.ndarray:
        """Fill in the unclamped visible units of each row of ``X`` (pattern completion).

        ``method="exact"`` returns the most probable completion ``argmax P(v_free | v_clamped)``
        by enumeration; ``method="anneal"`` cools the network with the clamped units held
        (``annealing_schedule``, then further below ``T = 1``) and finally lets each free unit
        take its lower-energy state, the original paper's way of reading out an answer.
        ``random_state`` seeds the annealing.
        """
        check_is_fitted(self, "weights_")
        V = check_array(X)
        visible_clamp = np.asarray(clamped, dtype=bool)
        if method == "exact":
            return self._exact_completion(V, visible_clamp)
        if method != "anneal":
            raise ValueError(f"method must be 'exact' or 'anneal', not {method!r}")
        rng = check_random_state(random_state)
        states = self._pad_hidden(V)
        free = np.flatnonzero(~np.r_[visible_clamp, np.zeros(self.n_hidden, dtype=bool)])
        states[:, free] = rng.random((len(V), len(free))) < 0.5
        self._anneal(states, free, rng)
        for temperature, sweeps in _READOUT_COOLING:
            for _ in range(sweeps):
                self._sweep(states, free, temperature, rng)
        self._sweep(states, free, 0.0, rng)
        return states[:, :self.n_visible_]

    def _exact_completion(self, V: np.ndarray, visible_clamp: np.ndarray) -> np.ndarray:
        """The most probable values of the unclamped visible units of each row, by enumeration."""
        candidates = self._enumerate(V, visible_clamp)  # (m, 2**n_free_visible, n_visible)
        m, k, _ = candidates.shape
        scores = self.log_likelihood(candidates.reshape(m * k, -1)).reshape(m, k)
        return candidates[np.arange(m), np.argmax(scores, axis=1)]
