"""Where the engine puts free handicap stones (GTP ``place_free_handicap``).

The fixed placements of GTP section 4.1.1 live with the rules
(:func:`go_engine.rules.game.fixed_handicap_points`); this is the engine's own choice beyond
them.
"""

from __future__ import annotations

import numpy as np

from go_engine.rules.board import Board
from go_engine.rules.coords import BLACK, EMPTY
from go_engine.rules.game import fixed_handicap_points


def free_handicap_points(size: int, stones: int) -> list[int]:
    """Where the engine puts ``stones`` free handicap stones, in board order.

    The fixed placement where GTP defines one; otherwise the largest fixed placement (if any)
    and then, greedily, the point farthest from every stone so far, on the third line or
    higher where there is room (fourth from 13x13). At most a quarter of the board is covered
    (GTP lets an engine place fewer stones than asked when more cannot matter); no stone is
    put where it would leave a chain without liberties.
    """
    count = min(stones, max(2, size * size // 4))
    try:
        return sorted(fixed_handicap_points(size, count))
    except ValueError:
        pass
    chosen: list[int] = []
    for limit in (9, 4):
        try:
            chosen = fixed_handicap_points(size, limit)
            break
        except ValueError:
            continue
    board = Board(size)
    rows, cols = np.divmod(np.arange(size * size), size)
    nearest = np.full(size * size, np.inf)  # squared distance to the closest stone so far
    for point in chosen:
        board.place_setup_stone(point, BLACK)
        nearest = np.minimum(nearest, (rows - rows[point]) ** 2 + (cols - cols[point]) ** 2)
    edge = 3 if size >= 13 else 2 if size >= 7 else 1 if size >= 4 else 0
    inner = np.minimum(np.minimum(rows, cols), np.minimum(size - 1 - rows, size - 1 - cols)) >= edge
    outward = (rows - (size - 1) / 2) ** 2 + (cols - (size - 1) / 2) ** 2
    while len(chosen) < count:
        free = board.stones().ravel() == EMPTY
        pool = np.flatnonzero(free & inner)
        if len(pool) == 0:
            pool = np.flatnonzero(free)
        # Farthest from the stones first, then farthest from the centre, then board order.
        for point in pool[np.lexsort((pool, -outward[pool], -nearest[pool]))]:
            trial = board.copy()
            try:
                trial.place_setup_stone(int(point), BLACK)
            except ValueError:
                continue
            board = trial
            chosen.append(int(point))
            nearest = np.minimum(nearest, (rows - rows[point]) ** 2 + (cols - cols[point]) ** 2)
            break
        else:
            break
    return sorted(chosen)
