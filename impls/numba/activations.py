"""The activation family (:mod:`reference.activations`) as Numba ufuncs, each forward beside its derivative;
registered into :data:`impls.numba.elementwise.UNARY` by the backend.  The limits at +-inf are taken where the
literal formula gives inf * 0 = NaN, as the reference does."""

from __future__ import annotations

import math

from numba import njit, prange, vectorize

from impls.numba import vecmath32 as V32
from impls.numba.elementwise import PARALLEL_OPTIONS, SERIAL_OPTIONS, _b, _t, _u

SIG4 = ["float32(float32, float32, float32, float32)", "float64(float64, float64, float64, float64)"]
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
TWO_SQRT_2_OVER_PI = 2.0 * math.sqrt(2.0 / math.pi)
CUBIC = 0.044715


def _q(fn):
    return vectorize(SIG4, cache=True, fastmath={"contract"})(fn)


@njit(inline="always")
def _silu(x):
    s = V32.sigmoid(x)
    return -s if x == -math.inf else x * s  # the limit -0.0 (sigmoid(-inf) = 0) where x * s is -inf * 0, in x's type


@njit(inline="always")
def _silu_d(x, g):
    if math.isinf(x):
        return 0.0 if x < 0 else g
    s = V32.sigmoid(x)
    return g * (s * (1.0 + x * (1.0 - s)))


silu = _u(_silu.py_func)
silu_d = _b(_silu_d.py_func)


@njit(inline="always")
def _elu(x, alpha):
    return x if x > 0 else alpha * V32.expm1(x)


@njit(inline="always")
def _elu_d(x, alpha, g):
    return g * (alpha * V32.exp(x)) if x <= 0 else g  # the left slope at 0, the right one at NaN (torch)


elu = _b(_elu.py_func)
elu_d = _t(_elu_d.py_func)


@njit(inline="always")
def _selu(x):
    return SELU_SCALE * (x if x > 0 else SELU_ALPHA * V32.expm1(x))


selu = _u(_selu.py_func)


@_b
def selu_d(x, g):
    return g * (SELU_SCALE * SELU_ALPHA * V32.exp(x)) if x <= 0 else g * SELU_SCALE


@njit(inline="always")
def _hardtanh(x, low, high):
    return low if x < low else (high if x > high else x)


@njit(inline="always")
def _hardtanh_d(x, low, high, g):
    return 0.0 if (x <= low or x >= high) else g  # the bounds excluded, NaN passes g (torch)


hardtanh = _t(_hardtanh.py_func)
hardtanh_d = _q(_hardtanh_d.py_func)


# Over both cores from PARALLEL_MIN_SIZE (as the memory-bound loops in impls.numba.elementwise), on one below;
# both take the scalar bounds as arguments: a ufunc handed a scalar leaves its contiguous fast path
@njit(**PARALLEL_OPTIONS)
def _hardtanh_loop(x, low, high, out):
    for i in prange(x.size):
        out[i] = _hardtanh(x[i], low, high)


@njit(**PARALLEL_OPTIONS)
def _hardtanh_d_loop(x, low, high, g, out):
    for i in prange(x.size):
        out[i] = _hardtanh_d(x[i], low, high, g[i])


@njit(**SERIAL_OPTIONS)
def _hardtanh_serial_loop(x, low, high, out):
    for i in range(x.size):
        out[i] = _hardtanh(x[i], low, high)


@njit(**SERIAL_OPTIONS)
def _hardtanh_d_serial_loop(x, low, high, g, out):
    for i in range(x.size):
        out[i] = _hardtanh_d(x[i], low, high, g[i])


@njit(inline="always")
def _log_sigmoid(x):
    return min(x, 0.0) - V32.log1p(V32.exp(-abs(x))) if x == x else x


log_sigmoid = _u(_log_sigmoid.py_func)


@_b
def log_sigmoid_d(x, g):
    return g * V32.sigmoid(-x)


@njit(inline="always")
def _mish_tanh(x):
    return V32.tanh(max(x, 0.0) + V32.log1p(V32.exp(-abs(x))))


@njit(inline="always")
def _mish(x):
    if x == -math.inf:
        return -0.0
    return x * _mish_tanh(x) if x == x else x


