"""Move masks over a whole position, computed in compiled code.

Two masks, both over the ``size * size + 1`` actions in flat order with pass last:

* :func:`legal_mask`: empty, not the simple-ko point, not suicide (unless allowed). Superko
  needs the game's history and is layered on top by :class:`go_engine.rules.game.Game`.
* :func:`sensible_mask`: legal and not filling the mover's own eye (the light-playout rule),
  the candidate set for search without a network.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index


@njit(cache=True, nogil=True)
def _fill_masks(pts, meta, color, index, legal, sensible):
    """``index[p]`` is the padded point of flat point ``p``; pass (last entry) is always legal."""
    points = index.shape[0] - 1
    for p in range(points):
        q = index[p]
        ok = core.is_legal(pts, meta, q, color)
        legal[p] = ok
        sensible[p] = ok and not core.is_eye_like(pts, meta, q, color)
    legal[points] = True
    sensible[points] = True


def masks(board: Board, color: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(legal, sensible)`` boolean masks for ``color`` (default: the side to move)."""
    color = board.to_move if color is None else color
    n = board.size * board.size + 1
    legal = np.zeros(n, dtype=np.bool_)
    sensible = np.zeros(n, dtype=np.bool_)
    _fill_masks(board.pts, board.meta, color, padded_index(board.size), legal, sensible)
    return legal, sensible


def legal_mask(board: Board, color: int | None = None) -> np.ndarray:
    """Moves legal for ``color`` under simple ko (no superko); pass included."""
    return masks(board, color)[0]


def sensible_mask(board: Board, color: int | None = None) -> np.ndarray:
    """Legal moves that do not fill ``color``'s own eye; pass included."""
    return masks(board, color)[1]
