"""The compiled heart of the rules: stones, chains, pseudo-liberties, captures, hashing, playouts.

Everything here is a numba function over two plain arrays, so a board is copied with two
``np.copy`` calls, pickled for free, and handed to ``nogil`` threads:

``pts``  int64 ``[N_FIELDS, (N + 2) ** 2]``, one row per field below, indexed by *padded* point
         (see :mod:`go_engine.rules.coords`; the one-point border holds ``BORDER``).
``meta`` int64 ``[N_META]``: the scalars (size, side to move, ko, hash, captures, ...).

Chains are circular linked lists (``NEXT``) with a representative stone (``HEAD``). The head
carries the chain's size and its *pseudo-liberties*: every (stone, empty neighbour) pair counts
once, and the head keeps their count, sum and sum of squares. A chain has no liberty when the
count is 0, and exactly one distinct liberty (atari) when ``count * sum_sq == sum ** 2`` (all
pseudo-liberties are the same point; Cauchy-Schwarz). This is the classic playout
representation (used by Fuego-style engines): every update is O(1) except merges and captures,
which walk the smaller or the captured chain. Exact liberty counts come from
:func:`chain_liberties`, off the hot path.

Empty points live in an unordered list with positions, so a random empty point is O(1) and
playouts pick uniformly among legal non-eye moves by rejection *without replacement*.

Random numbers come from a xorshift64* generator whose one-word state is an array the caller
owns, so every thread and every seed is reproducible.

Light playouts (:func:`light_moves`, :func:`light_playout`, :func:`playout_batch`) run one
compiled loop that keeps the scalars of ``meta`` in local variables, writes the stone
placement out inline, and tests a candidate move with one combined legality-and-eye check; they
play exactly the moves that ``random_light_move`` followed by ``play`` would, and leave ``pts``
and ``meta`` in exactly the same state. The end-of-playout score is a flood fill with
caller-owned scratch space (:func:`_area_fill`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from go_engine.rules.coords import BLACK, BORDER, EMPTY, WHITE

# Rows of ``pts``.
COLOR = 0
HEAD = 1
NEXT = 2
SIZE = 3
LIB_COUNT = 4
LIB_SUM = 5
LIB_SUM_SQ = 6
EMPTY_LIST = 7  # EMPTY_LIST[i] is the i-th empty point, for i < meta[M_NUM_EMPTY]
EMPTY_POS = 8  # EMPTY_POS[p] is the index of empty point p in EMPTY_LIST
PLACED = 9  # PLACED[p] is meta[M_MOVES] when the stone now on p was put there (its age)
SETUP_PLACED = -(1 << 30)  # the PLACED mark of setup stones: placed long before any move
N_FIELDS = 10

# Entries of ``meta``.
M_SIZE = 0
M_TO_MOVE = 1
M_KO_POINT = 2  # padded point the player to move may not play (simple ko), or -1
M_NUM_EMPTY = 3
M_HASH = 4  # Zobrist hash of the stones only (positional)
M_CAPTURED_BY_BLACK = 5  # white stones Black has captured
M_CAPTURED_BY_WHITE = 6
M_PASSES = 7  # consecutive passes
M_MOVES = 8  # moves played, passes included
M_LAST_MOVE = 9  # padded point, -1 for pass, -2 for none yet
M_LAST_MOVE_2 = 10
M_ALLOW_SUICIDE = 11
N_META = 12

PASS_PADDED = -1
NO_MOVE = -2

# Marks in ``owner`` while :func:`_area_fill` runs.
_UNSEEN = 2
_QUEUED = 3


def padded_width(size: int) -> int:
    """Width of the padded board."""
    return size + 2


def new_arrays(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Allocate and initialise an empty board of ``size``; Black to move."""
    width = size + 2
    pts = np.zeros((N_FIELDS, width * width), dtype=np.int64)
    meta = np.zeros(N_META, dtype=np.int64)
    init_board(pts, meta, size)
    return pts, meta


