"""Numba CUDA kernels: elementwise ops with their derivatives, a shared-memory block reduction,
row softmax, and a shared-memory tiled matmul (tile 16).

The tiled matmul handles sizes that are not multiples of the tile: out-of-range threads load zeros
into the shared tiles and skip only the final store.  The widely copied version returns early when
*both* indices are out of range -- threads with one index out of range then read past the input, and
an early return before ``syncthreads`` is undefined behaviour; the remainder tile comes out wrong.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda, float32, float64

TILE = 16
BLOCK = 128


# ---------------------------------------------------------------- elementwise: device functions
@cuda.jit(device=True)
def _neg(x):
    return -x


@cuda.jit(device=True)
def _neg_d(x, g):
    return -g


# Device functions spell out IEEE results at the edges: the simulator runs Python's math module, which
# raises where CUDA returns inf or NaN (math.exp(1000), math.sin(inf)); on a GPU the guards are free.
@cuda.jit(device=True)
def _safe_exp(x):
    if x != x:
        return x
    if x > 709.0:
        return math.inf
    return 0.0 if x < -745.0 else math.exp(x)


@cuda.jit(device=True)
def _exp(x):
    return _safe_exp(x)


@cuda.jit(device=True)
def _exp_d(x, g):
    return g * _safe_exp(x)


@cuda.jit(device=True)
def _tanh(x):
    return math.tanh(x)


@cuda.jit(device=True)
def _tanh_d(x, g):
    t = math.tanh(x)
    return g * (1.0 - t * t)


@cuda.jit(device=True)
def _sigmoid(x):
    e = _safe_exp(-abs(x))
    return 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)


@cuda.jit(device=True)
def _sigmoid_d(x, g):
    e = _safe_exp(-abs(x))
    s = 1.0 / (1.0 + e) if x >= 0 else e / (1.0 + e)
    return g * s * (1.0 - s)


@cuda.jit(device=True)
def _relu(x):
    return x if (x > 0 or x != x) else 0.0


@cuda.jit(device=True)
def _relu_d(x, g):
    return g if x > 0 else 0.0


@cuda.jit(device=True)
def _sin(x):
    return math.sin(x) if abs(x) < math.inf else x - x  # sin(±inf) = NaN; NaN stays NaN


@cuda.jit(device=True)
def _sin_d(x, g):
    return g * math.cos(x) if abs(x) < math.inf else x - x


@cuda.jit(device=True)
def _square(x):
    return x * x


@cuda.jit(device=True)
def _square_d(x, g):
    return 2.0 * x * g


@cuda.jit(device=True)
def _erf(x):
    return math.erf(x)


@cuda.jit(device=True)
def _erf_d(x, g):
    return g * 1.1283791670955126 * _safe_exp(-x * x)


@cuda.jit(device=True)
def _abs(x):
    return abs(x)


@cuda.jit(device=True)
def _abs_d(x, g):
    if x != x:
        return x
    return g if x > 0 else (-g if x < 0 else 0.0 * g)


@cuda.jit(device=True)
def _expm1(x):
    if x > 709.0:
        return math.inf
    return math.expm1(x) if x == x else x


@cuda.jit(device=True)
def _log(x):
    if x != x or x < 0:
        return math.nan
    return -math.inf if x == 0 else (x if x == math.inf else math.log(x))


@cuda.jit(device=True)
def _log_d(x, g):
    return g / x


@cuda.jit(device=True)
def _log1p(x):
    if x != x or x < -1:
        return math.nan
    return -math.inf if x == -1 else (x if x == math.inf else math.log1p(x))


@cuda.jit(device=True)
def _log1p_d(x, g):
    return g / (1.0 + x)


@cuda.jit(device=True)
def _sqrt(x):
    return math.sqrt(x) if x >= 0 else math.nan


@cuda.jit(device=True)
def _sqrt_d(x, g):
    return g / (2.0 * math.sqrt(x)) if x >= 0 else math.nan


@cuda.jit(device=True)
def _reciprocal(x):
    return 1.0 / x


@cuda.jit(device=True)
def _reciprocal_d(x, g):
    r = 1.0 / x
    return -g * r * r


@cuda.jit(device=True)
def _cos(x):
    return math.cos(x) if abs(x) < math.inf else x - x


@cuda.jit(device=True)
def _cos_d(x, g):
    return -g * math.sin(x) if abs(x) < math.inf else x - x


@cuda.jit(device=True)
def _gelu(x):
    if x == -math.inf:
        return -0.0
    return 0.5 * x * (1.0 + math.erf(x * 0.7071067811865476)) if x == x else x


@cuda.jit(device=True)
def _gelu_d(x, g):
    if x == -math.inf:
        return 0.0 * g
    cdf = 0.5 * (1.0 + math.erf(x * 0.7071067811865476))
    return g * (cdf + x * 0.3989422804014327 * _safe_exp(-0.5 * x * x))


def _kernel1(fn):
    """A launchable kernel applying the device function ``fn`` to one input, element by element."""

    @cuda.jit
    def kernel(x, out):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = fn(x[i])

    return kernel


def _kernel2(fn):
    """As :func:`_kernel1` for two inputs of the output's size (a unary derivative's x, g; a binary op's x, y)."""

    @cuda.jit
    def kernel(x, y, out):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = fn(x[i], y[i])

    return kernel


