"""The math-function family (:mod:`reference.mathfuncs`) as Numba ufuncs, each forward beside its derivative.

Registered into :data:`impls.numba.elementwise.UNARY` / ``BINARY`` by the backend, so they dispatch like every
elementwise op there (NumPy's ufunc machinery broadcasts; the kernels see scalars).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from impls.numba import vecmath32 as V32
from impls.numba import vecmath_derived as D
from impls.numba.activations import _q
from impls.numba.elementwise import PARALLEL_OPTIONS, SERIAL_OPTIONS, _b, _t, _u

LN2, LN10 = math.log(2.0), math.log(10.0)


# ---------------------------------------------------------------- piecewise constant: gradient 0, even for NaN g
@_b
def zero_d(x, g):
    return 0.0


@_u
def sign(x):
    if x != x:
        return x
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)  # sign(+-0) = +0


@_u
def floor(x):
    return np.floor(x)


@_u
def ceil(x):
    return np.ceil(x)


@_u
def trunc(x):
    return np.trunc(x)


@_u
def round_(x):
    return np.rint(x)  # half to even


# ---------------------------------------------------------------- exponentials, logarithms, rsqrt
@_u
def exp2(x):
    return D.exp2(x)


@_b
def exp2_d(x, g):
    return g * D.exp2(x) * LN2


@_u
def log2(x):
    return D.log2(x)


@_b
def log2_d(x, g):
    return g / x / LN2


@_u
def log10(x):
    return D.log10(x)


@_b
def log10_d(x, g):
    return g / x / LN10


@_u
def rsqrt(x):
    return 1.0 / math.sqrt(x) if x >= 0 else math.nan  # 1 / sqrt(-0) = -inf


@_b
def rsqrt_d(x, g):
    if not x >= 0:
        return math.nan
    r = 1.0 / math.sqrt(x)
    return -0.5 * g * (r * r * r)


# ---------------------------------------------------------------- hyperbolic and inverse trigonometric
@_u
def sinh(x):
    return D.sinh(x)


@_b
def sinh_d(x, g):
    return g * D.cosh(x)


@_u
def cosh(x):
    return D.cosh(x)


@_b
def cosh_d(x, g):
    return g * D.sinh(x)


@_u
def asin(x):
    return D.asin(x)


@_b
def asin_d(x, g):
    return g / np.sqrt((1.0 - x) * (1.0 + x))


@_u
def acos(x):
    return D.acos(x)


@_b
def acos_d(x, g):
    return -g / np.sqrt((1.0 - x) * (1.0 + x))


@_u
def atan(x):
    return D.atan(x)


@_b
def atan_d(x, g):
    if abs(x) > 1.0:  # (1/x)**2 / (1 + (1/x)**2): no overflow of x**2
        r = 1.0 / x
        return g * (r * r / (1.0 + r * r))
    return g / (1.0 + x * x)


@_u
def asinh(x):
    return D.asinh(x)


@_b
def asinh_d(x, g):
    if abs(x) > 1.0:
        r = 1.0 / x
        return g * (abs(r) / math.sqrt(1.0 + r * r))
    return g / math.sqrt(1.0 + x * x)


@_u
def acosh(x):
    return D.acosh(x)


@_b
def acosh_d(x, g):
    if x > 2.0**500:
        return g / x
    return g / np.sqrt((x - 1.0) * (x + 1.0) + 0.0)  # below 1: the formula's value, as torch (+inf at -1)


@_u
def atanh(x):
    return D.atanh(x)


@_b
def atanh_d(x, g):
    return g / ((1.0 - x) * (1.0 + x))


# clip: an absent bound (None) arrives as NaN, which no given bound can be (the reference rejects a NaN bound)
@njit(inline="always")
def _clip(x, low, high):
    if low == low and x < low:
        x = low
    if high == high and x > high:
        x = high
    return x


@njit(inline="always")
def _clip_d(x, low, high, g):
    inside = (low != low or x >= low) and (high != high or x <= high)  # bounds included, NaN blocked (torch)
    return g if inside else 0.0


clip = _t(_clip.py_func)
clip_d = _q(_clip_d.py_func)


# Over both cores from PARALLEL_MIN_SIZE (as the memory-bound loops in impls.numba.elementwise), on one below;
# both take the scalar bounds as arguments: a ufunc handed a scalar leaves its contiguous fast path
@njit(**PARALLEL_OPTIONS)
def _clip_loop(x, low, high, out):
    for i in prange(x.size):
        out[i] = _clip(x[i], low, high)


@njit(**PARALLEL_OPTIONS)
def _clip_d_loop(x, low, high, g, out):
    for i in prange(x.size):
        out[i] = _clip_d(x[i], low, high, g[i])


@njit(**SERIAL_OPTIONS)
def _clip_serial_loop(x, low, high, out):
    for i in range(x.size):
        out[i] = _clip(x[i], low, high)


@njit(**SERIAL_OPTIONS)
def _clip_d_serial_loop(x, low, high, g, out):
    for i in range(x.size):
        out[i] = _clip_d(x[i], low, high, g[i])


# Parallel loops (as impls.numba.elementwise's) for the kernels LLVM does not inline into a ufunc's loop, so
# does not vectorise there: those of two vecmath evaluations (sinh; cosh's derivative) or of a log with a
# sqrt and a division or two (asinh, acosh, atanh, asin, acos); measured as ufuncs on 10^6 float64 they
# take 15-28 ms against 1-2 ms for the inlined ones (cosh, atan).
@njit(**PARALLEL_OPTIONS)
def _sinh_loop(x, out):
    for i in prange(x.size):
        out[i] = D.sinh(x[i])


@njit(**PARALLEL_OPTIONS)
def _cosh_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = g[i] * D.sinh(x[i])


@njit(**PARALLEL_OPTIONS)
def _asin_loop(x, out):
    for i in prange(x.size):
        out[i] = D.asin(x[i])


@njit(**PARALLEL_OPTIONS)
def _acos_loop(x, out):
    for i in prange(x.size):
        out[i] = D.acos(x[i])


@njit(**PARALLEL_OPTIONS)
def _asinh_loop(x, out):
    for i in prange(x.size):
        out[i] = D.asinh(x[i])


@njit(**PARALLEL_OPTIONS)
def _acosh_loop(x, out):
    for i in prange(x.size):
        out[i] = D.acosh(x[i])


@njit(**PARALLEL_OPTIONS)
def _atanh_loop(x, out):
    for i in prange(x.size):
        out[i] = D.atanh(x[i])


# logaddexp's two vecmath calls make a kernel LLVM does not inline into the binary ufunc's loop (16 ms on 10^6
# float64, against 10 ms for the two libm calls it replaced): its forward, and hypot's, have loops too
@njit(**PARALLEL_OPTIONS)
def _logaddexp_loop(x, y, out):
    for i in prange(x.size):
        out[i] = D.logaddexp(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _hypot_loop(x, y, out):
    for i in prange(x.size):
        out[i] = D.hypot(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _atan2_loop(x, y, out):
    for i in prange(x.size):
        out[i] = D.atan2(x[i], y[i])


# as impls.numba.elementwise.BINARY_LOOPS
BINARY_LOOPS = {"logaddexp": _logaddexp_loop, "hypot": _hypot_loop, "atan2": _atan2_loop}  # and fmod's, below


UNARY = {  # op -> (forward, derivative, parameter name or None), as impls.numba.elementwise.UNARY
    "sign": (sign, zero_d, None),
    "floor": (floor, zero_d, None),
    "ceil": (ceil, zero_d, None),
    "trunc": (trunc, zero_d, None),
    "round": (round_, zero_d, None),
    "exp2": (exp2, exp2_d, None),
    "log2": (log2, log2_d, None),
    "log10": (log10, log10_d, None),
    "rsqrt": (rsqrt, rsqrt_d, None),
    "sinh": (sinh, sinh_d, None),
    "cosh": (cosh, cosh_d, None),
    "asin": (asin, asin_d, None),
    "acos": (acos, acos_d, None),
    "atan": (atan, atan_d, None),
    "asinh": (asinh, asinh_d, None),
    "acosh": (acosh, acosh_d, None),
    "atanh": (atanh, atanh_d, None),
    "clip": (clip, clip_d, ("min", "max")),
}


# one pass over both cores for the memory-bound ones (see elementwise's neg loop)
@njit(**PARALLEL_OPTIONS)
def _sign_loop(x, out):
    for i in prange(x.size):
        out[i] = sign(x[i])


@njit(**PARALLEL_OPTIONS)
def _floor_loop(x, out):
    for i in prange(x.size):
        out[i] = floor(x[i])


@njit(**PARALLEL_OPTIONS)
def _ceil_loop(x, out):
    for i in prange(x.size):
        out[i] = ceil(x[i])


@njit(**PARALLEL_OPTIONS)
def _trunc_loop(x, out):
    for i in prange(x.size):
        out[i] = trunc(x[i])


@njit(**PARALLEL_OPTIONS)
def _round_loop(x, out):
    for i in prange(x.size):
        out[i] = round_(x[i])


@njit(**PARALLEL_OPTIONS)
def _rsqrt_loop(x, out):
    for i in prange(x.size):
        out[i] = rsqrt(x[i])


LOOPS = {  # as impls.numba.elementwise.LOOPS
    "sign": (_sign_loop, None),
    "floor": (_floor_loop, None),
    "ceil": (_ceil_loop, None),
    "trunc": (_trunc_loop, None),
    "round": (_round_loop, None),
    "rsqrt": (_rsqrt_loop, None),
    "clip": (_clip_loop, _clip_d_loop),
    "sinh": (_sinh_loop, None),
    "cosh": (None, _cosh_d_loop),
    "asin": (_asin_loop, None),
    "acos": (_acos_loop, None),
    "asinh": (_asinh_loop, None),
    "acosh": (_acosh_loop, None),
    "atanh": (_atanh_loop, None),
}
SERIAL_LOOPS = {"clip": (_clip_serial_loop, _clip_d_serial_loop)}  # as impls.numba.elementwise's
BINARY: dict = {}


# ---------------------------------------------------------------- binary: forward(x, y), d/dx(x, y, g), d/dy(x, y, g)
@_b
def atan2(x, y):
    return D.atan2(x, y)


@njit(inline="always")
def _atan2_scaled(x, y):
    """(x / s, y / s, (x**2 + y**2) / s) with s the larger magnitude: no over- or underflow of the squares."""
    s = abs(x) if abs(x) > abs(y) else abs(y)
    if s == 0 or not math.isfinite(s):
        s = 1.0
    xs, ys = x / s, y / s
    return xs, ys, (xs * xs + ys * ys) * s


@_t
def atan2_dx(x, y, g):
    if x == 0 and y == 0:
        return 0.0  # torch's atan2_backward at the origin
    xs, ys, r2 = _atan2_scaled(x, y)
    return g * (ys / r2)


@_t
def atan2_dy(x, y, g):
    if x == 0 and y == 0:
        return 0.0
    xs, ys, r2 = _atan2_scaled(x, y)
    return g * (-xs / r2)


@_b
def hypot(x, y):
    return D.hypot(x, y)


@_t
def hypot_dx(x, y, g):
    return g * (x / D.hypot(x, y))


@_t
def hypot_dy(x, y, g):
    return g * (y / D.hypot(x, y))


@njit(inline="always")
def _fmod_libm(x, y):
    return np.fmod(x, y) if y != 0 and math.isfinite(x) else math.nan  # C's fmod (exact); NaN at y = 0, x = inf


@njit(inline="always")
def _fmod(x, y):
    """C's fmod: vecmath_derived's where its quotient is safe, the C library's elsewhere (both exact: the same
    bits)."""
    value, reliable = D.fmod_checked(x, y)
    return value if reliable else _fmod_libm(x, y)


@_b
def fmod(x, y):
    return _fmod(x, y)


@_t
def one_d(x, y, g):
    return g


@_t
def fmod_dy(x, y, g):
    return -g * np.trunc(x / y)


@njit(inline="always")
def _divmod_of(x, y, mod):
    """NumPy's npy_divmod: (floor(x / y), x - floor(x / y) y), from mod = fmod(x, y) (exact), in x's type (as
    NumPy's float32 loop)."""
    mod = D.as_type_of(x, mod)
    if y == 0:
        return x / y, math.nan
    div = (x - mod) / y
    if mod != 0:
        if (y < 0) != (mod < 0):
            mod += y
            div -= 1.0
    else:
        mod = math.copysign(0.0, y)
    if div != 0:
        floordiv = np.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1.0
    else:
        floordiv = math.copysign(0.0, x / y)
    return floordiv, mod


@njit(inline="always")
def _divmod(x, y):
    return _divmod_of(x, y, _fmod(x, y))


@_b
def remainder(x, y):
    return _divmod(x, y)[1]


@_t
def remainder_dy(x, y, g):
    return -g * _divmod(x, y)[0]


@_b
def floor_divide(x, y):
    return _divmod(x, y)[0]


# fmod, remainder and floor_divide over both cores: the vectorised fmod first, then C's where it was not reliable
@njit(**PARALLEL_OPTIONS)
def _fmod_loop(x, y, out):
    unreliable = 0
    for i in prange(x.size):
        value, reliable = D.fmod_checked(x[i], y[i])
        out[i] = value
        unreliable += not reliable
    if unreliable:
        for i in range(x.size):
            out[i] = _fmod(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _divmod_loop(x, y, part, out):
    """floor_divide (part 0) or remainder (part 1), as _fmod_loop: the vectorised fmod, then C's where it was not
    reliable."""
    unreliable = 0
    for i in prange(x.size):
        mod, reliable = D.fmod_checked(x[i], y[i])
        quotient, remainder = _divmod_of(x[i], y[i], mod)
        out[i] = remainder if part else quotient  # a constant select: a variable tuple index did not vectorise
        unreliable += not reliable
    if unreliable:
        for i in range(x.size):
            quotient, remainder = _divmod(x[i], y[i])
            out[i] = remainder if part else quotient


def _remainder_loop(x, y, out):
    _divmod_loop(x, y, 1, out)


def _floor_divide_loop(x, y, out):
    _divmod_loop(x, y, 0, out)


@_t
def zero_d2(x, y, g):
    return 0.0


@_b
def logaddexp(x, y):
    return D.logaddexp(x, y)


@_t
def logaddexp_dx(x, y, g):
    return g / (1.0 + V32.exp(y - x))


@_t
def logaddexp_dy(x, y, g):
    return g / (1.0 + V32.exp(x - y))


@_b
def xlogy(x, y):
    if x == 0 and y == y:
        return 0.0  # 0 log y = 0, y = 0 and y < 0 included
    return x * V32.log(y)


@_t
def xlogy_dx(x, y, g):
    if x == 0 and y <= 0:
        return 0.0
    if g == 0 and y == y:
        return 0.0  # xlogy(g, y)
    return g * V32.log(y)


@_t
def xlogy_dy(x, y, g):
    return g * (x / y)


BINARY.update(
    {
        "atan2": (atan2, atan2_dx, atan2_dy),
        "hypot": (hypot, hypot_dx, hypot_dy),
        "fmod": (fmod, one_d, fmod_dy),
        "remainder": (remainder, one_d, remainder_dy),
        "floor_divide": (floor_divide, zero_d2, zero_d2),
        "logaddexp": (logaddexp, logaddexp_dx, logaddexp_dy),
        "xlogy": (xlogy, xlogy_dx, xlogy_dy),
    }
)
BINARY_LOOPS.update({"fmod": _fmod_loop, "remainder": _remainder_loop, "floor_divide": _floor_divide_loop})
