"""Smoke test: the dead-stone agreement benchmark runs with a tiny budget and ends with its
key=value line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "dead_stones.py"


@pytest.mark.usefixtures("gnugo_path")
def test_dead_stones_benchmark_runs():
    done = subprocess.run([sys.executable, str(SCRIPT), "--games", "2", "--size", "7",
                           "--levels", "1", "1", "--playouts", "100", "--referee-level", "1"],
                          capture_output=True, text=True, timeout=300, check=True)
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("game 1: ") and lines[1].startswith("game 2: ")
    figures = dict(pair.split("=", 1) for pair in lines[-1].split())
    assert figures["games"] == "2" and figures["size"] == "7"
    assert 0 <= int(figures["exact"]) <= 2
    assert 0.0 <= float(figures["precision"]) <= 1.0 and 0.0 <= float(figures["recall"]) <= 1.0