def _kernel3(fn):
    """As :func:`_kernel1` for three inputs (a binary derivative's x, y, g)."""

    @cuda.jit
    def kernel(x, y, g, out):
        i = cuda.grid(1)
        if i < out.size:
            out[i] = fn(x[i], y[i], g[i])

    return kernel


UNARY = {
    name: (_kernel1(f), _kernel2(d))
    for name, f, d in (
        ("neg", _neg, _neg_d),
        ("exp", _exp, _exp_d),
        ("tanh", _tanh, _tanh_d),
        ("sigmoid", _sigmoid, _sigmoid_d),
        ("relu", _relu, _relu_d),
        ("sin", _sin, _sin_d),
        ("square", _square, _square_d),
        ("erf", _erf, _erf_d),
        ("abs", _abs, _abs_d),
        ("expm1", _expm1, _exp_d),
        ("log", _log, _log_d),
        ("log1p", _log1p, _log1p_d),
        ("sqrt", _sqrt, _sqrt_d),
        ("reciprocal", _reciprocal, _reciprocal_d),
        ("cos", _cos, _cos_d),
        ("gelu", _gelu, _gelu_d),
    )
}


# ---------------------------------------------------------------- binary: forward(x, y), d/dx and d/dy (x, y, g)
@cuda.jit(device=True)
def _add(x, y):
    return x + y


@cuda.jit(device=True)
def _sub(x, y):
    return x - y


@cuda.jit(device=True)
def _mul(x, y):
    return x * y


@cuda.jit(device=True)
def _div(x, y):
    return x / y


@cuda.jit(device=True)
def _pow(x, y):
    if x < 0 and y != math.floor(y):
        return math.nan
    return x**y


@cuda.jit(device=True)
def _maximum(x, y):
    if x != x or y != y:
        return x + y
    return x if x >= y else y


@cuda.jit(device=True)
def _minimum(x, y):
    if x != x or y != y:
        return x + y
    return x if x <= y else y


@cuda.jit(device=True)
def _g(x, y, g):
    return g


@cuda.jit(device=True)
def _minus_g(x, y, g):
    return -g


@cuda.jit(device=True)
def _mul_dx(x, y, g):
    return g * y


@cuda.jit(device=True)
def _mul_dy(x, y, g):
    return g * x


@cuda.jit(device=True)
def _div_dx(x, y, g):
    return g / y


@cuda.jit(device=True)
def _div_dy(x, y, g):
    return -g * x / (y * y)


@cuda.jit(device=True)
def _pow_dx(x, y, g):
    if y == 0:
        return 0.0 * g  # torch: d/dx x**0 = 0, even at 0
    return g * y * x ** (y - 1.0)


@cuda.jit(device=True)
def _pow_dy(x, y, g):
    if x == 0 and y >= 0:
        return 0.0 * g  # torch: 0**y * log 0 taken as 0
    if x <= 0:
        return math.nan if x < 0 else -g * math.inf
    return g * x**y * math.log(x)


@cuda.jit(device=True)
def _max_dx(x, y, g):
    if x == y:
        return 0.5 * g
    return 0.0 * g if x < y else g


@cuda.jit(device=True)
def _max_dy(x, y, g):
    if x == y:
        return 0.5 * g
    return 0.0 * g if x > y else g


