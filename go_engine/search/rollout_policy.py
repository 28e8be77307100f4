"""AlphaGo's fast rollout policy: a linear softmax over local features, sampled move by move.

After Silver et al. 2016 (Methods, "Rollout policy"; Extended Data Table 4). The policy's
features are those of :mod:`go_engine.search.policy_features` under the rollout spec, and
``p(a) ~ prod_f exp(w_f)`` over the features ``f`` of ``a``. A rollout chooses each move in a
couple of microseconds because almost nothing is recomputed:

* **Kept per point**: the liberty count (capped at 3) at each chain head, the 3-bit state of
  every point and the 20-bit 3x3 code of every point seen by Black (White's is its colour
  swap, two table reads). A move rewrites the fields of its neighbours' codes, and the states
  and neighbour fields of the chains whose liberty count changed (only chains next to the
  move or to captured stones can change; each is recounted, from the board's pseudo-liberties
  where they settle it, else by a walk that stops at 3 liberties). A chain's stones whose kept
  state did not change are not rewritten.
* **Base weights**, ``exp`` of the features of a point alone (3x3 pattern, save-atari,
  self-atari, capture, atari, line), per empty point and colour, with row sums. The 3x3 code
  settles the tactical features for almost every code, so one read of a table over all 2**20
  codes (:func:`~go_engine.search.policy_features.fold_tactics`) gives the weight; the board
  is read only for the rare codes that do not settle save-atari/self-atari (the table then
  holds minus ``exp`` of the code's 3x3 weight, so no pattern lookup). A move puts the
  points whose weight may change in each colour's *pending* list: the 3x3 blocks of the new
  stone and of captured stones, and the liberties of every chain whose liberty count changed
  or was at most 2 (its liberties moved, which save-atari and self-atari read). A colour
  recomputes its pending points when it next draws.
* **Overlay factors**, ``exp`` of the features that depend on the last two moves (response
  pattern around the last move, read for all 12 places with one lookup of the canonical
  diamond in a table that holds each context's key and weights in one cache line; neighbour
  of the last move; distances to the last two moves; nakade at points the last move
  captured, from a table over the 4096 masks) for the few points concerned: the 12-point
  diamonds of the last two moves and the captured points. The simple-ko point gets factor 0.
* **Drawing** leaves the weights alone: the overlay points are drawn from their own list, the
  others by walking the row sums (less the overlay points' base weights), then one row.

Memory, not arithmetic, sets the pace: the folded 3x3 table (4 MiB) and the context table
(8 MiB) are read at random, so they sit in huge pages where the system allows it (fewer TLB
misses), and :func:`choose_move` asks for the table entries of the pending points before it
works out the response context, and for the context's two cache lines (home slot and the next,
which a probe that misses reads too) before it recomputes the pending points
(:func:`_prefetch`), so that those trips to memory overlap with work. Every change of that kind
keeps the arithmetic: the same products in the same order, so a seeded rollout plays the same
moves.

Calls cost too: numba passes an array as about ten machine words, so a call with the board,
the state and the seven model arrays pushes a hundred. The kernels of a move
(:func:`choose_move`, :func:`play_update` and what they call once per move, down to the move on
the board: :func:`~go_engine.rules.board_core.play_stone`, ``core.play`` for stones) are
therefore inlined into the rollout loop (``inline="always"``, which also lets them be called
alone).

So do branches on data a predictor cannot learn (is a point near the last move occupied; is a
point listed already): there the kernels write unconditionally and count conditionally
(:func:`_mark`, :func:`_touch_row`, :func:`_add_overlay`), each write harmless when it is not
counted. This, too, leaves every product and sum as it was.

So does numba's support for negative indices, a fix-up on every access through a signed index
(a few instructions and a load of the dimension): the kernels of a move cast the points, rows
and counts they index with, read or worked out at run time and never negative, to unsigned at
the access (:func:`_u`).

Own-eye fills (in the sense of :func:`~go_engine.rules.board_core.is_eye_like`) get weight 0 in
rollouts, so they end like light playouts: when neither side has a move left, both pass.
Tests check every kept array and weight against a recount from scratch, and the draw weights
against the training path's feature keys.

The state lives in three arrays (``ints``, ``floats``, ``ctr``, rows named below) made by
:func:`new_state`; :func:`init_state` fills it from a board, :func:`choose_move` draws a move
and :func:`play_update` plays it and updates the state; the model is one tuple of arrays
(:meth:`RolloutPolicy.kernel_model`). :func:`policy_moves` is the whole rollout loop, with the
same ``first_mover`` record as :func:`~go_engine.rules.board_core.light_moves` for RAVE, and
optionally a reply table (:func:`new_replies`: last good reply with forgetting, Baier & Drake
2010) that overrides the draw with a side's stored reply to the previous move, and optionally
the tactical answer to the last move (:mod:`go_engine.search.rollout_tactics`), which overrides
both. The hot kernels are compiled without numba's reference counting (``_nrt=False``): they
allocate nothing, and refcount updates on the shared model arrays would cost more than the work
(a rollout loop compiled with them ran at half the speed).
"""
from __future__ import annotations

import mmap

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.extending import intrinsic

from go_engine.rules import board_core as core
from go_engine.rules.board import Board, padded_index
from go_engine.rules.coords import BLACK, EMPTY, WHITE
from go_engine.search import patterns as pat
from go_engine.search.policy_features import (
    F_ATARI,
    F_CAPTURE,
    F_DIST_LAST,
    F_DIST_LAST2,
    F_LINE,
    F_NEIGHBOUR,
    F_SAVE_ATARI,
    F_SELF_ATARI,
    MAX_DISTANCE,
    MAX_LINE,
    SLOW_PATH,
    SPEC_3X3,
    SPEC_DIAMOND,
    SPEC_LAST2,
    SPEC_LINE,
    SPEC_MAX_DISTANCE,
    SPEC_NAKADE,
    SPEC_NEIGHBOUR,
    SPEC_READING,
    SPEC_RESPONSE,
    SPEC_TACTICS,
    T_ATARI,
    T_CAPTURE,
    T_EYE,
    T_LEGAL,
    T_SAVE_ATARI,
    T_SELF_ATARI,
    line_of,
    tactics,
)
from go_engine.search.policy_model import LinearPolicy, PolicyTables, default_policy
from go_engine.search.rollout_tactics import tactical_reply

# Rows of ``ints`` (int64 [N_INTS, padded points]).
I_LIB3 = 0  # liberties capped at 3, at chain heads
I_ROW = 2  # the row and column of each point
I_COL = 3
I_PENDING_MARK = 4  # bit ``colour``: the point waits in that colour's pending list
I_PENDING = 4  # I_PENDING + colour: the points whose weight for that colour is stale
I_OV_MARK = 7  # overlay stamp per point
I_OV_LIST = 8  # the overlay points of this draw
I_CAPTURED = 9  # capture stamp per point: captured by the move with that stamp
I_CAP_LIST = 10  # the points the last move captured
I_ROW_MARK = 11  # per row: the refresh stamp (C_ROW_STAMP) of the last refresh that listed it
I_ROW_LIST = 12  # rows touched
I_GAIN = 13  # own chains next to captured stones (heads) ...
I_GAIN_OLD = 14  # ... and their liberties before the move
I_OPP = 15  # opponent chains next to the move (heads) ...
I_OPP_OLD = 16  # ... and their liberties before the move
I_CODE = 17  # the 3x3 code of every on-board point seen by Black, kept up to date
I_STATE = 18  # the 3-bit state of every point seen by Black (see patterns), kept up to date
I_PENDING_CODE = 19  # the 3x3 codes of the pending points (by list position) seen by the
#   colour about to recompute them (:func:`_stage_pending`)
N_INTS = 20

