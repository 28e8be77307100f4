"""The features of a candidate move for the linear softmax policies (rollout and tree).

After Silver et al. 2016 (Methods, "Rollout policy", and Extended Data Table 4). A candidate
move ``a`` of the player to move has a handful of binary features; the policy's score of ``a``
is the sum of their weights and ``p(a) = softmax(score)`` over the candidates. A feature is
named by an integer *key*: the small fixed features below are their own key; patterns are
keys of :mod:`go_engine.search.patterns`, and a model's dictionary maps them to weights.

Features of the candidate alone (the *base* features; kept incrementally in rollouts):

==================  =======================================================================
``F_SAVE_ATARI``    the move saves an own chain in atari (it gets 2+ liberties, or captures)
``F_SELF_ATARI``    the move leaves its own chain with one liberty (and captures nothing)
``F_CAPTURE``       the move captures
``F_ATARI``         the move puts an opponent chain in atari
``F_LINE + k``      the move is on line ``k + 1`` (1 to 4) from the edge
3x3 pattern         ``TAG_3X3``: the 8 neighbours with liberty counts (non-response pattern)
diamond pattern     ``TAG_DIAMOND``: the 12-point diamond around ``a`` (tree policy only)
==================  =======================================================================

Features that depend on the last two moves (the *overlay*; recomputed every move):

====================  =====================================================================
``F_RESPONSE``        ``a`` matches a response pattern of the dictionary
response pattern      ``TAG_RESPONSE``: the diamond around the last move, with ``a``'s place
``F_NEIGHBOUR + i``   ``a`` is the ``i``-th of the 8 neighbours of the last move
``F_DIST_LAST + d``   Manhattan distance ``d + 1`` to the last move (17: 17 or more)
``F_DIST_LAST2 + d``  the same for the move before it
nakade pattern        ``TAG_NAKADE``: ``a`` is a point the last move captured; which diamond
                      points around it were captured too
====================  =====================================================================

Features that read the fights around the candidate (the *reading* features; tree policy only,
from the fact table of :mod:`go_engine.features.planes`: exact liberties and the ladder reader
that the network's input planes use):

========================  =================================================================
``F_LIBERTIES + i``       the liberties of the mover's chain after the move: ``i`` 0-2 one
                          liberty (self-atari) with 1, 2-3 or 4+ stones in the chain; 3-5
                          two, three, four or more liberties
``F_CAPTURE_SIZE + i``    the move captures 2, 3-5 or 6+ stones (``F_CAPTURE``: any capture)
``F_SAVE_SIZE + i``       the move joins own chains in atari of 1, 2-3 or 4+ stones in all
``F_ATARI_SIZE + i``      the move ataris opponent chains of 2-3 or 4+ stones in all
``F_LADDER_CAPTURE``      the move is an atari that the ladder then captures
``F_LADDER_ESCAPE``       the move extends an own chain in atari out of the ladder
``F_LADDER_FAIL``         the move extends an own chain in atari that the ladder still captures
``F_CAPTURE_LAST``        the move captures the chain of the last move's stone
``F_SAVE_LAST``           the move joins an own chain in atari that the last move's stone
                          touches (an answer to the atari just played)
========================  =================================================================

The reading features cost: the tree policy takes 2.5-3 times as long a position with them
(the ladder reads dominate), and a tree policy trained with them (``train-rollout --kind tree
--reading``) predicted expert moves only a little better (35.66% top-1 against 35.39% on the
same held-out games) and won 91/100 against GNU Go level 10 on 9x9 at 1 s a move, where the
shipped one has won 170/190 (docs/benchmarks.md). So the shipped tree policy does without.

Which of these a model uses is its *spec* (``int64 [N_SPEC]``, see ``SPEC_*``): the rollout
policy keeps distances up to 2 (so that the overlay is the diamonds of the last two moves), no
diamond patterns; the tree policy adds diamond patterns and every distance, and drops nakade
(a tree leaf does not know what its last move captured). Ablations on Tygem games (1,500
training games): response patterns are worth 2.6 points of top-1 accuracy, the tactical
features 0.6, the distances 0.7 (and 3.7 points of top-5), the neighbour and line features
almost nothing beyond the patterns.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.features import planes
from go_engine.rules import board_core as core
from go_engine.rules.coords import BORDER, EMPTY
from go_engine.search import patterns as pat

# Fixed features (their key is their weight index).
F_RESPONSE = 0
F_SAVE_ATARI = 1
F_NEIGHBOUR = 2  # 8 features, in 3x3 order
F_SELF_ATARI = 10
F_CAPTURE = 11
F_ATARI = 12
F_LINE = 13  # lines 1 to 4
MAX_LINE = 4
F_DIST_LAST = 17  # distances 1 to 17
F_DIST_LAST2 = 34
MAX_DISTANCE = 17
F_LIBERTIES = 51  # 6: self-atari by chain size (1, 2-3, 4+), then 2, 3, 4+ liberties
F_CAPTURE_SIZE = 57  # 3: 2, 3-5, 6+ stones
F_SAVE_SIZE = 60  # 3: 1, 2-3, 4+ stones
F_ATARI_SIZE = 63  # 2: 2-3, 4+ stones
F_LADDER_CAPTURE = 65
F_LADDER_ESCAPE = 66
F_LADDER_FAIL = 67
F_CAPTURE_LAST = 68
F_SAVE_LAST = 69
N_FIXED = 70
N_FIXED_V1 = 51  # before the reading features (policy files of format 1)

FIXED_NAMES = (["response", "save_atari"] + [f"neighbour_{d}" for d in
                                              ("n", "e", "s", "w", "ne", "se", "sw", "nw")]
               + ["self_atari", "capture", "atari"] + [f"line_{k}" for k in range(1, 5)]
               + [f"dist_last_{d}" for d in range(1, 18)]
               + [f"dist_last2_{d}" for d in range(1, 18)]
               + [f"self_atari_size_{s}" for s in ("1", "2-3", "4+")]
               + [f"liberties_{k}" for k in ("2", "3", "4+")]
               + [f"capture_size_{s}" for s in ("2", "3-5", "6+")]
               + [f"save_size_{s}" for s in ("1", "2-3", "4+")]
               + [f"atari_size_{s}" for s in ("2-3", "4+")]
               + ["ladder_capture", "ladder_escape", "ladder_fail", "capture_last",
                  "save_last"])

# The spec: which features a model uses.
SPEC_MAX_DISTANCE = 0  # distance features for distances 1..this (0: none)
SPEC_3X3 = 1
SPEC_DIAMOND = 2
SPEC_RESPONSE = 3
SPEC_NAKADE = 4
SPEC_TACTICS = 5  # save-atari, self-atari, capture, atari
SPEC_LINE = 6
SPEC_NEIGHBOUR = 7
SPEC_LAST2 = 8  # distance to the move before the last: 0 none, 1 near the last move, 2 all
SPEC_READING = 9  # the reading features (liberties, sizes, ladders)
N_SPEC = 10

MAX_KEYS = 20  # keys of one candidate, at most

# Bits of the value returned by :func:`tactics`.
T_LEGAL = 1
T_EYE = 2
T_CAPTURE = 4
T_ATARI = 8
T_SAVE_ATARI = 16
T_SELF_ATARI = 32


def rollout_spec() -> np.ndarray:
    """AlphaGo's rollout features plus self-atari, capture, atari, line and near distances."""
    spec = np.ones(N_SPEC, dtype=np.int64)
    spec[SPEC_MAX_DISTANCE] = 2
    spec[SPEC_DIAMOND] = 0
    spec[SPEC_LAST2] = 2
    spec[SPEC_READING] = 0
    return spec


