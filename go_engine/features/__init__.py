"""Network input features: registered planes, the feature sets built from them, and encoders.

Conventions
-----------
* **Planes** are float32 ``[C, N, N]`` (a batch is ``[B, C, N, N]``). Row 0 is the top row and
  column 0 the left column, as in :mod:`go_engine.rules.coords`, so flat point ``p = row * N +
  col`` is ``planes[:, p // N, p % N]``.
* **Point of view**: every plane is seen from the player to move. "Own" means the side to move,
  "opponent" the other side; only a ``black_to_move`` plane says which colour that is.
* **Policies** that go with the planes are vectors of ``N * N + 1`` entries, one per flat point
  and **pass last** (index ``N * N``), the engine's action numbering.
* **Symmetries** of planes and policies: :mod:`go_engine.features.symmetry`.

A feature set lists plane *kinds* by name (:data:`PLANES`, each with its plane count); totals
are computed. Checkpoints record a set's ``name`` and ``version``; a set's version goes up
whenever its planes change.

======================  =====  ===============================================================
set                     count  planes (count)
======================  =====  ===============================================================
``alphago``             48     AlphaGo's policy network input (Silver et al. 2016, Extended
                               Data Table 2): stones 3, ones 1, turns_since 8, liberties 8,
                               capture_size 8, self_atari_size 8, liberties_after 8,
                               ladder_capture 1, ladder_escape 1, sensibleness 1, zeros 1
``alphago_value``       49     the same, then black_to_move 1 (the value network's extra plane)
``compact``             19     for small fast nets: stones 3, ones 1, own_liberties_3 3,
                               opponent_liberties_3 3, ko_point 1, last_moves_4 4,
                               ladder_capture 1, ladder_escape 1, sensibleness 1,
                               black_to_move 1
======================  =====  ===============================================================

What each plane means is in its registration (``PLANES[name].doc``) and in
:mod:`go_engine.features.planes`. Move planes (capture and self-atari sizes, liberties after
the move, sensibleness, ladders) are zero on illegal points: occupied, the simple-ko point, or
suicide. Superko is not known to a bare position.

Compiled code calls :func:`encode_into` (``pts, meta, zob, code, out``) with ``code =
feature_set.code``; Python code calls :func:`encode` and :func:`encode_batch`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from go_engine.features.planes import PLANES, Plane, encode_batch_into, encode_into
from go_engine.rules.board import Board

__all__ = [
    "FEATURE_SETS", "PLANES", "FeatureSet", "Plane", "encode", "encode_batch",
    "encode_batch_into", "encode_into", "get_feature_set",
]


@dataclass(frozen=True)
class FeatureSet:
    """An ordered list of registered plane kinds, with a version that checkpoints record.

    Attributes:
        name: the set's name in :data:`FEATURE_SETS`.
        version: bumped whenever the set's planes change.
        planes: plane kind names, in output order (keys of :data:`PLANES`).
    """

    name: str
    version: int
    planes: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = [p for p in self.planes if p not in PLANES]
        if unknown:
            raise ValueError(f"unknown planes {unknown}; registered: {sorted(PLANES)}")

    @property
    def num_planes(self) -> int:
        """Total number of planes ``C``."""
        return sum(PLANES[p].count for p in self.planes)

    @cached_property
    def code(self) -> np.ndarray:
        """The plane kinds as a read-only int64 array, for :func:`encode_into`."""
        code = np.array([PLANES[p].kind for p in self.planes], dtype=np.int64)
        code.setflags(write=False)
        return code

    def slice_of(self, plane: str) -> slice:
        """The channels that plane kind ``plane`` occupies in this set's output."""
        start = 0
        for name in self.planes:
            if name == plane:
                return slice(start, start + PLANES[name].count)
            start += PLANES[name].count
        raise KeyError(f"{plane!r} is not in feature set {self.name!r}")


_ALPHAGO_PLANES = ("stones", "ones", "turns_since", "liberties", "capture_size",
                   "self_atari_size", "liberties_after", "ladder_capture", "ladder_escape",
                   "sensibleness", "zeros")

FEATURE_SETS: dict[str, FeatureSet] = {
    s.name: s for s in (
        FeatureSet("alphago", 1, _ALPHAGO_PLANES),
        FeatureSet("alphago_value", 1, (*_ALPHAGO_PLANES, "black_to_move")),
        FeatureSet("compact", 1, ("stones", "ones", "own_liberties_3", "opponent_liberties_3",
                                  "ko_point", "last_moves_4", "ladder_capture", "ladder_escape",
                                  "sensibleness", "black_to_move")),
    )
}


def get_feature_set(name: str | FeatureSet) -> FeatureSet:
    """The feature set called ``name`` (a :class:`FeatureSet` is returned as it is)."""
    if isinstance(name, FeatureSet):
        return name
    if name not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {name!r}; valid names: {sorted(FEATURE_SETS)}")
    return FEATURE_SETS[name]


def encode(board: Board, feature_set: FeatureSet | str) -> np.ndarray:
    """The float32 ``[C, N, N]`` planes of ``board`` seen from its side to move."""
    fs = get_feature_set(feature_set)
    out = np.empty((fs.num_planes, board.size, board.size), dtype=np.float32)
    encode_into(board.pts, board.meta, board.zobrist, fs.code, out)
    return out


def encode_batch(boards: Sequence[Board], feature_set: FeatureSet | str) -> np.ndarray:
    """The float32 ``[B, C, N, N]`` planes of boards of one size."""
    fs = get_feature_set(feature_set)
    if not boards:
        raise ValueError("encode_batch needs at least one board")
    size = boards[0].size
    if any(b.size != size for b in boards):
        raise ValueError("encode_batch needs boards of one size")
    pts = np.stack([b.pts for b in boards])
    meta = np.stack([b.meta for b in boards])
    out = np.empty((len(boards), fs.num_planes, size, size), dtype=np.float32)
    encode_batch_into(pts, meta, boards[0].zobrist, fs.code, out)
    return out