@njit(cache=True)
def init_board(pts, meta, size):
    """Clear ``pts`` and ``meta`` to an empty ``size`` board with Black to move."""
    width = size + 2
    pts[:, :] = 0
    meta[:] = 0
    n = 0
    for p in range(width * width):
        row, col = p // width, p % width
        if row == 0 or col == 0 or row == width - 1 or col == width - 1:
            pts[COLOR, p] = BORDER
        else:
            pts[COLOR, p] = EMPTY
            pts[EMPTY_LIST, n] = p
            pts[EMPTY_POS, p] = n
            n += 1
        pts[HEAD, p] = p
        pts[NEXT, p] = p
    meta[M_SIZE] = size
    meta[M_TO_MOVE] = BLACK
    meta[M_KO_POINT] = -1
    meta[M_NUM_EMPTY] = n
    meta[M_LAST_MOVE] = NO_MOVE
    meta[M_LAST_MOVE_2] = NO_MOVE


def make_zobrist(size: int, seed: int = 20161) -> np.ndarray:
    """Return a ``[3, (size + 2) ** 2]`` table of 64-bit Zobrist keys drawn from ``seed``.

    Row ``BLACK`` and row ``WHITE`` key the stones; row ``EMPTY`` holds one key (index 0) for
    "white to move", used by situational superko.
    """
    width = size + 2
    rng = np.random.default_rng(seed)
    return rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, size=(3, width * width),
                        dtype=np.int64, endpoint=True)


# -- small helpers -----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _in_atari(pts, head):
    """True when the chain headed by ``head`` has exactly one distinct liberty."""
    count = pts[LIB_COUNT, head]
    total = pts[LIB_SUM, head]
    return count > 0 and count * pts[LIB_SUM_SQ, head] == total * total


@njit(cache=True, inline="always")
def _add_liberty(pts, head, point):
    pts[LIB_COUNT, head] += 1
    pts[LIB_SUM, head] += point
    pts[LIB_SUM_SQ, head] += point * point


@njit(cache=True, inline="always")
def _remove_liberty(pts, head, point):
    pts[LIB_COUNT, head] -= 1
    pts[LIB_SUM, head] -= point
    pts[LIB_SUM_SQ, head] -= point * point


@njit(cache=True, inline="always")
def _swap_empty(pts, i, j):
    a = pts[EMPTY_LIST, i]
    b = pts[EMPTY_LIST, j]
    pts[EMPTY_LIST, i] = b
    pts[EMPTY_LIST, j] = a
    pts[EMPTY_POS, b] = i
    pts[EMPTY_POS, a] = j


# -- chains ------------------------------------------------------------------------------------
#
# The helpers below take the scalars they change (number of empty points, hash) as arguments and
# return them, instead of reading and writing ``meta``: the playout loop keeps them in registers.


@njit(cache=True)
def _merge_chains(pts, keep, gone):
    """Merge the chain headed by ``gone`` into the one headed by ``keep``."""
    stone = gone
    while True:
        pts[HEAD, stone] = keep
        stone = pts[NEXT, stone]
        if stone == gone:
            break
    # Splice the two circular lists.
    after_keep = pts[NEXT, keep]
    pts[NEXT, keep] = pts[NEXT, gone]
    pts[NEXT, gone] = after_keep
    pts[SIZE, keep] += pts[SIZE, gone]
    pts[LIB_COUNT, keep] += pts[LIB_COUNT, gone]
    pts[LIB_SUM, keep] += pts[LIB_SUM, gone]
    pts[LIB_SUM_SQ, keep] += pts[LIB_SUM_SQ, gone]


