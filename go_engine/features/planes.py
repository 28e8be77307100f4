"""The compiled feature planes: one small kernel per plane kind, and the encoder that runs them.

Every kernel writes its planes into ``out[at : at + count]`` (float32 ``[C, N, N]``, row 0 at
the top, see :mod:`go_engine.rules.coords`), seen from the side to move (``meta[M_TO_MOVE]``:
"own" is that colour, "opponent" the other). They read the board (``pts``, ``meta``) and a
table of per-point *facts* that :func:`encode_into` computes once per position:

================  ==========================================================================
fact row          meaning (indexed by padded point)
================  ==========================================================================
``F_LIBS``        on a stone: the exact liberty count of its chain
``F_LEGAL``       on an empty point: 1 when the side to move may play there (not occupied, not
                  the simple-ko point, not suicide)
``F_CAPTURE``     opponent stones that move captures
``F_LIBS_AFTER``  exact liberties of the mover's chain after the move
``F_SIZE_AFTER``  stones in that chain after the move
``F_SENSIBLE``    legal and not one of the mover's own eyes (:func:`core.is_eye_like`)
``F_LADDER_CAP``  the move is an atari that starts a working ladder (:mod:`.ladders`)
``F_LADDER_ESC``  the move extends an own chain in atari out of the ladder
================  ==========================================================================

The move facts are analytic: the liberties after a move at ``p`` are the union of the
liberties of the own chains next to ``p`` (each chain's liberty list is gathered once per
position), the empty neighbours of ``p``, and the captured stones that touch ``p`` or one of
those chains, minus ``p`` itself. Only the ladder reader copies the board and plays.

Suicide counts as illegal here whatever ``meta[M_ALLOW_SUICIDE]`` says, and only simple ko is
known (superko needs the game's history): all move planes are zero on such points.

Plane kinds are integers (``K_*``) so that a feature set is an ``int64`` array of kinds, usable
from other compiled code; :data:`PLANES` maps names to :class:`Plane` records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from go_engine.features import ladders
from go_engine.rules import board_core as core
from go_engine.rules.coords import BLACK, EMPTY

# -- facts ------------------------------------------------------------------------------------

F_LIBS = 0
F_LEGAL = 1
F_CAPTURE = 2
F_LIBS_AFTER = 3
F_SIZE_AFTER = 4
F_SENSIBLE = 5
F_LADDER_CAP = 6
F_LADDER_ESC = 7
N_FACTS = 8


@njit(cache=True)
def chain_facts(pts, meta, facts, lib_start, lib_buf, mark):
    """Exact liberties of every chain, walking each chain once.

    ``facts[F_LIBS, p]`` gets the count on every stone; the liberties of the chain headed by
    ``h`` are ``lib_buf[lib_start[h] : lib_start[h] + facts[F_LIBS, h]]``. ``lib_start`` must
    come in filled with -1; ``mark`` is scratch (one int64 per padded point), stamped with the
    head of the chain being walked so that a liberty shared by two stones counts once.
    """
    size = meta[core.M_SIZE]
    width = size + 2
    n = 0
    for row in range(size):
        for col in range(size):
            p = (row + 1) * width + col + 1
            if pts[core.COLOR, p] == EMPTY:
                continue
            head = pts[core.HEAD, p]
            if lib_start[head] < 0:
                lib_start[head] = n
                stone = head
                while True:
                    for q in (stone - width, stone - 1, stone + 1, stone + width):
                        if pts[core.COLOR, q] == EMPTY and mark[q] != head:
                            mark[q] = head
                            lib_buf[n] = q
                            n += 1
                    stone = pts[core.NEXT, stone]
                    if stone == head:
                        break
                facts[F_LIBS, head] = n - lib_start[head]
            facts[F_LIBS, p] = facts[F_LIBS, head]


@njit(cache=True)
def move_facts(pts, meta, facts, lib_start, lib_buf, mark):
    """Fill the move facts of every empty point for the side to move (needs
    :func:`chain_facts`). ``mark`` is stamped with ``(N + 2) ** 2 + p`` while point ``p`` is
    judged, a value no chain head uses."""
    size = meta[core.M_SIZE]
    width = size + 2
    color = meta[core.M_TO_MOVE]
    heads = np.empty(8, dtype=np.int64)
    for row in range(size):
        for col in range(size):
            p = (row + 1) * width + col + 1
            if pts[core.COLOR, p] == EMPTY:
                _point_facts(pts, meta, p, color, width, facts, lib_start, lib_buf, mark, heads)


@njit(cache=True, inline="always")
def _point_facts(pts, meta, p, color, width, facts, lib_start, lib_buf, mark, heads):
    """The move facts of empty point ``p``; ``heads`` holds the own chain heads beside it
    (from 0) and the captured ones (from 4)."""
    if p == meta[core.M_KO_POINT]:
        return
    other = 3 - color
    n_own = 0
    n_cap = 0
    empties = 0
    size_after = 1
    captured = 0
    for q in (p - width, p - 1, p + 1, p + width):
        c = pts[core.COLOR, q]
        if c == EMPTY:
            empties += 1
        elif c == color or (c == other and facts[F_LIBS, q] == 1):
            head = pts[core.HEAD, q]
            first = 0 if c == color else 4
            count = n_own if c == color else n_cap
            seen = False
            for i in range(first, first + count):
                seen |= heads[i] == head
            if seen:
                continue
            heads[first + count] = head
            if c == color:
                n_own += 1
                size_after += pts[core.SIZE, head]
            else:
                n_cap += 1
                captured += pts[core.SIZE, head]
    libs = empties
    if n_own == 1 and n_cap == 0:
        libs = _extended_liberties(pts, p, color, width, facts, heads[0])
    elif n_own + n_cap > 0:
        libs = _merged_liberties(pts, p, color, width, facts, lib_start, lib_buf, mark, heads,
                                 n_own, n_cap)
    if libs == 0:
        return
    facts[F_LEGAL, p] = 1
    facts[F_CAPTURE, p] = captured
    facts[F_LIBS_AFTER, p] = libs
    facts[F_SIZE_AFTER, p] = size_after
    # Only a point whose neighbours are all own stones (or the edge) can be an own eye.
    eye = empties == 0 and not _touches(pts, p, width, other)
    facts[F_SENSIBLE, p] = not (eye and core.is_eye_like(pts, meta, p, color))


@njit(cache=True, inline="always")
def _touches(pts, p, width, color):
    """True when a neighbour of ``p`` holds ``color``."""
    return (pts[core.COLOR, p - width] == color or pts[core.COLOR, p - 1] == color
            or pts[core.COLOR, p + 1] == color or pts[core.COLOR, p + width] == color)


@njit(cache=True, inline="always")
def _extended_liberties(pts, p, color, width, facts, head):
    """Liberties after ``p`` joins the one own chain ``head`` and captures nothing: the chain's
    liberties, less ``p``, plus the empty neighbours of ``p`` that the chain does not touch."""
    libs = facts[F_LIBS, head] - 1
    for q in (p - width, p - 1, p + 1, p + width):
        if pts[core.COLOR, q] != EMPTY:
            continue
        touched = False
        for r in (q - width, q - 1, q + 1, q + width):
            touched |= pts[core.COLOR, r] == color and pts[core.HEAD, r] == head
        libs += not touched
    return libs


@njit(cache=True, inline="always")
def _merged_liberties(pts, p, color, width, facts, lib_start, lib_buf, mark, heads, n_own,
                      n_cap):
    """Distinct liberties of the chain a stone on ``p`` would form with the own chains
    ``heads[:n_own]``, after capturing the chains ``heads[4 : 4 + n_cap]``."""
    stamp = mark.shape[0] + p
    mark[p] = stamp
    libs = 0
    for q in (p - width, p - 1, p + 1, p + width):
        if pts[core.COLOR, q] == EMPTY and mark[q] != stamp:
            mark[q] = stamp
            libs += 1
    for i in range(n_own):
        head = heads[i]
        start = lib_start[head]
        for j in range(start, start + facts[F_LIBS, head]):
            q = lib_buf[j]
            if mark[q] != stamp:
                mark[q] = stamp
                libs += 1
    # A captured stone becomes a liberty when it touches p or one of the merged chains.
    for i in range(4, 4 + n_cap):
        head = heads[i]
        stone = head
        while True:
            for q in (stone - width, stone - 1, stone + 1, stone + width):
                touches = q == p
                if pts[core.COLOR, q] == color:
                    owner = pts[core.HEAD, q]
                    for k in range(n_own):
                        touches |= heads[k] == owner
                if touches:
                    libs += 1
                    break
            stone = pts[core.NEXT, stone]
            if stone == head:
                break
    return libs


@njit(cache=True)
def ladder_facts(pts, meta, zob, facts, lib_start, lib_buf):
    """Fill ``F_LADDER_CAP`` and ``F_LADDER_ESC`` (needs the chain and move facts).

    Capture: every legal liberty of an opponent chain with two liberties is tried as the first
    atari of a ladder. Escape: the liberty of every own chain in atari is tried as the
    extension. Cheap tests settle most cases without reading (the liberties after an
    extension, :func:`ladders.atari_worth_trying`); the rest go to
    :func:`ladders.read_ladder`.
    """
    size = meta[core.M_SIZE]
    width = size + 2
    color = meta[core.M_TO_MOVE]
    work = ladders.new_workspace(pts, meta)
    for row in range(size):
        for col in range(size):
            h = (row + 1) * width + col + 1
            if pts[core.COLOR, h] == EMPTY or pts[core.HEAD, h] != h:
                continue
            libs = facts[F_LIBS, h]
            start = lib_start[h]
            if pts[core.COLOR, h] != color and libs == 2:
                a = lib_buf[start]
                b = lib_buf[start + 1]
                for move, rest in ((a, b), (b, a)):
                    if not facts[F_LEGAL, move] or facts[F_LADDER_CAP, move]:
                        continue
                    if not ladders.atari_worth_trying(pts, width, h, move, rest):
                        continue
                    result, work = ladders.read_ladder(pts, meta, zob, h, ladders.ATTACK, move,
                                                       work)
                    facts[F_LADDER_CAP, move] = result == ladders.CAPTURED
            elif pts[core.COLOR, h] == color and libs == 1:
                move = lib_buf[start]
                if not facts[F_LEGAL, move] or facts[F_LADDER_ESC, move]:
                    continue
                after = facts[F_LIBS_AFTER, move]
                if after == 2:
                    result, work = ladders.read_ladder(pts, meta, zob, h, ladders.DEFEND, move,
                                                       work)
                    facts[F_LADDER_ESC, move] = result == ladders.ESCAPED
                else:
                    facts[F_LADDER_ESC, move] = after >= 3


# -- the plane registry -----------------------------------------------------------------------


@dataclass(frozen=True)
class Plane:
    """A registered plane kind: ``count`` planes written by ``kernel``, documented by ``doc``."""

    name: str
    kind: int
    count: int
    doc: str
    kernel: Callable


PLANES: dict[str, Plane] = {}


def register(kind: int, name: str, count: int, doc: str) -> Callable[[Callable], Callable]:
    """Record a plane kernel under ``name`` with its kind number and plane count."""

    def add(kernel: Callable) -> Callable:
        if name in PLANES or any(p.kind == kind for p in PLANES.values()):
            raise ValueError(f"plane {name!r} (kind {kind}) registered twice")
        PLANES[name] = Plane(name, kind, count, doc, kernel)
        return kernel

    return add


K_STONES = 0
K_ONES = 1
K_TURNS_SINCE = 2
K_LIBERTIES = 3
K_CAPTURE_SIZE = 4
K_SELF_ATARI_SIZE = 5
K_LIBERTIES_AFTER = 6
K_LADDER_CAPTURE = 7
K_LADDER_ESCAPE = 8
K_SENSIBLENESS = 9
K_ZEROS = 10
K_BLACK_TO_MOVE = 11
K_OWN_LIBERTIES_3 = 12
K_OPPONENT_LIBERTIES_3 = 13
K_KO_POINT = 14
K_LAST_MOVES_4 = 15


@njit(cache=True, inline="always")
def _padded(row, col, width):
    return (row + 1) * width + col + 1


@njit(cache=True, inline="always")
def _one_hot(out, at, row, col, value, low, count):
    """Set plane ``at + clip(value - low, 0, count - 1)`` at (row, col)."""
    index = min(max(value - low, 0), count - 1)
    out[at + index, row, col] = 1.0


@register(K_STONES, "stones", 3, "own stones, opponent stones, empty points")
@njit(cache=True)
def stones(pts, meta, facts, out, at):
    """Colour planes seen from the side to move."""
    size = meta[core.M_SIZE]
    color = meta[core.M_TO_MOVE]
    for row in range(size):
        for col in range(size):
            c = pts[core.COLOR, _padded(row, col, size + 2)]
            if c == color:
                out[at, row, col] = 1.0
            elif c == EMPTY:
                out[at + 2, row, col] = 1.0
            else:
                out[at + 1, row, col] = 1.0


@register(K_ONES, "ones", 1, "a constant plane of ones (marks the board inside the padding)")
@njit(cache=True)
def ones(pts, meta, facts, out, at):
    """All ones."""
    out[at, :, :] = 1.0


@register(K_ZEROS, "zeros", 1, "a constant plane of zeros")
@njit(cache=True)
def zeros(pts, meta, facts, out, at):
    """All zeros (the encoder has already cleared ``out``)."""
    out[at, :, :] = 0.0


@register(K_BLACK_TO_MOVE, "black_to_move", 1, "ones when Black is to move")
@njit(cache=True)
def black_to_move(pts, meta, facts, out, at):
    """AlphaGo's player-colour plane of the value network."""
    if meta[core.M_TO_MOVE] == BLACK:
        out[at, :, :] = 1.0


