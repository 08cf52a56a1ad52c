"""Matrix product in Numba: BLAS through ``np.dot`` (the backend's default), and a hand-written kernel.

What a skilled Numba user writes for a matrix product is ``np.dot`` inside ``@njit``: Numba lowers it to a
call into the BLAS that SciPy ships (``scipy.linalg.cython_blas``; Numba needs SciPy for it), so it runs the
same tuned kernels as NumPy's ``@``.  That is :func:`blas_matmul2d` / :func:`blas_matmul_batched`, which the
backend uses whenever SciPy is importable.

The hand-written kernel below is the point only where there is no BLAS to call (Numba without SciPy, where
the backend falls back to it) and as a demonstration of what compiled Python reaches on its own; it is kept
tested (tests/test_numba_kernels.py) and reachable (``NumbaBackend(matmul="packed")``).  It is a packed-panel
kernel with a 4x4 register-blocked dot-product micro-kernel:

For each block of ``KC`` columns of A (rows of B), A's rows and B's columns are copied into contiguous,
zero-padded panels of 4 (``_pack``), so that the micro-kernel reads 8 unit-stride streams and keeps
16 running sums in registers: 8 loads feed 16 fused multiply-adds, where the naive row update
``C[i, :] += A[i, k] * B[k, :]`` loads and stores C for every multiply-add.  The 4x4 tiles of C are
spread over threads (``prange``).  Padding rows and columns are zero and never stored, so any m, n, k
(including 0 and sizes that are not multiples of 4) take the same path.

``fastmath={"reassoc", "contract"}`` is what lets LLVM vectorise the k loop: each of the 16 sums is
kept in 8 (float32) or 4 (float64) lanes that are added at the end of the block, so the k terms are
summed in a different order from a sequential loop (the same order freedom BLAS takes), with fused
multiply-adds.  Neither flag lets LLVM assume away NaN or inf, so IEEE special values propagate as in
BLAS (``0 * inf = nan``).  Products too small for threads and packing (``SMALL_WORK``) take a
serial row-update loop.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

KC = 256  # k block: a 4-row A panel and a 4-column B panel of float32 are 4 KiB each (L1)
TILE = 4
SMALL_WORK = 32**3  # m * n * k below which one serial pass beats packing and threads


@njit(cache=True)
def _pack(rows, k0, kc):
    """Rows ``rows[:, k0:k0+kc]`` as a contiguous (ceil(r/4)*4, kc) block, zero-padded to whole panels."""
    r = rows.shape[0]
    out = np.zeros(((r + TILE - 1) // TILE * TILE, kc), dtype=rows.dtype)
    out[:r] = rows[:, k0 : k0 + kc]
    return out.ravel()


@njit(cache=True, fastmath={"reassoc", "contract"})
def _tile(ap, bp, c, i, j, kc):
    """C[i:i+4, j:j+4] += (4 packed rows of A) . (4 packed columns of B) over one k block.

    ``ap`` and ``bp`` are the panels' flat storage (4 * kc each); sums for padding rows or columns are
    computed and dropped."""
    r0, r1, r2, r3 = ap[0:kc], ap[kc : 2 * kc], ap[2 * kc : 3 * kc], ap[3 * kc : 4 * kc]
    q0, q1, q2, q3 = bp[0:kc], bp[kc : 2 * kc], bp[2 * kc : 3 * kc], bp[3 * kc : 4 * kc]
    zero = ap.dtype.type(0)
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = zero
    s20 = s21 = s22 = s23 = s30 = s31 = s32 = s33 = zero
    for k in range(kc):
        a0, a1, a2, a3 = r0[k], r1[k], r2[k], r3[k]
        b0, b1, b2, b3 = q0[k], q1[k], q2[k], q3[k]
        s00 += a0 * b0
        s01 += a0 * b1
        s02 += a0 * b2
        s03 += a0 * b3
        s10 += a1 * b0
        s11 += a1 * b1
        s12 += a1 * b2
        s13 += a1 * b3
        s20 += a2 * b0
        s21 += a2 * b1
        s22 += a2 * b2
        s23 += a2 * b3
        s30 += a3 * b0
        s31 += a3 * b1
        s32 += a3 * b2
        s33 += a3 * b3
    _store_row(c, i, j, s00, s01, s02, s03)
    _store_row(c, i + 1, j, s10, s11, s12, s13)
    _store_row(c, i + 2, j, s20, s21, s22, s23)
    _store_row(c, i + 3, j, s30, s31, s32, s33)


@njit(cache=True, inline="always")
def _store_row(c, i, j, s0, s1, s2, s3):
    """C[i, j:j+4] += (s0, s1, s2, s3), dropping what falls outside C (padding)."""
    m, n = c.shape
    if i >= m:
        return
    c[i, j] += s0
    if j + 1 < n:
        c[i, j + 1] += s1
    if j + 2 < n:
        c[i, j + 2] += s2
    if j + 3 < n:
        c[i, j + 3] += s3


@njit(cache=True, parallel=True, fastmath={"reassoc", "contract"})
def _matmul_packed(a, b, c):
    m, k = a.shape
    n = b.shape[1]
    row_panels, col_panels = (m + TILE - 1) // TILE, (n + TILE - 1) // TILE
    for k0 in range(0, k, KC):
        kc = min(KC, k - k0)
        ap, bp = _pack(a, k0, kc), _pack(b.T, k0, kc)
        span = TILE * kc
        for t in prange(row_panels * col_panels):  # row-major tiles: a thread reuses its A panel
            ip, jp = t // col_panels, t % col_panels
            _tile(ap[ip * span : (ip + 1) * span], bp[jp * span : (jp + 1) * span], c, ip * TILE, jp * TILE, kc)


@njit(cache=True, fastmath={"reassoc", "contract"})
def _matmul_small(a, b, c):
    m, k = a.shape
    for i in range(m):
        for kk in range(k):
            av = a[i, kk]
            for j in range(b.shape[1]):
                c[i, j] += av * b[kk, j]


@njit(cache=True)
def matmul2d(a, b):
    """C = A @ B for 2-D A (m, k) and B (k, n) of one float dtype, any strides."""
    m, k = a.shape
    n = b.shape[1]
    c = np.zeros((m, n), dtype=a.dtype)
    if m * n * k < SMALL_WORK:
        _matmul_small(a, b, c)
    else:
        _matmul_packed(a, b, c)
    return c


@njit(cache=True)
def matmul_batched(a, b):
    """Stacked 2-D products: ``out[i] = a[i] @ b[i]`` for 3-D ``a`` (B, m, k) and ``b`` (B, k, n)."""
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=a.dtype)
    for i in range(a.shape[0]):
        out[i] = matmul2d(a[i], b[i])
    return out


@njit(cache=True)
def blas_matmul2d(a, b):
    """C = A @ B through BLAS (``np.dot`` in nopython mode); A and B C- or F-contiguous, one dtype."""
    if a.shape[0] == 0 or a.shape[1] == 0 or b.shape[1] == 0:
        return np.zeros((a.shape[0], b.shape[1]), dtype=a.dtype)
    return np.dot(a, b)


@njit(cache=True)
def blas_matmul_batched(a, b):
    """``out[i] = a[i] @ b[i]`` through BLAS for C-contiguous 3-D ``a`` (B, m, k) and ``b`` (B, k, n)."""
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), dtype=a.dtype)
    for i in range(a.shape[0]):
        out[i] = blas_matmul2d(a[i], b[i])
    return out