@njit(cache=True, inline="always")
def _remove_chain(pts, zob, head, width, num_empty, key):
    """Take the chain headed by ``head`` off the board.

    Returns ``(stones removed, new number of empty points, new hash)``.
    """
    color = pts[COLOR, head]
    removed = 0
    stone = head
    while True:
        pts[COLOR, stone] = EMPTY
        key ^= zob[color, stone]
        pts[EMPTY_LIST, num_empty] = stone
        pts[EMPTY_POS, stone] = num_empty
        num_empty += 1
        removed += 1
        stone = pts[NEXT, stone]
        if stone == head:
            break
    # Second pass, once every stone is gone: each removed stone is a new pseudo-liberty of
    # every neighbouring stone (all of the other colour).
    while True:
        nxt = pts[NEXT, stone]
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            c = pts[COLOR, q]
            if c != EMPTY and c != BORDER:
                _add_liberty(pts, pts[HEAD, q], stone)
        pts[HEAD, stone] = stone
        pts[NEXT, stone] = stone
        stone = nxt
        if stone == head:
            break
    return removed, num_empty, key


@njit(cache=True, inline="always")
def _place(pts, zob, point, color, width, num_empty, key, moves):
    """Put a ``color`` stone on empty ``point`` and capture what it captures; no suicide check.

    ``moves`` (the move count so far) is stamped on the stone in ``PLACED``.

    Returns ``(opponent stones captured, new simple-ko point or -1, number of empty points,
    hash)``. The new stone's chain may be left without liberties (suicide): see
    :func:`place_stone`. :func:`light_moves` repeats this body inline (see the note there).
    """
    index = pts[EMPTY_POS, point]
    num_empty -= 1
    moved = pts[EMPTY_LIST, num_empty]
    pts[EMPTY_LIST, index] = moved
    pts[EMPTY_POS, moved] = index
    pts[COLOR, point] = color
    pts[HEAD, point] = point
    pts[NEXT, point] = point
    pts[SIZE, point] = 1
    pts[LIB_COUNT, point] = 0
    pts[LIB_SUM, point] = 0
    pts[LIB_SUM_SQ, point] = 0
    pts[PLACED, point] = moves
    key ^= zob[color, point]
    other = 3 - color
    captured = 0
    captured_point = -1
    neighbours = (point - width, point - 1, point + 1, point + width)
    # Colours are read before anything changes: a capture empties neighbours, and the points it
    # frees become liberties of the new stone inside _remove_chain, so they must not count twice.
    before = (pts[COLOR, neighbours[0]], pts[COLOR, neighbours[1]],
              pts[COLOR, neighbours[2]], pts[COLOR, neighbours[3]])
    for i in range(4):
        q = neighbours[i]
        c = before[i]
        if c == EMPTY:
            _add_liberty(pts, pts[HEAD, point], q)
        elif c == color:
            head = pts[HEAD, q]
            _remove_liberty(pts, head, point)
            mine = pts[HEAD, point]
            if head != mine:
                if pts[SIZE, head] >= pts[SIZE, mine]:
                    _merge_chains(pts, head, mine)
                else:
                    _merge_chains(pts, mine, head)
        elif c == other and pts[COLOR, q] == other:
            head = pts[HEAD, q]
            _remove_liberty(pts, head, point)
            if pts[LIB_COUNT, head] == 0:
                removed, num_empty, key = _remove_chain(pts, zob, head, width, num_empty, key)
                captured += removed
                captured_point = q
    mine = pts[HEAD, point]
    ko = -1
    if captured == 1 and pts[SIZE, mine] == 1 and pts[LIB_COUNT, mine] == 1:
        ko = captured_point
    return captured, ko, num_empty, key


@njit(cache=True, inline="always")
def _place_stone(pts, meta, zob, point, color):
    """The body of :func:`place_stone`, inlined where a call's cost matters (the rollout)."""
    width = meta[M_SIZE] + 2
    captured, ko, num_empty, key = _place(pts, zob, point, color, width, meta[M_NUM_EMPTY],
                                          meta[M_HASH], meta[M_MOVES])
    lost = 0
    mine = pts[HEAD, point]
    if pts[LIB_COUNT, mine] == 0:
        lost, num_empty, key = _remove_chain(pts, zob, mine, width, num_empty, key)
    meta[M_KO_POINT] = ko
    meta[M_NUM_EMPTY] = num_empty
    meta[M_HASH] = key
    if color == BLACK:
        meta[M_CAPTURED_BY_BLACK] += captured
        meta[M_CAPTURED_BY_WHITE] += lost
    else:
        meta[M_CAPTURED_BY_WHITE] += captured
        meta[M_CAPTURED_BY_BLACK] += lost
    return captured