BINARY = {
    name: (_kernel2(f), _kernel3(dx), _kernel3(dy))
    for name, f, dx, dy in (
        ("add", _add, _g, _g),
        ("sub", _sub, _g, _minus_g),
        ("mul", _mul, _mul_dx, _mul_dy),
        ("div", _div, _div_dx, _div_dy),
        ("pow", _pow, _pow_dx, _pow_dy),
        ("maximum", _maximum, _max_dx, _max_dy),
        ("minimum", _minimum, _max_dy, _max_dx),
    )
}


def launch_1d(kernel, n, *args):
    """One thread per element, BLOCK threads per block."""
    blocks = max(1, (n + BLOCK - 1) // BLOCK)
    kernel[blocks, BLOCK](*args)


# ---------------------------------------------------------------- block reduction: one block per row
def _row_sum_kernel(dtype):
    @cuda.jit
    def row_sum(a, out):
        """Each block sums one row: threads stride over it, then a shared-memory tree halves the partials."""
        partial = cuda.shared.array(BLOCK, dtype)
        row, t = cuda.blockIdx.x, cuda.threadIdx.x
        acc = dtype(-0.0)
        for j in range(t, a.shape[1], BLOCK):
            acc += a[row, j]
        partial[t] = acc
        cuda.syncthreads()
        step = BLOCK // 2
        while step > 0:
            if t < step:
                partial[t] += partial[t + step]
            cuda.syncthreads()
            step //= 2
        if t == 0:
            out[row] = partial[0]

    return row_sum


ROW_SUM = {np.dtype("float32"): _row_sum_kernel(float32), np.dtype("float64"): _row_sum_kernel(float64)}


@cuda.jit
def fill_rows(g, out):
    """out[i, j] = g[i]: the adjoint of a row sum."""
    i, j = cuda.grid(2)
    if i < out.shape[0] and j < out.shape[1]:
        out[i, j] = g[i]


# ---------------------------------------------------------------- softmax over rows (one thread per row)
@cuda.jit
def row_softmax(a, out):
    i = cuda.grid(1)
    if i >= a.shape[0]:
        return  # no shared memory or syncthreads in this kernel: returning early is safe here
    m = a[i, 0]
    for j in range(a.shape[1]):
        if a[i, j] > m or a[i, j] != a[i, j]:
            m = a[i, j]
    total = 0.0
    for j in range(a.shape[1]):
        e = _safe_exp(a[i, j] - m)
        out[i, j] = e
        total += e
    for j in range(a.shape[1]):
        out[i, j] /= total


@cuda.jit
def row_softmax_vjp(p, g, out):
    i = cuda.grid(1)
    if i >= p.shape[0]:
        return
    dot = 0.0
    for j in range(p.shape[1]):
        dot += g[i, j] * p[i, j]
    for j in range(p.shape[1]):
        out[i, j] = p[i, j] * (g[i, j] - dot)


# ---------------------------------------------------------------- tiled matmul
def _matmul_kernel(dtype):
    @cuda.jit
    def matmul(a, b, c):
        sa = cuda.shared.array((TILE, TILE), dtype)
        sb = cuda.shared.array((TILE, TILE), dtype)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        row = cuda.blockIdx.y * TILE + ty
        col = cuda.blockIdx.x * TILE + tx
        acc = dtype(0.0)
        for t in range((a.shape[1] + TILE - 1) // TILE):
            k = t * TILE
            # every thread loads (zeros outside the matrices) and reaches both barriers
            sa[ty, tx] = a[row, k + tx] if row < a.shape[0] and k + tx < a.shape[1] else dtype(0.0)
            sb[ty, tx] = b[k + ty, col] if k + ty < b.shape[0] and col < b.shape[1] else dtype(0.0)
            cuda.syncthreads()
            for kk in range(TILE):
                acc += sa[ty, kk] * sb[kk, tx]
            cuda.syncthreads()
        if row < c.shape[0] and col < c.shape[1]:
            c[row, col] = acc

    return matmul


MATMUL = {np.dtype("float32"): _matmul_kernel(float32), np.dtype("float64"): _matmul_kernel(float64)}


def launch_matmul(a, b, c) -> None:
    """A (ceil(N/16), ceil(M/16)) grid of 16x16 blocks."""
    grid = ((c.shape[1] + TILE - 1) // TILE, (c.shape[0] + TILE - 1) // TILE)
    MATMUL[np.dtype(a.dtype)][grid, (TILE, TILE)](a, b, c)