@njit(inline="always")
def _mish_d(x, g):
    if math.isinf(x):
        return 0.0 if x < 0 else g
    t = _mish_tanh(x)
    return g * (t + x * (1.0 - t * t) * V32.sigmoid(x))


mish = _u(_mish.py_func)
mish_d = _b(_mish_d.py_func)


# Parallel loops (as impls.numba.elementwise's) for the kernels LLVM does not inline into a ufunc's loop (two or
# three vecmath functions, or one behind a branch): there they ran scalar (log_sigmoid 16 ms, 10^6 float64; selu
# and gelu_tanh 4-7 ms in float32); elu's scalar alpha also takes its ufunc off the contiguous fast path
@njit(**PARALLEL_OPTIONS)
def _silu_loop(x, out):
    for i in prange(x.size):
        out[i] = _silu(x[i])


@njit(**PARALLEL_OPTIONS)
def _silu_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = _silu_d(x[i], g[i])


@njit(**PARALLEL_OPTIONS)
def _elu_loop(x, alpha, out):
    for i in prange(x.size):
        out[i] = _elu(x[i], alpha)


@njit(**PARALLEL_OPTIONS)
def _elu_d_loop(x, alpha, g, out):
    for i in prange(x.size):
        out[i] = _elu_d(x[i], alpha, g[i])


@njit(**PARALLEL_OPTIONS)
def _selu_loop(x, out):
    for i in prange(x.size):
        out[i] = _selu(x[i])


@njit(**PARALLEL_OPTIONS)
def _gelu_tanh_loop(x, out):
    for i in prange(x.size):
        out[i] = _gelu_tanh(x[i])


@njit(**PARALLEL_OPTIONS)
def _gelu_tanh_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = _gelu_tanh_d(x[i], g[i])


@njit(**PARALLEL_OPTIONS)
def _log_sigmoid_loop(x, out):
    for i in prange(x.size):
        out[i] = _log_sigmoid(x[i])


@njit(**PARALLEL_OPTIONS)
def _mish_loop(x, out):
    for i in prange(x.size):
        out[i] = _mish(x[i])


@njit(**PARALLEL_OPTIONS)
def _mish_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = _mish_d(x[i], g[i])


@njit(inline="always")
def _two_u(x):
    return TWO_SQRT_2_OVER_PI * (x + CUBIC * x * x * x)


@njit(inline="always")
def _gelu_tanh(x):
    if x == -math.inf:
        return -0.0
    return x * V32.sigmoid(_two_u(x))  # 0.5 x (1 + tanh(u)) = x sigmoid(2u): no cancellation in the negative tail


gelu_tanh = _u(_gelu_tanh.py_func)


@njit(inline="always")
def _gelu_tanh_d(x, g):
    if abs(x) > 1e3:
        return g if x > 0 else 0.0
    two_u = _two_u(x)
    s = V32.sigmoid(two_u)
    return g * (s + x * s * V32.sigmoid(-two_u) * TWO_SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * x * x))


gelu_tanh_d = _b(_gelu_tanh_d.py_func)


UNARY = {  # op -> (forward, derivative, parameter name(s) or None), as impls.numba.elementwise.UNARY
    "silu": (silu, silu_d, None),
    "elu": (elu, elu_d, "alpha"),
    "selu": (selu, selu_d, None),
    "hardtanh": (hardtanh, hardtanh_d, ("min_val", "max_val")),
    "log_sigmoid": (log_sigmoid, log_sigmoid_d, None),
    "mish": (mish, mish_d, None),
    "gelu_tanh": (gelu_tanh, gelu_tanh_d, None),
}
LOOPS = {  # as impls.numba.elementwise.LOOPS
    "hardtanh": (_hardtanh_loop, _hardtanh_d_loop),
    "silu": (_silu_loop, _silu_d_loop),
    "elu": (_elu_loop, _elu_d_loop),
    "selu": (_selu_loop, None),
    "gelu_tanh": (_gelu_tanh_loop, _gelu_tanh_d_loop),
    "log_sigmoid": (_log_sigmoid_loop, None),
    "mish": (_mish_loop, _mish_d_loop),
}
SERIAL_LOOPS = {"hardtanh": (_hardtanh_serial_loop, _hardtanh_d_serial_loop)}  # as impls.numba.elementwise's