def tree_spec(reading: bool = False) -> np.ndarray:
    """The rollout features with diamond patterns and every distance, without nakade; with
    ``reading``, the reading features too (off by default: see the module docstring)."""
    spec = np.ones(N_SPEC, dtype=np.int64)
    spec[SPEC_MAX_DISTANCE] = MAX_DISTANCE
    spec[SPEC_NAKADE] = 0
    spec[SPEC_LAST2] = 2
    spec[SPEC_READING] = int(reading)
    return spec


# -- base features ----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _add_liberty(first, second, q):
    """Add ``q`` to a set of at most two distinct points (-1: free slot)."""
    if first < 0:
        return q, second
    if second < 0 and q != first:
        return first, q
    return first, second


@njit(cache=True, inline="always")
def _finish_flags(legal, all_own, eye_spoilers, capture, atari, own_atari, plenty, second):
    flags = 0
    if legal:
        flags |= T_LEGAL
    if all_own and eye_spoilers < 2:
        flags |= T_EYE
    many = plenty or second >= 0
    if capture:
        flags |= T_CAPTURE
    if atari:
        flags |= T_ATARI
    if own_atari and (capture or many):
        flags |= T_SAVE_ATARI
    if legal and not capture and not many:
        flags |= T_SELF_ATARI
    return flags


