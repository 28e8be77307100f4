"""Smoke tests: every match benchmark runs with a tiny budget and ends with its key=value line.
(The playout benchmark's smoke test is in test_playout.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def run_benchmark(name: str, *args: str) -> dict[str, str]:
    done = subprocess.run([sys.executable, str(BENCHMARKS / name), *args], capture_output=True,
                          text=True, timeout=300, check=True)
    return dict(pair.split("=", 1) for pair in done.stdout.strip().splitlines()[-1].split())


def test_selection_match_runs():
    figures = run_benchmark("selection.py", "--games", "2", "--size", "5", "--playouts", "30")
    assert figures["games"] == "2"
    assert 0.0 <= float(figures["winrate_a"]) <= 1.0
    assert float(figures["lo"]) <= float(figures["winrate_a"]) <= float(figures["hi"])


@pytest.mark.usefixtures("gnugo_path")
def test_versus_gnugo_runs():
    figures = run_benchmark("versus_gnugo.py", "--games", "1", "--size", "5", "--playouts",
                            "30")
    assert figures["games"] == "1" and figures["wins"] in ("0", "1")