@register(K_TURNS_SINCE, "turns_since", 8,
          "on stones: placed 1, 2, ..., 7, >= 8 moves ago (setup and handicap stones count "
          "as >= 8)")
@njit(cache=True)
def turns_since(pts, meta, facts, out, at):
    """Stone ages from ``pts[PLACED]`` (passes count as moves)."""
    size = meta[core.M_SIZE]
    moves = meta[core.M_MOVES]
    for row in range(size):
        for col in range(size):
            p = _padded(row, col, size + 2)
            if pts[core.COLOR, p] != EMPTY:
                age = moves - pts[core.PLACED, p]
                _one_hot(out, at, row, col, age if age > 0 else 8, 1, 8)


@register(K_LAST_MOVES_4, "last_moves_4", 4,
          "the stones placed 1, 2, 3 and 4 moves ago (one plane each; passes leave a plane "
          "empty)")
@njit(cache=True)
def last_moves_4(pts, meta, facts, out, at):
    """Recent moves still on the board, from the stone ages."""
    size = meta[core.M_SIZE]
    moves = meta[core.M_MOVES]
    for row in range(size):
        for col in range(size):
            p = _padded(row, col, size + 2)
            if pts[core.COLOR, p] != EMPTY:
                age = moves - pts[core.PLACED, p]
                if 1 <= age <= 4:
                    out[at + age - 1, row, col] = 1.0


