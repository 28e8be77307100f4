"""A compiled ladder reader: can a chain in atari be caught by the standard ladder sequence?

The reading is the usual one of playing programs (the "ladder capture" and "ladder escape"
features of Silver et al. 2016, Extended Data Table 2):

* the **defender** (the chain's owner), with its chain in atari, tries every way out: extending
  on its only liberty, or capturing an attacking chain that touches it and is itself in atari;
* an escape that reaches **three or more liberties** has left the ladder; one with **two**
  liberties gives the **attacker** the move, and the attacker tries an atari from each of the
  two liberties; a defender move that leaves one liberty is captured next move;
* the attacker wins an atari when every defender answer fails; the defender wins a position
  when one answer escapes. Anything not proven within the limits counts as an escape:
  :data:`MAX_PLIES` moves along one line, :data:`MAX_PLAYS` moves in one read.

An atari is not tried when the defender's extension would surely have three liberties
(:func:`extension_liberties`): that line always escapes, so the reader skips it without
playing. Of two ataris, the one that leaves the extension fewer liberties is tried first, so
the search runs straight down a working ladder.

The search is an AND-OR tree walked depth first with an explicit stack (numba's on-disk cache
breaks recursive functions, numba issue #6061). Every node keeps its position in a slot of a
pool of board copies; a node's last option is played in its own slot, so a ladder that runs
straight to the edge costs one copy of the board per real branch, not one per move. Moves are
played with :func:`go_engine.rules.board_core.play` on those copies, so captures, simple ko and
suicide follow the board's own rules.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.rules import board_core as core
from go_engine.rules.coords import EMPTY

MAX_PLIES = 100  # moves along one line of play: a ladder across a 25x25 board fits
MAX_PLAYS = 500  # moves in one read, all lines together: bounds a read at about a millisecond
MAX_OPTIONS = 16  # defender answers kept per node (the extension always comes first)

ATTACK = 0  # the attacker is to move: an OR node (one working atari is enough)
DEFEND = 1  # the defender is to move: an AND node (every answer must fail)

CAPTURED = 1
ESCAPED = 0
OPEN = -1

# Columns of the search stack ``nodes`` (one row per node on the current line of play).
_KIND = 0  # ATTACK or DEFEND
_N_OPTS = 1  # options listed in the same row of ``opts``
_TRIED = 2  # options tried so far
_SLOT = 3  # the pool slot holding the node's position
_OWNS = 4  # 1 when the node took a fresh slot, 0 when it plays on in its parent's
_N_NODE = 5


@njit(cache=True)
def liberties_upto(pts, head, width, found):
    """Distinct liberties of the chain headed by ``head``, written to ``found``; the count
    stops at ``len(found)``."""
    k = 0
    stone = head
    while True:
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[core.COLOR, q] != EMPTY:
                continue
            new = True
            for i in range(k):
                new &= found[i] != q
            if new:
                found[k] = q
                k += 1
                if k == found.shape[0]:
                    return k
        stone = pts[core.NEXT, stone]
        if stone == head:
            return k


@njit(cache=True, inline="always")
def _one_liberty(pts, head):
    """True when every pseudo-liberty of the chain is the same point (exact atari test)."""
    count = pts[core.LIB_COUNT, head]
    total = pts[core.LIB_SUM, head]
    return count > 0 and count * pts[core.LIB_SUM_SQ, head] == total * total


@njit(cache=True, inline="always", _nrt=False)
def _add_point(q, count, f0, f1):
    """Add point ``q`` to a set of at most two points kept in ``f0``, ``f1`` (``count`` of
    them so far): returns the new ``(count, f0, f1)``; the count stops at 3."""
    if count == 0:
        return 1, q, f1
    if q == f0 or (count == 2 and q == f1):
        return count, f0, f1
    if count == 1:
        return 2, f0, q
    return 3, f0, f1


@njit(cache=True, _nrt=False)
def liberties_after_playing(pts, width, color, point, skip, excluded):
    """A lower bound, capped at 3, on the liberties of the chain ``color`` makes by playing
    the empty ``point``: its empty neighbours and the liberties of the own chains it joins,
    leaving out the chain headed by ``skip`` and the point ``excluded`` (-1: none).

    Captures are not counted (they only add liberties). Allocation-free, so that the rollout
    kernels, compiled without numba's reference counting, can call it too
    (:mod:`go_engine.search.rollout_tactics`).
    """
    count, f0, f1 = 0, -1, -1
    for q in (point - width, point - 1, point + 1, point + width):
        if pts[core.COLOR, q] == EMPTY and q != excluded:
            count, f0, f1 = _add_point(q, count, f0, f1)
    for q in (point - width, point - 1, point + 1, point + width):
        if count >= 3:
            return 3
        if pts[core.COLOR, q] != color or pts[core.HEAD, q] == skip:
            continue
        chain = pts[core.HEAD, q]
        stone = chain
        while count < 3:
            for r in (stone - width, stone - 1, stone + 1, stone + width):
                if pts[core.COLOR, r] == EMPTY and r != point and r != excluded:
                    count, f0, f1 = _add_point(r, count, f0, f1)
            stone = pts[core.NEXT, stone]
            if stone == chain:
                break
    return min(count, 3)


@njit(cache=True)
def extension_liberties(pts, width, head, move, rest):
    """A lower bound, capped at 3, on the liberties the defender gets by extending at ``rest``
    after an atari at ``move`` on the chain headed by ``head`` (whose liberties are ``move``
    and ``rest``).

    The bound counts the empty neighbours of ``rest`` and the liberties of the other defending
    chains beside it, less ``move`` and ``rest``. Whatever the atari captures cannot lower it
    (a captured defending chain had ``move`` as its only liberty, and its stones next to
    ``rest`` become liberties), and captures by the extension only add more.
    """
    return liberties_after_playing(pts, width, pts[core.COLOR, head], rest, head, move)


@njit(cache=True)
def atari_worth_trying(pts, width, head, move, rest):
    """False when an atari at ``move`` surely fails: the defender's extension at ``rest``
    would have three liberties (see :func:`extension_liberties`)."""
    return extension_liberties(pts, width, head, move, rest) < 3


@njit(cache=True)
def _defender_options(pts, target, width, extension, opts, level):
    """The defender's answers: the extension first, then the liberty of every attacking chain
    in atari that touches the defender's chain. Returns how many were written."""
    opts[level, 0] = extension
    n = 1
    attacker = 3 - pts[core.COLOR, target]
    head = pts[core.HEAD, target]
    stone = head
    while True:
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[core.COLOR, q] != attacker:
                continue
            enemy = pts[core.HEAD, q]
            if not _one_liberty(pts, enemy):
                continue
            point = pts[core.LIB_SUM, enemy] // pts[core.LIB_COUNT, enemy]
            new = True
            for i in range(n):
                new &= opts[level, i] != point
            if new and n < MAX_OPTIONS:
                opts[level, n] = point
                n += 1
        stone = pts[core.NEXT, stone]
        if stone == head:
            return n


