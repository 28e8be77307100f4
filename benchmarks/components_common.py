"""What every component benchmark returns: one :class:`Row` per (component, task, metric).

Each family's file (``benchmarks/components_<family>.py``) exports ``TASKS``: a dict from a
component name to a function ``run(quick: bool) -> list[Row]`` that trains our component and the
reference implementation on the same data, split, hyperparameters and seeds, in the same run.
``quick`` shrinks the task for a smoke run; the figures quoted in docs come from full runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One line of the components table.

    ``ours`` and ``reference`` are already formatted (for example ``"0.973"`` or ``"16/20"``);
    ``bar`` is the acceptance bar in words and ``passed`` whether ``ours`` meets it;
    ``seconds`` is the wall time of our side of the task.
    """

    component: str
    task: str
    metric: str
    ours: str
    reference: str
    bar: str
    passed: bool
    seconds: float


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    """``with stopwatch() as elapsed: ...; elapsed()`` gives wall seconds since entry."""
    start = time.perf_counter()
    yield lambda: time.perf_counter() - start