@njit(cache=True)
def place_stone(pts, meta, zob, point, color):
    """Put a ``color`` stone on empty ``point`` and resolve captures (no legality check).

    Updates chains, pseudo-liberties, the empty list, the hash, capture counts and the simple-ko
    point, but not the side to move or the move history (see :func:`play`). A move that leaves
    its own chain without liberties removes it (suicide; only reached when suicide is allowed).
    Returns the number of opponent stones captured.
    """
    return _place_stone(pts, meta, zob, point, color)


@njit(cache=True)
def place_setup_stone(pts, meta, zob, point, color):
    """A stone put on the board outside the flow of the game (handicap, SGF setup): placed as
    by :func:`place_stone`, marked as old (``SETUP_PLACED``, so the network's "turns since"
    planes never take it for a recent move), and no ko follows from it. Returns the number of
    opponent stones captured."""
    captured = place_stone(pts, meta, zob, point, color)
    pts[PLACED, point] = SETUP_PLACED
    meta[M_KO_POINT] = -1
    return captured


@njit(cache=True)
def is_legal(pts, meta, point, color):
    """True when ``color`` may play on padded ``point``: empty, not the ko point, not suicide.

    Superko is not judged here (see :class:`go_engine.rules.game.Game`). Suicide is legal when
    ``meta[M_ALLOW_SUICIDE]`` is set.
    """
    if pts[COLOR, point] != EMPTY:
        return False
    if point == meta[M_KO_POINT] and color == meta[M_TO_MOVE]:
        return False
    width = meta[M_SIZE] + 2
    for q in (point - width, point - 1, point + 1, point + width):
        c = pts[COLOR, q]
        if c == EMPTY:
            return True
        if c == color:
            if not _in_atari(pts, pts[HEAD, q]):
                return True
        elif c != BORDER and _in_atari(pts, pts[HEAD, q]):
            return True
    return meta[M_ALLOW_SUICIDE] != 0


@njit(cache=True)
def is_eye_like(pts, meta, point, color):
    """True when ``point`` looks like ``color``'s own eye: every neighbour is ``color`` (or the
    edge), and the opponent holds at most one diagonal (none when the point is on the edge)."""
    width = meta[M_SIZE] + 2
    for q in (point - width, point - 1, point + 1, point + width):
        c = pts[COLOR, q]
        if c != color and c != BORDER:
            return False
    other = 3 - color
    enemy = 0
    edge = 0
    for q in (point - width - 1, point - width + 1, point + width - 1, point + width + 1):
        c = pts[COLOR, q]
        if c == other:
            enemy += 1
        elif c == BORDER:
            edge = 1
    return enemy + edge < 2


@njit(cache=True)
def play(pts, meta, zob, point, color):
    """Play ``color`` at padded ``point`` (``-1`` is pass) with no legality check, then hand the
    move to the opponent. Returns the number of stones captured."""
    if point >= 0:
        return play_stone(pts, meta, zob, point, color)
    meta[M_PASSES] += 1
    meta[M_KO_POINT] = -1
    _hand_over(meta, point, color)
    return 0


@njit(cache=True, inline="always")
def play_stone(pts, meta, zob, point, color):
    """:func:`play` of a stone (not a pass), inlined into its callers: the rollout calls it
    once a move, where a call passing the board's arrays costs as much as a small kernel."""
    captured = _place_stone(pts, meta, zob, point, color)
    meta[M_PASSES] = 0
    _hand_over(meta, point, color)
    return captured


