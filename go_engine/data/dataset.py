"""A compact dataset of game move lists, built once from SGF archives and cached as ``.npz``.

A :class:`GameDataset` holds G games and M moves in flat arrays (about 3 bytes a move):

==================  ============  =============================================================
array               dtype, shape  meaning
==================  ============  =============================================================
``points``          int16 [M]     each move as a flat point (pass is ``size * size``)
``colors``          int8 [M]      its colour (``BLACK 1``, ``WHITE 2``)
``offsets``         int64 [G+1]   game ``g`` is moves ``offsets[g]:offsets[g+1]``
``sizes``           int8 [G]      board size
``winners``         int8 [G]      ``BLACK``, ``WHITE`` or 0 (unknown, draw)
``komi``            float32 [G]   komi
``setup_points``    int16 [S]     stones on the board before the first move (handicap too)
``setup_colors``    int8 [S]      their colours
``setup_offsets``   int64 [G+1]   game ``g``'s setup stones are ``setup_offsets[g]:[g+1]``
==================  ============  =============================================================

:func:`build_dataset` reads any mix of SGF files, folders and tar archives (see
:mod:`go_engine.data.archives`), replays every game in compiled code and keeps only those whose
setup stones can stand and whose moves are all legal (simple ko, no suicide), then caches the
arrays under ``cache_dir`` (a git-ignored ``.cache/go-engine/datasets`` by default), keyed by
the sources' paths, sizes and modification times.

Validation games are held out *by game*, by a seeded hash of each game's moves
(:meth:`GameDataset.heldout_mask`): the same game is held out whatever else is loaded with it,
so a model trained on one archive can be evaluated on exactly its held-out games later.
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
from numba import njit

from go_engine.data.archives import MoveList, iter_sgf_bytes, read_move_list
from go_engine.rules import board_core as core
from go_engine.rules.coords import BLACK, WHITE
from go_engine.rules.sgf import SgfError

DEFAULT_CACHE_DIR = Path(".cache") / "go-engine" / "datasets"
FORMAT_VERSION = 1
DEFAULT_HOLDOUT_FRACTION = 0.02
DEFAULT_HOLDOUT_SEED = 0


@dataclass(frozen=True)
class GameDataset:
    """Games as flat arrays; see the module docstring for the layout."""

    points: np.ndarray
    colors: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray
    winners: np.ndarray
    komi: np.ndarray
    setup_points: np.ndarray
    setup_colors: np.ndarray
    setup_offsets: np.ndarray

    def __len__(self) -> int:
        return int(self.sizes.shape[0])

    @property
    def num_moves(self) -> int:
        """Moves (positions) over all games, passes included."""
        return int(self.points.shape[0])

    def game(self, index: int) -> MoveList:
        """Game ``index`` as a :class:`MoveList`."""
        a, b = self.offsets[index], self.offsets[index + 1]
        s, t = self.setup_offsets[index], self.setup_offsets[index + 1]
        stones, colors = self.setup_points[s:t], self.setup_colors[s:t]
        return MoveList(int(self.sizes[index]), tuple(int(c) for c in self.colors[a:b]),
                        tuple(int(p) for p in self.points[a:b]),
                        tuple(int(p) for p in stones[colors == BLACK]),
                        tuple(int(p) for p in stones[colors == WHITE]),
                        float(self.komi[index]), int(self.winners[index]))

    def subset(self, indices: Sequence[int] | np.ndarray) -> GameDataset:
        """The games at ``indices`` (a bool mask or integer indices), in that order."""
        indices = np.asarray(indices)
        if indices.dtype == np.bool_:
            indices = np.flatnonzero(indices)
        moves, offsets = _gather(self.offsets, indices)
        setup, setup_offsets = _gather(self.setup_offsets, indices)
        return GameDataset(self.points[moves], self.colors[moves], offsets,
                           self.sizes[indices], self.winners[indices], self.komi[indices],
                           self.setup_points[setup], self.setup_colors[setup], setup_offsets)

    def game_keys(self, seed: int = DEFAULT_HOLDOUT_SEED) -> np.ndarray:
        """A seeded 64-bit hash of each game's size, setup and moves (``uint64 [G]``)."""
        keys = np.empty(len(self), dtype=np.uint64)
        salt = seed.to_bytes(8, "little", signed=True)
        for g in range(len(self)):
            a, b = self.offsets[g], self.offsets[g + 1]
            s, t = self.setup_offsets[g], self.setup_offsets[g + 1]
            digest = hashlib.blake2b(salt, digest_size=8)
            digest.update(bytes([int(self.sizes[g])]))
            digest.update(self.setup_points[s:t].tobytes())
            digest.update(self.points[a:b].tobytes())
            keys[g] = int.from_bytes(digest.digest(), "little")
        return keys

    def heldout_mask(self, fraction: float = DEFAULT_HOLDOUT_FRACTION,
                     seed: int = DEFAULT_HOLDOUT_SEED) -> np.ndarray:
        """``bool [G]``: the games held out for validation (about ``fraction`` of them)."""
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("the held-out fraction must lie in [0, 1]")
        threshold = np.uint64(min(int(fraction * 2.0**64), 2**64 - 1))
        return self.game_keys(seed) < threshold

    def save(self, path: str | os.PathLike, compress: bool = False) -> None:
        """Write the arrays to an ``.npz`` file (``compress``: deflated, about 1.2 bytes a
        move instead of 3, slower to write)."""
        arrays = {f.name: getattr(self, f.name) for f in fields(self)}
        write = np.savez_compressed if compress else np.savez
        write(path, format_version=np.int64(FORMAT_VERSION), **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> GameDataset:
        """Read a dataset written by :meth:`save`."""
        with np.load(path) as data:
            if int(data["format_version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: dataset format {int(data['format_version'])}, "
                                 f"expected {FORMAT_VERSION}")
            return cls(**{f.name: data[f.name] for f in fields(cls)})

    @classmethod
    def from_move_lists(cls, games: Iterable[MoveList]) -> GameDataset:
        """Pack games into arrays (no legality check; see :func:`validate`)."""
        points, colors = array("h"), array("b")
        setup_points, setup_colors = array("h"), array("b")
        offsets, setup_offsets = array("q", [0]), array("q", [0])
        sizes, winners, komi = array("b"), array("b"), array("f")
        for game in games:
            points.extend(game.points)
            colors.extend(game.colors)
            offsets.append(len(points))
            setup_points.extend(game.setup_black + game.setup_white)
            setup_colors.extend([BLACK] * len(game.setup_black) + [WHITE] * len(game.setup_white))
            setup_offsets.append(len(setup_points))
            sizes.append(game.size)
            winners.append(game.winner)
            komi.append(game.komi)
        return cls(np.asarray(points, np.int16), np.asarray(colors, np.int8),
                   np.asarray(offsets, np.int64), np.asarray(sizes, np.int8),
                   np.asarray(winners, np.int8), np.asarray(komi, np.float32),
                   np.asarray(setup_points, np.int16), np.asarray(setup_colors, np.int8),
                   np.asarray(setup_offsets, np.int64))


def _gather(offsets: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Element indices of the ragged rows ``indices`` and the new offsets."""
    lengths = offsets[indices + 1] - offsets[indices]
    new_offsets = np.zeros(len(indices) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    starts = np.repeat(offsets[indices] - new_offsets[:-1], lengths)
    return np.arange(new_offsets[-1], dtype=np.int64) + starts, new_offsets


# -- validation -------------------------------------------------------------------------------


@njit(cache=True)
def _validate(points, colors, offsets, sizes, setup_points, setup_colors, setup_offsets, ok):
    """``ok[g]`` = game ``g``'s setup stones stand and every move is legal (simple ko)."""
    zob = np.zeros((3, 27 * 27), dtype=np.int64)
    for g in range(sizes.shape[0]):
        size = sizes[g]
        width = size + 2
        pts = np.zeros((core.N_FIELDS, width * width), dtype=np.int64)
        meta = np.zeros(core.N_META, dtype=np.int64)
        core.init_board(pts, meta, size)
        good = True
        for i in range(setup_offsets[g], setup_offsets[g + 1]):
            p = setup_points[i]
            q = (p // size + 1) * width + p % size + 1
            if p >= size * size or pts[core.COLOR, q] != 0:
                good = False
                break
            before = meta[core.M_NUM_EMPTY]
            core.place_setup_stone(pts, meta, zob, q, setup_colors[i])
            if meta[core.M_NUM_EMPTY] != before - 1:
                good = False
                break
        if good:
            for i in range(offsets[g], offsets[g + 1]):
                p = points[i]
                color = colors[i]
                if color != 1 and color != 2:
                    good = False
                    break
                if p == size * size:
                    core.play(pts, meta, zob, -1, color)
                    continue
                q = (p // size + 1) * width + p % size + 1
                meta[core.M_TO_MOVE] = color
                if p > size * size or not core.is_legal(pts, meta, q, color):
                    good = False
                    break
                core.play(pts, meta, zob, q, color)
        ok[g] = good


def validate(dataset: GameDataset) -> np.ndarray:
    """``bool [G]``: the games that replay legally (setup stones stand, simple ko, no suicide)."""
    ok = np.zeros(len(dataset), dtype=np.bool_)
    _validate(dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
              dataset.setup_points, dataset.setup_colors, dataset.setup_offsets, ok)
    return ok


# -- building and caching ---------------------------------------------------------------------


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build_dataset` read: records seen, unreadable, illegal, kept."""

    records: int
    unreadable: int
    illegal: int
    kept: int
    cached: bool
    path: Path | None


def cache_key(paths: Sequence[str | os.PathLike], max_games: int | None) -> str:
    """A digest of the sources (resolved path, size, modification time) and ``max_games``."""
    digest = hashlib.sha1(f"v{FORMAT_VERSION} max={max_games}".encode())
    for path in paths:
        path = Path(path).resolve()
        stat = path.stat()
        digest.update(f"|{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
        if path.is_dir():
            for file in sorted(path.rglob("*.sgf")):
                info = file.stat()
                digest.update(f"|{file}|{info.st_size}|{info.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def read_games(paths: Sequence[str | os.PathLike], max_games: int | None = None,
               progress: bool = False) -> tuple[GameDataset, int, int]:
    """Read up to ``max_games`` records; returns (the legal games, unreadable, records)."""
    games: list[MoveList] = []
    unreadable = records = 0
    with _progress(progress) as bar:
        task = bar.add_task("reading SGF", total=max_games) if bar else None
        for _name, data in iter_sgf_bytes(paths):
            if max_games is not None and records >= max_games:
                break
            records += 1
            try:
                games.append(read_move_list(data))
            except SgfError:
                unreadable += 1
            if bar and records % 500 == 0:
                bar.update(task, completed=records)
    dataset = GameDataset.from_move_lists(games)
    return dataset, unreadable, records


def build_dataset(paths: Sequence[str | os.PathLike], max_games: int | None = None,
                  cache_dir: str | os.PathLike | None = DEFAULT_CACHE_DIR,
                  progress: bool = False) -> tuple[GameDataset, BuildReport]:
    """The legal games of ``paths`` (the first ``max_games`` records), from the cache when it
    holds them; ``cache_dir=None`` neither reads nor writes a cache."""
    paths = [Path(p) for p in paths]
    target = None
    if cache_dir is not None:
        stem = paths[0].name.split(".")[0] if paths else "empty"
        target = Path(cache_dir) / f"{stem}-{cache_key(paths, max_games)}.npz"
        if target.exists():
            dataset = GameDataset.load(target)
            return dataset, BuildReport(len(dataset), 0, 0, len(dataset), True, target)
    dataset, unreadable, records = read_games(paths, max_games, progress)
    ok = validate(dataset)
    dataset = dataset.subset(ok)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial.npz")
        dataset.save(partial)
        partial.replace(target)
    report = BuildReport(records, unreadable, int((~ok).sum()), len(dataset), False, target)
    return dataset, report


class _NoBar:
    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        return None


def _progress(enabled: bool):
    if not enabled:
        return _NoBar()
    from rich.progress import Progress

    return Progress(transient=True)
