"""Expert positions for supervised training, encoded on the fly from compact move lists.

The dataset on disk is a :class:`~go_engine.data.dataset.GameDataset`: move lists and results,
about 3 bytes a move, never feature tensors. A *position* is a pair (game ``g``, move ``k``):
the board before move ``k`` of game ``g``, with the player of move ``k`` to move. Its targets
are that move (the policy target, a point or ``PASS = N * N``) and the game's result from that
player's point of view (the value target: +1 win, -1 loss, 0 with weight 0 when the result is
unknown).

:class:`PositionBatches` is a map-style torch ``Dataset`` whose item ``b`` is the whole batch
``b`` of an epoch: data-loader workers each replay their batch's games in one compiled call
(:func:`_encode_positions`), so the main process only moves tensors to the device. A batch
is a pure function of (seed, epoch, batch index), which makes an interrupted run resume on
exactly the batch it would have trained next. Each position gets a random board symmetry
(one of the 8; the policy target moves with it) drawn from the same seed.

Planes travel as ``uint8`` (every plane is 0/1) and become floats on the device, a quarter of
the bytes through the workers' shared memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numba import njit

from go_engine.data.dataset import GameDataset
from go_engine.features import FeatureSet, encode_into
from go_engine.features.symmetry import NUM_SYMMETRIES, move_table, transform_planes
from go_engine.rules import board_core as core


def position_table(dataset: GameDataset, games: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every position of ``games``: (game index ``int32 [P]``, move index ``int32 [P]``),
    the move index counting from the game's first move."""
    starts, ends = dataset.offsets[games], dataset.offsets[games + 1]
    lengths = (ends - starts).astype(np.int64)
    game_of = np.repeat(games.astype(np.int32), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    move_of = (np.arange(int(lengths.sum()), dtype=np.int64) - first).astype(np.int32)
    return game_of, move_of


@njit(cache=True)
def _encode_positions(points, colors, offsets, sizes, winners, setup_points, setup_colors,
                      setup_offsets, games, moves, code, planes, targets, values, value_mask):
    """Replay game ``games[i]`` up to move ``moves[i]`` and encode the position into
    ``planes[i]``; its move into ``targets[i]`` and its result into ``values[i]``."""
    size = sizes[games[0]]
    width = size + 2
    zob = np.zeros((3, width * width), dtype=np.int64)  # hashes are not needed to replay
    pts = np.zeros((core.N_FIELDS, width * width), dtype=np.int64)
    meta = np.zeros(core.N_META, dtype=np.int64)
    out = np.zeros(planes.shape[1:], dtype=np.float32)
    for i in range(games.shape[0]):
        g = games[i]
        core.init_board(pts, meta, size)
        for j in range(setup_offsets[g], setup_offsets[g + 1]):
            p = setup_points[j]
            core.place_setup_stone(pts, meta, zob, (p // size + 1) * width + p % size + 1,
                                   setup_colors[j])
        start = offsets[g]
        for j in range(start, start + moves[i]):
            p = points[j]
            q = -1 if p == size * size else (p // size + 1) * width + p % size + 1
            core.play(pts, meta, zob, q, colors[j])
        color = colors[start + moves[i]]
        meta[core.M_TO_MOVE] = color
        out[:] = 0.0
        encode_into(pts, meta, zob, code, out)
        planes[i] = out.astype(np.uint8)
        targets[i] = points[start + moves[i]]
        winner = winners[g]
        values[i] = 0.0 if winner == 0 else (1.0 if winner == color else -1.0)
        value_mask[i] = 0.0 if winner == 0 else 1.0


def encode_positions(dataset: GameDataset, games: np.ndarray, moves: np.ndarray,
                     feature_set: FeatureSet, symmetries: np.ndarray | None = None
                     ) -> dict[str, np.ndarray]:
    """Encode the positions (``games[i]``, ``moves[i]``) of one board size; with
    ``symmetries`` (``int [B]`` in 0..7) each position and its target are transformed."""
    count = len(games)
    size = int(dataset.sizes[games[0]]) if count else 19
    if count and np.any(dataset.sizes[games] != size):
        raise ValueError("a batch must hold positions of one board size")
    planes = np.zeros((count, feature_set.num_planes, size, size), dtype=np.uint8)
    targets = np.zeros(count, dtype=np.int64)
    values = np.zeros(count, dtype=np.float32)
    value_mask = np.zeros(count, dtype=np.float32)
    if count:
        _encode_positions(dataset.points, dataset.colors, dataset.offsets, dataset.sizes,
                          dataset.winners, dataset.setup_points, dataset.setup_colors,
                          dataset.setup_offsets, np.asarray(games, np.int64),
                          np.asarray(moves, np.int64), feature_set.code, planes,
                          targets, values, value_mask)
    if symmetries is not None:
        apply_symmetries(planes, targets, symmetries, size)
    return {"planes": planes, "targets": targets, "values": values, "value_mask": value_mask}


def apply_symmetries(planes: np.ndarray, targets: np.ndarray, symmetries: np.ndarray,
                     size: int) -> None:
    """Transform each position ``i`` and its target by symmetry ``symmetries[i]``, in place."""
    for s in range(1, NUM_SYMMETRIES):
        rows = np.flatnonzero(symmetries == s)
        if len(rows):
            planes[rows] = transform_planes(planes[rows], s)
            targets[rows] = move_table(size, s)[targets[rows]]


@dataclass(frozen=True)
class BatchPlan:
    """How an epoch is cut into batches: ``batch_size`` positions each, drawn without
    replacement in a seeded order; a short last batch is dropped."""

    batch_size: int
    seed: int = 0
    symmetries: bool = True


class PositionBatches(torch.utils.data.Dataset):
    """Item ``b`` is batch ``b`` of the current epoch, as a dict of tensors.

    Args:
        dataset: the games (one board size).
        games: indices of the games to draw positions from (the training share).
        feature_set: the planes to encode.
        plan: batch size, seed and whether to apply random symmetries.
    """

    def __init__(self, dataset: GameDataset, games: np.ndarray, feature_set: FeatureSet,
                 plan: BatchPlan) -> None:
        self.dataset = dataset
        self.feature_set = feature_set
        self.plan = plan
        self.game_of, self.move_of = position_table(dataset, np.asarray(games))
        self.epoch = -1
        self.order = np.empty(0, dtype=np.int64)
        self.set_epoch(0)

    @property
    def num_positions(self) -> int:
        return len(self.game_of)

    def __len__(self) -> int:
        return self.num_positions // self.plan.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Draw the order of positions for ``epoch`` (call before making the loader)."""
        if epoch != self.epoch:
            rng = np.random.default_rng([self.plan.seed, epoch])
            self.order = rng.permutation(self.num_positions)
            self.epoch = epoch

    def __getitem__(self, batch: int) -> dict[str, torch.Tensor]:
        if not 0 <= batch < len(self):
            raise IndexError(batch)
        size = self.plan.batch_size
        picked = self.order[batch * size:(batch + 1) * size]
        rng = np.random.default_rng([self.plan.seed, self.epoch, batch, 1])
        symmetries = (rng.integers(0, NUM_SYMMETRIES, size) if self.plan.symmetries
                      else None)
        arrays = encode_positions(self.dataset, self.game_of[picked], self.move_of[picked],
                                  self.feature_set, symmetries)
        return {name: torch.from_numpy(array) for name, array in arrays.items()}


def sample_positions(dataset: GameDataset, games: np.ndarray, count: int,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` positions drawn uniformly without replacement from ``games`` (all of
    them when there are fewer), sorted by game: a fixed validation sample."""
    game_of, move_of = position_table(dataset, np.asarray(games))
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(game_of), min(count, len(game_of)), replace=False))
    return game_of[picked], move_of[picked]