@njit(cache=True, inline="always")
def _edge_distance(point, width):
    """Lines between padded ``point`` and the nearest edge (0 on the first line)."""
    row = point // width - 1
    col = point % width - 1
    return min(row, col, width - 3 - row, width - 3 - col)


@njit(cache=True)
def _play_and_judge(pts, meta, zob, target, move, mover_kind, opts, n_opts, level):
    """Play ``move`` for the side to move, then judge the defender's chain: ``CAPTURED``,
    ``ESCAPED`` or ``OPEN`` (the next node's options are then in ``opts[level]``)."""
    width = meta[core.M_SIZE] + 2
    defender = pts[core.COLOR, target]
    core.play(pts, meta, zob, move, meta[core.M_TO_MOVE])
    if pts[core.COLOR, target] != defender:
        return CAPTURED
    found = np.empty(3, dtype=np.int64)
    libs = liberties_upto(pts, pts[core.HEAD, target], width, found)
    if mover_kind == ATTACK:
        if libs != 1:
            return ESCAPED
        n_opts[level] = _defender_options(pts, target, width, found[0], opts, level)
        return OPEN
    if libs >= 3:
        return ESCAPED
    if libs <= 1:
        return CAPTURED
    # The atari that leaves the extension fewer liberties goes first, and of two that leave as
    # many, the one that drives the defender nearer the edge: along a working ladder it is the
    # right one, so the search runs straight down the ladder.
    head = pts[core.HEAD, target]
    first = extension_liberties(pts, width, head, found[0], found[1])
    second = extension_liberties(pts, width, head, found[1], found[0])
    if second < first or (second == first
                          and _edge_distance(found[0], width) < _edge_distance(found[1], width)):
        found[0], found[1] = found[1], found[0]
        first, second = second, first
    n = 0
    if first < 3:
        opts[level, n] = found[0]
        n += 1
    if second < 3:
        opts[level, n] = found[1]
        n += 1
    n_opts[level] = n
    return OPEN if n > 0 else ESCAPED


@njit(cache=True)
def new_workspace(pts, meta):
    """Scratch space for :func:`read_ladder`: a pool of board copies (grown on demand) and the
    search stack. One workspace serves any number of reads on boards of one size."""
    pool_pts = np.empty((4, pts.shape[0], pts.shape[1]), dtype=np.int64)
    pool_meta = np.empty((4, meta.shape[0]), dtype=np.int64)
    nodes = np.empty((MAX_PLIES + 1, _N_NODE), dtype=np.int64)
    opts = np.empty((MAX_PLIES + 1, MAX_OPTIONS), dtype=np.int64)
    return pool_pts, pool_meta, nodes, opts


