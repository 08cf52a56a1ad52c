"""Row reductions for the numba backend: sum, mean, var, max/min, logsumexp and the softmax family over
``(rows, n)`` arrays (the reduced axes moved last by the backend), vectorised; sums and extrema of large
arrays (``PARALLEL_MIN_SIZE``) in chunks spread over threads.

**Summation meets the catalog's accumulation bound** ``(ceil(log2 n) + 2) u sum|x|`` (``OpSpec.extra_atol``):

- float32 data is accumulated in float64.  Whatever the order of the additions, the error of n float64
  additions is at most ``(n - 1) 2^-53 sum|x|`` (Higham, recursive summation), and rounding the result to
  float32 adds ``2^-24 |s|``: at most ``2 u sum|x|`` in float32's u for n <= 2^29.  Since the order does not
  matter, the loop runs with ``fastmath={"reassoc"}``, which lets LLVM vectorise it with several partial sums.
- float64 data is summed by Kahan's compensated summation in ``LANES`` = 64 independent lanes (lane k takes
  elements k, k + 64, ...): each lane's error is at most ``2u sum|x_lane| + O(n u^2)`` (Goldberg 1991, thm 8)
  and adding the 64 lane sums pairwise adds ``6u sum|x|``: ``8u sum|x|``, inside the bound for n >= 64; the
  lanes are used from ``4 * LANES`` elements on, a single compensated sum (2u) below.  The 64 lanes are
  independent, so the loop vectoriser runs them four to a register without reassociating anything: no
  ``fastmath`` here, which would let LLVM fold the compensation away.  A row longer than ``CHUNK`` is cut in
  chunks summed in parallel, whose sums are added by one more compensated sum: ``10u``, while
  ``ceil(log2 n) + 2 >= 18`` there.  A non-finite compensated result (inf or NaN among the terms: the
  correction would turn inf - inf into NaN) is recomputed by plain summation, which gives IEEE's answer.

Every sum starts at -0.0, the additive identity, so a sum of negative zeros is -0.0 as in the reference.

**max/min propagate NaN** in the same lane form: each lane keeps ``v if (v > best) | (v != v) else best``,
a comparison and a select that vectorise (a NaN, once in, stays: nothing compares greater than it, and it is
not replaced), so there is no early exit and no slow path.

exp comes from :mod:`impls.numba.vecmath` (vectorisable); the row kernels use ``fastmath={"contract"}`` and
``error_model="numpy"`` (as the elementwise loops), and call the summation above, compiled with its own flags.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from impls.numba import vecmath as V

LANES = 64  # independent compensated sums: 16 AVX2 registers of float64
MAX_EXTREMUM_LANES = 1024
MIN_LANES_N = 4 * LANES  # below this, one compensated sum
CHUNK = 1 << 16  # elements of one row per parallel task
# Threads from 2^20 elements on only.  Measured on the shared 2-core test machine: whenever it is loaded, a
# parallel region waits a scheduler time slice (~12 ms) for its second thread - torch's threaded ops too -
# while one thread sums 10^6 float32 in ~0.1 ms and float64 in ~0.3 ms.
PARALLEL_MIN_SIZE = 1 << 20
ROW_OPTIONS = {"cache": True, "fastmath": {"contract"}, "error_model": "numpy"}


# ---------------------------------------------------------------- sums of a[lo:hi] (1-D), returned as float64
@njit(cache=True, fastmath={"reassoc", "contract"})
def _widened_total(a, lo, hi):
    """float64 sum in any order: for float32 terms (or float64 terms that came from float32 data)."""
    acc = -0.0
    for i in range(lo, hi):
        acc += np.float64(a[i])
    return acc


@njit(cache=True)
def _compensated_total(a, lo, hi):
    """Kahan's sum of float64 terms, in LANES independent lanes added pairwise at the end."""
    n = hi - lo
    if n < MIN_LANES_N:
        s, c = -0.0, 0.0
        for i in range(lo, hi):
            y = a[i] - c
            t = s + y
            c = (t - s) - y
            s = t
        return s
    s = np.full(LANES, -0.0)
    c = np.zeros(LANES)
    blocks = n // LANES
    for r in range(blocks):
        base = lo + r * LANES
        for k in range(LANES):  # no dependence between lanes: the loop vectoriser's case
            y = a[base + k] - c[k]
            t = s[k] + y
            c[k] = (t - s[k]) - y
            s[k] = t
    tail = lo + blocks * LANES
    for i in range(tail, hi):
        k = i - tail
        y = a[i] - c[k]
        t = s[k] + y
        c[k] = (t - s[k]) - y
        s[k] = t
    width = LANES // 2
    while width > 0:
        for k in range(width):
            s[k] += s[k + width]
        width //= 2
    return s[0]


