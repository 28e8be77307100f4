"""Win-rate statistics for matches: a score, its Wilson interval, and the Elo difference.

A match between engines A and B gives A a *score* ``s = wins + draws / 2`` out of ``n`` games
and a win rate ``p = s / n``. Everything here is a function of ``(s, n)``:

* :func:`wilson_interval` -- the Wilson score interval (E. B. Wilson, "Probable inference, the
  law of succession, and statistical inference", JASA 22, 1927): the ``p`` for which
  ``|p_hat - p| <= z * sqrt(p (1 - p) / n)``, i.e. centre
  ``(p_hat + z^2 / 2n) / (1 + z^2 / n)`` and half-width
  ``z / (1 + z^2 / n) * sqrt(p_hat (1 - p_hat) / n + z^2 / 4n^2)``. Unlike the normal
  approximation it stays inside ``[0, 1]`` and is not empty at 0/n or n/n.
* :func:`elo_difference` -- the logistic Elo model ``p = 1 / (1 + 10 ** (-d / 400))`` solved for
  ``d = -400 * log10(1 / p - 1)``: +191 at 75 %, 0 at 50 %. A win rate of 0 or 1 gives an
  infinite difference (``-inf`` or ``inf``); that is the honest answer, and the interval's
  other bound stays finite.
* :func:`elo_interval` -- the Elo differences at the Wilson bounds (the map is monotone, so it
  carries the interval over exactly).
* :class:`Sprt` -- Wald's sequential probability ratio test (A. Wald, "Sequential tests of
  statistical hypotheses", Ann. Math. Statist. 16, 1945) of H0: A's advantage is ``elo0``
  against H1: it is ``elo1``, so that a match can stop as soon as its games decide (chess
  engine testing, e.g. Stockfish's fishtest, and Leela Zero's network gating work this way).
  Each game is a Bernoulli trial with A's expected score ``p`` (:func:`expected_score`), a
  draw counting as half a win and half a loss, so after a score ``s`` in ``n`` games the log
  likelihood ratio is ``s log(p1 / p0) + (n - s) log((1 - p1) / (1 - p0))``. The test accepts
  H1 once it reaches ``log((1 - beta) / alpha)`` and H0 once it falls to
  ``log(beta / (1 - alpha))``, with error rates at most about ``alpha`` (accepting H1 when H0
  holds) and ``beta`` (the reverse). Draws (frequent only with an integer komi) keep the
  drift of the ratio and lessen its spread, so they make the errors rarer, not commoner.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

Z_95 = 1.96  # the two-sided 95 % quantile of the standard normal distribution (1.95996...)
ELO_SCALE = 400.0  # a 400-point difference is 10:1 odds


def wilson_interval(score: float, games: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a win rate ``score / games`` (``(0, 1)`` for no games)."""
    if games < 0 or not 0 <= score <= games:
        raise ValueError(f"a score of {score} in {games} games is impossible")
    if games == 0:
        return 0.0, 1.0
    p = score / games
    spread = z * z / games
    centre = (p + spread / 2) / (1 + spread)
    half = z * math.sqrt(p * (1 - p) / games + spread / (4 * games)) / (1 + spread)
    return max(0.0, centre - half), min(1.0, centre + half)


def elo_difference(win_rate: float) -> float:
    """The Elo difference that predicts ``win_rate``; ``inf``/``-inf`` at 1 and 0."""
    if not 0.0 <= win_rate <= 1.0:
        raise ValueError(f"a win rate must lie in [0, 1], not {win_rate}")
    if win_rate == 1.0:
        return math.inf
    if win_rate == 0.0:
        return -math.inf
    return -ELO_SCALE * math.log10(1.0 / win_rate - 1.0)


def expected_score(elo: float) -> float:
    """A's expected score per game at an Elo advantage of ``elo`` (the inverse of
    :func:`elo_difference`)."""
    return 1.0 / (1.0 + 10.0 ** (-elo / ELO_SCALE))


