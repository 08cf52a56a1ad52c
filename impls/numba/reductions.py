"""Row reductions for the numba backend: sum, mean, var, max/min, logsumexp and the softmax family over
``(rows, n)`` arrays (the reduced axes moved last by the backend), vectorised; sums and extrema of large
arrays (``PARALLEL_MIN_SIZE``) in chunks spread over threads.

**Summation meets the catalog's accumulation bound** ``(ceil(log2 n) + 2) u sum|x|`` (``OpSpec.extra_atol``):

- float32 data is accumulated in float64.  Whatever the order of the additions, the error of n float64
  additions is at most ``(n - 1) 2^-53 sum|x|`` (Higham, recursive summation), and rounding the result to
  float32 adds ``2^-24 |s|``: at most ``2 u sum|x|`` in float32's u for n <= 2^29.  Since the order does not
  matter, the loop runs with ``fastmath={"reassoc"}``, which lets LLVM vectorise it with several partial sums.
- float64 data is summed pairwise (Higham, *Accuracy and Stability*, 4.2: a sum whose every term passes through
  at most d additions is within ``d u sum|x| + O(u^2)``), written so that it vectorises: a leaf is
  ``8 * PAIR_LANES`` consecutive elements, its eight rows added as a balanced tree into ``PAIR_LANES`` lanes
  (depth 3); the leaves are combined by a binary counter (a stack of lane vectors: leaf i is pushed, then
  merged with the top as often as i + 1 is divisible by 2), a tree of depth at most ``ceil(log2 rows)`` over
  ``rows`` leaves; the lanes are then added pairwise (``log2 PAIR_LANES`` = 5) and the < ``8 * PAIR_LANES``
  trailing elements, summed pairwise by the same counter, join with one addition.  With ``rows = n // 256``:
  depth <= 3 + (ceil(log2 n) - 8) + 5 + 1 = ``ceil(log2 n) + 1``.  A row of more than ``CHUNK`` elements
  (a power of two) is cut into CHUNK-sized chunks, summed on threads, whose sums are added by the same
  counter: a full chunk's tree has depth ``log2 CHUNK``, the last one at most ``log2 CHUNK + 1``, and the
  chunk sums ``ceil(log2 chunks)`` more, with ``chunks = ceil(n / CHUNK)``: again ``ceil(log2 n) + 1``.
  Every addition is a plain IEEE addition, so inf, NaN and inf - inf come out as IEEE says (no compensation
  term to turn inf - inf into NaN), and a sum of negative zeros is -0.0 (an empty sum is -0.0, the additive
  identity, as the reference's).  One flop a term, where the Kahan lanes this replaces took four: on one
  thread both run at the memory bandwidth (10^6 float64: 0.27 ms pairwise, 0.25 ms Kahan, NumPy's pairwise
  0.26 ms), so the bound, not the speed, chose it: pairwise meets the catalog's bound with a margin of one u.

**max/min propagate NaN** in the same lane form: each lane keeps ``v if (v > best) | (v != v) else best``,
a comparison and a select that vectorise (a NaN, once in, stays: nothing compares greater than it, and it is
not replaced), so there is no early exit and no slow path.

exp comes from :mod:`impls.numba.vecmath32` (vectorisable; float32 rows in float32); the row kernels use
``fastmath={"contract"}`` and ``error_model="numpy"`` (as the elementwise loops), and call the summation above,
compiled with its own flags.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from impls.numba import vecmath32 as V32
from impls.numba.vecmath_derived import as_type_of

LANES = 64  # the extremum's smallest lane count (16 AVX2 registers of float64)
MAX_EXTREMUM_LANES = 1024
MIN_LANES_N = 4 * LANES  # below this, one scalar extremum
PAIR_LANES = 32  # the pairwise sum's lanes (8 AVX2 registers of float64)
STACK_DEPTH = 64  # the binary counter's levels: enough for any n < 2^64
CHUNK = 1 << 16  # elements of one row per parallel task, a power of two (the pairwise bound above needs it)
# Threads from 2^18 elements on: one thread sums 2^18 float64 in ~0.06 ms, which pays for a parallel region's
# start on an idle machine (~10 us).  On a loaded machine a parallel region can wait a scheduler time slice
# (~12 ms) for its second thread; so can torch's threaded kernels, the peer in the speed verdict.
PARALLEL_MIN_SIZE = 1 << 18
ROW_OPTIONS = {"cache": True, "fastmath": {"contract"}, "error_model": "numpy"}
ROW_PARALLEL_OPTIONS = {**ROW_OPTIONS, "parallel": True}
# INDEX_FROM_ZERO: a loop ``for i in range(lo, hi): a[i]`` with lo not known at compile time does not vectorise:
# Numba wraps a negative index around (a[-1] is the last element), and LLVM cannot prove i >= 0, so every access
# keeps that select.  The kernels slice first (``a = a[lo:hi]``) and index from 0: the float32 sum of 10^6
# elements took 0.83 ms the first way and 0.10 ms the second (one thread), and inside the threaded row sums,
# where the chunk bounds are never constants, the loop had lost its SIMD.


# ---------------------------------------------------------------- sums of a[lo:hi] (1-D), returned as float64
@njit(cache=True, fastmath={"reassoc", "contract"})
def _widened_total(a, lo, hi):
    """float64 sum in any order: for float32 terms (or float64 terms that came from float32 data)."""
    a = a[lo:hi]  # index from 0: see INDEX_FROM_ZERO
    acc = -0.0
    for i in range(a.size):
        acc += np.float64(a[i])
    return acc


@njit(cache=True)
def _scalar_pairwise(a, lo, hi):
    """Pairwise sum of a[lo:hi] by a binary counter (depth <= ceil(log2 n)); -0.0 if empty."""
    a = a[lo:hi]
    stack = np.empty(STACK_DEPTH)
    top = -1
    for i in range(a.size):
        top += 1
        stack[top] = a[i]
        m = i + 1
        while m % 2 == 0:
            stack[top - 1] += stack[top]
            top -= 1
            m //= 2
    if top < 0:
        return -0.0
    s = stack[top]
    for j in range(top - 1, -1, -1):
        s = stack[j] + s
    return s


@njit(cache=True)
def _pairwise_total(a, lo, hi):
    """Pairwise sum of float64 a[lo:hi] in PAIR_LANES lanes (see the module's docstring for its depth)."""
    a = a[lo:hi]
    lanes_n = PAIR_LANES
    leaf = 8 * lanes_n
    rows = a.size // leaf
    if rows < 2:
        return _scalar_pairwise(a, 0, a.size)
    stack = np.empty((STACK_DEPTH, lanes_n))
    top = -1
    for r in range(rows):
        b = r * leaf
        top += 1
        level = stack[top]
        for k in range(lanes_n):  # a balanced tree over the leaf's eight rows; no dependence between lanes
            level[k] = ((a[b + k] + a[b + lanes_n + k]) + (a[b + 2 * lanes_n + k] + a[b + 3 * lanes_n + k])) + (
                (a[b + 4 * lanes_n + k] + a[b + 5 * lanes_n + k]) + (a[b + 6 * lanes_n + k] + a[b + 7 * lanes_n + k])
            )
        m = r + 1
        while m % 2 == 0:
            below, level = stack[top - 1], stack[top]
            for k in range(PAIR_LANES):
                below[k] += level[k]
            top -= 1
            m //= 2
    for j in range(top - 1, -1, -1):
        below, level = stack[j], stack[j + 1]
        for k in range(PAIR_LANES):
            below[k] += level[k]
    lanes = stack[0]
    width = PAIR_LANES // 2
    while width > 0:
        for k in range(width):
            lanes[k] += lanes[k + width]
        width //= 2
    tail = rows * leaf
    return lanes[0] + _scalar_pairwise(a, tail, a.size) if tail < a.size else lanes[0]


@njit(cache=True)
def total(a, lo, hi, pairwise):
    """Σ a[lo:hi] in float64 within the catalog's bound: pairwise for float64 data, widened for float32."""
    return _pairwise_total(a, lo, hi) if pairwise else _widened_total(a, lo, hi)


@njit(cache=True)
def vector_sum(a):
    """The sum of a 1-D array in its own dtype (for the layers and losses)."""
    return a.dtype.type(total(a, 0, a.size, a.itemsize == 8))


# ---------------------------------------------------------------- NaN-propagating extremum of a[lo:hi]
@njit(cache=True)
def _fold(best, v, is_max):
    """One step of a NaN-propagating max (``is_max``) or min: a NaN, once in, stays."""
    if best != best:
        return best
    return v if (v > best if is_max else v < best) or v != v else best


@njit(cache=True)
def _lanes_step(block, src, dst, is_max):
    """dst = the NaN-propagating max (or min) of src and block, lane by lane (a loop LLVM vectorises; written
    over three 1-D arrays indexed from 0, the form in which it does so - measured 6x faster than the same loop
    indexing into the whole row)."""
    if is_max:
        for k in range(src.size):
            v, b = block[k], src[k]
            dst[k] = v if (v > b) | (v != v) else b
    else:
        for k in range(src.size):
            v, b = block[k], src[k]
            dst[k] = v if (v < b) | (v != v) else b


@njit(cache=True)
def _extremum(a, lo, hi, is_max):
    """max (``is_max``) or min of a[lo:hi] (non-empty); NaN if any element is NaN.

    ``width`` lanes (64 to 1024, about n / 4) each keep the extremum of every width-th element; the last block
    is the row's last ``width`` elements, overlapping the one before (max and min are idempotent, so an element
    seen twice changes nothing), and the lanes are then halved into one, each step a vector of folds: no scalar
    tail.  The lanes are double-buffered (read from one array, written to the other): updating one array in
    place lets LLVM turn "keep the old value" into a masked store, which is microcoded and ~5x slower on AMD
    CPUs.  Rows of 1000 float32: 0.42 ms per 10^6 elements with a scalar tail and a scalar fold of the lanes."""
    n = hi - lo
    best = a[lo]
    if n < MIN_LANES_N:
        for i in range(lo, hi):
            best = _fold(best, a[i], is_max)
        return best
    width = MAX_EXTREMUM_LANES
    while width > LANES and 4 * width > n:
        width //= 2
    src = a[lo : lo + width].copy()
    dst = np.empty_like(src)
    blocks = (n + width - 1) // width
    for r in range(1, blocks):
        start = min(lo + r * width, hi - width)
        _lanes_step(a[start : start + width], src, dst, is_max)
        src, dst = dst, src
    while width > 1:
        width //= 2
        _lanes_step(src[width : 2 * width], src[:width], dst[:width], is_max)
        src, dst = dst, src
    return src[0]


# ---------------------------------------------------------------- rows, and chunks of long rows, over threads
@njit(cache=True)
def _chunks(n):
    return max(1, n // CHUNK)


@njit(cache=True, parallel=True)
def _row_totals_parallel(a, pairwise):
    """Row sums with each row cut into CHUNK-sized chunks (the last one shorter) summed on threads, the chunk
    sums added pairwise (float64) or in float64 (float32 data)."""
    rows, n = a.shape
    chunks = max(1, (n + CHUNK - 1) // CHUNK)
    parts = np.empty((rows, chunks))
    for t in prange(rows * chunks):
        r, j = t // chunks, t % chunks
        parts[r, j] = total(a[r], j * CHUNK, min((j + 1) * CHUNK, n), pairwise)
    out = np.empty(rows)
    for r in range(rows):
        out[r] = _scalar_pairwise(parts[r], 0, chunks) if pairwise else _widened_total(parts[r], 0, chunks)
    return out


@njit(cache=True)
def _row_totals_serial(a, pairwise):
    out = np.empty(a.shape[0])
    for r in range(a.shape[0]):
        out[r] = total(a[r], 0, a.shape[1], pairwise)
    return out


def row_sum(a, divisor=1):
    """Σ over each row of the C-contiguous 2-D ``a`` (divided by ``divisor``, for the mean, before rounding)."""
    pairwise = a.dtype == np.float64
    kernel = _row_totals_parallel if a.size >= PARALLEL_MIN_SIZE else _row_totals_serial
    sums = kernel(a, pairwise)
    return (sums / divisor if divisor != 1 else sums).astype(a.dtype)


@njit(cache=True, parallel=True)
def _row_extrema_parallel(a, is_max):
    rows, n = a.shape
    chunks = _chunks(n)
    parts = np.empty((rows, chunks), dtype=a.dtype)
    for t in prange(rows * chunks):
        r, j = t // chunks, t % chunks
        parts[r, j] = _extremum(a[r], j * n // chunks, (j + 1) * n // chunks, is_max)
    out = np.empty(rows, dtype=a.dtype)
    for r in range(rows):
        out[r] = _extremum(parts[r], 0, chunks, is_max)
    return out


@njit(cache=True)
def _row_extrema_serial(a, is_max):
    out = np.empty(a.shape[0], dtype=a.dtype)
    for r in range(a.shape[0]):
        out[r] = _extremum(a[r], 0, a.shape[1], is_max)
    return out


def row_extremum(a, is_max):
    """max (``is_max``) or min over each row of the C-contiguous 2-D ``a``; NaN propagates."""
    kernel = _row_extrema_parallel if a.size >= PARALLEL_MIN_SIZE else _row_extrema_serial
    return kernel(a, is_max)


@njit(cache=True)
def row_arg_extremum(a, is_max):
    """argmax (``is_max``) or argmin of each row of the C-contiguous 2-D ``a``, int64: the first of tied extrema,
    or the first NaN where the row holds one (NaN is the extremum, as torch.argmax and np.argmax).  One pass that
    stops at a NaN; the row's first element starts it (the caller refuses an empty row)."""
    rows, n = a.shape
    out = np.zeros(rows, dtype=np.int64)
    for r in range(rows):
        best = a[r, 0]
        if best != best:
            continue
        for i in range(1, n):
            v = a[r, i]
            if v != v:
                out[r] = i
                break
            if (v > best) if is_max else (v < best):
                best, out[r] = v, i
    return out


# ---------------------------------------------------------------- per-row statistics (one pass per statistic)
@njit(**ROW_OPTIONS)
def _shift(row, lo, hi):
    """The row's maximum as a finite shift for exp (0 for an all -inf or infinite row: never inf - inf)."""
    if hi <= lo:
        return 0.0
    m = np.float64(_extremum(row, lo, hi, True))
    return m if math.isfinite(m) else 0.0


@njit(inline="always")
def _shifted_exp(v, m):
    """exp(v - m) in v's precision (vecmath32): m is the row's maximum, so converting it to v's type is exact.
    float32 data: the difference rounds to float32, a relative error of |v - m| 2^-24 in the exponential, above
    the catalog's rtol (1e-5) only where |v - m| > 167, where the term is below e^-167 (its atol covers it)."""
    return V32.exp(v - as_type_of(v, m))


@njit(**ROW_OPTIONS)
def _exp_total(row, lo, hi, m, pairwise):
    """Σ exp(row[lo:hi] - m), the exponentials in the row's precision in a float64 scratch buffer, then summed."""
    row = row[lo:hi]  # index from 0: see INDEX_FROM_ZERO
    e = np.empty(row.size)
    for i in range(row.size):
        e[i] = _shifted_exp(row[i], m)
    return total(e, 0, row.size, pairwise)


# softmax, log_softmax and logsumexp: one row's work as an inlined body, run over the rows by a serial driver, or by
# a parallel one (each row with its own scratch) from PARALLEL_MIN_SIZE elements and two rows on: rows are
# independent, so both give the same bits.
@njit(inline="always")
def _logsumexp_row(a, r, pairwise):
    m = _shift(a[r], 0, a.shape[1])
    return math.log(_exp_total(a[r], 0, a.shape[1], m, pairwise)) + m


@njit(inline="always")
def _softmax_row(a, r, out, e, pairwise):
    n = a.shape[1]
    m = np.float64(_extremum(a[r], 0, n, True)) if n else 0.0
    for i in range(n):
        e[i] = _shifted_exp(a[r, i], m)
    inv = 1.0 / total(e, 0, n, pairwise)
    for i in range(n):
        out[r, i] = e[i] * inv


@njit(inline="always")
def _log_softmax_row(a, r, out, pairwise):
    lse = _logsumexp_row(a, r, pairwise)
    for i in range(a.shape[1]):
        out[r, i] = np.float64(a[r, i]) - lse


@njit(**ROW_PARALLEL_OPTIONS)
def _row_logsumexp_parallel(a, out, pairwise):
    for r in prange(a.shape[0]):
        out[r] = _logsumexp_row(a, r, pairwise)


@njit(**ROW_OPTIONS)
def row_logsumexp(a):
    """log Σ exp over each row, shifted by the finite row maximum."""
    out = np.empty(a.shape[0], dtype=a.dtype)
    pairwise = a.itemsize == 8
    if a.size >= PARALLEL_MIN_SIZE and a.shape[0] > 1:
        _row_logsumexp_parallel(a, out, pairwise)
        return out
    for r in range(a.shape[0]):
        out[r] = _logsumexp_row(a, r, pairwise)
    return out


@njit(**ROW_PARALLEL_OPTIONS)
def _row_softmax_parallel(a, out, pairwise):
    for r in prange(a.shape[0]):
        _softmax_row(a, r, out, np.empty(a.shape[1]), pairwise)


@njit(**ROW_OPTIONS)
def row_softmax(a):
    """exp(x - max) / Σ exp(x - max) per row (the max shift: with inf, NaN, as torch)."""
    out = np.empty_like(a)
    pairwise = a.itemsize == 8
    if a.size >= PARALLEL_MIN_SIZE and a.shape[0] > 1:
        _row_softmax_parallel(a, out, pairwise)
        return out
    e = np.empty(a.shape[1])
    for r in range(a.shape[0]):
        _softmax_row(a, r, out, e, pairwise)
    return out


@njit(**ROW_PARALLEL_OPTIONS)
def _row_log_softmax_parallel(a, out, pairwise):
    for r in prange(a.shape[0]):
        _log_softmax_row(a, r, out, pairwise)


@njit(**ROW_OPTIONS)
def row_log_softmax(a):
    """x - logsumexp(x) per row."""
    out = np.empty_like(a)
    pairwise = a.itemsize == 8
    if a.size >= PARALLEL_MIN_SIZE and a.shape[0] > 1:
        _row_log_softmax_parallel(a, out, pairwise)
        return out
    for r in range(a.shape[0]):
        _log_softmax_row(a, r, out, pairwise)
    return out


@njit(**ROW_OPTIONS)
def row_var(a, correction):
    """Σ (x - mean)^2 / max(n - correction, 0) per row (two passes; inf for 0 degrees of freedom times Σ)."""
    rows, n = a.shape
    out = np.empty(rows, dtype=a.dtype)
    pairwise = a.itemsize == 8
    dof = n - correction
    d2 = np.empty(n)
    for r in range(rows):
        mean = total(a[r], 0, n, pairwise) / n
        for i in range(n):
            d = np.float64(a[r, i]) - mean  # float32 data: in float64, as the reference computes it
            d2[i] = d * d
        squares = total(d2, 0, n, pairwise)
        out[r] = squares / dof if dof > 0 else squares * np.inf
    return out