@register(K_LIBERTIES, "liberties", 8, "on stones: liberties of the chain, 1, ..., 7, >= 8")
@njit(cache=True)
def liberties(pts, meta, facts, out, at):
    """Exact chain liberties, one-hot, both colours."""
    size = meta[core.M_SIZE]
    for row in range(size):
        for col in range(size):
            p = _padded(row, col, size + 2)
            if pts[core.COLOR, p] != EMPTY:
                _one_hot(out, at, row, col, facts[F_LIBS, p], 1, 8)


@njit(cache=True, inline="always")
def _liberties_3(pts, meta, facts, out, at, own):
    size = meta[core.M_SIZE]
    color = meta[core.M_TO_MOVE]
    for row in range(size):
        for col in range(size):
            p = _padded(row, col, size + 2)
            c = pts[core.COLOR, p]
            if c != EMPTY and (c == color) == own:
                _one_hot(out, at, row, col, facts[F_LIBS, p], 1, 3)


@register(K_OWN_LIBERTIES_3, "own_liberties_3", 3, "on own stones: chain liberties 1, 2, >= 3")
@njit(cache=True)
def own_liberties_3(pts, meta, facts, out, at):
    """Liberties of the side to move's chains."""
    _liberties_3(pts, meta, facts, out, at, True)