def elo_interval(score: float, games: int, z: float = Z_95) -> tuple[float, float]:
    """The Elo differences at the bounds of :func:`wilson_interval`."""
    low, high = wilson_interval(score, games, z)
    return elo_difference(low), elo_difference(high)


@dataclass(frozen=True)
class MatchScore:
    """A match's outcome from A's side, with its statistics.

    Attributes:
        wins_a: games A won.
        wins_b: games B won.
        draws: drawn games (each counts half a win to both sides).
    """

    wins_a: int
    wins_b: int
    draws: int = 0

    @property
    def games(self) -> int:
        """Games played."""
        return self.wins_a + self.wins_b + self.draws

    @property
    def score(self) -> float:
        """A's score: wins plus half the draws."""
        return self.wins_a + self.draws / 2

    @property
    def win_rate(self) -> float:
        """A's score per game (0.5 when no game was played)."""
        return self.score / self.games if self.games else 0.5

    @property
    def interval(self) -> tuple[float, float]:
        """The Wilson 95 % interval of :attr:`win_rate`."""
        return wilson_interval(self.score, self.games)

    @property
    def elo(self) -> float:
        """A's Elo advantage over B implied by :attr:`win_rate`."""
        return elo_difference(self.win_rate)

    @property
    def elo_interval(self) -> tuple[float, float]:
        """The 95 % interval of :attr:`elo`, from the Wilson bounds."""
        return elo_interval(self.score, self.games)

    def summary_line(self) -> str:
        """The machine-readable line: ``winrate=... lo=... hi=... elo=... ... draws=...``."""
        low, high = self.interval
        elo_low, elo_high = self.elo_interval
        return (f"winrate={self.win_rate:.3f} lo={low:.3f} hi={high:.3f} elo={self.elo:.1f} "
                f"elo_lo={elo_low:.1f} elo_hi={elo_high:.1f} games={self.games} "
                f"wins_a={self.wins_a} wins_b={self.wins_b} draws={self.draws}")


class Decision(StrEnum):
    """Where a sequential test stands."""

    H0 = "H0"  # A's advantage is elo0 (or less)
    H1 = "H1"  # A's advantage is elo1 (or more)
    NONE = "none"  # not decided yet


@dataclass(frozen=True)
class Sprt:
    """A sequential probability ratio test of ``elo0`` against ``elo1`` (see the module).

    Attributes:
        elo0: A's Elo advantage under H0 (for a gate, typically 0: "no better").
        elo1: A's advantage under H1, above ``elo0`` (the gain worth detecting).
        alpha: the chance of accepting H1 when H0 holds.
        beta: the chance of accepting H0 when H1 holds.
    """

    elo0: float
    elo1: float
    alpha: float = 0.05
    beta: float = 0.05

    def __post_init__(self) -> None:
        if not self.elo0 < self.elo1:
            raise ValueError(f"the SPRT needs elo0 < elo1, not {self.elo0} and {self.elo1}")
        if not (0.0 < self.alpha < 0.5 and 0.0 < self.beta < 0.5):
            raise ValueError("the SPRT's alpha and beta must lie in (0, 0.5)")

    @property
    def bounds(self) -> tuple[float, float]:
        """``(lower, upper)``: the log likelihood ratios that accept H0 and H1."""
        return (math.log(self.beta / (1.0 - self.alpha)),
                math.log((1.0 - self.beta) / self.alpha))

    def llr(self, score: float, games: int) -> float:
        """The log likelihood ratio of H1 to H0 after A scored ``score`` in ``games``."""
        p0, p1 = expected_score(self.elo0), expected_score(self.elo1)
        return score * math.log(p1 / p0) + (games - score) * math.log((1.0 - p1) / (1.0 - p0))

    def decision(self, score: float, games: int) -> Decision:
        """H1, H0, or none when the ratio lies between the bounds."""
        lower, upper = self.bounds
        ratio = self.llr(score, games)
        return Decision.H1 if ratio >= upper else Decision.H0 if ratio <= lower else Decision.NONE
