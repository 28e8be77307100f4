"""Search statistics as candidate moves, and Leela Zero's analysis format for GUIs.

Sabaki, Lizzie and other GUIs show live analysis through Leela Zero's GTP extension
(``lz-analyze``, ``lz-genmove_analyze``; Leela Zero 0.17, ``src/UCTSearch.cpp`` and
``src/GTP.cpp``). After the command's ``=`` line the engine writes, every interval, one line
with every candidate that has visits, most visited first::

    info move D4 visits 120 winrate 5432 prior 1234 lcb 5301 order 0 pv D4 Q16 D16 info move ...

==========  ============================================================================
field       meaning
==========  ============================================================================
move        the candidate, a GTP vertex or ``pass``
visits      N(root, move)
winrate     the win rate of the move for the side to move, times 10000, an integer
prior       P(root, move) times 10000, an integer
lcb         a lower confidence bound of the win rate (:func:`lower_confidence_bound`),
            times 10000, an integer; 0 below two visits
order       the rank: 0 for the most visited (ties by win rate)
pv          the principal variation that starts with the move (to the end of the line)
==========  ============================================================================

:func:`candidates` turns a :class:`~go_engine.search.mcts.SearchResult` into ranked
:class:`Candidate` s (also what the terminal's ``analyze`` view shows); :func:`info_line`
writes them in this format and :func:`parse_info_line` reads it back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from go_engine.rules.coords import from_gtp, to_gtp
from go_engine.search.mcts import SearchResult

SCALE = 10000  # Leela Zero's fixed-point scale for rates
LCB_Z = 1.96  # the normal quantile of the lower confidence bound (a 97.5% one-sided bound)


@dataclass(frozen=True)
class Candidate:
    """One root move of a search, for display.

    Attributes:
        move: flat action (pass is ``size * size``).
        visits: root visits of the move.
        winrate: win rate in [0, 1] for the side to move at the root.
        prior: the move's prior, in [0, 1].
        lcb: lower confidence bound of ``winrate``, in [0, 1].
        order: rank, 0 for the best.
        pv: the principal variation, starting with ``move``.
    """

    move: int
    visits: int
    winrate: float
    prior: float
    lcb: float
    order: int
    pv: tuple[int, ...]


def lower_confidence_bound(winrate: float, visits: int, z: float = LCB_Z) -> float:
    """``w - z * sqrt(w (1 - w) / n)``, clamped to [0, 1]; 0 below two visits.

    Simulation results are wins and losses, so the spread of a mean win rate ``w`` over ``n``
    of them is that of a binomial proportion (Leela Zero uses the measured variance of its
    value head and a Student t quantile instead).
    """
    if visits < 2:
        return 0.0
    bound = winrate - z * math.sqrt(max(winrate * (1.0 - winrate), 0.0) / visits)
    return min(max(bound, 0.0), 1.0)


def candidates(result: SearchResult, limit: int | None = None) -> list[Candidate]:
    """The visited root moves, most visited first (ties: higher win rate first), at most
    ``limit`` of them."""
    moves = [int(m) for m in range(len(result.visits)) if result.visits[m] > 0]
    moves.sort(key=lambda m: (-result.visits[m], -result.q[m], m))
    if limit is not None:
        moves = moves[:limit]
    ranked = []
    for order, move in enumerate(moves):
        visits = int(result.visits[move])
        winrate = min(max(result.winrate(move), 0.0), 1.0)
        pv = result.variations.get(move) or (
            result.principal_variation if move == result.move else [move])
        ranked.append(Candidate(move, visits, winrate, float(result.prior[move]),
                                lower_confidence_bound(winrate, visits), order,
                                tuple(int(p) for p in pv)))
    return ranked


def _fixed(rate: float) -> int:
    return min(max(int(rate * SCALE), 0), SCALE)


def info_line(ranked: list[Candidate], size: int) -> str:
    """The candidates as one Leela Zero ``info`` line (empty when there are none)."""
    parts = []
    for c in ranked:
        pv = " ".join(to_gtp(p, size) for p in c.pv)
        parts.append(f"info move {to_gtp(c.move, size)} visits {c.visits} "
                     f"winrate {_fixed(c.winrate)} prior {_fixed(c.prior)} lcb {_fixed(c.lcb)} "
                     f"order {c.order} pv {pv}")
    return " ".join(parts)


_INT_FIELDS = ("visits", "winrate", "prior", "lcb", "order")


def parse_info_line(line: str, size: int) -> list[Candidate]:
    """Read an ``info`` line back (this engine's or Leela Zero's); rates become [0, 1].

    Raises:
        ValueError: a line that is not a sequence of ``info move ...`` entries.
    """
    tokens = line.split()
    entries: list[list[str]] = []
    for token in tokens:
        if token == "info":
            entries.append([])
        elif not entries:
            raise ValueError(f"not an info line: {line[:40]!r}")
        else:
            entries[-1].append(token)
    ranked = []
    for entry in entries:
        fields: dict[str, object] = {}
        i = 0
        while i < len(entry):
            key = entry[i]
            if key == "pv":
                fields["pv"] = tuple(from_gtp(v, size) for v in entry[i + 1:])
                break
            fields[key] = entry[i + 1]
            i += 2
        missing = {"move", "pv", *_INT_FIELDS} - fields.keys()
        if missing:
            raise ValueError(f"info entry without {sorted(missing)}")
        values = {k: int(fields[k]) for k in _INT_FIELDS}
        ranked.append(Candidate(from_gtp(str(fields["move"]), size), values["visits"],
                                values["winrate"] / SCALE, values["prior"] / SCALE,
                                values["lcb"] / SCALE, values["order"], fields["pv"]))
    return ranked