@register(K_OPPONENT_LIBERTIES_3, "opponent_liberties_3", 3,
          "on opponent stones: chain liberties 1, 2, >= 3")
@njit(cache=True)
def opponent_liberties_3(pts, meta, facts, out, at):
    """Liberties of the opponent's chains."""
    _liberties_3(pts, meta, facts, out, at, False)


@njit(cache=True, inline="always")
def _move_one_hot(meta, facts, out, at, field, low, count, need_atari):
    size = meta[core.M_SIZE]
    for row in range(size):
        for col in range(size):
            p = _padded(row, col, size + 2)
            if facts[F_LEGAL, p] and (not need_atari or facts[F_LIBS_AFTER, p] == 1):
                _one_hot(out, at, row, col, facts[field, p], low, count)


@register(K_CAPTURE_SIZE, "capture_size", 8,
          "on legal moves: opponent stones captured, 0, 1, ..., 6, >= 7")
@njit(cache=True)
def capture_size(pts, meta, facts, out, at):
    """How many stones the move takes."""
    _move_one_hot(meta, facts, out, at, F_CAPTURE, 0, 8, False)


@register(K_SELF_ATARI_SIZE, "self_atari_size", 8,
          "on legal moves that leave the mover's chain in atari: its size, 1, ..., 7, >= 8")