@njit(cache=True)
def tactics(pts, lib3, p, width, own):
    """Bit flags (``T_*``) of empty point ``p`` for ``own``: legal (simple ko aside), own eye
    (as :func:`~go_engine.rules.board_core.is_eye_like`), capture, atari, save-atari and
    self-atari."""
    legal = False
    capture = False
    atari = False
    own_atari = False
    plenty = False  # the new chain surely has 2+ liberties
    first = -1  # up to two distinct liberties of the new chain, when not plenty
    second = -1
    all_own = True
    for q in (p - width, p - 1, p + 1, p + width):
        c = pts[core.COLOR, q]
        if c == EMPTY:
            legal = True
            all_own = False
            first, second = _add_liberty(first, second, q)
        elif c == BORDER:
            continue
        elif c == own:
            libs = lib3[pts[core.HEAD, q]]
            if libs == 1:
                own_atari = True
                continue
            legal = True
            if libs >= 3:
                plenty = True
            elif second < 0 and not plenty:
                first, second = _add_liberty(
                    first, second, pat.other_liberty(pts, pts[core.HEAD, q], width, p))
        else:
            all_own = False
            libs = lib3[pts[core.HEAD, q]]
            if libs == 1:
                capture = True
                legal = True
            elif libs == 2:
                atari = True
    spoilers = 0
    if all_own:
        edge = 0
        for q in (p - width - 1, p - width + 1, p + width - 1, p + width + 1):
            c = pts[core.COLOR, q]
            if c == BORDER:
                edge = 1
            elif c != EMPTY and c != own:
                spoilers += 1
        spoilers += edge
    return _finish_flags(legal, all_own, spoilers, capture, atari, own_atari, plenty, second)


SLOW_PATH = -1.0  # in a folded 3x3 table: the code does not settle the tactics