@njit(cache=True)
def total(a, lo, hi, compensated):
    """Σ a[lo:hi] in float64 within the catalog's bound: compensated for float64 data, widened for float32."""
    if not compensated:
        return _widened_total(a, lo, hi)
    s = _compensated_total(a, lo, hi)
    if not math.isfinite(s):  # inf or NaN among the terms: plain summation gives IEEE's inf/NaN
        s = -0.0
        for i in range(lo, hi):
            s += a[i]
    return s


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

    ``width`` lanes (64 to 1024, about n / 4) each keep the extremum of every width-th element.  The lanes
    are double-buffered (read from one array, written to the other): updating one array in place lets LLVM
    turn "keep the old value" into a masked store, which is microcoded and ~5x slower on AMD CPUs."""
    n = hi - lo
    best = a[lo]
    if n < MIN_LANES_N:
        for i in range(lo, hi):
            best = _fold(best, a[i], is_max)
        return best
    width = MAX_EXTREMUM_LANES
    while width > LANES and 4 * width > n:
        width //= 2
    even = a[lo : lo + width].copy()
    odd = np.empty_like(even)
    blocks = n // width
    for r in range(1, blocks):
        block = a[lo + r * width : lo + (r + 1) * width]
        if r % 2 == 1:
            _lanes_step(block, even, odd, is_max)
        else:
            _lanes_step(block, odd, even, is_max)
    lanes = odd if blocks % 2 == 0 else even
    for i in range(lo + blocks * width, hi):
        best = _fold(best, a[i], is_max)
    for k in range(width):
        best = _fold(best, lanes[k], is_max)
    return best


# ---------------------------------------------------------------- rows, and chunks of long rows, over threads
@njit(cache=True)
def _chunks(n):
    return max(1, n // CHUNK)


@njit(cache=True, parallel=True)
def _row_totals_parallel(a, compensated):
    rows, n = a.shape
    chunks = _chunks(n)
    parts = np.empty((rows, chunks))
    for t in prange(rows * chunks):
        r, j = t // chunks, t % chunks
        parts[r, j] = total(a[r], j * n // chunks, (j + 1) * n // chunks, compensated)
    out = np.empty(rows)
    for r in range(rows):
        out[r] = total(parts[r], 0, chunks, compensated)
    return out


@njit(cache=True)
def _row_totals_serial(a, compensated):
    out = np.empty(a.shape[0])
    for r in range(a.shape[0]):
        out[r] = total(a[r], 0, a.shape[1], compensated)
    return out


def row_sum(a, divisor=1):
    """Σ over each row of the C-contiguous 2-D ``a`` (divided by ``divisor``, for the mean, before rounding)."""
    compensated = a.dtype == np.float64
    kernel = _row_totals_parallel if a.size >= PARALLEL_MIN_SIZE else _row_totals_serial
    sums = kernel(a, compensated)
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


@njit(**ROW_OPTIONS)
def _exp_total(row, lo, hi, m, compensated):
    """Σ exp(row[lo:hi] - m), the exponentials in float64 (vecmath) in a scratch buffer, then summed."""
    e = np.empty(hi - lo)
    for i in range(lo, hi):
        e[i - lo] = V.exp(np.float64(row[i]) - m)
    return total(e, 0, hi - lo, compensated)


@njit(**ROW_OPTIONS)
def row_logsumexp(a):
    """log Σ exp over each row, shifted by the finite row maximum."""
    rows, n = a.shape
    compensated = a.itemsize == 8
    out = np.empty(rows, dtype=a.dtype)
    for r in range(rows):
        m = _shift(a[r], 0, n)
        out[r] = math.log(_exp_total(a[r], 0, n, m, compensated)) + m
    return out


@njit(**ROW_OPTIONS)
def row_softmax(a):
    """exp(x - max) / Σ exp(x - max) per row (the max shift: with inf, NaN, as torch)."""
    rows, n = a.shape
    out = np.empty_like(a)
    compensated = a.itemsize == 8
    e = np.empty(n)
    for r in range(rows):
        m = np.float64(_extremum(a[r], 0, n, True)) if n else 0.0
        for i in range(n):
            e[i] = V.exp(np.float64(a[r, i]) - m)
        inv = 1.0 / total(e, 0, n, compensated)
        for i in range(n):
            out[r, i] = e[i] * inv
    return out


@njit(**ROW_OPTIONS)
def row_log_softmax(a):
    """x - logsumexp(x) per row."""
    rows, n = a.shape
    out = np.empty_like(a)
    compensated = a.itemsize == 8
    for r in range(rows):
        m = _shift(a[r], 0, n)
        lse = math.log(_exp_total(a[r], 0, n, m, compensated)) + m
        for i in range(n):
            out[r, i] = np.float64(a[r, i]) - lse
    return out


@njit(**ROW_OPTIONS)
def row_var(a, correction):
    """Σ (x - mean)^2 / max(n - correction, 0) per row (two passes; inf for 0 degrees of freedom times Σ)."""
    rows, n = a.shape
    out = np.empty(rows, dtype=a.dtype)
    compensated = a.itemsize == 8
    dof = n - correction
    d2 = np.empty(n)
    for r in range(rows):
        mean = total(a[r], 0, n, compensated) / n
        for i in range(n):
            d = np.float64(a[r, i]) - mean  # float32 data: in float64, as the reference computes it
            d2[i] = d * d
        squares = total(d2, 0, n, compensated)
        out[r] = squares / dof if dof > 0 else squares * np.inf
    return out