@njit(cache=True, inline="always")
def _copy_board(src_pts, src_meta, dst_pts, dst_meta):
    # Plain loops: numba's whole-array assignment guards against overlap with a temporary.
    for f in range(src_pts.shape[0]):
        for p in range(src_pts.shape[1]):
            dst_pts[f, p] = src_pts[f, p]
    for i in range(src_meta.shape[0]):
        dst_meta[i] = src_meta[i]


@njit(cache=True)
def _grow(pool_pts, pool_meta, used):
    """A pool twice as large holding the first ``used`` slots of the old one."""
    grown_pts = np.empty((2 * pool_pts.shape[0], pool_pts.shape[1], pool_pts.shape[2]),
                         dtype=np.int64)
    grown_meta = np.empty((2 * pool_meta.shape[0], pool_meta.shape[1]), dtype=np.int64)
    for s in range(used):
        _copy_board(pool_pts[s], pool_meta[s], grown_pts[s], grown_meta[s])
    return grown_pts, grown_meta


@njit(cache=True)
def read_ladder(pts, meta, zob, target, root_kind, move, work):
    """Read the ladder on the chain through ``target`` after the side to move plays ``move``.

    ``root_kind`` says who that is: ``ATTACK`` (``move`` is an atari on the chain) or
    ``DEFEND`` (``move`` is the chain's extension). ``work`` comes from :func:`new_workspace`.
    Returns ``(CAPTURED or ESCAPED, work)`` (the pool may have grown). ``pts`` and ``meta``
    are only read.
    """
    pool_pts, pool_meta, nodes, opts = work
    _copy_board(pts, meta, pool_pts[0], pool_meta[0])
    nodes[0, _KIND], nodes[0, _N_OPTS], nodes[0, _TRIED] = root_kind, 1, 0
    nodes[0, _SLOT], nodes[0, _OWNS] = 0, 1
    opts[0, 0] = move
    n_opts = nodes[:, _N_OPTS]
    level = 0
    top = 1  # slots in use, allocated and freed last in, first out
    plays = 0
    result = OPEN  # the value of the child just left, if any
    while True:
        node = nodes[level]
        decided = OPEN
        if result != OPEN and (result == CAPTURED) == (node[_KIND] == ATTACK):
            decided = result  # a working atari, or an escaping answer
        elif node[_TRIED] == node[_N_OPTS]:
            decided = ESCAPED if node[_KIND] == ATTACK else CAPTURED
        result = OPEN
        if decided != OPEN:
            top -= node[_OWNS]
            level -= 1
            if level < 0:
                return decided, (pool_pts, pool_meta, nodes, opts)
            result = decided
            continue
        point = opts[level, node[_TRIED]]
        node[_TRIED] += 1
        here = node[_SLOT]
        if not core.is_legal(pool_pts[here], pool_meta[here], point,
                             pool_meta[here, core.M_TO_MOVE]):
            continue  # an illegal answer neither escapes nor captures
        if level == MAX_PLIES or plays == MAX_PLAYS:
            result = ESCAPED  # beyond the reading limits: not proven captured
            continue
        child = here
        own = 1 if node[_TRIED] < node[_N_OPTS] else 0
        if own:
            if top == pool_pts.shape[0]:
                pool_pts, pool_meta = _grow(pool_pts, pool_meta, top)
            child = top
            top += 1
            _copy_board(pool_pts[here], pool_meta[here], pool_pts[child], pool_meta[child])
        plays += 1
        outcome = _play_and_judge(pool_pts[child], pool_meta[child], zob, target, point,
                                  node[_KIND], opts, n_opts, level + 1)
        if outcome != OPEN:
            top -= own
            result = outcome
            continue
        level += 1
        nodes[level, _KIND], nodes[level, _TRIED] = 1 - node[_KIND], 0
        nodes[level, _SLOT], nodes[level, _OWNS] = child, own


@njit(cache=True)
def ladder_capture_works(pts, meta, zob, target, move, rest):
    """True when the side to move, playing ``move`` (one of the two liberties of the opponent
    chain through ``target``; ``rest`` is the other), captures that chain in a ladder."""
    if not atari_worth_trying(pts, meta[core.M_SIZE] + 2, pts[core.HEAD, target], move, rest):
        return False
    result, _ = read_ladder(pts, meta, zob, target, ATTACK, move, new_workspace(pts, meta))
    return result == CAPTURED


@njit(cache=True)
def ladder_escape_works(pts, meta, zob, target, move):
    """True when the side to move, extending its chain through ``target`` (in atari) on its
    liberty ``move``, gets out: three liberties, or two and no ladder catches it."""
    result, _ = read_ladder(pts, meta, zob, target, DEFEND, move, new_workspace(pts, meta))
    return result == ESCAPED
