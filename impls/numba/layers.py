"""Numba kernels for layers, NCHW, each with its backward kernel.  Padding and output geometry come from
the reference's bookkeeping on the host; every value is computed here.  The convolution's loop nests
(and its weight gradient) run batches (or output channels) in parallel with prange: each iteration writes
its own slice, no races.  The pools are one pass over the input and run on one thread: a parallel region
on a loaded machine waits a scheduler time slice (~12 ms measured on the shared 2-core test machine) for
its second thread, many times what a pool over a batch of 16 images takes."""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from impls.numba.reductions import total, vector_sum


@njit(cache=True, parallel=True)
def _conv_taps(xp, w, out, sh, sw, dh, dw, groups, scatter):
    """The loop nest of a convolution over every (batch, output channel, tap, output pixel).

    ``scatter=False`` is the forward pass, ``out[n, o, y, x] += w * xp[n, c, row, col]``; ``scatter=True`` its
    transpose, the input gradient ``xp[n, c, row, col] += w * out[n, o, y, x]`` (``xp`` the padded gradient,
    ``out`` the output gradient).  Batches run in parallel: each writes only its own slice."""
    n_batch, n_out, oh, ow = out.shape
    _, cg, kh, kw = w.shape
    og = n_out // groups
    for n in prange(n_batch):
        for o in range(n_out):
            base = (o // og) * cg
            for c in range(cg):
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, c, i, j]
                        for y in range(oh):
                            row = y * sh + i * dh
                            for x in range(ow):
                                if scatter:
                                    xp[n, base + c, row, x * sw + j * dw] += wv * out[n, o, y, x]
                                else:
                                    out[n, o, y, x] += wv * xp[n, base + c, row, x * sw + j * dw]


@njit(cache=True)
def conv2d(xp, w, bias, sh, sw, dh, dw, groups, oh, ow):
    """The hand-written loop nest (no BLAS: the backend's ``matmul="packed"`` mode)."""
    out = np.zeros((xp.shape[0], w.shape[0], oh, ow), dtype=xp.dtype)
    _conv_taps(xp, w, out, sh, sw, dh, dw, groups, False)
    for o in range(w.shape[0]):
        out[:, o] += bias[o]
    return out


@njit(cache=True)
def _im2col(xp, c0, kh, kw, sh, sw, dh, dw, oh, ow, cols):
    """cols[(n, y, x), (c, i, j)] = xp[n, c0 + c, y * sh + i * dh, x * sw + j * dw]: the patches of one group,
    one row per output pixel of every sample and one column per filter tap, so that the convolution is one
    matrix product (the tall layout NumPy's reference uses too)."""
    n_batch = xp.shape[0]
    cg = cols.shape[1] // (kh * kw)
    for n in range(n_batch):
        for y in range(oh):
            for x in range(ow):
                row = (n * oh + y) * ow + x
                for c in range(cg):
                    for i in range(kh):
                        r = y * sh + i * dh
                        for j in range(kw):
                            cols[row, (c * kh + i) * kw + j] = xp[n, c0 + c, r, x * sw + j * dw]


@njit(cache=True)
def conv2d_blas(xp, w, bias, sh, sw, dh, dw, groups, oh, ow):
    """The forward convolution as a skilled Numba user writes it: im2col, then one matrix product per group
    through BLAS (``np.dot``): (every output pixel of the batch, taps) times (taps, filters)."""
    n_batch = xp.shape[0]
    n_out, cg, kh, kw = w.shape
    og = n_out // groups
    taps, pixels = cg * kh * kw, oh * ow
    filters = w.reshape(n_out, taps)
    out = np.zeros((n_batch, n_out, oh, ow), dtype=xp.dtype)
    if taps > 0 and pixels > 0 and og > 0 and n_batch > 0:
        cols = np.empty((n_batch * pixels, taps), dtype=xp.dtype)
        for g in range(groups):
            _im2col(xp, g * cg, kh, kw, sh, sw, dh, dw, oh, ow, cols)
            product = np.dot(cols, filters[g * og : (g + 1) * og].T)  # (batch * pixels, og)
            for n in range(n_batch):
                for o in range(og):
                    for y in range(oh):
                        for x in range(ow):
                            out[n, g * og + o, y, x] = product[(n * oh + y) * ow + x, o]
    for n in range(n_batch):
        for o in range(n_out):
            out[n, o] += bias[o]
    return out


@njit(cache=True)
def conv2d_grad_input(g, w, padded_shape, sh, sw, dh, dw, groups):
    gxp = np.zeros(padded_shape, dtype=g.dtype)
    _conv_taps(gxp, w, g, sh, sw, dh, dw, groups, True)
    return gxp