@njit(cache=True, inline="always")
def _hand_over(meta, point, color):
    """After a move: the opponent to play, and the move in the history."""
    meta[M_TO_MOVE] = 3 - color
    meta[M_MOVES] += 1
    meta[M_LAST_MOVE_2] = meta[M_LAST_MOVE]
    meta[M_LAST_MOVE] = point


@njit(cache=True)
def hash_after(pts, meta, zob, point, color):
    """Zobrist hash of the stones after ``color`` plays the legal move ``point`` (pass: -1)."""
    key = meta[M_HASH]
    if point < 0:
        return key
    width = meta[M_SIZE] + 2
    other = 3 - color
    seen = np.full(4, -1, dtype=np.int64)
    captures = False
    has_liberty = False
    for i, q in enumerate((point - width, point - 1, point + 1, point + width)):
        c = pts[COLOR, q]
        if c == EMPTY or (c == color and not _in_atari(pts, pts[HEAD, q])):
            has_liberty = True
        elif c == other:
            head = pts[HEAD, q]
            if _in_atari(pts, head) and head != seen[0] and head != seen[1] and head != seen[2]:
                seen[i] = head
                captures = True
                key ^= _chain_key(pts, zob, head)
    if captures or has_liberty:
        return key ^ zob[color, point]
    # Suicide: the new stone and every own neighbouring chain leave the board.
    for i, q in enumerate((point - width, point - 1, point + 1, point + width)):
        if pts[COLOR, q] == color:
            head = pts[HEAD, q]
            if head != seen[0] and head != seen[1] and head != seen[2]:
                seen[i] = head
                key ^= _chain_key(pts, zob, head)
    return key


@njit(cache=True)
def _chain_key(pts, zob, head):
    key = 0
    color = pts[COLOR, head]
    stone = head
    while True:
        key ^= zob[color, stone]
        stone = pts[NEXT, stone]
        if stone == head:
            return key


@njit(cache=True)
def chain_liberties(pts, meta, point):
    """Exact liberties (padded points, sorted) of the chain through padded ``point``."""
    width = meta[M_SIZE] + 2
    marked = np.zeros(pts.shape[1], dtype=np.bool_)
    found = 0
    out = np.empty(pts.shape[1], dtype=np.int64)
    head = pts[HEAD, point]
    stone = head
    while True:
        for q in (stone - width, stone - 1, stone + 1, stone + width):
            if pts[COLOR, q] == EMPTY and not marked[q]:
                marked[q] = True
                out[found] = q
                found += 1
        stone = pts[NEXT, stone]
        if stone == head:
            break
    return np.sort(out[:found])


@njit(cache=True)
def chain_stones(pts, point):
    """Padded points of the chain through padded ``point``, sorted."""
    head = pts[HEAD, point]
    out = np.empty(pts[SIZE, head], dtype=np.int64)
    stone = head
    n = 0
    while True:
        out[n] = stone
        n += 1
        stone = pts[NEXT, stone]
        if stone == head:
            break
    return np.sort(out)


# -- scoring ---------------------------------------------------------------------------------


@njit(cache=True)
def area_owner(pts, meta, owner):
    """Fill ``owner`` (int8 per padded point) with Tromp-Taylor area ownership and return
    black area minus white area.

    A stone belongs to its colour; an empty region belongs to a colour when it reaches stones
    of that colour only; other points (and the border) are 0. Black is +1, white is -1.
    """
    queue = np.empty(pts.shape[1], dtype=np.int64)
    return _area_fill(pts, meta[M_SIZE] + 2, owner, queue)


