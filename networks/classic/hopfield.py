"""The Hopfield network: an auto-associative memory of +-1 patterns with an energy function.

References: J. J. Hopfield (1982), "Neural networks and physical systems with emergent
collective computational abilities", PNAS 79(8), 2554-2558 (Hebbian storage, asynchronous
updates, the energy); L. Personnaz, I. Guyon and G. Dreyfus (1985), "Information storage and
retrieval in spin-glass like neural networks", Journal de Physique Lettres 46, L359-L365 (the
pseudo-inverse, or projection, rule); I. Kanter and H. Sompolinsky (1987), "Associative recall
of memory without errors", Physical Review A 35, 380 (zeroing the projection rule's diagonal).
"""

from __future__ import annotations

import numpy as np

from networks.classic._base import ParamsMixin, check_array, check_is_fitted, check_random_state

_RULES = ("hebbian", "pseudoinverse")
_MODES = ("async", "sync")


class HopfieldNetwork(ParamsMixin):
    """A fully connected network of +-1 units with symmetric weights and no self-connections.

    Storage (``fit``) sets the weights from the patterns ``xi`` (rows of +-1):

    * ``rule="hebbian"``: ``W = (1/N) sum_mu xi_mu xi_mu^T`` (Hopfield 1982); capacity about
      ``0.138 N`` random patterns;
    * ``rule="pseudoinverse"``: ``W = Xi^T (Xi Xi^T)^-1 Xi``, the projection onto the patterns'
      span (Personnaz et al. 1985); every linearly independent pattern is a fixed point, up to
      ``N`` of them.

    The diagonal is set to zero in both cases. Recall updates a unit to the sign of its local
    field ``h_i = sum_j w_ij s_j`` (a unit with ``h_i = 0`` keeps its state). The energy
    ``E(s) = -1/2 s^T W s`` never rises under asynchronous updates, one unit at a time, because
    ``W`` is symmetric with a zero diagonal; synchronous updates of all units at once may
    instead fall into two-cycles.

    Parameters
    ----------
    rule : ``"hebbian"`` or ``"pseudoinverse"``.
    max_iter : the most sweeps (asynchronous) or steps (synchronous) of :meth:`recall`.
    random_state : seed or generator for the order of the asynchronous updates.

    Attributes
    ----------
    weights_ : array of shape (n_units, n_units), symmetric with a zero diagonal.
    patterns_ : the stored patterns, array of shape (n_patterns, n_units).
    n_iter_ : the sweeps or steps taken by the last :meth:`recall`.

    References
    ----------
    Hopfield, J. J. (1982). Neural networks and physical systems with emergent collective
    computational abilities. PNAS, 79(8), 2554-2558.
    Personnaz, L., Guyon, I., & Dreyfus, G. (1985). Information storage and retrieval in
    spin-glass like neural networks. Journal de Physique Lettres, 46(8), 359-365.
    """

    def __init__(self, rule: str = "hebbian", max_iter: int = 100, random_state=None) -> None:
        self.rule = rule
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, patterns) -> HopfieldNetwork:
        """Store ``patterns``, an array of shape (n_patterns, n_units) with entries +-1."""
        patterns = self._check_states(patterns, "patterns")
        if self.rule not in _RULES:
            raise ValueError(f"rule must be one of {_RULES}, not {self.rule!r}")
        weights = self._hebbian(patterns) if self.rule == "hebbian" else self._projection(patterns)
        np.fill_diagonal(weights, 0.0)
        self.weights_ = weights
        self.patterns_ = patterns.copy()
        self._rng = check_random_state(self.random_state)
        return self

    @staticmethod
    def _check_states(states, name: str) -> np.ndarray:
        states = check_array(states, name=name)
        if not np.all(np.abs(states) == 1.0):
            raise ValueError(f"{name} must contain only -1 and +1")
        return states

    @staticmethod
    def _hebbian(patterns: np.ndarray) -> np.ndarray:
        """Hebb's rule: ``W = Xi^T Xi / N``."""
        return patterns.T @ patterns / patterns.shape[1]

    @staticmethod
    def _projection(patterns: np.ndarray) -> np.ndarray:
        """The projection rule: ``W = Xi^+ Xi`` with the Moore-Penrose pseudo-inverse ``Xi^+``."""
        return np.linalg.pinv(patterns) @ patterns

    def energy(self, states) -> np.ndarray | float:
        """``E(s) = -1/2 s^T W s`` of one state (a float) or of each row of a 2-D array."""
        check_is_fitted(self, "weights_")
        states = np.asarray(states, dtype=np.float64)
        energies = -0.5 * np.sum((np.atleast_2d(states) @ self.weights_) * states, axis=-1)
        return float(energies[0]) if states.ndim == 1 else energies

    def recall(self, probes, mode: str = "async", return_energies: bool = False):
        """Run the dynamics from each probe until it stops changing (or ``max_iter`` sweeps).

        Parameters
        ----------
        probes : +-1 array of shape (n_units,) or (n_probes, n_units).
        mode : ``"async"`` (one unit at a time, a new random order each sweep) or ``"sync"``
            (every unit at once).
        return_energies : also return the energy of each probe after every update (one unit
            for ``"async"``, all units for ``"sync"``), the starting energy first.

        Returns
        -------
        states : the final states, same shape as ``probes``.
        energies : array of shape (n_updates + 1, n_probes), only if ``return_energies``.
        """
        check_is_fitted(self, "weights_")
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
        single = np.ndim(probes) == 1
        states = self._check_states(np.atleast_2d(probes), "probes").copy()
        trace = [self.energy(states)] if return_energies else None
        run = self._async_sweep if mode == "async" else self._sync_step
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            self.n_iter_ += 1
            if not run(states, trace):
                break
        result = states[0] if single else states
        return (result, np.array(trace)) if return_energies else result

    def _field(self, states: np.ndarray, unit: int | slice = slice(None)) -> np.ndarray:
        """The local field ``h = W s`` of one unit (or of all units) for every state."""
        return states @ self.weights_[:, unit]

    @staticmethod
    def _threshold(field: np.ndarray, current: np.ndarray) -> np.ndarray:
        """``sign(h)``, keeping the current state where ``h = 0``."""
        return np.where(field > 0.0, 1.0, np.where(field < 0.0, -1.0, current))

    def _async_sweep(self, states: np.ndarray, trace: list | None) -> bool:
        """Update every unit once, in a random order, in place; True if any unit changed."""
        changed = False
        for unit in self._rng.permutation(states.shape[1]):
            new = self._threshold(self._field(states, unit), states[:, unit])
            changed |= bool(np.any(new != states[:, unit]))
            states[:, unit] = new
            if trace is not None:
                trace.append(self.energy(states))
        return changed

    def _sync_step(self, states: np.ndarray, trace: list | None) -> bool:
        """Update every unit at once from the same fields, in place; True if any unit changed."""
        new = self._threshold(self._field(states), states)
        changed = bool(np.any(new != states))
        states[...] = new
        if trace is not None:
            trace.append(self.energy(states))
        return changed

    def overlap(self, states, patterns=None) -> np.ndarray:
        """``m = xi . s / N`` of each state with its pattern (the stored ones by default)."""
        check_is_fitted(self, "weights_")
        patterns = self.patterns_ if patterns is None else np.asarray(patterns, dtype=np.float64)
        states = np.atleast_2d(np.asarray(states, dtype=np.float64))
        return np.sum(states * np.atleast_2d(patterns), axis=1) / states.shape[1]