# Rows of ``floats`` (float64 [N_FLOATS, padded points]); BLACK and WHITE hold base weights.
F_LINE_WEIGHT = 0  # exp of the line feature of each point
F_OV_FACTOR = 3
F_OV_WEIGHT = 4  # base weight times overlay factor, this draw
F_ROW_SAVED = 5  # per row: the base weights of this draw's overlay points (first `width`; 0
#   in rows without any), so that the draw subtracts it from every row without a branch
F_ROW_SUM = 5  # F_ROW_SUM + colour: the row sums of that colour's weights (first `width`)
N_FLOATS = 8

# Entries of ``ctr`` (int64 [N_CTR]).
C_OV_STAMP = 0
C_ROW_STAMP = 1
C_CAP_STAMP = 2  # the stamp of the last move's captures
C_CAPTURED = 3  # points the last move captured
C_ALLOW_EYE = 4  # 1: own-eye fills keep their weight (evaluation); 0: rollouts
C_PENDING = 4  # C_PENDING + colour: the length of that colour's pending list
N_CTR = 7

NO_REPLIES = np.full((0, 0), -1, np.int32)  # no reply table: rollouts follow the policy alone
NO_HISTORY = np.empty(0, np.int32)

CONTEXT_KEY = 7  # the column of a context's key in the int64 view of the context table