@njit(cache=True)
def _area_fill(pts, width, owner, queue):
    """:func:`area_owner` with a caller-owned scratch ``queue`` (int64 per padded point).

    ``owner`` doubles as the visited mark (``_UNSEEN`` for empty points not reached yet), and
    each region is a breadth-first queue that is then painted. At a playout's end almost every
    empty region is a single point, so the fill costs a few loads per empty point.
    """
    n = pts.shape[1]
    score = 0
    for p in range(n):
        c = pts[COLOR, p]
        if c == BLACK:
            owner[p] = 1
            score += 1
        elif c == WHITE:
            owner[p] = -1
            score -= 1
        elif c == EMPTY:
            owner[p] = _UNSEEN
        else:
            owner[p] = 0
    for start in range(n):
        if owner[start] != _UNSEEN:
            continue
        queue[0] = start
        owner[start] = _QUEUED
        size = 1
        reaches = 0  # bit 1: black, bit 2: white
        done = 0
        while done < size:
            p = queue[done]
            done += 1
            for q in (p - width, p - 1, p + 1, p + width):
                c = pts[COLOR, q]
                if c == EMPTY:
                    if owner[q] == _UNSEEN:
                        owner[q] = _QUEUED
                        queue[size] = q
                        size += 1
                elif c == BLACK:
                    reaches |= 1
                elif c == WHITE:
                    reaches |= 2
        sign = 0
        if reaches == 1:
            sign = 1
        elif reaches == 2:
            sign = -1
        for i in range(size):
            owner[queue[i]] = sign
        score += sign * size
    return score


# -- random numbers and light playouts ------------------------------------------------------


