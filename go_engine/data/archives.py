"""Reading game records where they lie: single SGF files, folders of them, and tar archives.

:func:`iter_sgf_bytes` walks any mix of paths and yields ``(name, bytes)`` for every SGF
record: a ``.sgf`` file, every ``.sgf`` file under a folder (sorted, recursively), or every
``.sgf`` member of a tar archive (``.tar``, ``.tar.xz``, ``.tar.gz``, ``.tar.bz2``, ``.tgz``) in
archive order, streamed without unpacking to disk. Other members (``manifest.csv``) are skipped.

:func:`read_move_list` turns one record into a :class:`MoveList`: the board size, setup stones
(handicap stones are black setup stones), the main line with explicit colours, komi and
winner. A plain record (one game tree with no variations, point lists without ``:``
rectangles, setup only in the root) is read by a small regular-expression scanner, about
50 times faster than a full parse; anything else goes through
:func:`go_engine.rules.sgf.load_sgf` (sgfmill), which reads the main line of any record and
raises :class:`~go_engine.rules.sgf.SgfError` for what it does not support. Legality is not
checked here (see :func:`go_engine.data.dataset.build_dataset`).
"""

from __future__ import annotations

import os
import re
import tarfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from go_engine.rules.coords import BLACK, MAX_SIZE, MIN_SIZE, WHITE
from go_engine.rules.sgf import SgfError, load_sgf

TAR_SUFFIXES = (".tar", ".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2")

# One token: a parenthesis, a node mark, or a property with all its bracketed values.
_TOKEN = re.compile(rb"(\()|(\))|(;)|([A-Za-z]+)\s*((?:\[(?:[^\]\\]|\\.)*\]\s*)+)", re.S)
_VALUE = re.compile(rb"\[((?:[^\]\\]|\\.)*)\]", re.S)
_LOWER = re.compile(rb"[a-z]")
_ROOT_ONLY = (b"AB", b"AW", b"AE")


@dataclass(frozen=True)
class MoveList:
    """One game as the datasets need it.

    Attributes:
        size: board size.
        colors: the colour of each main-line move (``BLACK`` or ``WHITE``).
        points: each move as a flat point; pass is ``size * size``.
        setup_black: black stones on the board before the first move (handicap included).
        setup_white: white stones on the board before the first move.
        komi: ``KM`` (0 when absent).
        winner: ``BLACK``, ``WHITE`` or 0 (draw, void, unknown).
    """

    size: int
    colors: tuple[int, ...]
    points: tuple[int, ...]
    setup_black: tuple[int, ...] = ()
    setup_white: tuple[int, ...] = ()
    komi: float = 0.0
    winner: int = 0


def is_tar_path(path: str | os.PathLike) -> bool:
    """True when ``path`` names a tar archive by its suffix."""
    return str(path).lower().endswith(TAR_SUFFIXES)


def iter_sgf_bytes(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, bytes)`` for every SGF record under ``paths``, in a stable order."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.suffix.lower() == ".sgf"):
                yield str(file), file.read_bytes()
        elif is_tar_path(path):
            yield from _iter_tar(path)
        elif path.is_file():
            yield str(path), path.read_bytes()
        else:
            raise FileNotFoundError(f"no SGF file, folder or archive at {path}")


def _iter_tar(path: Path) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if member.isfile() and member.name.lower().endswith(".sgf"):
                handle = archive.extractfile(member)
                if handle is not None:
                    yield f"{path}:{member.name}", handle.read()


def read_move_list(data: bytes) -> MoveList:
    """The game in one SGF record (the first game of a collection).

    Raises:
        SgfError: not a Go game, a size out of range, a bad coordinate, or anything else that
            :func:`~go_engine.rules.sgf.load_sgf` rejects.
    """
    fast = _read_plain(data)
    return fast if fast is not None else _read_with_sgfmill(data)


def _read_plain(data: bytes) -> MoveList | None:
    """The fast scanner; ``None`` when the record is not plain (the caller falls back)."""
    root: dict[bytes, list[bytes]] = {}
    moves: list[tuple[int, bytes]] = []
    trees = nodes = 0
    node_moves = 0
    for paren, _close, semi, ident, values in _TOKEN.findall(data):
        if semi:
            nodes += 1
            node_moves = 0
        elif paren:
            trees += 1
            if trees > 1:
                return None
        elif ident:
            if nodes == 0:
                return None
            if ident == b"B" or ident == b"W":
                node_moves += 1
                if node_moves > 1:
                    return None
                moves.append((BLACK if ident == b"B" else WHITE, values.strip()[1:-1]))
            elif nodes == 1:
                ident = _LOWER.sub(b"", ident)
                root.setdefault(ident, []).extend(_VALUE.findall(values))
            elif ident in _ROOT_ONLY:
                return None
    if nodes == 0:
        return None
    try:
        return _from_root(root, moves)
    except (ValueError, IndexError):
        return None


def _from_root(root: dict[bytes, list[bytes]], moves: list[tuple[int, bytes]]) -> MoveList | None:
    game_type = root.get(b"GM", [b"1"])[0].strip()
    if game_type.lstrip(b"0") != b"1":
        raise SgfError(f"not a Go game: GM[{game_type.decode('ascii', 'replace')}]")
    size = int(root.get(b"SZ", [b"19"])[0])
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise SgfError(f"unsupported board size {size}")
    if any(b":" in v for key in _ROOT_ONLY for v in root.get(key, ())) or root.get(b"AE"):
        return None
    komi = float(root.get(b"KM", [b"0"])[0] or 0.0)
    result = root.get(b"RE", [b""])[0].decode("ascii", "replace")
    table = _point_table(size)
    return MoveList(size, tuple(c for c, _ in moves), tuple(table[v] for _, v in moves),
                    tuple(sorted(_point(v, size) for v in root.get(b"AB", ()))),
                    tuple(sorted(_point(v, size) for v in root.get(b"AW", ()))),
                    komi, _winner(result))


@lru_cache(maxsize=32)
def _point_table(size: int) -> dict[bytes, int]:
    """SGF coordinate bytes -> flat point for every point and pass spelling of ``size``."""
    letters = "abcdefghijklmnopqrstuvwxyz"[:size]
    table = {f"{letters[c]}{letters[r]}".encode(): r * size + c
             for r in range(size) for c in range(size)}
    table[b""] = size * size
    if size <= 19:
        table[b"tt"] = size * size
    return table


def _point(value: bytes, size: int) -> int:
    value = value.strip()
    if value == b"" or (value == b"tt" and size <= 19):
        return size * size
    if len(value) != 2:
        raise ValueError(f"bad SGF point {value!r}")
    col, row = value[0] - 97, value[1] - 97
    if not (0 <= col < size and 0 <= row < size):
        raise ValueError(f"SGF point off the board {value!r}")
    return row * size + col


def _winner(result: str | None) -> int:
    text = (result or "").strip().upper()
    if text.startswith("B+"):
        return BLACK
    if text.startswith("W+"):
        return WHITE
    return 0


def _read_with_sgfmill(data: bytes) -> MoveList:
    record = load_sgf(data)
    return MoveList(record.size, tuple(m.color for m in record.moves),
                    tuple(m.point for m in record.moves),
                    tuple(sorted(record.handicap + record.setup_black)),
                    record.setup_white, record.komi or 0.0, _winner(record.result))
