"""Where numba keeps the engine's compiled kernels: a directory named after the sources.

numba's on-disk cache (``@njit(cache=True)``) checks only the file that defines a kernel. When
``policy_features.py`` changes, a kernel in ``tree_policy.py`` that calls into it keeps loading
its old machine code, with the old callee and the old module constants compiled in (numba
issue #1833; numba's docs, "Cache invalidation fails to recognize changes in symbols defined
in a different file"). A checkout updated by ``git pull`` or edited in place would then run
stale code without a word: a tree policy trained that way silently lacks the features its spec
names.

So the package keys the cache by a hash of the sources its kernels can depend on
(:func:`kernel_sources`: every file that uses numba and, transitively, the package modules
they import, whose constants the kernels compile in): :func:`use_source_keyed_cache` (run by
``go_engine/__init__.py`` before any kernel is defined) points numba at
``go_engine/__pycache__/numba/<hash>``. A change to any of those files starts a fresh directory
(one compile of everything, a minute or two), and the directories of older sources are
removed; editing a file no kernel reaches (the command line, GTP, the match runner) keeps the
cache. numba still checks its own version and each file's stamp inside the directory.

The setting reaches numba through ``NUMBA_CACHE_DIR`` (so this module need not import numba,
and importing the package stays light); child processes inherit it, and a child running
another copy of the package replaces it with its own. A ``NUMBA_CACHE_DIR`` the user set is
left alone (for read-only installs; see numba's docs), and so is a process that imported numba
first with a cache directory of its own.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
CACHE_ROOT_NAME = "numba"  # under the package's __pycache__


# ``from go_engine.a import b, c`` (parentheses allowed) and ``import go_engine.a.b``.
_IMPORTS = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n]+)"
                      r"|import[ \t]+([\w.]+))", re.MULTILINE)


def kernel_sources(root: Path = PACKAGE_ROOT) -> list[Path]:
    """The files under ``root`` that compiled kernels can depend on: those that mention numba,
    and the package modules they import, transitively (a superset, found by reading the
    import statements)."""
    return sorted(_kernel_texts(root))


def _kernel_texts(root: Path) -> dict[Path, str]:
    """:func:`kernel_sources` with their texts, each file read once."""
    texts = {path: path.read_text() for path in root.rglob("*.py")}
    found = {path: text for path, text in texts.items() if "numba" in text}
    todo = list(found)
    while todo:
        for path in _imported_files(found[todo.pop()], root):
            if path not in found and path in texts:
                found[path] = texts[path]
                todo.append(path)
    return found


def _imported_files(text: str, root: Path) -> list[Path]:
    """The files of ``root``'s package that the import statements in ``text`` name."""
    files = []
    for module, names, plain in _IMPORTS.findall(text):
        module = module or plain
        parts = module.split(".")
        if parts[0] != root.name:
            continue
        base = root.joinpath(*parts[1:])
        names = [n.split()[0] for n in names.strip("()").replace("\n", " ").split(",")
                 if n.strip()]
        candidates = [base.with_suffix(".py"), base / "__init__.py"]
        candidates += [base / f"{name}.py" for name in names]  # submodules imported by name
        files += candidates
    return files


def source_fingerprint(root: Path = PACKAGE_ROOT) -> str:
    """A short hash of the relative paths and contents of :func:`kernel_sources`."""
    digest = hashlib.sha1()
    for path, text in sorted(_kernel_texts(root).items()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def cache_dir_for(root: Path = PACKAGE_ROOT) -> Path:
    """The numba cache directory of the sources under ``root`` as they are now."""
    return root / "__pycache__" / CACHE_ROOT_NAME / source_fingerprint(root)


def use_source_keyed_cache(root: Path = PACKAGE_ROOT) -> Path | None:
    """Point numba's cache at :func:`cache_dir_for` ``root``; return it, or ``None`` when the
    user chose a cache directory or the package's folder is not writable (numba's own
    fallbacks apply then)."""
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen and not _is_source_keyed(Path(chosen)):
        return None
    numba = sys.modules.get("numba")
    if numba is not None and numba.config.CACHE_DIR and not chosen:
        return None
    target = cache_dir_for(root)
    if not target.is_dir():
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        _remove_older(target)
    os.environ["NUMBA_CACHE_DIR"] = str(target)
    if numba is not None:  # already imported: its config was read before we set the variable
        numba.config.CACHE_DIR = str(target)
    return target


def _is_source_keyed(path: Path) -> bool:
    """True for a directory this module chose (``.../__pycache__/numba/<hash>``), here or in a
    parent process."""
    return path.parent.name == CACHE_ROOT_NAME and path.parent.parent.name == "__pycache__"


def _remove_older(current: Path) -> None:
    """Delete the cache directories of other source versions (a process still running older
    code recreates its own when it next writes)."""
    for sibling in current.parent.iterdir():
        if sibling != current and sibling.is_dir():
            shutil.rmtree(sibling, ignore_errors=True)
