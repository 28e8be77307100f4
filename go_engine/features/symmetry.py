"""The eight symmetries of the square board, for feature planes and policy vectors.

A symmetry is a number ``s`` in ``0..7``. Each is written as an optional transpose (reflection
in the main diagonal, top-left to bottom-right) followed by optional flips, applied to the last
two axes ``[..., row, col]`` (row 0 at the top, as in :mod:`go_engine.rules.coords`):

===  =======================================  =========  =============  =============  ========
s    what it does to the picture              transpose  flip rows      flip columns   inverse
                                                         (up-down)      (left-right)
===  =======================================  =========  =============  =============  ========
0    identity                                 no         no             no             0
1    rotate 90 degrees anticlockwise          yes        yes            no             3
2    rotate 180 degrees                       no         yes            yes            2
3    rotate 90 degrees clockwise              yes        no             yes            1
4    mirror left-right                        no         no             yes            4
5    mirror up-down                           no         yes            no             5
6    reflect in the main diagonal             yes        no             no             6
7    reflect in the anti-diagonal             yes        yes            yes            7
===  =======================================  =========  =============  =============  ========

Rotation 1 equals ``np.rot90(x, 1, axes=(-2, -1))``. Policies have ``N * N + 1`` entries with
pass last; the board part is reshaped to ``[..., N, N]``, transformed, and pass stays put.

Only ``flip`` and axis swaps are used, so the functions accept numpy arrays and torch tensors
alike (torch is imported only when a tensor comes in).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

NUM_SYMMETRIES = 8

# (transpose, flip rows, flip columns) of each symmetry, in the table's order.
_STEPS = (
    (False, False, False),
    (True, True, False),
    (False, True, True),
    (True, False, True),
    (False, False, True),
    (False, True, False),
    (True, False, False),
    (True, True, True),
)
_INVERSE = (0, 3, 2, 1, 4, 5, 6, 7)


def _check(s: int) -> int:
    if not 0 <= s < NUM_SYMMETRIES:
        raise ValueError(f"symmetry must be in 0..7, got {s!r}")
    return s


def inverse(s: int) -> int:
    """The symmetry that undoes ``s``."""
    return _INVERSE[_check(s)]


def _is_numpy(x) -> bool:
    return isinstance(x, np.ndarray)


def _flip(x, axis: int):
    return np.flip(x, axis) if _is_numpy(x) else x.flip(axis)


def _swap(x):
    return np.swapaxes(x, -1, -2) if _is_numpy(x) else x.transpose(-1, -2)


def transform_planes(planes, s: int):
    """Apply symmetry ``s`` to the last two (square) axes of ``planes`` (a view for numpy)."""
    transpose, flip_rows, flip_cols = _STEPS[_check(s)]
    if transpose:
        planes = _swap(planes)
    if flip_rows:
        planes = _flip(planes, -2)
    if flip_cols:
        planes = _flip(planes, -1)
    return planes


def inverse_planes(planes, s: int):
    """Undo :func:`transform_planes` with symmetry ``s``."""
    return transform_planes(planes, inverse(s))


def _board_size(length: int) -> int:
    size = int(round((length - 1) ** 0.5))
    if size * size + 1 != length:
        raise ValueError(f"a policy has N * N + 1 entries, got {length}")
    return size


def transform_policy(policy, s: int):
    """Apply symmetry ``s`` to policy vectors ``[..., N * N + 1]`` (pass last stays last)."""
    size = _board_size(policy.shape[-1])
    lead = tuple(policy.shape[:-1])
    board = transform_planes(policy[..., :-1].reshape(*lead, size, size), s)
    board = board.reshape(*lead, size * size)
    if _is_numpy(policy):
        return np.concatenate([board, policy[..., -1:]], axis=-1)
    import torch

    return torch.cat([board, policy[..., -1:]], dim=-1)


def inverse_policy(policy, s: int):
    """Undo :func:`transform_policy` with symmetry ``s``."""
    return transform_policy(policy, inverse(s))


@lru_cache(maxsize=256)
def move_table(size: int, s: int) -> np.ndarray:
    """``move_table(size, s)[p]`` is where symmetry ``s`` sends move ``p`` (pass: ``N * N``)."""
    source = transform_planes(np.arange(size * size).reshape(size, size), s).ravel()
    table = np.empty(size * size + 1, dtype=np.int64)
    table[source] = np.arange(size * size)
    table[-1] = size * size
    table.setflags(write=False)
    return table


def transform_move(move: int, s: int, size: int) -> int:
    """Where symmetry ``s`` sends flat point ``move`` on a ``size`` board (pass stays pass)."""
    return int(move_table(size, _check(s))[move])