@njit(cache=True, inline="always", _nrt=False)
def _u(index):
    """A non-negative ``index`` as an unsigned integer. numba reads ``a[i]`` through a signed
    ``i`` as ``a[i + n if i < 0 else i]``, a few instructions and a load of the dimension per
    access, which add up in the loops that run for every point of a move. (Mixing unsigned with
    signed integers in arithmetic makes floats in numba: cast at the access, not before.)"""
    return np.uint64(index)


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the processor to fetch element ``index`` of C-contiguous ``array`` (flat index) into
    its caches, without waiting for it (LLVM's ``prefetch``: a read, high locality)."""
    if not isinstance(array, types.Array) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        offset = context.cast(builder, args[1], signature.args[1], types.intp)
        # one declaration of the intrinsic serves every array type: pass a byte pointer
        pointer = builder.bitcast(builder.gep(data, [offset]), ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(function, [pointer, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, index), codegen


def new_state(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scratch ``(ints, floats, ctr)`` for a ``size`` board."""
    points = (size + 2) ** 2
    return (np.zeros((N_INTS, points), np.int64), np.zeros((N_FLOATS, points), np.float64),
            np.zeros(N_CTR, np.int64))


# -- weights ----------------------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def _pattern_weight(table, key):
    """``exp`` of the weight of canonical pattern ``key`` (1 when the model lacks it)."""
    slot = pat.table_slot(table, key)
    return np.float64(table[slot].weight) if slot >= 0 else 1.0


@njit(cache=True, _nrt=False)
def _slow_weight(pts, lib3, p, width, own, code, pattern, spec, table, exp_weights,
                 allow_eye):
    """The base weight from :func:`tactics` on the board (codes that do not settle it);
    ``pattern`` is ``exp`` of the 3x3 pattern's weight, or negative to look it up."""
    flags = tactics(pts, lib3, p, width, own)
    if not flags & T_LEGAL or (flags & T_EYE and not allow_eye):
        return 0.0
    weight = 1.0
    if spec[SPEC_3X3]:
        if pattern < 0.0:
            key = pat.make_key(pat.TAG_3X3, pat.canonical_3x3(code))
            pattern = _pattern_weight(table, key)
        weight *= pattern
    if spec[SPEC_DIAMOND]:
        diamond = pat.canonical_diamond(pat.code_diamond(pts, lib3, p, width, own))
        weight *= _pattern_weight(table, pat.make_key(pat.TAG_DIAMOND, diamond))
    if spec[SPEC_TACTICS]:
        if flags & T_SAVE_ATARI:
            weight *= exp_weights[F_SAVE_ATARI]
        if flags & T_SELF_ATARI:
            weight *= exp_weights[F_SELF_ATARI]
        if flags & T_CAPTURE:
            weight *= exp_weights[F_CAPTURE]
        if flags & T_ATARI:
            weight *= exp_weights[F_ATARI]
    return weight


@njit(cache=True, inline="always", _nrt=False)
def point_weight(pts, floats, lib3, p, width, own, code, model, allow_eye):
    """``exp`` of the base score of empty ``p`` for ``own`` (whose 3x3 ``code`` it is; the
    features of :func:`base_keys`); 0 when illegal (ko aside) or, unless ``allow_eye``, an
    own-eye fill.

    One read of the folded 3x3 table (:func:`fold_tactics`, as :meth:`RolloutPolicy.kernel_model`
    stores it: where the code does not settle the tactics, minus ``exp`` of the 3x3 pattern's
    weight) for almost every point; the board is asked only when the table says so.
    """
    spec, table, grid3, contexts, exp_weights, context_keys, nakade = model
    weight = np.float64(grid3[_u(code)])
    if weight < 0.0:
        weight = _slow_weight(pts, lib3, p, width, own, code, -weight, spec, table,
                              exp_weights, allow_eye)
    elif allow_eye:
        weight = _slow_weight(pts, lib3, p, width, own, code, -1.0, spec, table, exp_weights,
                              allow_eye)
    return weight * floats[F_LINE_WEIGHT, _u(p)]


@njit(cache=True, inline="always", _nrt=False)
def _sum_row(floats, color, row, width):
    total = 0.0
    start = row * width
    for p in range(start + 1, start + width - 1):
        total += floats[color, _u(p)]
    floats[F_ROW_SUM + color, _u(row)] = total


@njit(cache=True, inline="always", _nrt=False)
def _sum_two_rows(floats, color, row, other, width):
    """:func:`_sum_row` of two rows in one loop: each sum adds its row's weights in the same
    order as alone, and the two chains of additions overlap (an addition waits for the one
    before it)."""
    total = 0.0
    total_other = 0.0
    start = row * width
    start_other = other * width
    for i in range(1, width - 1):
        total += floats[color, _u(start + i)]
        total_other += floats[color, _u(start_other + i)]
    floats[F_ROW_SUM + color, _u(row)] = total
    floats[F_ROW_SUM + color, _u(other)] = total_other


@njit(cache=True, _nrt=False)
def init_state(pts, meta, ints, floats, ctr, model, allow_eye):
    """Fill the state from the board (every base weight, both colours, from scratch)."""
    spec, table, grid3, contexts, exp_weights, context_keys, nakade = model
    width = meta[core.M_SIZE] + 2
    ints[:, :] = 0
    ints[I_CAPTURED, :] = -1
    floats[:, :] = 0.0
    ctr[:] = 0
    ctr[C_ALLOW_EYE] = allow_eye
    lib3 = ints[I_LIB3]
    pat.fill_lib3(pts, meta, lib3)
    for p in range(width * width):
        ints[I_ROW, p] = p // width
        ints[I_COL, p] = p % width
        line = line_of(p, width)
        floats[F_LINE_WEIGHT, p] = 1.0
        if spec[SPEC_LINE] and 1 <= line <= MAX_LINE:
            floats[F_LINE_WEIGHT, p] = exp_weights[F_LINE + line - 1]
        ints[I_STATE, p] = pat.point_state(pts, lib3, p, BLACK)
        if line >= 1:
            ints[I_CODE, p] = pat.code_3x3(pts, lib3, p, width, BLACK)
    for k in range(meta[core.M_NUM_EMPTY]):
        p = pts[core.EMPTY_LIST, k]
        code = ints[I_CODE, p]
        floats[BLACK, p] = point_weight(pts, floats, lib3, p, width, BLACK, code, model,
                                        allow_eye)
        floats[WHITE, p] = point_weight(pts, floats, lib3, p, width, WHITE, pat.swap_3x3(code),
                                        model, allow_eye)
    for row in range(1, width - 1):
        _sum_row(floats, BLACK, row, width)
        _sum_row(floats, WHITE, row, width)


# -- updates after a move ---------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def _mark(ints, ctr, q):
    """Put ``q`` in both colours' pending lists (once). Without branches on the marks
    (whether a point is listed already is random to a branch predictor): ``q`` is written
    after each list, and counted where it was not listed."""
    flags = ints[I_PENDING_MARK, _u(q)]
    for color in (BLACK, WHITE):
        count = ctr[C_PENDING + color]
        ints[I_PENDING + color, _u(count)] = q
        ctr[C_PENDING + color] = count + (flags & color == 0)
    ints[I_PENDING_MARK, _u(q)] = 3


@njit(cache=True, inline="always", _nrt=False)
def _mark_around(pts, ints, ctr, p, width):
    """Mark the empty points of the 3x3 block centred on ``p`` pending for both colours."""
    for q in (p - width - 1, p - width, p - width + 1, p - 1, p, p + 1, p + width - 1,
              p + width, p + width + 1):
        if pts[core.COLOR, _u(q)] == EMPTY:
            _mark(ints, ctr, q)


@njit(cache=True, inline="always", _nrt=False)
def _set_field(ints, q, shift, bits, value):
    """Write ``value`` into the field of ``q``'s 3x3 code at ``shift`` (``bits`` wide)."""
    ints[I_CODE, _u(q)] = (ints[I_CODE, _u(q)] & ~(((1 << bits) - 1) << shift)) | (value << shift)


@njit(cache=True, _nrt=False)
def _set_orthogonal(ints, s, width, state):
    """Write ``state`` as the stone at ``s`` into the codes of its four neighbours (``s`` is
    the south neighbour of the point north of it, and so on)."""
    _set_field(ints, s - width, 6, 3, state)
    _set_field(ints, s + 1, 9, 3, state)
    _set_field(ints, s + width, 0, 3, state)
    _set_field(ints, s - 1, 3, 3, state)


@njit(cache=True, _nrt=False)
def _set_diagonal(ints, s, width, state):
    """Write the 2-bit ``state`` of ``s`` into the codes of its four diagonal neighbours."""
    _set_field(ints, s - width + 1, 16, 2, state)
    _set_field(ints, s + width + 1, 18, 2, state)
    _set_field(ints, s + width - 1, 12, 2, state)
    _set_field(ints, s - width - 1, 14, 2, state)


@njit(cache=True, inline="always", _nrt=False)
def _black_state(pts, lib3, head):
    """The 3-bit state of a stone of the chain at ``head`` seen by Black."""
    return (1 if pts[core.COLOR, _u(head)] == BLACK else 4) + lib3[_u(head)]


@njit(cache=True, inline="always", _nrt=False)
def _mark_liberties(pts, ints, ctr, head, width):
    """The chain at ``head`` has a new liberty count or new liberties: write its state into
    its neighbours' codes and mark its liberties pending (the only empty points whose 3x3
    code or tactics read it)."""
    state = _black_state(pts, ints[I_LIB3], head)
    stone = head
    while True:
        if ints[I_STATE, _u(stone)] != state:  # (the codes around a stone hold its kept state)
            ints[I_STATE, _u(stone)] = state
            _set_orthogonal(ints, stone, width, state)
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[core.COLOR, _u(q)] == EMPTY:
                _mark(ints, ctr, q)
        stone = pts[core.NEXT, _u(stone)]
        if stone == head:
            break


@njit(cache=True, inline="always", _nrt=False)
def _chain_lib3(pts, head, width):
    """:func:`~go_engine.search.patterns.chain_lib3`, from the board's pseudo-liberties where
    they settle it (three chains in four), so that only the rest walk the chain."""
    count = pts[core.LIB_COUNT, _u(head)]
    if pts[core.SIZE, _u(head)] <= 2:
        return min(count, 3)  # two adjacent stones never share a neighbour: all distinct
    if count >= 9:
        return 3  # a point is a liberty of at most four stones, so two points count <= 8
    if core._in_atari(pts, head):
        return 1
    if count <= 2:
        return count  # 0, or two different points
    return pat.chain_lib3(pts, head, width)


@njit(cache=True, inline="always", _nrt=False)
def _remember(ints, row, old_row, count, head, libs):
    """Append ``head`` (with ``libs``) to a list row unless it is there; return the count."""
    for i in range(count):
        if ints[row, i] == head:
            return count
    ints[row, _u(count)] = head
    ints[old_row, _u(count)] = libs
    return count + 1


@njit(cache=True, inline="always", _nrt=False)
def _capture_list(pts, ints, ctr, q, color, width):
    """Before ``color`` plays ``q``: list the stones it captures and the opponent chains
    next to it; return ``(captured stones, opponent chains, lowest own liberties)``."""
    lib3 = ints[I_LIB3]
    own_before = 3
    n_opp = 0
    n_cap = 0
    for n in (q - width, q - 1, q + 1, q + width):
        c = pts[core.COLOR, _u(n)]
        if c == color:
            own_before = min(own_before, lib3[_u(pts[core.HEAD, _u(n)])])
        elif c == 3 - color:
            head = pts[core.HEAD, _u(n)]
            libs = lib3[_u(head)]
            if libs != 1:
                n_opp = _remember(ints, I_OPP, I_OPP_OLD, n_opp, head, libs)
            elif ints[I_CAPTURED, _u(head)] != ctr[C_CAP_STAMP]:
                stone = head
                while True:
                    ints[I_CAPTURED, _u(stone)] = ctr[C_CAP_STAMP]
                    ints[I_CAP_LIST, _u(n_cap)] = stone
                    n_cap += 1
                    stone = pts[core.NEXT, _u(stone)]
                    if stone == head:
                        break
    return n_cap, n_opp, own_before


@njit(cache=True, inline="always", _nrt=False)
def play_update(pts, meta, zob, ints, floats, ctr, model, q, color):
    """Play ``color`` at padded ``q`` (-1: pass) and bring the state up to date."""
    ctr[C_CAP_STAMP] += 1
    ctr[C_CAPTURED] = 0
    if q < 0:
        core.play(pts, meta, zob, -1, color)
        return
    width = meta[core.M_SIZE] + 2
    lib3 = ints[I_LIB3]
    n_cap, n_opp, own_before = _capture_list(pts, ints, ctr, q, color, width)
    ctr[C_CAPTURED] = n_cap
    n_gain = 0
    for k in range(n_cap):
        s = ints[I_CAP_LIST, k]
        for n in (s - width, s - 1, s + 1, s + width):
            if pts[core.COLOR, _u(n)] == color:
                head = pts[core.HEAD, _u(n)]
                n_gain = _remember(ints, I_GAIN, I_GAIN_OLD, n_gain, head, lib3[_u(head)])
    core.play_stone(pts, meta, zob, q, color)
    _mark(ints, ctr, q)
    mine = pts[core.HEAD, _u(q)]
    libs = _chain_lib3(pts, mine, width)
    lib3[_u(mine)] = libs
    state = _black_state(pts, lib3, mine)
    ints[I_STATE, _u(q)] = state
    _set_orthogonal(ints, q, width, state)
    _set_diagonal(ints, q, width, 2 if color == BLACK else 3)
    _mark_around(pts, ints, ctr, q, width)
    for k in range(n_cap):
        s = ints[I_CAP_LIST, k]
        ints[I_STATE, _u(s)] = 0
        _set_orthogonal(ints, s, width, 0)
        _set_diagonal(ints, s, width, 0)
        _mark_around(pts, ints, ctr, s, width)
    if libs <= 2 or own_before <= 2:
        _mark_liberties(pts, ints, ctr, mine, width)
    for k in range(n_opp):
        head = ints[I_OPP, k]
        libs = _chain_lib3(pts, head, width)
        lib3[_u(head)] = libs
        if libs <= 2 or ints[I_OPP_OLD, k] <= 2:
            _mark_liberties(pts, ints, ctr, head, width)
    for k in range(n_gain):
        head = pts[core.HEAD, _u(ints[I_GAIN, k])]
        if head != mine:
            lib3[_u(head)] = _chain_lib3(pts, head, width)
        if lib3[_u(head)] <= 2 or ints[I_GAIN_OLD, k] <= 2:
            _mark_liberties(pts, ints, ctr, head, width)


@njit(cache=True, inline="always", _nrt=False)
def refresh_pending(pts, ints, floats, ctr, color, width, model):
    """Recompute ``color``'s stale weights (0 on points now occupied) and re-sum the rows
    where one changed.

    The state keeps, per colour, the points whose weight may have changed since that colour
    last drew a move; a point dirtied by two moves in a row is recomputed once. A row whose
    weights all came out as they were keeps its sum (the same additions would give it).
    """
    _stage_pending(ints, ctr, color, model[2])
    _refresh_staged(pts, ints, floats, ctr, color, width, model)


@njit(cache=True, inline="always", _nrt=False)
def _stage_pending(ints, ctr, color, grid3):
    """Note the 3x3 codes of ``color``'s stale points as ``color`` sees them (White's is a
    colour swap, worked out once here) and ask for their entries of the folded 3x3 table."""
    for k in range(ctr[C_PENDING + color]):
        code = ints[I_CODE, _u(ints[I_PENDING + color, k])]
        if color == WHITE:
            code = pat.swap_3x3(code)
        ints[I_PENDING_CODE, k] = code
        _prefetch(grid3, code)


@njit(cache=True, inline="always", _nrt=False)
def _refresh_staged(pts, ints, floats, ctr, color, width, model):
    """:func:`refresh_pending` after :func:`_stage_pending`."""
    lib3 = ints[I_LIB3]
    allow_eye = ctr[C_ALLOW_EYE]
    ctr[C_ROW_STAMP] += 1
    n_rows = 0
    for k in range(ctr[C_PENDING + color]):
        p = ints[I_PENDING + color, k]
        q = _u(p)
        ints[I_PENDING_MARK, q] &= 3 - color
        weight = 0.0
        if pts[core.COLOR, q] == EMPTY:
            weight = point_weight(pts, floats, lib3, p, width, color, ints[I_PENDING_CODE, k],
                                  model, allow_eye)
        changed = weight != floats[color, q]
        floats[color, q] = weight
        n_rows = _touch_row(ints, ctr, ints[I_ROW, q], n_rows, changed)
    ctr[C_PENDING + color] = 0
    for k in range(0, n_rows - 1, 2):
        _sum_two_rows(floats, color, ints[I_ROW_LIST, k], ints[I_ROW_LIST, k + 1], width)
    if n_rows % 2:
        _sum_row(floats, color, ints[I_ROW_LIST, n_rows - 1], width)


@njit(cache=True, inline="always", _nrt=False)
def _touch_row(ints, ctr, row, count, changed):
    """List ``row`` (once per stamp) when ``changed``; return the new count. Branch-free, as
    :func:`_mark` (the row is written after the list either way, and stamped only when
    ``changed``)."""
    mark = ints[I_ROW_MARK, _u(row)]
    stamp = ctr[C_ROW_STAMP]
    ints[I_ROW_MARK, _u(row)] = stamp if changed else mark
    ints[I_ROW_LIST, _u(count)] = row
    return count + (changed & (mark != stamp))


# -- drawing a move ---------------------------------------------------------------------------


@njit(cache=True, inline="always", _nrt=False)
def _add_overlay(ints, floats, p, factor, base, count, stamp):
    """Put ``p`` (of base weight ``base``) in this draw's overlay (stamp ``stamp``) with
    ``factor``; return the new count. Also keeps the draw's figures: the overlay weight (base
    weight times factor) and, per row, the base weights of the row's overlay points
    (``F_ROW_SAVED``, cleared by :func:`_build_overlay`).

    A point of base weight 0 (occupied, illegal) is written but not counted, so that the
    diamond loops need no branch on the weight (whether a point near the last move is taken
    is random to a branch predictor): the list slot is taken by the next point, and its marks
    change nothing (its weight is 0 in the draw's scan, and it adds 0 to the row's saved sum).
    """
    q = _u(p)
    ints[I_OV_MARK, q] = stamp
    ints[I_OV_LIST, _u(count)] = p
    floats[F_OV_FACTOR, q] = factor
    floats[F_OV_WEIGHT, q] = base * factor
    floats[F_ROW_SAVED, _u(ints[I_ROW, q])] += base
    return count + (base > 0.0)


@njit(cache=True, inline="always", _nrt=False)
def _far_state(ints, p, dr, dc, width):
    r = ints[I_ROW, _u(p)] + dr
    c = ints[I_COL, _u(p)] + dc
    if r < 0 or c < 0 or r >= width or c >= width:
        return pat.STATE_OFF
    return ints[I_STATE, _u(r * width + c)]


@njit(cache=True, inline="always", _nrt=False)
def _diamond_code(ints, p, width):
    """:func:`~go_engine.search.patterns.code_diamond` seen by Black, from the kept states."""
    state = ints[I_STATE]
    code = (state[_u(p - width)] | state[_u(p + 1)] << 3 | state[_u(p + width)] << 6
            | state[_u(p - 1)] << 9 | state[_u(p - width + 1)] << 12
            | state[_u(p + width + 1)] << 15 | state[_u(p + width - 1)] << 18
            | state[_u(p - width - 1)] << 21)
    return (code | _far_state(ints, p, -2, 0, width) << 24 | _far_state(ints, p, 0, 2, width) << 27
            | _far_state(ints, p, 2, 0, width) << 30 | _far_state(ints, p, 0, -2, width) << 33)


# The three rings of a diamond code (N E S W; NE SE SW NW; NN EE SS WW) are 12-bit fields of
# four 3-bit states each, listed clockwise: a quarter turn rotates every ring by one state at
# once, and the mirror image exchanges fixed states (E and W in the axis rings, NE-NW and
# SE-SW in the diagonal ring). The same codes as ``pat.diamond_orientation``, in a few
# operations.
_RING_LOW = 0o0007_0007_0007  # the first state of each ring
_RING_HIGH = 0o7770_7770_7770  # the other three
_AXIS_KEEP = 0o0707_0000_0707  # N and S of the two axis rings
_AXIS_E = 0o0070_0000_0070
_AXIS_W = 0o7000_0000_7000
_DIAG_0 = 0o0000_0007_0000
_DIAG_1 = 0o0000_0070_0000
_DIAG_2 = 0o0000_0700_0000
_DIAG_3 = 0o0000_7000_0000


@njit(cache=True, inline="always", _nrt=False)
def _turn_diamond(code):
    """A diamond code a quarter turn clockwise."""
    return ((code << 3) & _RING_HIGH) | ((code >> 9) & _RING_LOW)


@njit(cache=True, inline="always", _nrt=False)
def _mirror_diamond(code):
    """A diamond code mirrored left to right."""
    return ((code & _AXIS_KEEP) | ((code & _AXIS_E) << 6) | ((code & _AXIS_W) >> 6)
            | ((code & _DIAG_0) << 9) | ((code & _DIAG_3) >> 9)
            | ((code & _DIAG_1) << 3) | ((code & _DIAG_2) >> 3))


@njit(cache=True, inline="always", _nrt=False)
def _context_key(ints, last, width, color):
    """``(key, symmetry)``: the context key (``TAG_CONTEXT``) of the diamond around the last
    move seen by ``color`` and a symmetry that turns the diamond into its canonical orientation
    (place ``i`` of the board's diamond is place ``SYMMETRY_PERM[s, i]`` of the key's row of
    response weights)."""
    code = _diamond_code(ints, last, width)
    centre = ints[I_STATE, _u(last)]
    if color == WHITE:
        code = pat.swap_diamond(code)
        centre = pat.swap_state(centre)
    best = code
    symmetry = 0
    other = code
    for s in range(1, 8):
        # the orientations in the order of diamond_orientation: 1-3 turn the code, 4
        # mirrors it, 5-7 turn the mirror image
        other = _mirror_diamond(code) if s == 4 else _turn_diamond(other)
        if other < best:
            best = other
            symmetry = s
    return pat.make_key(pat.TAG_CONTEXT, centre << 40 | best), symmetry


@njit(cache=True, inline="always", _nrt=False)
def _context_slot(context_keys, key):
    """The slot of context ``key`` in the model's context table, or -1 when it is not there."""
    mask = context_keys.shape[0] - 1
    i = pat._slot(key, mask)
    while True:
        k = context_keys[_u(i), CONTEXT_KEY]
        if k == key:
            return i
        if k == -1:
            return -1
        i = (i + 1) & mask


@njit(cache=True, _nrt=False)
def _fill_contexts(contexts, context_keys, keys, rows, responses):
    mask = context_keys.shape[0] - 1
    for j in range(keys.shape[0]):
        i = pat._slot(keys[j], mask)
        while context_keys[i, CONTEXT_KEY] != -1:
            i = (i + 1) & mask
        context_keys[i, CONTEXT_KEY] = keys[j]
        for place in range(pat.N_DIAMOND):
            contexts[i, place] = responses[rows[j], place]


HUGE_PAGE = 1 << 21


def huge_page_array(shape: tuple[int, ...], dtype: type) -> np.ndarray:
    """An uninitialised array for a big lookup table, in memory aligned to 2 MiB that the
    kernel is asked to back with huge pages (Linux transparent huge pages, where enabled): a
    table of megabytes read at random then costs far fewer TLB misses (page walks)."""
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size < HUGE_PAGE or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(shape, dtype)
    memory = mmap.mmap(-1, size + HUGE_PAGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    memory.madvise(mmap.MADV_HUGEPAGE)
    raw = np.frombuffer(memory, np.uint8)
    start = -raw.ctypes.data % HUGE_PAGE
    return raw[start:start + size].view(dtype).reshape(shape)


def context_table(table: np.ndarray, responses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The response weights by context in one cache line per context: ``(contexts, keys)``,
    ``float32 [slots, 16]`` whose first 12 columns are a context's row of ``responses``, and
    an ``int64 [slots, 8]`` view of the same memory whose column ``CONTEXT_KEY`` is the
    context's key (-1: free slot). An open-addressing table at most half full, keyed like
    :func:`~go_engine.search.patterns.build_table`, so a lookup reads one line."""
    is_context = (table["key"] >> pat.TAG_SHIFT) == pat.TAG_CONTEXT
    keys = table["key"][is_context].astype(np.int64)
    rows = table["index"][is_context].astype(np.int64)
    slots = 1 << max(4, int(np.ceil(np.log2(max(1, 2 * len(keys))))))
    contexts = huge_page_array((slots, 16), np.float32)
    contexts[:] = 0.0
    context_keys = contexts.view(np.int64)
    context_keys[:, CONTEXT_KEY] = -1
    _fill_contexts(contexts, context_keys, keys, rows, np.ascontiguousarray(responses))
    return contexts, context_keys


@njit(cache=True, inline="always", _nrt=False)
def _distance_factor(ints, p, other, first_feature, max_distance, exp_weights):
    """``exp`` of the distance feature from ``p`` to move ``other`` (1 when none applies)."""
    if other < 0:
        return 1.0
    d = abs(ints[I_ROW, p] - ints[I_ROW, other]) + abs(ints[I_COL, p] - ints[I_COL, other])
    d = min(d, MAX_DISTANCE)
    if 0 < d <= max_distance:
        return exp_weights[first_feature + d - 1]
    return 1.0


@njit(cache=True, _nrt=False)
def _nakade_factor(ints, ctr, p, width, nakade):
    """``exp`` of the nakade pattern of a point the last move captured (``nakade``: the
    model's table by mask, :func:`nakade_table`)."""
    stamp = ctr[C_CAP_STAMP]
    row = ints[I_ROW, p]
    col = ints[I_COL, p]
    mask = 0
    for i in range(pat.N_DIAMOND):
        r = row + pat.DIAMOND_OFFSETS[i, 0]
        c = col + pat.DIAMOND_OFFSETS[i, 1]
        if 0 <= r < width and 0 <= c < width and ints[I_CAPTURED, r * width + c] == stamp:
            mask |= 1 << i
    return nakade[mask]


@njit(cache=True)
def nakade_table(table):
    """``exp`` of the nakade pattern's weight (1 when the model lacks it) for each of the 4096
    masks of captured diamond points: a direct read instead of a hash lookup."""
    out = np.empty(1 << pat.N_DIAMOND, np.float64)
    for mask in range(out.shape[0]):
        key = pat.make_key(pat.TAG_NAKADE, np.int64(pat.NAKADE_CANONICAL[mask]))
        out[mask] = _pattern_weight(table, key)
    return out


@njit(cache=True, _nrt=False)
def _ring_factor(ints, ctr, p, last, last2, width, spec, nakade, exp_weights):
    """The overlay factor of a point outside the last move's diamond: distances, nakade."""
    max_distance = spec[SPEC_MAX_DISTANCE]
    factor = _distance_factor(ints, p, last, F_DIST_LAST, max_distance, exp_weights)
    if spec[SPEC_LAST2] == 2:
        factor *= _distance_factor(ints, p, last2, F_DIST_LAST2, max_distance, exp_weights)
    if spec[SPEC_NAKADE] and ints[I_CAPTURED, p] == ctr[C_CAP_STAMP]:
        factor *= _nakade_factor(ints, ctr, p, width, nakade)
    return factor


@njit(cache=True, _nrt=False)
def _overlay_ring(pts, ints, floats, ctr, centre, near, far, width, color, count, last, last2,
                  spec, nakade, exp_weights):
    """Add the candidates at Manhattan distance ``near..far`` from ``centre`` that are not in
    the overlay yet, with their :func:`_ring_factor`."""
    row = ints[I_ROW, centre]
    col = ints[I_COL, centre]
    stamp = ctr[C_OV_STAMP]
    for dr in range(-far, far + 1):
        r = row + dr
        if r < 1 or r > width - 2:
            continue
        span = far - abs(dr)
        for c in range(max(1, col - span), min(width - 2, col + span) + 1):
            p = r * width + c
            if (abs(dr) + abs(c - col) < near or floats[color, p] == 0.0
                    or ints[I_OV_MARK, p] == stamp):
                continue
            factor = _ring_factor(ints, ctr, p, last, last2, width, spec, nakade, exp_weights)
            count = _add_overlay(ints, floats, p, factor, floats[color, p], count, stamp)
    return count


@njit(cache=True, inline="always", _nrt=False)
def _overlay_diamond(pts, ints, floats, ctr, last, last2, width, color, count, spec, nakade,
                     contexts, context_keys, context, symmetry, exp_weights, listed):
    """Add the candidates of the last move's diamond: response pattern (``context`` and
    ``symmetry`` from :func:`_context_key`, -1: none), neighbour, distances and nakade (the
    features of :func:`overlay_keys`). ``listed``: the one point the overlay may hold already
    (the ko point), or -1; a compare with it spares a read of the overlay marks per point.

    Every scalar is read once into a local: the compiler must assume that a store into one
    array may change any other, so a value read from an array inside the loop is read again
    after each store."""
    stamp = ctr[C_OV_STAMP]
    cap_stamp = ctr[C_CAP_STAMP]
    max_distance = spec[SPEC_MAX_DISTANCE]
    captures = spec[SPEC_NAKADE] != 0 and ctr[C_CAPTURED] > 0
    stone = pts[core.COLOR, last] != EMPTY
    response = _context_slot(context_keys, context) if context >= 0 else -1
    neighbour = stone and spec[SPEC_NEIGHBOUR] != 0
    dist1 = exp_weights[F_DIST_LAST] if max_distance >= 1 else 1.0
    dist2 = exp_weights[F_DIST_LAST + 1] if max_distance >= 2 else 1.0
    use_last2 = last2 >= 0 and spec[SPEC_LAST2] != 0
    row2 = col2 = 0
    if use_last2:
        row2 = ints[I_ROW, last2]
        col2 = ints[I_COL, last2]
    row = ints[I_ROW, last]
    col = ints[I_COL, last]
    for i in range(pat.N_DIAMOND):
        r = row + pat.DIAMOND_OFFSETS[i, 0]
        c = col + pat.DIAMOND_OFFSETS[i, 1]
        if i >= 8 and (r < 1 or r > width - 2 or c < 1 or c > width - 2):
            continue  # (the 8 neighbours are on the padded board, where the border weighs 0)
        p = r * width + c
        base = floats[color, _u(p)]
        if p == listed:  # (the ko point, listed with factor 0)
            continue
        factor = 1.0
        if response >= 0:
            factor *= contexts[response, _u(pat.SYMMETRY_PERM[symmetry, i])]
        if neighbour and i < 8:
            factor *= exp_weights[F_NEIGHBOUR + i]
        if i < 4:
            factor *= dist1
        else:
            factor *= dist2
        if use_last2:
            d = min(abs(r - row2) + abs(c - col2), MAX_DISTANCE)
            if 0 < d <= max_distance:
                factor *= exp_weights[_u(F_DIST_LAST2 + d - 1)]
        if captures and ints[I_CAPTURED, _u(p)] == cap_stamp:
            factor *= _nakade_factor(ints, ctr, p, width, nakade)
        count = _add_overlay(ints, floats, p, factor, base, count, stamp)
    return count


@njit(cache=True, inline="always", _nrt=False)
def _overlay_near_last2(pts, ints, floats, ctr, last2, width, color, count, spec, nakade,
                        exp_weights):
    """Add the candidates within distance 2 of the move before the last (when the spec's
    distances stop at 2) that the last move's diamond did not hold."""
    stamp = ctr[C_OV_STAMP]
    cap_stamp = ctr[C_CAP_STAMP]
    captures = spec[SPEC_NAKADE] != 0 and ctr[C_CAPTURED] > 0
    dist1 = exp_weights[F_DIST_LAST2]
    dist2 = exp_weights[F_DIST_LAST2 + 1]
    row = ints[I_ROW, last2]
    col = ints[I_COL, last2]
    for i in range(pat.N_DIAMOND if spec[SPEC_MAX_DISTANCE] >= 2 else 4):
        r = row + pat.DIAMOND_OFFSETS[i, 0]
        c = col + pat.DIAMOND_OFFSETS[i, 1]
        if i >= 8 and (r < 1 or r > width - 2 or c < 1 or c > width - 2):
            continue
        p = r * width + c
        base = floats[color, _u(p)]
        if ints[I_OV_MARK, _u(p)] == stamp:  # (weight 0: see _add_overlay)
            continue
        factor = dist1 if i < 4 else dist2
        if captures and ints[I_CAPTURED, _u(p)] == cap_stamp:
            factor *= _nakade_factor(ints, ctr, p, width, nakade)
        count = _add_overlay(ints, floats, p, factor, base, count, stamp)
    return count


@njit(cache=True, inline="always", _nrt=False)
def _response_context(pts, meta, ints, spec):
    """``(key, symmetry)`` of :func:`_context_key` for the side to move, or ``(-1, 0)`` when no
    response pattern applies (no spec, or the last move is not a stone)."""
    last = meta[core.M_LAST_MOVE]
    if last < 0 or not spec[SPEC_RESPONSE] or pts[core.COLOR, last] == EMPTY:
        return -1, 0
    return _context_key(ints, last, meta[core.M_SIZE] + 2, meta[core.M_TO_MOVE])


@njit(cache=True, inline="always", _nrt=False)
def build_overlay(pts, meta, ints, floats, ctr, model):
    """List this draw's overlay points (``ints[I_OV_LIST, :count]``) and their factors
    (``floats[F_OV_FACTOR]``); return ``count``. The simple-ko point gets factor 0."""
    context, symmetry = _response_context(pts, meta, ints, model[0])
    return _build_overlay(pts, meta, ints, floats, ctr, model, context, symmetry)


@njit(cache=True, inline="always", _nrt=False)
def _build_overlay(pts, meta, ints, floats, ctr, model, context, symmetry):
    """:func:`build_overlay` with the response context already known."""
    spec, table, grid3, contexts, exp_weights, context_keys, nakade = model
    width = meta[core.M_SIZE] + 2
    color = meta[core.M_TO_MOVE]
    last = meta[core.M_LAST_MOVE]
    last2 = meta[core.M_LAST_MOVE_2]
    ctr[C_OV_STAMP] += 1
    for row in range(width):
        floats[F_ROW_SAVED, row] = 0.0
    count = 0
    ko = meta[core.M_KO_POINT]
    listed = -1
    if ko >= 0 and floats[color, ko] > 0.0:
        count = _add_overlay(ints, floats, ko, 0.0, floats[color, ko], count, ctr[C_OV_STAMP])
        listed = ko
    max_distance = spec[SPEC_MAX_DISTANCE]
    if last >= 0:
        count = _overlay_diamond(pts, ints, floats, ctr, last, last2, width, color, count, spec,
                                 nakade, contexts, context_keys, context, symmetry, exp_weights,
                                 listed)
        if max_distance > 2:
            count = _overlay_ring(pts, ints, floats, ctr, last, 3, max_distance, width, color,
                                  count, last, last2, spec, nakade, exp_weights)
    if last2 < 0 or spec[SPEC_LAST2] != 2:
        pass
    elif max_distance <= 2:
        count = _overlay_near_last2(pts, ints, floats, ctr, last2, width, color, count, spec,
                                    nakade, exp_weights)
    else:
        count = _overlay_ring(pts, ints, floats, ctr, last2, 1, max_distance, width, color,
                              count, last, last2, spec, nakade, exp_weights)
    if spec[SPEC_NAKADE]:
        for k in range(ctr[C_CAPTURED]):
            p = ints[I_CAP_LIST, k]
            if floats[color, p] > 0.0 and ints[I_OV_MARK, p] != ctr[C_OV_STAMP]:
                factor = _ring_factor(ints, ctr, p, last, last2, width, spec, nakade,
                                      exp_weights)
                count = _add_overlay(ints, floats, p, factor, floats[color, p], count,
                                     ctr[C_OV_STAMP])
    return count


@njit(cache=True, inline="always", _nrt=False)
def _draw(ints, floats, ctr, color, count, width, rng):
    """A point drawn in proportion to ``color``'s weights times the overlay factors, or -1
    (pass) when every weight is 0. The weights are not touched: the overlay points are drawn
    from their own list, the rest from the row sums less the overlay points' base weights.

    Whether a row or point is in the overlay is random to a branch predictor, so the scans
    take it without a branch: every row less its overlay points' weights (0 in most rows,
    and ``s - 0.0`` is ``s``), every point with weight 0 when it is in the overlay (``u`` is
    never negative, so a point of weight 0 is never drawn, and ``u - 0.0`` is ``u``)."""
    rows = F_ROW_SUM + color
    stamp = ctr[C_OV_STAMP]
    extra = 0.0
    for k in range(count):
        extra += floats[F_OV_WEIGHT, _u(ints[I_OV_LIST, k])]
    total = extra
    for r in range(1, width - 1):
        total += max(floats[rows, r] - floats[F_ROW_SAVED, r], 0.0)
    if not total > 0.0:
        return -1
    u = (core.next_random(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0) * total
    fallback = -1
    for k in range(count):
        p = ints[I_OV_LIST, k]
        weight = floats[F_OV_WEIGHT, _u(p)]
        if weight > 0.0:
            if u < weight:
                return p
            u -= weight
            fallback = p
    for r in range(1, width - 1):
        s = floats[rows, r] - floats[F_ROW_SAVED, r]
        if not s > 0.0:
            continue
        if u >= s:
            u -= s
            continue
        for p in range(r * width + 1, r * width + width - 1):
            weight = floats[color, _u(p)] if ints[I_OV_MARK, _u(p)] != stamp else 0.0
            if u < weight:
                return p
            u -= weight
            fallback = p if weight > 0.0 else fallback
        u = 0.0  # rounding left nothing in this row: take the next candidate
    return fallback


@njit(cache=True, inline="always", _nrt=False)
def choose_move(pts, meta, ints, floats, ctr, model, rng):
    """Draw the rollout policy's move for the side to move (padded point, or -1: pass)."""
    return _choose(pts, meta, ints, floats, ctr, model, rng, -1)


@njit(cache=True, inline="always", _nrt=False)
def _choose(pts, meta, ints, floats, ctr, model, rng, reply):
    """:func:`choose_move`, except that ``reply`` (a padded point, or -1: none) is played
    when the policy allows it at all (weight above 0: legal, not an own-eye fill, not the ko
    point): the last good reply of :func:`_learn_replies`."""
    width = meta[core.M_SIZE] + 2
    color = meta[core.M_TO_MOVE]
    # A lookup in a table of megabytes is usually a trip to memory: the folded 3x3 table's
    # entries of the stale points are fetched while the response context is worked out, and
    # the context's lines of the context table (home slot and the next, which a probe that
    # misses reads too) while the stale weights are recomputed.
    _stage_pending(ints, ctr, color, model[2])
    context, symmetry = _response_context(pts, meta, ints, model[0])
    if context >= 0:
        context_keys = model[5]
        mask = context_keys.shape[0] - 1
        slot = pat._slot(context, mask)
        _prefetch(context_keys, slot * 8)
        _prefetch(context_keys, ((slot + 1) & mask) * 8)
    _refresh_staged(pts, ints, floats, ctr, color, width, model)
    count = _build_overlay(pts, meta, ints, floats, ctr, model, context, symmetry)
    if reply >= 0 and floats[color, _u(reply)] > 0.0 and reply != meta[core.M_KO_POINT]:
        return reply
    return _draw(ints, floats, ctr, color, count, width, rng)


@njit(cache=True)
def draw_weights(pts, meta, ints, floats, ctr, model):
    """The weights of the next draw (overlay applied), per padded point (a copy)."""
    color = meta[core.M_TO_MOVE]
    refresh_pending(pts, ints, floats, ctr, color, meta[core.M_SIZE] + 2, model)
    out = floats[color].copy()
    count = build_overlay(pts, meta, ints, floats, ctr, model)
    for k in range(count):
        p = ints[I_OV_LIST, k]
        out[p] *= floats[F_OV_FACTOR, p]
    return out


# -- rollouts ---------------------------------------------------------------------------------


@njit(cache=True, _nrt=False)
def _rollout_loop(pts, meta, zob, rng, max_moves, first_mover, ints, floats, ctr, model,
                  replies, history, tactics):
    record = first_mover.shape[0] > 0
    remember = replies.shape[0] > 0
    moves = 0
    while meta[core.M_PASSES] < 2 and moves < max_moves:
        color = meta[core.M_TO_MOVE]
        last = meta[core.M_LAST_MOVE]
        reply = tactical_reply(pts, meta) if tactics else -1
        if reply < 0 and remember and last >= 0:
            reply = replies[color, _u(last)]
        move = _choose(pts, meta, ints, floats, ctr, model, rng, reply)
        if move >= 0 and record and first_mover[move] == 0:
            first_mover[move] = color
        if remember:
            history[moves] = move
        play_update(pts, meta, zob, ints, floats, ctr, model, move, color)
        moves += 1
    return moves


@njit(cache=True, nogil=True)
def policy_moves(pts, meta, zob, rng, max_moves, first_mover, ints, floats, ctr, model,
                 replies, history, tactics=False):
    """Play rollout-policy moves until two consecutive passes or ``max_moves`` moves; return
    the number of moves played. ``first_mover`` as in
    :func:`~go_engine.rules.board_core.light_moves` (an empty array skips it). With a reply
    table (:func:`new_replies`; :data:`NO_REPLIES` and :data:`NO_HISTORY`: none), each side
    plays its last good reply to the previous move when it has one, and the moves are
    written to ``history`` (``int32 [max_moves]``) for :func:`_learn_replies`. With
    ``tactics``, the tactical answer to the last move
    (:func:`~go_engine.search.rollout_tactics.tactical_reply`) comes before both."""
    init_state(pts, meta, ints, floats, ctr, model, 0)
    return _rollout_loop(pts, meta, zob, rng, max_moves, first_mover, ints, floats, ctr, model,
                         replies, history, tactics)


@njit(cache=True, nogil=True)
def policy_rollout_many(pts_stack, meta_stack, zob, rng, max_moves, scores, first_movers, model,
                        replies, komi, tactics):
    """One policy rollout from each stacked position (in place); area scores into ``scores``
    (black minus white). ``first_movers`` is ``int8 [B, padded points]`` or ``[B, 0]``. With a
    reply table (:func:`new_replies`; :data:`NO_REPLIES`: none), rollouts play and learn last
    good replies, the winner judged with ``komi``; ``tactics`` as in :func:`policy_moves`."""
    spec, table, grid3, contexts, exp_weights, context_keys, nakade = model
    points = pts_stack.shape[2]
    ints = np.zeros((N_INTS, points), np.int64)
    floats = np.zeros((N_FLOATS, points), np.float64)
    ctr = np.zeros(N_CTR, np.int64)
    owner = np.zeros(points, np.int8)
    history = np.empty(max_moves if replies.shape[0] > 0 else 0, np.int32)
    for i in range(pts_stack.shape[0]):
        meta = meta_stack[i]
        start_color = meta[core.M_TO_MOVE]
        start_last = meta[core.M_LAST_MOVE]
        moves = policy_moves(pts_stack[i], meta, zob, rng, max_moves, first_movers[i], ints,
                             floats, ctr, model, replies, history, tactics)
        scores[i] = core.area_owner(pts_stack[i], meta, owner)
        if replies.shape[0] > 0 and scores[i] != komi:
            winner = BLACK if scores[i] > komi else WHITE
            _learn_replies(replies, history, moves, start_color, start_last, winner)


# -- last good reply with forgetting ----------------------------------------------------------


def new_replies(size: int) -> np.ndarray:
    """An empty reply table for ``size`` boards: ``int32 [3, padded points]``, the entry
    ``[colour, p]`` being ``colour``'s last good reply to a move at ``p`` (-1: none)."""
    return np.full((3, (size + 2) ** 2), -1, np.int32)


@njit(cache=True, nogil=True)
def _learn_replies(replies, history, moves, start_color, start_last, winner):
    """Last good reply with forgetting (Baier & Drake 2010, "The power of forgetting:
    improving the last-good-reply policy in Monte Carlo Go"): after a rollout, every reply
    the winner made to a stone is stored as its reply to that point, and every reply of the
    loser that is stored is forgotten. ``history[:moves]`` are the rollout's moves (-1: pass),
    the first by ``start_color``, after ``start_last`` (the leaf's last move)."""
    previous = start_last
    color = start_color
    for k in range(moves):
        move = history[k]
        if previous >= 0 and move >= 0:
            if color == winner:
                replies[color, previous] = move
            elif replies[color, previous] == move:
                replies[color, previous] = -1
        previous = move
        color = WHITE if color == BLACK else BLACK


class RolloutPolicy:
    """The rollout policy as the search uses it: a trained :class:`LinearPolicy` and its
    compiled tables.

    Args:
        model: a rollout model; the shipped one (``weights/rollout.npz``) when ``None``.
    """

    def __init__(self, model: LinearPolicy | None = None) -> None:
        self.model = default_policy("rollout") if model is None else model
        if self.model.spec[SPEC_READING]:
            raise ValueError("rollouts cannot compute the reading features (ladders, exact "
                             "liberties) of this model; use a model trained for rollouts")
        self.tables: PolicyTables = self.model.tables()
        # The folded 3x3 table with, where the code does not settle the tactics, minus exp of
        # the code's 3x3 weight instead of SLOW_PATH: the slow path reads the pattern there.
        slow = self.tables.grid3 == SLOW_PATH
        grid3 = huge_page_array(self.tables.grid3.shape, self.tables.grid3.dtype)
        grid3[:] = self.tables.grid3
        grid3[slow] = -self.model._raw_grid3()[slow]
        grid3.setflags(write=False)
        contexts, context_keys = context_table(self.tables.table, self.tables.responses)
        contexts.setflags(write=False)
        context_keys.setflags(write=False)
        nakade = nakade_table(self.tables.table)
        nakade.setflags(write=False)
        self._kernel_model = (self.tables.spec, self.tables.table, grid3, contexts,
                              self.tables.exp_weights, context_keys, nakade)

    def kernel_model(self) -> tuple[np.ndarray, ...]:
        """``(spec, table, grid3, contexts, exp_weights, context_keys, nakade)``: the
        ``model`` argument of the compiled kernels (``grid3`` as :func:`point_weight` reads
        it; the response weights by context from :func:`context_table`; the nakade weights
        from :func:`nakade_table`)."""
        return self._kernel_model

    def rollout(self, board: Board, rng: np.ndarray, max_moves: int | None = None,
                first_mover: np.ndarray | None = None, tactics: bool = False) -> int:
        """Play a rollout on ``board`` in place; return the number of moves played
        (``tactics``: see :func:`policy_moves`)."""
        ints, floats, ctr = new_state(board.size)
        record = np.empty(0, np.int8) if first_mover is None else first_mover
        limit = 3 * board.size * board.size if max_moves is None else max_moves
        return int(policy_moves(board.pts, board.meta, board.zobrist, rng, limit, record, ints,
                                floats, ctr, self.kernel_model(), NO_REPLIES, NO_HISTORY,
                                tactics))

    def move_weights(self, board: Board, allow_eye: bool = True) -> np.ndarray:
        """The unnormalised probability of every point (``float64 [size * size]``) for the
        side to move, as a rollout's first draw from ``board`` sees it (``allow_eye=False``:
        own-eye fills get 0, as in rollouts)."""
        ints, floats, ctr = new_state(board.size)
        init_state(board.pts, board.meta, ints, floats, ctr, self.kernel_model(),
                   int(allow_eye))
        weights = draw_weights(board.pts, board.meta, ints, floats, ctr, self.kernel_model())
        return weights[padded_index(board.size)[:-1]]
