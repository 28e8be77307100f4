"""Smoke test of the components benchmark: a quick run of two cheap components prints its table
and the key=value line, and the Markdown writer replaces only what lies between the markers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_a_quick_run_prints_the_table_and_its_machine_readable_line():
    done = subprocess.run([sys.executable, str(BENCHMARKS / "components.py"), "--quick",
                           "--only", "Adaline", "SVM"], capture_output=True, text=True,
                          timeout=300, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "COLUMNS": "200"})
    lines = done.stdout.strip().splitlines()
    assert any("Adaline" in line for line in lines) and any("two-moons" in line for line in lines)
    figures = dict(pair.split("=") for pair in lines[-1].split())
    assert figures["components"] == "2"
    assert int(figures["rows"]) == int(figures["passed"]) + int(figures["failed"]) >= 7


def test_the_docs_table_is_rewritten_between_its_markers(tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import components
        from components_common import Row
    finally:
        sys.path.remove(str(BENCHMARKS))
    docs = tmp_path / "components.md"
    docs.write_text(f"# Intro\n\n{components.START}\nold table\n{components.END}\n\nOutro\n")
    monkeypatch.setattr(components, "DOCS", docs)
    row = Row("SVM", "two-moons", "accuracy", "0.947", "SVC 0.947", "within 1 point", True, 0.1)
    components.write_docs([row], "python benchmarks/components.py")
    text = docs.read_text()
    assert text.startswith("# Intro") and text.rstrip().endswith("Outro")
    assert "old table" not in text
    assert "| SVM | two-moons | accuracy | 0.947 | SVC 0.947 | within 1 point | yes | 0.1 |" in text