@njit(cache=True)
def fold_tactics(pattern_weights, spec, exp_weights):
    """Fold the tactical features into a table over raw 3x3 codes, for rollouts.

    The 3x3 code settles :func:`tactics` for almost every code: legality, capture, atari,
    own eye, and save-atari/self-atari unless an own neighbour chain has exactly two
    liberties, the move captures nothing, and at most one neighbour is empty (then whether
    the new chain has one or two liberties depends on where the chains' other liberties lie).
    Returns ``float32 [N_3X3_CODES]``: ``pattern_weights[code]`` (``exp`` of the 3x3 weight)
    times ``exp`` of the tactical features; 0 for an illegal move or an own-eye fill;
    ``SLOW_PATH`` where :func:`tactics` must look at the board (and everywhere when the spec
    has diamond patterns, which the code does not hold).
    """
    out = np.empty(pattern_weights.shape[0], np.float32)
    for code in range(pattern_weights.shape[0]):
        empty = own_2 = 0
        legal = capture = atari = own_atari = plenty = False
        all_own = True
        for i in range(4):
            s = (code >> (3 * i)) & 7
            if s == pat.STATE_EMPTY:
                empty += 1
                legal = True
                all_own = False
            elif s >= 5:
                all_own = False
                capture |= s == 5
                atari |= s == 6
                legal |= s == 5
            elif s >= 2:
                own_atari |= s == 2
                own_2 += s == 3
                plenty |= s == 4
                legal |= s >= 3
        spoilers = 0
        edge = 0
        for i in range(4):
            d = (code >> (12 + 2 * i)) & 3
            spoilers += d == 3
            edge |= d == 1
        if spec[SPEC_DIAMOND] or (own_2 > 0 and empty <= 1 and not plenty and not capture):
            out[code] = SLOW_PATH
            continue
        many = plenty or empty >= 2
        flags = _finish_flags(legal, all_own, spoilers + edge, capture, atari, own_atari, many,
                              -1)
        if not flags & T_LEGAL or flags & T_EYE:
            out[code] = 0.0
            continue
        weight = pattern_weights[code] if spec[SPEC_3X3] else 1.0
        if spec[SPEC_TACTICS]:
            for bit, feature in ((T_SAVE_ATARI, F_SAVE_ATARI), (T_SELF_ATARI, F_SELF_ATARI),
                                 (T_CAPTURE, F_CAPTURE), (T_ATARI, F_ATARI)):
                if flags & bit:
                    weight *= exp_weights[feature]
        out[code] = weight
    return out


@njit(cache=True, inline="always")
def line_of(p, width):
    """The line (1 = edge) of padded point ``p``."""
    row = p // width
    col = p - row * width
    return min(min(row, col), min(width - 1 - row, width - 1 - col))


@njit(cache=True)
def base_keys(pts, lib3, p, width, own, spec, flags, out, n):
    """Append the base feature keys of candidate ``p`` (with :func:`tactics` ``flags``) to
    ``out`` from index ``n``; return the new count."""
    if spec[SPEC_3X3]:
        out[n] = pat.make_key(pat.TAG_3X3, pat.code_3x3(pts, lib3, p, width, own))
        n += 1
    if spec[SPEC_DIAMOND]:
        out[n] = pat.make_key(pat.TAG_DIAMOND, pat.code_diamond(pts, lib3, p, width, own))
        n += 1
    if spec[SPEC_TACTICS]:
        if flags & T_SAVE_ATARI:
            out[n] = F_SAVE_ATARI
            n += 1
        if flags & T_SELF_ATARI:
            out[n] = F_SELF_ATARI
            n += 1
        if flags & T_CAPTURE:
            out[n] = F_CAPTURE
            n += 1
        if flags & T_ATARI:
            out[n] = F_ATARI
            n += 1
    if spec[SPEC_LINE]:
        line = line_of(p, width)
        if line <= MAX_LINE:
            out[n] = F_LINE + line - 1
            n += 1
    return n


# -- overlay features -------------------------------------------------------------------------


@njit(cache=True)
def response_context(pts, lib3, last, width, own):
    """``(diamond code, state of the last move's stone)`` around ``last`` seen by ``own``;
    ``(-1, 0)`` when the last move is not a stone on the board."""
    if last < 0 or pts[core.COLOR, last] == EMPTY:
        return -1, 0
    return pat.code_diamond(pts, lib3, last, width, own), pat.point_state(pts, lib3, last, own)