@njit(cache=True, inline="always")
def next_random(rng):
    """Advance the xorshift64* state ``rng[0]`` (uint64) and return 64 random bits."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True, inline="always")
def random_below(rng, n):
    """A uniform integer in ``[0, n)`` for ``0 < n < 2**32`` (multiply-shift, no division)."""
    high = next_random(rng) >> np.uint64(32)
    return np.int64((high * np.uint64(n)) >> np.uint64(32))


def seed_rng(seed: int) -> np.ndarray:
    """A fresh one-word xorshift state from any integer seed (never zero)."""
    state = np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)
    state[0] |= np.uint64(1)
    return state


def seed_rngs(seeds: list[int]) -> list[np.ndarray]:
    """One :func:`seed_rng` state per seed, each alone on its cache line, for threads.

    Every random draw writes its state: two threads whose states share a 64-byte line (small
    arrays allocated one after the other often do) fight over that line on every draw, which
    halved the speed of two rollout threads.
    """
    block = np.zeros((len(seeds), 16), np.uint64)  # 128 bytes a row: apart at any alignment
    for row, seed in zip(block, seeds, strict=True):
        row[0] = seed_rng(seed)[0]
    return [block[i, :1] for i in range(len(seeds))]


@njit(cache=True, inline="always")
def _is_light_move(pts, point, color, ko, width):
    """True when empty ``point`` is legal for ``color``, the side to move (not the ``ko`` point,
    not suicide), and not ``color``'s own eye in the sense of :func:`is_eye_like`.

    The same answer as ``is_legal and not is_eye_like`` with suicide forbidden, ordered for
    speed: a point with an empty neighbour is always playable, and the four neighbour colours
    are read once and combined without branches.
    """
    north = point - width
    south = point + width
    cn = pts[COLOR, north]
    cw = pts[COLOR, point - 1]
    ce = pts[COLOR, point + 1]
    cs = pts[COLOR, south]
    if (cn == EMPTY) | (cw == EMPTY) | (ce == EMPTY) | (cs == EMPTY):
        return True
    other = 3 - color
    if (cn != other) & (cw != other) & (ce != other) & (cs != other):
        # Every neighbour is own or the edge: an eye unless the diagonals spoil it.
        enemy = 0
        edge = 0
        for q in (north - 1, north + 1, south - 1, south + 1):
            c = pts[COLOR, q]
            enemy += c == other
            edge |= c == BORDER
        if enemy + edge < 2:
            return False
    if point == ko:
        return False
    # Legal when an own neighbour chain is not in atari or an enemy one is (it is captured).
    # A chain on the board always has a liberty, so _in_atari's count > 0 test is not needed.
    for q in (north, point - 1, point + 1, south):
        c = pts[COLOR, q]
        if c == BORDER:
            continue
        head = pts[HEAD, q]
        total = pts[LIB_SUM, head]
        in_atari = pts[LIB_COUNT, head] * pts[LIB_SUM_SQ, head] == total * total
        if (c == color) != in_atari:
            return True
    return False


@njit(cache=True, inline="always")
def _pick_light_move(pts, rng, color, ko, width, num_empty):
    """Rejection sampling without replacement over the first ``num_empty`` entries of the empty
    list: the first light move drawn, or -1 (pass) when there is none."""
    n = num_empty
    while n > 0:
        i = random_below(rng, n)
        point = pts[EMPTY_LIST, i]
        if _is_light_move(pts, point, color, ko, width):
            return point
        n -= 1
        _swap_empty(pts, i, n)
    return -1


@njit(cache=True)
def random_light_move(pts, meta, rng):
    """A uniformly random legal move for the side to move that does not fill its own eye, as a
    padded point, or -1 (pass) when there is none. Reorders the empty list, nothing else.

    Suicide counts as illegal here, whatever ``meta[M_ALLOW_SUICIDE]`` says.
    """
    return _pick_light_move(pts, rng, meta[M_TO_MOVE], meta[M_KO_POINT], meta[M_SIZE] + 2,
                            meta[M_NUM_EMPTY])


@njit(cache=True, nogil=True)
def light_moves(pts, meta, zob, rng, max_moves, first_mover):
    """Play random light moves (see :func:`random_light_move`) until two consecutive passes or
    ``max_moves`` moves; return the number of moves played.

    ``first_mover`` (int8 per padded point, or an empty array to skip it) records the colour
    that played each point first and was still 0 there: the "all moves as first" (AMAF)
    statistics of RAVE need it.

    Exactly a loop of ``play(pts, meta, zob, random_light_move(pts, meta, rng), to_move)``, with
    the scalars of ``meta`` held in local variables and written back once at the end.
    """
    width = meta[M_SIZE] + 2
    color = meta[M_TO_MOVE]
    passes = meta[M_PASSES]
    ko = meta[M_KO_POINT]
    num_empty = meta[M_NUM_EMPTY]
    key = meta[M_HASH]
    captured_by_black = meta[M_CAPTURED_BY_BLACK]
    captured_by_white = meta[M_CAPTURED_BY_WHITE]
    last = meta[M_LAST_MOVE]
    last_2 = meta[M_LAST_MOVE_2]
    base_moves = meta[M_MOVES]
    moves = 0
    record = first_mover.shape[0] > 0
    while passes < 2 and moves < max_moves:
        point = _pick_light_move(pts, rng, color, ko, width, num_empty)
        moves += 1
        last_2 = last
        last = point
        if point < 0:
            passes += 1
            ko = -1
            color = 3 - color
            continue
        passes = 0
        if record and first_mover[point] == 0:
            first_mover[point] = color
        # What follows is _place, written out: numba's reference counting around an inlined
        # helper that takes arrays cost about a fifth of the speed. Tests check that this loop
        # and play() agree on every field.
        index = pts[EMPTY_POS, point]
        num_empty -= 1
        moved = pts[EMPTY_LIST, num_empty]
        pts[EMPTY_LIST, index] = moved
        pts[EMPTY_POS, moved] = index
        pts[COLOR, point] = color
        pts[HEAD, point] = point
        pts[NEXT, point] = point
        pts[SIZE, point] = 1
        pts[LIB_COUNT, point] = 0
        pts[LIB_SUM, point] = 0
        pts[LIB_SUM_SQ, point] = 0
        pts[PLACED, point] = base_moves + moves - 1
        key ^= zob[color, point]
        other = 3 - color
        captured = 0
        captured_point = -1
        neighbours = (point - width, point - 1, point + 1, point + width)
        before = (pts[COLOR, neighbours[0]], pts[COLOR, neighbours[1]],
                  pts[COLOR, neighbours[2]], pts[COLOR, neighbours[3]])
        for k in range(4):
            q = neighbours[k]
            c = before[k]
            if c == EMPTY:
                head = pts[HEAD, point]
                pts[LIB_COUNT, head] += 1
                pts[LIB_SUM, head] += q
                pts[LIB_SUM_SQ, head] += q * q
            elif c == color:
                head = pts[HEAD, q]
                pts[LIB_COUNT, head] -= 1
                pts[LIB_SUM, head] -= point
                pts[LIB_SUM_SQ, head] -= point * point
                mine = pts[HEAD, point]
                if head != mine:
                    if pts[SIZE, head] >= pts[SIZE, mine]:
                        _merge_chains(pts, head, mine)
                    else:
                        _merge_chains(pts, mine, head)
            elif c == other and pts[COLOR, q] == other:
                head = pts[HEAD, q]
                pts[LIB_COUNT, head] -= 1
                pts[LIB_SUM, head] -= point
                pts[LIB_SUM_SQ, head] -= point * point
                if pts[LIB_COUNT, head] == 0:
                    removed, num_empty, key = _remove_chain(pts, zob, head, width, num_empty, key)
                    captured += removed
                    captured_point = q
        mine = pts[HEAD, point]
        ko = -1
        if captured == 1 and pts[SIZE, mine] == 1 and pts[LIB_COUNT, mine] == 1:
            ko = captured_point
        if color == BLACK:
            captured_by_black += captured
        else:
            captured_by_white += captured
        color = other
    meta[M_TO_MOVE] = color
    meta[M_PASSES] = passes
    meta[M_KO_POINT] = ko
    meta[M_NUM_EMPTY] = num_empty
    meta[M_HASH] = key
    meta[M_CAPTURED_BY_BLACK] = captured_by_black
    meta[M_CAPTURED_BY_WHITE] = captured_by_white
    meta[M_LAST_MOVE] = last
    meta[M_LAST_MOVE_2] = last_2
    meta[M_MOVES] += moves
    return moves


@njit(cache=True, nogil=True)
def light_playout(pts, meta, zob, rng, max_moves, owner):
    """Play uniformly random light moves until two consecutive passes (or ``max_moves`` more
    moves, a guard against superko cycles), then area-score.

    Suicide is never played here. ``owner`` receives the final ownership (see
    :func:`area_owner`). Returns black area minus white area (no komi).
    """
    light_moves(pts, meta, zob, rng, max_moves, np.empty(0, dtype=np.int8))
    return area_owner(pts, meta, owner)


@njit(cache=True, nogil=True)
def playout_batch(pts, meta, zob, seed_state, count, max_moves, scores, ownership, lengths):
    """Run ``count`` light playouts from one position on scratch copies.

    ``scores[i]`` gets playout ``i``'s area score (black minus white), ``lengths[i]`` its number
    of moves, and ``ownership`` (float64 per padded point) accumulates the mean final owner.
    ``pts`` and ``meta`` are only read, so threads may share them (each with its own
    ``seed_state`` and outputs).
    """
    n = pts.shape[1]
    work_pts = np.empty((pts.shape[0], n), dtype=pts.dtype)
    work_meta = np.empty(meta.shape[0], dtype=meta.dtype)
    owner = np.zeros(n, dtype=np.int8)
    queue = np.empty(n, dtype=np.int64)
    total = np.zeros(n, dtype=np.int64)
    no_record = np.empty(0, dtype=np.int8)
    width = meta[M_SIZE] + 2
    for i in range(count):
        for field in range(pts.shape[0]):
            for p in range(n):
                work_pts[field, p] = pts[field, p]
        for j in range(meta.shape[0]):
            work_meta[j] = meta[j]
        lengths[i] = light_moves(work_pts, work_meta, zob, seed_state, max_moves, no_record)
        scores[i] = _area_fill(work_pts, width, owner, queue)
        for p in range(n):
            total[p] += owner[p]
    if count > 0:
        for p in range(n):
            ownership[p] += total[p] / count