@njit(cache=True)
def self_atari_size(pts, meta, facts, out, at):
    """How many own stones the move puts in atari."""
    _move_one_hot(meta, facts, out, at, F_SIZE_AFTER, 1, 8, True)


@register(K_LIBERTIES_AFTER, "liberties_after", 8,
          "on legal moves: liberties of the mover's chain after it, 1, ..., 7, >= 8")
@njit(cache=True)
def liberties_after(pts, meta, facts, out, at):
    """Exact liberties of the merged chain after the move (captures included)."""
    _move_one_hot(meta, facts, out, at, F_LIBS_AFTER, 1, 8, False)


@njit(cache=True, inline="always")
def _move_flag(meta, facts, out, at, field):
    size = meta[core.M_SIZE]
    for row in range(size):
        for col in range(size):
            if facts[field, _padded(row, col, size + 2)]:
                out[at, row, col] = 1.0


@register(K_LADDER_CAPTURE, "ladder_capture", 1,
          "the move is an atari on a two-liberty opponent chain that the ladder then captures")
@njit(cache=True)
def ladder_capture(pts, meta, facts, out, at):
    """Working ladder starts."""
    _move_flag(meta, facts, out, at, F_LADDER_CAP)


@register(K_LADDER_ESCAPE, "ladder_escape", 1,
          "the move extends an own chain in atari and the ladder no longer captures it")
@njit(cache=True)
def ladder_escape(pts, meta, facts, out, at):
    """Successful ladder escapes."""
    _move_flag(meta, facts, out, at, F_LADDER_ESC)


@register(K_SENSIBLENESS, "sensibleness", 1, "legal and does not fill one of the mover's eyes")
@njit(cache=True)
def sensibleness(pts, meta, facts, out, at):
    """AlphaGo's sensible moves."""
    _move_flag(meta, facts, out, at, F_SENSIBLE)