@njit(cache=True)
def overlay_keys(p, width, last, last2, context_code, context_centre, spec,
                 captured, captured_stamp, out, n):
    """Append the last-move feature keys of candidate ``p`` to ``out`` from index ``n``.

    ``context_*`` come from :func:`response_context`; ``captured[q] == captured_stamp`` marks
    the points the last move captured. Returns the new count.
    """
    row = p // width
    col = p - row * width
    max_distance = spec[SPEC_MAX_DISTANCE]
    if last >= 0:
        dr = row - last // width
        dc = col - last % width
        d = abs(dr) + abs(dc)
        if d <= 2 and context_code >= 0:
            index = pat.DIAMOND_INDEX[dr + 2, dc + 2]
            if spec[SPEC_RESPONSE]:
                out[n] = pat.make_key(pat.TAG_RESPONSE,
                                      context_centre << 40 | index << 36 | context_code)
                n += 1
            if spec[SPEC_NEIGHBOUR] and index < 8:
                out[n] = F_NEIGHBOUR + index
                n += 1
        if d > MAX_DISTANCE:
            d = MAX_DISTANCE
        if d <= max_distance:
            out[n] = F_DIST_LAST + d - 1
            n += 1
    near_last = last >= 0 and abs(row - last // width) + abs(col - last % width) <= 2
    last2_mode = spec[SPEC_LAST2]
    if last2 >= 0 and max_distance > 0 and (last2_mode == 2 or (last2_mode == 1 and near_last)):
        d = abs(row - last2 // width) + abs(col - last2 % width)
        if d > MAX_DISTANCE:
            d = MAX_DISTANCE
        if 0 < d <= max_distance:
            out[n] = F_DIST_LAST2 + d - 1
            n += 1
    if spec[SPEC_NAKADE] and captured[p] == captured_stamp:
        mask = 0
        for i in range(pat.N_DIAMOND):
            r = row + pat.DIAMOND_OFFSETS[i, 0]
            c = col + pat.DIAMOND_OFFSETS[i, 1]
            if 0 <= r < width and 0 <= c < width and captured[r * width + c] == captured_stamp:
                mask |= 1 << i
        out[n] = pat.make_key(pat.TAG_NAKADE, mask)
        n += 1
    return n


# -- reading features -------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _bucket(value, second, third):
    """0 below ``second``, 1 below ``third``, else 2."""
    return 0 if value < second else (1 if value < third else 2)


@njit(cache=True)
def reading_keys(pts, facts, p, width, own, last, out, n):
    """Append the reading feature keys of candidate ``p`` of ``own`` to ``out`` from index
    ``n``; return the new count. ``facts`` is :func:`~go_engine.features.planes.position_facts`
    of the position with ``own`` to move (ladders included)."""
    libs = facts[planes.F_LIBS_AFTER, p]
    if libs <= 1:
        out[n] = F_LIBERTIES + _bucket(facts[planes.F_SIZE_AFTER, p], 2, 4)
    else:
        out[n] = F_LIBERTIES + 3 + _bucket(libs, 3, 4)
    n += 1
    captured = facts[planes.F_CAPTURE, p]
    if captured >= 2:
        out[n] = F_CAPTURE_SIZE + _bucket(captured, 3, 6)
        n += 1
    saved = atari_size = 0
    capture_last = save_last = False
    last_head = pts[core.HEAD, last] if last >= 0 and pts[core.COLOR, last] != EMPTY else -1
    neighbours = (p - width, p - 1, p + 1, p + width)
    for i in range(4):
        c = pts[core.COLOR, neighbours[i]]
        if c in (EMPTY, BORDER):
            continue
        head = pts[core.HEAD, neighbours[i]]
        repeated = False  # the chain was met through an earlier neighbour
        for j in range(i):
            r = neighbours[j]
            repeated |= pts[core.COLOR, r] == c and pts[core.HEAD, r] == head
        if repeated:
            continue
        chain_libs = facts[planes.F_LIBS, head]
        if c == own and chain_libs == 1:
            saved += pts[core.SIZE, head]
            save_last |= last_head >= 0 and _touches_chain(pts, last, width, head)
        elif c != own and chain_libs == 2:
            atari_size += pts[core.SIZE, head]
        elif c != own and chain_libs == 1:
            capture_last |= head == last_head
    if saved:
        out[n] = F_SAVE_SIZE + _bucket(saved, 2, 4)
        out[n + 1] = F_LADDER_ESCAPE if facts[planes.F_LADDER_ESC, p] else F_LADDER_FAIL
        n += 2
    if atari_size >= 2:
        out[n] = F_ATARI_SIZE + (atari_size >= 4)
        n += 1
    if facts[planes.F_LADDER_CAP, p]:
        out[n] = F_LADDER_CAPTURE
        n += 1
    if capture_last:
        out[n] = F_CAPTURE_LAST
        n += 1
    if save_last:
        out[n] = F_SAVE_LAST
        n += 1
    return n


@njit(cache=True, inline="always")
def _touches_chain(pts, point, width, head):
    """True when a neighbour of ``point`` is a stone of the chain ``head``."""
    touches = False
    for q in (point - width, point - 1, point + 1, point + width):
        touches |= pts[core.COLOR, q] != EMPTY and pts[core.HEAD, q] == head
    return touches


@njit(cache=True)
def reading_facts(pts, meta):
    """The fact table the reading features need (the side to move's, ladders read). The
    ladder reader plays on copies of the board with an all-zero Zobrist table: the hashes of
    those copies are never used."""
    zob = np.zeros((3, pts.shape[1]), np.int64)
    return planes.position_facts(pts, meta, zob, True, True)


# -- whole positions --------------------------------------------------------------------------


@njit(cache=True)
def position_keys(pts, meta, lib3, own, spec, captured, captured_stamp, points, keys,
                  counts, flags_out):
    """The feature keys of every legal move of ``own`` (simple ko; own eyes included).
    With the reading features in ``spec``, ``own`` must be the side to move.

    Fills ``points[i]`` (padded point), ``keys[i, :counts[i]]`` and ``flags_out[i]``
    (:func:`tactics`) for each candidate ``i`` and returns the number of candidates.
    ``lib3`` must be current (:func:`~go_engine.search.patterns.fill_lib3`).
    """
    width = meta[core.M_SIZE] + 2
    last = meta[core.M_LAST_MOVE]
    last2 = meta[core.M_LAST_MOVE_2]
    ko = meta[core.M_KO_POINT] if meta[core.M_TO_MOVE] == own else -1
    code, centre = response_context(pts, lib3, last, width, own)
    reading = spec[SPEC_READING] != 0
    facts = reading_facts(pts, meta) if reading else np.zeros((1, 1), np.int64)
    n = 0
    for k in range(meta[core.M_NUM_EMPTY]):
        p = pts[core.EMPTY_LIST, k]
        if p == ko:
            continue
        flags = tactics(pts, lib3, p, width, own)
        if not flags & T_LEGAL:
            continue
        m = base_keys(pts, lib3, p, width, own, spec, flags, keys[n], 0)
        m = overlay_keys(p, width, last, last2, code, centre, spec, captured, captured_stamp,
                         keys[n], m)
        if reading:
            m = reading_keys(pts, facts, p, width, own, last, keys[n], m)
        points[n] = p
        counts[n] = m
        flags_out[n] = flags
        n += 1
    return n


@njit(cache=True)
def keys_to_indices(keys, counts, n, table, indices, index_counts):
    """Map the keys of ``n`` candidates to weight indices through a model's ``table``
    (:func:`~go_engine.search.patterns.build_table`). Unknown patterns are dropped; a known
    response pattern also turns on ``F_RESPONSE``."""
    for i in range(n):
        m = 0
        for j in range(counts[i]):
            key = keys[i, j]
            if key >> pat.TAG_SHIFT == 0:
                indices[i, m] = key
                m += 1
                continue
            slot = pat.table_slot(table, pat.canonical_key(key))
            if slot >= 0:
                indices[i, m] = table[slot].index
                m += 1
                if key >> pat.TAG_SHIFT == pat.TAG_RESPONSE:
                    indices[i, m] = F_RESPONSE
                    m += 1
        index_counts[i] = m
