"""The numba cache keyed by the package's sources: a kernel recompiles when a function it calls
in another file changes, which numba's own per-file check misses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from go_engine import compile_cache

REPO = Path(__file__).resolve().parents[1]

CALLEE = """
from numba import njit

@njit(cache=True)
def step():
    return {value}
"""

CALLER = """
from numba import njit
from {package}.callee import step

@njit(cache=True)
def twice():
    return 2 * step()
"""


def make_package(root: Path, name: str, keyed: bool) -> Path:
    """A package whose caller kernel and callee kernel live in two files."""
    package = root / name
    package.mkdir()
    init = ("from pathlib import Path\nfrom go_engine.compile_cache import use_source_keyed_cache"
            "\nuse_source_keyed_cache(Path(__file__).parent)\n") if keyed else ""
    (package / "__init__.py").write_text(init)
    (package / "callee.py").write_text(CALLEE.format(value=1))
    (package / "caller.py").write_text(CALLER.format(package=name))
    return package


def run_twice(root: Path, name: str) -> int:
    """``twice()`` in a fresh process (compiled or loaded from the cache)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(REPO)])
    out = subprocess.run([sys.executable, "-c", f"from {name}.caller import twice; "
                          "print(twice())"], env=env, capture_output=True, text=True,
                         check=True, timeout=300)
    return int(out.stdout.strip())


def edit_callee(package: Path, value: int) -> None:
    path = package / "callee.py"
    path.write_text(CALLEE.format(value=value))
    stamp = path.stat().st_mtime + 5  # a new stamp even on a coarse clock
    os.utime(path, (stamp, stamp))


def test_a_changed_callee_in_another_file_recompiles_its_caller(tmp_path):
    keyed = make_package(tmp_path, "keyed", keyed=True)
    plain = make_package(tmp_path, "plain", keyed=False)
    assert run_twice(tmp_path, "keyed") == run_twice(tmp_path, "plain") == 2
    first = compile_cache.cache_dir_for(keyed)
    assert any(first.rglob("*.nbi"))  # the kernels were cached there
    edit_callee(keyed, 5)
    edit_callee(plain, 5)
    assert run_twice(tmp_path, "keyed") == 10
    assert not first.exists()  # the older sources' directory was removed
    assert compile_cache.cache_dir_for(keyed).is_dir()
    # The reason for all this: numba's own cache runs the stale caller (numba issue #1833).
    # If this ever fails, numba tracks dependencies itself and compile_cache can go.
    assert run_twice(tmp_path, "plain") == 2


def test_the_fingerprint_covers_the_kernels_and_what_they_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "consts.py").write_text("WIDTH = 9\n")
    (package / "sub" / "more.py").write_text("DEPTH = 3\n")
    (package / "kernel.py").write_text(
        "from numba import njit\nfrom pkg.consts import WIDTH\n"
        "from pkg.sub import (\n    more as m,\n)\n")
    (package / "cli.py").write_text("from pkg.kernel import WIDTH\n")
    names = {p.relative_to(package).as_posix() for p in compile_cache.kernel_sources(package)}
    assert names == {"kernel.py", "consts.py", "sub/__init__.py", "sub/more.py"}
    before = compile_cache.source_fingerprint(package)
    (package / "cli.py").write_text("print('no kernel reaches this file')\n")
    assert compile_cache.source_fingerprint(package) == before
    (package / "sub" / "more.py").write_text("DEPTH = 4\n")  # a constant a kernel may use
    assert compile_cache.source_fingerprint(package) != before


def test_importing_the_engine_points_numba_at_its_source_keyed_directory(tmp_path):
    script = ("import os, go_engine, numba; "
              "print(os.environ['NUMBA_CACHE_DIR']); print(numba.config.CACHE_DIR)")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    assert out == [str(compile_cache.cache_dir_for())] * 2
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")  # the user's choice stands
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    assert out == [str(tmp_path / "mine")] * 2