@register(K_KO_POINT, "ko_point", 1, "the point the side to move may not retake (simple ko)")
@njit(cache=True)
def ko_point(pts, meta, facts, out, at):
    """The simple-ko point, if any."""
    ko = meta[core.M_KO_POINT]
    if ko >= 0:
        width = meta[core.M_SIZE] + 2
        out[at, ko // width - 1, ko % width - 1] = 1.0


PLANE_COUNTS = np.zeros(len(PLANES), dtype=np.int64)
for _plane in PLANES.values():
    PLANE_COUNTS[_plane.kind] = _plane.count
LADDER_KINDS = (K_LADDER_CAPTURE, K_LADDER_ESCAPE)
MOVE_KINDS = (K_CAPTURE_SIZE, K_SELF_ATARI_SIZE, K_LIBERTIES_AFTER, K_SENSIBLENESS)


@njit(cache=True)
def _write_planes(kind, pts, meta, facts, out, at):
    """Run the kernel of plane ``kind`` (every kind registered above appears here)."""
    if kind == K_STONES:
        stones(pts, meta, facts, out, at)
    elif kind == K_ONES:
        ones(pts, meta, facts, out, at)
    elif kind == K_TURNS_SINCE:
        turns_since(pts, meta, facts, out, at)
    elif kind == K_LIBERTIES:
        liberties(pts, meta, facts, out, at)
    elif kind == K_CAPTURE_SIZE:
        capture_size(pts, meta, facts, out, at)
    elif kind == K_SELF_ATARI_SIZE:
        self_atari_size(pts, meta, facts, out, at)
    elif kind == K_LIBERTIES_AFTER:
        liberties_after(pts, meta, facts, out, at)
    elif kind == K_LADDER_CAPTURE:
        ladder_capture(pts, meta, facts, out, at)
    elif kind == K_LADDER_ESCAPE:
        ladder_escape(pts, meta, facts, out, at)
    elif kind == K_SENSIBLENESS:
        sensibleness(pts, meta, facts, out, at)
    elif kind == K_ZEROS:
        zeros(pts, meta, facts, out, at)
    elif kind == K_BLACK_TO_MOVE:
        black_to_move(pts, meta, facts, out, at)
    elif kind == K_OWN_LIBERTIES_3:
        own_liberties_3(pts, meta, facts, out, at)
    elif kind == K_OPPONENT_LIBERTIES_3:
        opponent_liberties_3(pts, meta, facts, out, at)
    elif kind == K_KO_POINT:
        ko_point(pts, meta, facts, out, at)
    elif kind == K_LAST_MOVES_4:
        last_moves_4(pts, meta, facts, out, at)
    else:
        raise ValueError("unknown plane kind")


# -- the encoder ------------------------------------------------------------------------------


@njit(cache=True)
def position_facts(pts, meta, zob, need_moves, need_ladders):
    """The ``[N_FACTS, (N + 2) ** 2]`` fact table of a position (see the module docstring).

    Move facts are filled when ``need_moves`` (or ``need_ladders``, which needs them) is set,
    ladder facts when ``need_ladders`` is set.
    """
    n = pts.shape[1]
    facts = np.zeros((N_FACTS, n), dtype=np.int64)
    lib_start = np.full(n, -1, dtype=np.int64)
    lib_buf = np.empty(4 * n, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    chain_facts(pts, meta, facts, lib_start, lib_buf, mark)
    if need_moves or need_ladders:
        move_facts(pts, meta, facts, lib_start, lib_buf, mark)
    if need_ladders:
        ladder_facts(pts, meta, zob, facts, lib_start, lib_buf)
    return facts


@njit(cache=True, nogil=True)
def encode_into(pts, meta, zob, code, out):
    """Write the planes listed in ``code`` (int64 plane kinds, in order) into ``out``.

    ``out`` is float32 ``[C, N, N]`` with ``C`` the total plane count of ``code``; this kernel
    clears it first. ``zob`` is the board's Zobrist table (the ladder reader plays moves on
    copies). Callable from other numba code, and releases the GIL; ``pts`` and ``meta`` are
    only read.
    """
    size = meta[core.M_SIZE]
    total = 0
    need_moves = False
    need_ladders = False
    for kind in code:
        if kind < 0 or kind >= PLANE_COUNTS.shape[0]:
            raise ValueError("unknown plane kind in code")
        total += PLANE_COUNTS[kind]
        need_ladders |= kind in LADDER_KINDS
        need_moves |= kind in MOVE_KINDS
    if out.shape[0] != total or out.shape[1] != size or out.shape[2] != size:
        raise ValueError("out must be float32 [planes, size, size]")
    facts = position_facts(pts, meta, zob, need_moves, need_ladders)
    out[:, :, :] = 0.0
    at = 0
    for kind in code:
        _write_planes(kind, pts, meta, facts, out, at)
        at += PLANE_COUNTS[kind]


@njit(cache=True, nogil=True)
def encode_batch_into(pts, meta, zob, code, out):
    """:func:`encode_into` over a batch: ``pts [B, N_FIELDS, W]``, ``meta [B, N_META]``, ``out
    [B, C, N, N]`` (one board size and Zobrist table for the whole batch)."""
    for b in range(pts.shape[0]):
        encode_into(pts[b], meta[b], zob, code, out[b])
