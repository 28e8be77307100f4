"""Tactical answers in rollouts: take what the last move left in atari, save what it put there.

A trained softmax knows that captures and escapes from atari are likely moves, but it only
*weights* them: a rollout still lets a chain in atari die, or answers an atari with an
extension that stays in atari, often enough to misjudge capturing races and life-and-death
fights. The playouts of strong Monte Carlo programs answer the last move's ataris before
anything else (MoGo: Gelly, Wang, Munos & Teytaud 2006, "Modification of UCT with patterns in
Monte-Carlo Go", its escape-atari rule; Pachi: Baudis & Gailly 2011, "Pachi: state of the art
open source Go program", the atari checks of its playout policy). :func:`tactical_reply` gives
the rollout loop (:mod:`go_engine.search.rollout_policy`) that answer, when there is one:

1. **Capture**: the last move's chain is in atari (it played a self-atari): take it.
2. **Save**: an own chain next to the last move is in atari (the last move was an atari, or it
   took a liberty of a chain already short of them). Of those chains the biggest that can be
   saved is: by capturing an attacking chain in atari that touches it (the biggest such
   capture that leaves two liberties: not into a snapback), else by extending on its liberty
   when the extension has two liberties or more.
   A chain that cannot get out is left to the policy. Unlike Pachi, ladders are not read: the
   compiled ladder reader allocates scratch boards, and the rollout kernels run without
   numba's reference counting (a loop compiled with it ran at half the speed).

Everything is read from the board's own arrays (a chain's single liberty is its
pseudo-liberty sum over their count, see :mod:`go_engine.rules.board_core`), so the answer
does not depend on the rollout's kept state and is tested on plain boards. The answer is a
proposal: the rollout plays it only where the policy allows a move at all (legal, not the ko
point, not an own-eye fill).
"""

from __future__ import annotations

from numba import njit

from go_engine.features.ladders import liberties_after_playing
from go_engine.rules import board_core as core

NO_REPLY = -1


@njit(cache=True, inline="always", _nrt=False)
def _atari_liberty(pts, head):
    """The liberty of the chain headed by ``head`` when it is in atari, else -1."""
    if not core._in_atari(pts, head):
        return -1
    return pts[core.LIB_SUM, head] // pts[core.LIB_COUNT, head]


@njit(cache=True, inline="always", _nrt=False)
def extension_liberties(pts, point, color, width):
    """Liberties, capped at 3, of the chain ``color`` makes by playing the empty ``point``
    (captures not counted: a lower bound): the ladder reader's counter, for any chain."""
    return liberties_after_playing(pts, width, color, point, -1, -1)


@njit(cache=True, _nrt=False)
def _counter_capture(pts, head, own_liberty, width):
    """The liberty of the biggest enemy chain in atari touching the chain headed by ``head``
    (itself in atari, on ``own_liberty``) whose capture leaves that chain two liberties or
    more, or -1.

    A capture frees a point next to the chain (a captured stone touched it), and the chain
    keeps its own liberty unless the capture is played there. When it is, the capturing stone
    needs a liberty besides the captured stones (:func:`extension_liberties` of 1 or more), or
    the capture is answered by a snapback.
    """
    color = pts[core.COLOR, head]
    best, best_size = -1, 0
    stone = head
    while True:
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[core.COLOR, q] != 3 - color:
                continue
            enemy = pts[core.HEAD, q]
            point = _atari_liberty(pts, enemy)
            if point < 0 or pts[core.SIZE, enemy] <= best_size:
                continue
            if point != own_liberty or extension_liberties(pts, point, color, width) >= 1:
                best, best_size = point, pts[core.SIZE, enemy]
        stone = pts[core.NEXT, stone]
        if stone == head:
            return best


@njit(cache=True, _nrt=False)
def _save(pts, head, width):
    """How the side to move saves its chain headed by ``head`` (in atari), or -1."""
    liberty = pts[core.LIB_SUM, head] // pts[core.LIB_COUNT, head]
    capture = _counter_capture(pts, head, liberty, width)
    if capture >= 0:
        return capture
    if extension_liberties(pts, liberty, pts[core.COLOR, head], width) >= 2:
        return liberty
    return -1


@njit(cache=True, _nrt=False)
def tactical_reply(pts, meta):
    """The tactical answer to the last move for the side to move (a padded point), or
    :data:`NO_REPLY` (also after a pass or at the start)."""
    last = meta[core.M_LAST_MOVE]
    if last < 0:
        return NO_REPLY
    width = meta[core.M_SIZE] + 2
    color = meta[core.M_TO_MOVE]
    if pts[core.COLOR, last] == 3 - color:  # not a suicide (where the rules allow one)
        take = _atari_liberty(pts, pts[core.HEAD, last])
        if take >= 0:
            return take
    best, best_size = NO_REPLY, 0
    for n in (last - width, last - 1, last + 1, last + width):
        if pts[core.COLOR, n] != color:
            continue
        head = pts[core.HEAD, n]
        if pts[core.SIZE, head] <= best_size or not core._in_atari(pts, head):
            continue
        move = _save(pts, head, width)
        if move >= 0:
            best, best_size = move, pts[core.SIZE, head]
    return best
