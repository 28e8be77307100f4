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
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