@njit(cache=True, parallel=True)
def conv2d_grad_weight(g, xp, w_shape, sh, sw, dh, dw, groups):
    n_batch, n_out, oh, ow = g.shape
    _, cg, kh, kw = w_shape
    og = n_out // groups
    gw = np.zeros(w_shape, dtype=g.dtype)
    for o in prange(n_out):
        base = (o // og) * cg
        for c in range(cg):
            for i in range(kh):
                for j in range(kw):
                    acc = 0.0
                    for n in range(n_batch):
                        for y in range(oh):
                            row = y * sh + i * dh
                            for x in range(ow):
                                acc += g[n, o, y, x] * xp[n, base + c, row, x * sw + j * dw]
                    gw[o, c, i, j] = acc
    return gw


@njit(cache=True)
def max_pool2d(xp, kh, kw, sh, sw, dh, dw, oh, ow, top, left, h, w):
    """Max over each window of the -inf-padded input (the real input at rows top..top+h, columns left..left+w),
    torch's rule: start at the window's first real element, move on at ``v > best or isnan(v)`` (ties: the first
    maximum; all -inf: the first real element, never the padding; several NaNs: the last)."""
    n_batch, channels, _, _ = xp.shape
    out = np.empty((n_batch, channels, oh, ow), dtype=xp.dtype)
    where = np.empty((n_batch, channels, oh, ow, 2), dtype=np.int64)
    for n in range(n_batch):
        for c in range(channels):
            for y in range(oh):
                i0 = 0
                while i0 < kh - 1 and not top <= y * sh + i0 * dh < top + h:
                    i0 += 1
                for x in range(ow):
                    j0 = 0
                    while j0 < kw - 1 and not left <= x * sw + j0 * dw < left + w:
                        j0 += 1
                    best, bi, bj = -np.inf, y * sh + i0 * dh, x * sw + j0 * dw
                    for i in range(kh):
                        for j in range(kw):
                            r, s = y * sh + i * dh, x * sw + j * dw
                            v = xp[n, c, r, s]
                            if v > best or v != v:
                                best, bi, bj = v, r, s
                    out[n, c, y, x] = best
                    where[n, c, y, x, 0], where[n, c, y, x, 1] = bi, bj
    return out, where


@njit(cache=True)
def max_pool2d_grad(g, where, padded_shape):
    gxp = np.zeros(padded_shape, dtype=g.dtype)
    n_batch, channels, oh, ow = g.shape
    for n in range(n_batch):
        for c in range(channels):
            for y in range(oh):
                for x in range(ow):
                    gxp[n, c, where[n, c, y, x, 0], where[n, c, y, x, 1]] += g[n, c, y, x]
    return gxp


@njit(cache=True)
def avg_pool2d(xp, divisor, kh, kw, sh, sw, oh, ow):
    n_batch, channels, _, _ = xp.shape
    out = np.empty((n_batch, channels, oh, ow), dtype=xp.dtype)
    for n in range(n_batch):
        for c in range(channels):
            for y in range(oh):
                for x in range(ow):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            total += xp[n, c, y * sh + i, x * sw + j]
                    out[n, c, y, x] = total / divisor[y, x]
    return out


@njit(cache=True)
def avg_pool2d_grad(g, divisor, padded_shape, kh, kw, sh, sw):
    gxp = np.zeros(padded_shape, dtype=g.dtype)
    n_batch, channels, oh, ow = g.shape
    for n in range(n_batch):
        for c in range(channels):
            for y in range(oh):
                for x in range(ow):
                    share = g[n, c, y, x] / divisor[y, x]
                    for i in range(kh):
                        for j in range(kw):
                            gxp[n, c, y * sh + i, x * sw + j] += share
    return gxp


# ---------------------------------------------------------------- per-channel affine map (batch_norm_eval)
@njit(cache=True)
def channel_affine(x, shift, scale, weight, bias, has_weight, has_bias):
    """((x - shift[c]) * scale[c]) * weight[c] + bias[c] over x of shape (N, C, S), C-contiguous: each operation
    rounded as the separate broadcast ufuncs round it (no fastmath, so no fused multiply-add); the weight and
    the bias only where given (+ 0 would turn -0.0 into +0.0).  One pass over x on one thread (memory-bound: a
    parallel region waits a scheduler time slice on a loaded machine, 7-20 ms measured, for a 0.1-0.5 ms pass); the
    broadcast ufuncs it replaces take numba's strided path (stride-0 operands)."""
    n, c, s = x.shape
    out = np.empty_like(x)
    for plane in range(n * c):
        b, ch = plane // c, plane % c
        m, k, w, o = shift[ch], scale[ch], weight[ch], bias[ch]
        for i in range(s):
            v = (x[b, ch, i] - m) * k
            if has_weight:
                v = v * w
            if has_bias:
                v = v + o
            out[b, ch, i] = v
    return out


# ---------------------------------------------------------------- normalisation over rows (stats per row)
@njit(cache=True)
def normalize_rows(a, eps):
    """(x - mean) / sqrt(var + eps) per row, biased variance; returns xhat and 1/sqrt(var + eps).

    Statistics in float64 with the reductions' summation (within the accumulation bound), explicit loops
    over one scratch row instead of array expressions that allocate two temporaries per row."""
    rows, n = a.shape
    xhat = np.empty_like(a)
    inv = np.empty(rows, dtype=a.dtype)
    pairwise = a.itemsize == 8
    squares = np.empty(n)
    for r in range(rows):
        mean = total(a[r], 0, n, pairwise) / n
        for i in range(n):
            d = np.float64(a[r, i]) - mean
            squares[i] = d * d
        scale = 1.0 / math.sqrt(total(squares, 0, n, pairwise) / n + eps)
        inv[r] = scale
        for i in range(n):
            xhat[r, i] = (np.float64(a[r, i]) - mean) * scale
    return xhat, inv


@njit(cache=True)
def normalize_rows_grad(gxhat, xhat, inv):
    out = np.empty_like(gxhat)
    n = gxhat.shape[1]
    for r in range(gxhat.shape[0]):
        mean_g = vector_sum(gxhat[r]) / n
        mean_gx = vector_sum(gxhat[r] * xhat[r]) / n
        out[r] = inv[r] * (gxhat[r] - mean_g - xhat[r] * mean_gx)
    return out
