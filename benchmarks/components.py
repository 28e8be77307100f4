"""Every component of ``networks/`` on its standard task beside a reference implementation.

Usage::

    python benchmarks/components.py [--only NAME ...] [--quick] [--no-docs]

Each component's task (``benchmarks/components_<family>.py``) runs our model and the reference
(scikit-learn, minisom or torch's own modules) on the same data, split, hyperparameters and seeds
in the same run. Prints one table (component, task, metric, ours, reference, bar, pass, time) and
writes it as Markdown between the markers in ``docs/components.md`` (unless ``--no-docs`` or
``--only``/``--quick`` is given). Run it with one torch thread: ``OMP_NUM_THREADS=1``.
The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))

from components_common import Row  # noqa: E402

FAMILIES = ["components_linear", "components_kernel_maps", "components_energy",
            "components_recurrent", "components_conv"]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "components.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def collect_tasks() -> dict:
    """Component name -> task function, over every family that is present."""
    tasks = {}
    for family in FAMILIES:
        try:
            module = importlib.import_module(family)
        except ModuleNotFoundError as error:
            if error.name != family:
                raise
            continue
        tasks.update(module.TASKS)
    return tasks


def markdown(rows: list[Row]) -> str:
    lines = ["| component | task | metric | ours | reference | bar | pass | time (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        mark = "yes" if r.passed else "**no**"
        lines.append(f"| {r.component} | {r.task} | {r.metric} | {r.ours} | {r.reference} | "
                     f"{r.bar} | {mark} | {r.seconds:.1f} |")
    return "\n".join(lines)


def write_docs(rows: list[Row], command: str) -> None:
    text = DOCS.read_text() if DOCS.exists() else f"# Components\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    body = f"Measured with `{command}` on {time.strftime('%Y-%m-%d')}.\n\n{markdown(rows)}\n"
    DOCS.write_text(f"{head}{START}\n{body}{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these components")
    parser.add_argument("--quick", action="store_true", help="small smoke versions of the tasks")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/components.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    tasks = collect_tasks()
    names = args.only or list(tasks)
    unknown = [n for n in names if n not in tasks]
    if unknown:
        parser.error(f"unknown component(s) {unknown}; known: {sorted(tasks)}")

    console = Console()
    rows: list[Row] = []
    start = time.perf_counter()
    for name in names:
        console.print(f"[bold]{name}[/bold] ...")
        rows.extend(tasks[name](args.quick))
    total = time.perf_counter() - start

    table = Table(title="networks/ components against their references")
    for column in ["component", "task", "metric", "ours", "reference", "bar", "pass", "time (s)"]:
        table.add_column(column)
    for r in rows:
        table.add_row(r.component, r.task, r.metric, r.ours, r.reference, r.bar,
                      "yes" if r.passed else "[red]no[/red]", f"{r.seconds:.1f}")
    console.print(table)
    if not (args.no_docs or args.only or args.quick):
        write_docs(rows, "OMP_NUM_THREADS=1 python benchmarks/components.py")
    passed = sum(r.passed for r in rows)
    print(f"components={len(names)} rows={len(rows)} passed={passed} failed={len(rows) - passed} "
          f"seconds={total:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
