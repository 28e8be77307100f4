"""Local patterns as integer codes, their eight symmetries, and a compiled hash table.

Every pattern is read around a centre point on the padded board (see
:mod:`go_engine.rules.board_core`). Each point of a pattern has a 3-bit *state*, relative to a
colour ``own`` (the player to move), so that a pattern and its colour-swapped twin are one
pattern seen from either side:

=====  ==============================================================
state  meaning
=====  ==============================================================
0      empty
1      off the board
2-4    an ``own`` stone whose chain has 1, 2, or 3 or more liberties
5-7    an opponent stone whose chain has 1, 2, or 3 or more liberties
=====  ==============================================================

Liberty counts are exact, capped at 3, and kept per chain head in an ``int64`` array ``lib3``
(:func:`fill_lib3`, :func:`chain_lib3`), next to the board's pseudo-liberties.

Neighbourhoods list their points in one fixed order of ``(drow, dcol)`` offsets, the
*diamond*: ``N E S W`` (distance 1), ``NE SE SW NW`` (the diagonals), ``NN EE SS WW``
(distance 2). A diamond code is ``sum(state[i] << 3 * i)`` over its 12 points (36 bits).

The 3x3 pattern (AlphaGo's non-response pattern) follows the paper's definition, the colour of
each of the 8 neighbours and the liberty count of each *adjacent* stone: the four orthogonal
neighbours have full 3-bit states (bits 0-11), the four diagonal ones a 2-bit colour state
(``0`` empty, ``1`` off the board, ``2`` own, ``3`` opponent; bits 12-19). The 20-bit code
space (``N_3X3_CODES``) is small enough for a direct table of weights in rollouts.

A *key* is ``tag << 56 | payload``:

===============  ===========================================================================
tag              payload
===============  ===========================================================================
``TAG_3X3``      the 20-bit 3x3 code around a candidate move
``TAG_RESPONSE`` the diamond code around the previous move, the previous move's own state
                 (bits 40-42) and the candidate's index in the diamond (bits 36-39)
``TAG_DIAMOND``  the diamond code around a candidate move (the tree policy's pattern)
``TAG_NAKADE``   a 12-bit mask: which diamond points around the candidate the previous move
                 captured
===============  ===========================================================================

The eight symmetries of the square permute the diamond (:data:`SYMMETRY_PERM`);
:func:`canonical_key` is the smallest key over the eight, so a dictionary of patterns counts a
pattern once whatever its orientation. A trained model stores canonical keys only, in an
open-addressing hash table (:func:`build_table`, :func:`table_slot`); a lookup canonicalises
its key first, with ring tables that make the eight orientations cheap.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.rules import board_core as core
from go_engine.rules.coords import BORDER, EMPTY

TAG_SHIFT = 56
TAG_3X3 = 1
TAG_RESPONSE = 2
TAG_DIAMOND = 3
TAG_NAKADE = 4
TAG_CONTEXT = 5  # rollout tables only: a response diamond without the candidate's place

STATE_EMPTY = 0
STATE_OFF = 1

N_DIAMOND = 12
N_3X3_CODES = 1 << 20

# (drow, dcol) of each diamond point, in code order.
DIAMOND_OFFSETS = np.array([(-1, 0), (0, 1), (1, 0), (0, -1),
                            (-1, 1), (1, 1), (1, -1), (-1, -1),
                            (-2, 0), (0, 2), (2, 0), (0, -2)], dtype=np.int64)


def _symmetry_perm() -> np.ndarray:
    """``perm[s, i]``: the diamond index that point ``i`` moves to under symmetry ``s``.

    Symmetry ``s`` mirrors left to right when ``s >= 4``, then turns ``s % 4`` quarter turns
    clockwise (N to E): the order in which :func:`diamond_orientation` enumerates them.
    """
    def transform(s: int, r: int, c: int) -> tuple[int, int]:
        if s >= 4:
            c = -c
        for _ in range(s % 4):
            r, c = c, -r
        return r, c

    index = {tuple(int(x) for x in off): i for i, off in enumerate(DIAMOND_OFFSETS)}
    perm = np.empty((8, N_DIAMOND), dtype=np.int64)
    for s in range(8):
        for i, (r, c) in enumerate(DIAMOND_OFFSETS):
            perm[s, i] = index[transform(s, int(r), int(c))]
    return perm


SYMMETRY_PERM = _symmetry_perm()

# Diamond index of the offset (dr, dc), as DIAMOND_INDEX[dr + 2, dc + 2], or -1 (centre, far).
DIAMOND_INDEX = np.full((5, 5), -1, dtype=np.int64)
for _i, (_r, _c) in enumerate(DIAMOND_OFFSETS):
    DIAMOND_INDEX[_r + 2, _c + 2] = _i


# -- liberties --------------------------------------------------------------------------------


@njit(cache=True)
def chain_lib3(pts, head, width):
    """The exact number of distinct liberties of the chain at ``head``, capped at 3."""
    a = -1
    b = -1
    stone = head
    while True:
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[core.COLOR, q] == EMPTY and q != a and q != b:
                if a < 0:
                    a = q
                elif b < 0:
                    b = q
                else:
                    return 3
        stone = pts[core.NEXT, stone]
        if stone == head:
            break
    if b >= 0:
        return 2
    return 1 if a >= 0 else 0


@njit(cache=True)
def other_liberty(pts, head, width, known):
    """A liberty of the chain at ``head`` other than ``known``, or -1 when there is none."""
    stone = head
    while True:
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[core.COLOR, q] == EMPTY and q != known:
                return q
        stone = pts[core.NEXT, stone]
        if stone == head:
            return -1


@njit(cache=True)
def fill_lib3(pts, meta, lib3):
    """Set ``lib3[head]`` for every chain on the board (other entries are left alone)."""
    width = meta[core.M_SIZE] + 2
    for p in range(pts.shape[1]):
        c = pts[core.COLOR, p]
        if c != EMPTY and c != BORDER and pts[core.HEAD, p] == p:
            lib3[p] = chain_lib3(pts, p, width)


# -- states and codes -------------------------------------------------------------------------


@njit(cache=True, inline="always")
def point_state(pts, lib3, q, own):
    """The 3-bit state of padded point ``q`` seen by ``own`` (see the module docstring)."""
    c = pts[core.COLOR, q]
    if c == EMPTY:
        return STATE_EMPTY
    if c == BORDER:
        return STATE_OFF
    libs = lib3[pts[core.HEAD, q]]
    return 1 + libs if c == own else 4 + libs


@njit(cache=True, inline="always")
def diagonal_state(pts, q, own):
    """The 2-bit colour state of a diagonal neighbour: empty 0, off 1, own 2, opponent 3."""
    c = pts[core.COLOR, q]
    if c == EMPTY:
        return 0
    if c == BORDER:
        return 1
    return 2 if c == own else 3


@njit(cache=True, inline="always")
def code_3x3(pts, lib3, p, width, own):
    """The 20-bit 3x3 code of on-board point ``p`` seen by ``own``."""
    code = point_state(pts, lib3, p - width, own)
    code |= point_state(pts, lib3, p + 1, own) << 3
    code |= point_state(pts, lib3, p + width, own) << 6
    code |= point_state(pts, lib3, p - 1, own) << 9
    code |= diagonal_state(pts, p - width + 1, own) << 12
    code |= diagonal_state(pts, p + width + 1, own) << 14
    code |= diagonal_state(pts, p + width - 1, own) << 16
    code |= diagonal_state(pts, p - width - 1, own) << 18
    return code


@njit(cache=True, inline="always")
def _far_state(pts, lib3, row, col, width, own):
    if row < 0 or col < 0 or row >= width or col >= width:
        return STATE_OFF
    return point_state(pts, lib3, row * width + col, own)


@njit(cache=True)
def code_diamond(pts, lib3, p, width, own):
    """The 36-bit code of the 12-point diamond around on-board point ``p`` seen by ``own``."""
    row = p // width
    col = p - row * width
    code = point_state(pts, lib3, p - width, own)
    code |= point_state(pts, lib3, p + 1, own) << 3
    code |= point_state(pts, lib3, p + width, own) << 6
    code |= point_state(pts, lib3, p - 1, own) << 9
    code |= point_state(pts, lib3, p - width + 1, own) << 12
    code |= point_state(pts, lib3, p + width + 1, own) << 15
    code |= point_state(pts, lib3, p + width - 1, own) << 18
    code |= point_state(pts, lib3, p - width - 1, own) << 21
    code |= _far_state(pts, lib3, row - 2, col, width, own) << 24
    code |= _far_state(pts, lib3, row, col + 2, width, own) << 27
    code |= _far_state(pts, lib3, row + 2, col, width, own) << 30
    code |= _far_state(pts, lib3, row, col - 2, width, own) << 33
    return code


@njit(cache=True, inline="always")
def swap_state(state):
    """The same state seen by the other colour."""
    if state >= 5:
        return state - 3
    if state >= 2:
        return state + 3
    return state


@njit(cache=True)
def swap_code(code, fields):
    """A code seen by the other colour (own and opponent stones exchanged)."""
    out = 0
    for i in range(fields):
        out |= swap_state((code >> (3 * i)) & 7) << (3 * i)
    return out


# -- keys and symmetries ----------------------------------------------------------------------


@njit(cache=True, inline="always")
def make_key(tag, payload):
    """``tag << 56 | payload``."""
    return (tag << TAG_SHIFT) | payload


@njit(cache=True, inline="always")
def key_tag(key):
    """The tag of a key (0 for the fixed features, whose key is their index)."""
    return key >> TAG_SHIFT


@njit(cache=True)
def _permute_code(code, fields, perm, s):
    out = 0
    for i in range(fields):
        out |= ((code >> (3 * i)) & 7) << (3 * perm[s, i])
    return out


@njit(cache=True)
def _permute_3x3(code, perm, s):
    out = 0
    for i in range(4):
        out |= ((code >> (3 * i)) & 7) << (3 * perm[s, i])
        out |= ((code >> (12 + 2 * i)) & 3) << (12 + 2 * (perm[s, 4 + i] - 4))
    return out


@njit(cache=True)
def _swap_3x3_reference(code):
    out = 0
    for i in range(4):
        out |= swap_state((code >> (3 * i)) & 7) << (3 * i)
        d = (code >> (12 + 2 * i)) & 3
        out |= (5 - d if d >= 2 else d) << (12 + 2 * i)
    return out


@njit(cache=True)
def transform_key(key, s, perm):
    """``key`` under symmetry ``s`` (0..7; 0 is the identity); colours are not touched."""
    tag = key >> TAG_SHIFT
    payload = key & ((1 << TAG_SHIFT) - 1)
    if tag == TAG_3X3:
        return make_key(tag, _permute_3x3(payload, perm, s))
    if tag == TAG_DIAMOND:
        return make_key(tag, _permute_code(payload, N_DIAMOND, perm, s))
    if tag == TAG_RESPONSE:
        code = _permute_code(payload & ((1 << 36) - 1), N_DIAMOND, perm, s)
        index = perm[s, (payload >> 36) & 15]
        return make_key(tag, (payload >> 40) << 40 | index << 36 | code)
    if tag == TAG_NAKADE:
        mask = 0
        for i in range(N_DIAMOND):
            if (payload >> i) & 1:
                mask |= 1 << perm[s, i]
        return make_key(tag, mask)
    return key


@njit(cache=True)
def swap_key(key):
    """``key`` seen by the other colour."""
    tag = key >> TAG_SHIFT
    payload = key & ((1 << TAG_SHIFT) - 1)
    if tag == TAG_3X3:
        return make_key(tag, _swap_3x3_reference(payload))
    if tag == TAG_DIAMOND:
        return make_key(tag, swap_code(payload, N_DIAMOND))
    if tag == TAG_RESPONSE:
        code = swap_code(payload & ((1 << 36) - 1), N_DIAMOND)
        centre = swap_state(payload >> 40)
        return make_key(tag, centre << 40 | (payload & (15 << 36)) | code)
    return key


@njit(cache=True)
def canonical_key_reference(key, perm):
    """The smallest of the eight orientations of ``key``, by brute force (for tests)."""
    best = key
    for s in range(1, 8):
        other = transform_key(key, s, perm)
        if other < best:
            best = other
    return best


# -- fast canonical forms ---------------------------------------------------------------------
#
# Each ring of the diamond (N E S W; NE SE SW NW; NN EE SS WW) lists its points clockwise, so a
# quarter turn is a rotation of the ring's fields and the mirror image a fixed exchange of
# fields: the eight orientations of a code take a few shifts and masks, no table.


@njit(cache=True, inline="always")
def _turn(ring, bits):
    """A ring code (4 fields of ``bits``) a quarter turn clockwise: N's field becomes E's."""
    full = (1 << (4 * bits)) - 1
    return ((ring << bits) & full) | (ring >> (3 * bits))


@njit(cache=True, inline="always")
def _mirror_axis(ring, bits):
    """An axis ring (N E S W) mirrored left to right: E and W exchange."""
    m = (1 << bits) - 1
    return (ring & (m | (m << (2 * bits)))) | ((ring >> (2 * bits)) & (m << bits)) | (
        (ring & (m << bits)) << (2 * bits))


@njit(cache=True, inline="always")
def _mirror_diagonal(ring, bits):
    """A diagonal ring (NE SE SW NW) mirrored left to right: NE-NW and SE-SW exchange."""
    m = (1 << bits) - 1
    return (((ring >> (3 * bits)) & m) | ((ring >> bits) & (m << bits))
            | ((ring << bits) & (m << (2 * bits))) | ((ring & m) << (3 * bits)))


@njit(cache=True)
def orient_3x3(code, s):
    """A 20-bit 3x3 code under symmetry ``s`` (see :func:`_symmetry_perm`)."""
    axis = code & 4095
    diagonal = code >> 12
    if s >= 4:
        axis = _mirror_axis(axis, 3)
        diagonal = _mirror_diagonal(diagonal, 2)
    for _ in range(s & 3):
        axis = _turn(axis, 3)
        diagonal = _turn(diagonal, 2)
    return axis | diagonal << 12


@njit(cache=True)
def diamond_orientation(code, s):
    """A 36-bit diamond code under symmetry ``s``."""
    axis = code & 4095
    diagonal = (code >> 12) & 4095
    far = code >> 24
    if s >= 4:
        axis = _mirror_axis(axis, 3)
        diagonal = _mirror_diagonal(diagonal, 3)
        far = _mirror_axis(far, 3)
    for _ in range(s & 3):
        axis = _turn(axis, 3)
        diagonal = _turn(diagonal, 3)
        far = _turn(far, 3)
    return axis | diagonal << 12 | far << 24


@njit(cache=True)
def orient_3x3_all(codes, s):
    """:func:`orient_3x3` of each code."""
    out = np.empty_like(codes)
    for i in range(codes.shape[0]):
        out[i] = orient_3x3(codes[i], s)
    return out


@njit(cache=True)
def canonical_3x3(code):
    """The canonical form of a 20-bit 3x3 code (its smallest orientation)."""
    best = code
    for s in range(1, 8):
        other = orient_3x3(code, s)
        if other < best:
            best = other
    return best


def _swap_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = np.arange(4096, dtype=np.int64)
    swapped = np.zeros(4096, dtype=np.int64)
    swapped2 = np.zeros(256, dtype=np.int64)
    for i in range(4):
        f = (codes >> (3 * i)) & 7
        swapped |= np.where(f >= 5, f - 3, np.where(f >= 2, f + 3, f)) << (3 * i)
        d = (codes[:256] >> (2 * i)) & 3
        swapped2 |= np.where(d >= 2, 5 - d, d) << (2 * i)
    masks = np.zeros(4096, dtype=np.int64)
    for mask in range(4096):
        best = mask
        for s in range(1, 8):
            other = 0
            for i in range(N_DIAMOND):
                if (mask >> i) & 1:
                    other |= 1 << SYMMETRY_PERM[s, i]
            best = min(best, other)
        masks[mask] = best
    return swapped.astype(np.int16), swapped2.astype(np.int16), masks.astype(np.int16)


SWAP_TABLE, SWAP2_TABLE, NAKADE_CANONICAL = _swap_tables()


@njit(cache=True)
def swap_3x3(code):
    """A 20-bit 3x3 code seen by the other colour."""
    return np.int64(SWAP_TABLE[code & 4095]) | np.int64(SWAP2_TABLE[code >> 12]) << 12


@njit(cache=True)
def swap_diamond(code):
    """A 36-bit diamond code seen by the other colour."""
    return (np.int64(SWAP_TABLE[code & 4095]) | np.int64(SWAP_TABLE[(code >> 12) & 4095]) << 12
            | np.int64(SWAP_TABLE[code >> 24]) << 24)


@njit(cache=True)
def canonical_diamond(code):
    """The canonical form of a 36-bit diamond code."""
    best = code
    for s in range(1, 8):
        other = diamond_orientation(code, s)
        if other < best:
            best = other
    return best


@njit(cache=True)
def fill_orientations(code, out):
    """``out[s]`` = the diamond code under symmetry ``s``, for the 8 symmetries."""
    for s in range(8):
        out[s] = diamond_orientation(code, s)


@njit(cache=True, inline="always")
def canonical_response(centre, index, orientations):
    """The canonical response key of the candidate at diamond ``index`` around a previous move
    of state ``centre`` whose diamond has the 8 ``orientations``."""
    best = -1
    for s in range(8):
        key = SYMMETRY_PERM[s, index] << 36 | orientations[s]
        if best < 0 or key < best:
            best = key
    return make_key(TAG_RESPONSE, centre << 40 | best)


@njit(cache=True)
def canonical_key(key):
    """The smallest of the eight orientations of ``key`` (fixed features pass through)."""
    tag = key >> TAG_SHIFT
    payload = key & ((1 << TAG_SHIFT) - 1)
    if tag == TAG_3X3:
        return make_key(tag, canonical_3x3(payload))
    if tag == TAG_DIAMOND:
        return make_key(tag, canonical_diamond(payload))
    if tag == TAG_NAKADE:
        return make_key(tag, np.int64(NAKADE_CANONICAL[payload]))
    if tag == TAG_RESPONSE:
        code = payload & ((1 << 36) - 1)
        index = (payload >> 36) & 15
        best = index << 36 | code
        for s in range(1, 8):
            other = SYMMETRY_PERM[s, index] << 36 | diamond_orientation(code, s)
            if other < best:
                best = other
        return make_key(tag, (payload >> 40) << 40 | best)
    return key


@njit(cache=True)
def canonical_keys(keys):
    """:func:`canonical_key` of each key."""
    out = np.empty_like(keys)
    for i in range(keys.shape[0]):
        out[i] = canonical_key(keys[i])
    return out


# -- hash table -------------------------------------------------------------------------------

TABLE_DTYPE = np.dtype([("key", np.int64), ("index", np.int32), ("weight", np.float32)])


@njit(cache=True, inline="always")
def _slot(key, mask):
    """The home slot of ``key``: the splitmix64 finaliser of the key, masked."""
    z = np.uint64(key)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.int64(z ^ (z >> np.uint64(31))) & mask


@njit(cache=True, inline="always")
def table_slot(table, key):
    """The slot of canonical ``key`` in ``table``, or -1 when it is not there."""
    mask = table.shape[0] - 1
    i = _slot(key, mask)
    while True:
        k = table[i].key
        if k == key:
            return i
        if k == -1:
            return -1
        i = (i + 1) & mask


@njit(cache=True)
def _fill_table(table, keys, indices, weights):
    mask = table.shape[0] - 1
    for j in range(keys.shape[0]):
        key = keys[j]
        i = _slot(key, mask)
        while table[i].key != -1 and table[i].key != key:
            i = (i + 1) & mask
        table[i].key = key
        table[i].index = indices[j]
        table[i].weight = weights[j]


def build_table(keys: np.ndarray, indices: np.ndarray,
                exp_weights: np.ndarray | None = None) -> np.ndarray:
    """An open-addressing hash table (``TABLE_DTYPE``, power-of-two length, at most half
    full) from canonical ``keys[j]`` to ``indices[j]`` (a weight index) and ``exp_weights[j]``
    (1 when ``None``).

    Lookups canonicalise the key first (:func:`canonical_key`): the table holds one entry per
    pattern, so the patterns a rollout meets stay in the processor's caches.
    """
    keys = np.asarray(keys, dtype=np.int64)
    capacity = 1 << max(4, int(np.ceil(np.log2(max(1, 2 * len(keys))))))
    table = np.zeros(capacity, dtype=TABLE_DTYPE)
    table["key"] = -1
    weights = np.ones(len(keys), np.float32) if exp_weights is None else exp_weights
    _fill_table(table, keys, np.asarray(indices, np.int64), np.asarray(weights, np.float32))
    return table


@njit(cache=True)
def response_targets(keys):
    """For canonical response keys: each one's *context* key (``TAG_CONTEXT``: the previous
    move's state and the canonical diamond) and the 12-bit mask of the diamond places, in the
    canonical diamond's orientation, that the key stands for (more than one when the diamond
    is symmetric). A rollout reads all its response weights with one context lookup."""
    contexts = np.empty(keys.shape[0], np.int64)
    masks = np.empty(keys.shape[0], np.int64)
    orientations = np.empty(8, np.int64)
    for k in range(keys.shape[0]):
        payload = keys[k] & ((1 << TAG_SHIFT) - 1)
        index = (payload >> 36) & 15
        fill_orientations(payload & ((1 << 36) - 1), orientations)
        best = orientations.min()
        mask = 0
        for s in range(8):
            if orientations[s] == best:
                mask |= 1 << SYMMETRY_PERM[s, index]
        contexts[k] = make_key(TAG_CONTEXT, (payload >> 40) << 40 | best)
        masks[k] = mask
    return contexts, masks
