"""Elementwise ops as Numba ufuncs, each forward beside its hand-written derivative ufunc.

``@vectorize`` with explicit float32/float64 signatures compiles eagerly and caches on disk
(``cache=True``); NumPy's ufunc machinery then does the broadcasting, and LLVM vectorises its
contiguous inner loop.  exp, expm1, log, log1p, tanh and sigmoid come from :mod:`impls.numba.vecmath`
(arithmetic only, so the loop vectorises; ``math.exp`` is one libm call per element).

``fastmath`` is only ``{"contract"}``: multiply-adds may be fused into one FMA (one rounding instead of
two; vecmath's polynomials depend on it for speed).  The other flags would let LLVM assume no NaN/inf
or no signed zeros, and NaN, inf and -0.0 are values the catalog checks.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
from numba import njit, prange, vectorize

from impls.numba import vecmath32 as V32
from impls.numba import vecmath_derived as D

SIG1 = ["float32(float32)", "float64(float64)"]
SIG2 = ["float32(float32, float32)", "float64(float64, float64)"]
SIG3 = ["float32(float32, float32, float32)", "float64(float64, float64, float64)"]
INV_SQRT2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _u(fn):
    return vectorize(SIG1, cache=True, fastmath={"contract"})(fn)


def _b(fn):
    return vectorize(SIG2, cache=True, fastmath={"contract"})(fn)


def _t(fn):
    return vectorize(SIG3, cache=True, fastmath={"contract"})(fn)


# ---------------------------------------------------------------- unary: forward(x), derivative(x, g)
@_u
def neg(x):
    return -x


@_b
def neg_d(x, g):
    return -g


@_u
def abs_(x):
    return abs(x)


@_b
def abs_d(x, g):
    if x != x:
        return x
    return g if x > 0 else (-g if x < 0 else 0.0 * g)  # sign(0) = 0, as torch


@_u
def exp(x):
    return V32.exp(x)


@_b
def exp_d(x, g):
    return g * V32.exp(x)


@_u
def expm1(x):
    return V32.expm1(x)


@_u
def log(x):
    return V32.log(x)


@_b
def log_d(x, g):
    return g / x


@_u
def log1p(x):
    return V32.log1p(x)


@_b
def log1p_d(x, g):
    return g / (1.0 + x)


@_u
def sqrt(x):
    return math.sqrt(x) if x >= 0 else math.nan


@_b
def sqrt_d(x, g):
    return g / (2.0 * math.sqrt(x)) if x >= 0 else math.nan


@_u
def square(x):
    return x * x


@_b
def square_d(x, g):
    return 2.0 * x * g


@_u
def reciprocal(x):
    return 1.0 / x  # a ufunc divides as IEEE (NumPy's error model): 1/±0 = ±inf, no branch in the loop


@_b
def reciprocal_d(x, g):
    r = 1.0 / x if x != 0 else math.inf
    return -g * r * r


@_u
def sin(x):
    return D.sin(x)


@_b
def sin_d(x, g):
    return g * D.cos(x)


@_u
def cos(x):
    return D.cos(x)


@_b
def cos_d(x, g):
    return -g * D.sin(x)


@_u
def tanh(x):
    return V32.tanh(x)


@njit(inline="always")
def _tanh_d(x, g):
    t = V32.tanh(x)
    return g * (1.0 - t * t)


tanh_d = _b(_tanh_d.py_func)


@_u
def sigmoid(x):
    return V32.sigmoid(x)


@njit(inline="always")
def _sigmoid_d(x, g):
    s = V32.sigmoid(x)
    return g * s * (1.0 - s)


sigmoid_d = _b(_sigmoid_d.py_func)


@_u
def relu(x):
    return x if (x > 0 or x != x) else 0.0


@_b
def relu_d(x, g):
    return g if x > 0 else 0.0 * g  # relu'(0) = 0


@njit(inline="always")
def _leaky_relu(x, slope):
    return x if x > 0 else x * slope


@njit(inline="always")
def _leaky_relu_d(x, slope, g):
    return g if x > 0 else g * slope


leaky_relu = _b(_leaky_relu.py_func)
leaky_relu_d = _t(_leaky_relu_d.py_func)


@_u
def erf(x):
    return D.erf(x)


@_b
def erf_d(x, g):
    return g * TWO_OVER_SQRT_PI * V32.exp(-x * x)


@njit(inline="always")
def _gelu(x):
    if x == -math.inf:
        return -0.0  # the limit; -inf * Phi(-inf) would be -inf * 0 = NaN
    return 0.5 * x * (1.0 + D.erf(x * INV_SQRT2))


@njit(inline="always")
def _gelu_d(x, g):
    if x == -math.inf:
        return 0.0 * g
    # Phi(x) + x phi(x), written so that no sum has a product on both sides: with FMA contraction allowed,
    # a*b + c*d may fuse either product, and the vectorised loop and the scalar ufunc chose differently
    # (1 ulp apart at 856 of 65536 points) once erf's series vectorised in one pass
    cdf = 0.5 * D.erf(x * INV_SQRT2) + 0.5
    return g * (cdf + x * INV_SQRT_2PI * V32.exp(-0.5 * x * x))


gelu = _u(_gelu.py_func)
gelu_d = _b(_gelu_d.py_func)


@njit(inline="always")
def _softplus(x, beta):
    bx = beta * x
    return ((bx if bx > 0.0 else 0.0) + V32.log1p(V32.exp(-abs(bx)))) / beta if bx == bx else bx


@njit(inline="always")
def _softplus_d(x, beta, g):
    return g * V32.sigmoid(beta * x)


softplus = _b(_softplus.py_func)
softplus_d = _t(_softplus_d.py_func)


# ---------------------------------------------------------------- binary: forward(x, y), d/dx(x, y, g), d/dy(x, y, g)
@_b
def add(x, y):
    return x + y


@_b
def sub(x, y):
    return x - y


@_b
def mul(x, y):
    return x * y


@_b
def div(x, y):
    return x / y  # IEEE in a ufunc (NumPy's error model): x/±0 = ±inf, 0/0 = NaN; branch-free, so it vectorises


@_b
def pow_(x, y):
    # C99 at ±inf (math.floor of an infinite y is no float in numba: test finiteness first)
    return math.pow(x, y) if not (-math.inf < x < 0 and math.isfinite(y) and y != math.floor(y)) else math.nan


@_t
def pass_d(x, y, g):
    return g


@_t
def neg_pass_d(x, y, g):
    return -g


@_t
def mul_dx(x, y, g):
    return g * y


@_t
def mul_dy(x, y, g):
    return g * x


@_t
def div_dx(x, y, g):
    return g / y if y != 0 else g * math.copysign(math.inf, y)


@_t
def div_dy(x, y, g):
    return -g * x / (y * y) if y != 0 else -g * x * math.inf


@_t
def pow_dx(x, y, g):
    if y == 0:
        return 0.0 * g  # torch: d/dx x**0 = 0, even at x = 0
    if x == 0 and y < 1:
        return g * y * math.pow(x, y - 1.0)  # C99: (-0) ** (odd negative integer) is -inf
    return g * y * x ** (y - 1.0)


@_t
def pow_dy(x, y, g):
    if x == 0 and y >= 0:
        return 0.0 * g  # torch: 0**y * log 0 taken as 0
    if x < 0 or x != x or (x == 0 and y != y):
        return math.nan
    return g * x**y * math.log(x) if x > 0 else -g * math.inf


@_b
def maximum(x, y):
    if x != x or y != y:
        return x + y  # NaN propagates
    return x if x >= y else y


@_b
def minimum(x, y):
    if x != x or y != y:
        return x + y
    return x if x <= y else y


@_t
def maximum_dx(x, y, g):
    if x == y:
        return 0.5 * g
    return 0.0 * g if x < y else g  # NaN: both get g (torch's formula)


@_t
def maximum_dy(x, y, g):
    if x == y:
        return 0.5 * g
    return 0.0 * g if x > y else g


@_t
def minimum_dx(x, y, g):
    return maximum_dy(x, y, g)


@_t
def minimum_dy(x, y, g):
    return maximum_dx(x, y, g)


UNARY = {  # op -> (forward, derivative, parameter name or None)
    "neg": (neg, neg_d, None),
    "abs": (abs_, abs_d, None),
    "exp": (exp, exp_d, None),
    "expm1": (expm1, exp_d, None),
    "log": (log, log_d, None),
    "log1p": (log1p, log1p_d, None),
    "sqrt": (sqrt, sqrt_d, None),
    "square": (square, square_d, None),
    "reciprocal": (reciprocal, reciprocal_d, None),
    "sin": (sin, sin_d, None),
    "cos": (cos, cos_d, None),
    "tanh": (tanh, tanh_d, None),
    "sigmoid": (sigmoid, sigmoid_d, None),
    "relu": (relu, relu_d, None),
    "erf": (erf, erf_d, None),
    "gelu": (gelu, gelu_d, None),
    "leaky_relu": (leaky_relu, leaky_relu_d, "negative_slope"),
    "softplus": (softplus, softplus_d, "beta"),
}
BINARY = {  # op -> (forward, d/dx, d/dy)
    "add": (add, pass_d, pass_d),
    "sub": (sub, pass_d, neg_pass_d),
    "mul": (mul, mul_dx, mul_dy),
    "div": (div, div_dx, div_dy),
    "pow": (pow_, pow_dx, pow_dy),
    "maximum": (maximum, maximum_dx, maximum_dy),
    "minimum": (minimum, minimum_dx, minimum_dy),
}


# ---------------------------------------------------------------- any ufunc over threads, for large contiguous arrays
# A Numba ufunc's inner loop runs without the GIL (NumPy releases it for float and int loops), so a large
# elementwise call is cut into contiguous pieces, one per thread (numba.get_num_threads(): the NUMBA_NUM_THREADS
# setting prange uses), each piece the same ufunc on its slice of the output.  Every element is computed by the
# same compiled kernel as in one call, so the result is bit for bit the one-thread result
# (tests/test_numba_kernels.py checks it).  When threads pay, measured here (2-core AMD EPYC, one process, best of
# 7): a hand-off to a pool thread and back costs ~0.03-0.08 ms, so compute-bound ops (libm calls, several flops)
# take threads from THREAD_MIN_SIZE elements on (sin of 2^17 float32: 0.74 ms on one thread, 0.58 on two; of 10^6:
# 7.1 and 3.9 ms); memory-bound ones (MEMORY_BOUND: a few flops an element) only when their operands and output
# make MEMORY_BOUND_MIN_BYTES, where the data leaves the cache (add of 10^6 float32, 12 MB: 0.21 ms either way;
# float64, 24 MB: 1.48 ms on one thread, 0.71 on two; sqrt of 10^6 float32 0.22 / 0.21, float64 1.00 / 0.53).
THREAD_MIN_SIZE = 1 << 17
MEMORY_BOUND_MIN_BYTES = 1 << 24
MEMORY_BOUND = frozenset(
    "neg abs add sub mul div square sqrt reciprocal rsqrt relu sign floor ceil trunc round maximum minimum clip "
    "hardtanh leaky_relu where mse_loss huber_loss dropout".split()
)
_ALIGN = 64  # piece boundaries on multiples of 64 elements (whole cache lines, whole SIMD blocks)
_pool_lock = threading.Lock()
_pool: list = []


def _executor(workers: int) -> ThreadPoolExecutor:
    with _pool_lock:
        if not _pool or _pool[0]._max_workers != workers:
            if _pool:
                _pool.pop().shutdown(wait=False)
            _pool.append(ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parity-numba"))
        return _pool[0]


def _piece(errors: dict, ufunc, args: list, out) -> None:
    with np.errstate(**errors):
        ufunc(*args, out=out)


def _pays(arrays: list, memory_bound: bool) -> bool:
    if memory_bound:
        return sum(a.nbytes for a in arrays) + arrays[0].nbytes >= MEMORY_BOUND_MIN_BYTES
    return arrays[0].size >= THREAD_MIN_SIZE


def threaded_call(ufunc, *args, out=None, memory_bound=False):
    """``ufunc(*args)`` (a new array, or ``out``), over threads when every operand is a C-contiguous array of the
    output's shape (no broadcasting, no scalar operand) and the work pays for them (``memory_bound``: the op is a
    few flops an element, see MEMORY_BOUND); one call otherwise."""
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    threads = numba.get_num_threads()
    if (
        threads < 2
        or len(arrays) != len(args)
        or not _pays(arrays, memory_bound)
        or not all(a.flags.c_contiguous and a.shape == arrays[0].shape for a in arrays)
    ):
        return ufunc(*args) if out is None else ufunc(*args, out=out)
    if out is None:
        out = np.empty(arrays[0].shape, dtype=ufunc(*(a.reshape(-1)[:1] for a in arrays)).dtype)
    flat_out, flat = out.reshape(-1), [a.reshape(-1) for a in arrays]
    n = flat_out.size
    bounds = [n * i // threads // _ALIGN * _ALIGN for i in range(threads)] + [n]
    pieces = [(lo, hi) for lo, hi in zip(bounds, bounds[1:]) if hi > lo]
    pool = _executor(threads - 1)
    errors = np.geterr()  # NumPy's error state is per thread: the pieces run under the caller's
    futures = [pool.submit(_piece, errors, ufunc, [a[lo:hi] for a in flat], flat_out[lo:hi]) for lo, hi in pieces[1:]]
    lo, hi = pieces[0]
    ufunc(*(a[lo:hi] for a in flat), out=flat_out[lo:hi])
    for future in futures:
        future.result()
    return out


# ---------------------------------------------------------------- parallel loops for large contiguous arrays
# The transcendental ops are compute-bound on 10^7 elements (exp: 24 ms in 4-lane float64 SIMD against
# 13 ms for NumPy's 8-lane version, both on a warm output), so on large arrays they run as explicit
# loops over both cores.  Two further reasons for explicit loops: a ufunc's inner loop *calls* its
# kernel, and LLVM inlines (so vectorises) only kernels under its inlining threshold - tanh, log1p and
# softplus (two vecmath functions each) are over it and ran unvectorised at 80-260 ms - whereas Numba
# inlines the kernel into these loops in its own IR; and error_model="numpy" (x / 0 is inf, as in the
# ufunc, not an exception) is what lets their divisions vectorise.
PARALLEL_OPTIONS = {"cache": True, "parallel": True, "fastmath": {"contract"}, "error_model": "numpy"}
PARALLEL_MIN_SIZE = 1 << 16  # below this the threads' start-up costs more than they save (ufunc instead)


@njit(**PARALLEL_OPTIONS)
def _exp_loop(x, out):
    for i in prange(x.size):
        out[i] = V32.exp(x[i])


@njit(**PARALLEL_OPTIONS)
def _exp_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = g[i] * V32.exp(x[i])


@njit(**PARALLEL_OPTIONS)
def _expm1_loop(x, out):
    for i in prange(x.size):
        out[i] = V32.expm1(x[i])


@njit(**PARALLEL_OPTIONS)
def _log_loop(x, out):
    for i in prange(x.size):
        out[i] = V32.log(x[i])


@njit(**PARALLEL_OPTIONS)
def _log1p_loop(x, out):
    for i in prange(x.size):
        out[i] = V32.log1p(x[i])


@njit(**PARALLEL_OPTIONS)
def _tanh_loop(x, out):
    for i in prange(x.size):
        out[i] = V32.tanh(x[i])


@njit(**PARALLEL_OPTIONS)
def _tanh_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = _tanh_d(x[i], g[i])


@njit(**PARALLEL_OPTIONS)
def _sigmoid_loop(x, out):
    for i in prange(x.size):
        out[i] = V32.sigmoid(x[i])


@njit(**PARALLEL_OPTIONS)
def _sigmoid_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = _sigmoid_d(x[i], g[i])


@njit(**PARALLEL_OPTIONS)
def _softplus_loop(x, beta, out):
    for i in prange(x.size):
        out[i] = _softplus(x[i], beta)


@njit(**PARALLEL_OPTIONS)
def _softplus_d_loop(x, beta, g, out):
    for i in prange(x.size):
        out[i] = _softplus_d(x[i], beta, g[i])


# The ops with a scalar parameter need loops at every size: a numba ufunc handed a scalar (an input of stride 0)
# leaves its contiguous fast path for a generic strided loop that LLVM does not vectorise (measured on 10^6
# float32: leaky_relu 1.06 ms as a ufunc, hardtanh 14 ms, clip 9.8 ms, against NumPy's clip at 0.18 ms).  They are
# memory-bound, so one thread runs them at the bandwidth (0.2 ms); threads would only add the wait of a parallel
# region on a loaded machine (a scheduler time slice, ~12 ms: measured in the ladder, leaky_relu 12 ms threaded).
SERIAL_OPTIONS = {**PARALLEL_OPTIONS, "parallel": False}
# One loop pair per op, written out (here, in activations.py for hardtanh, in mathfuncs.py for clip), not made by a
# factory: closures that a factory returns share one qualname, and Numba's on-disk cache (cache=True) keys
# compiled code by qualname and source line, so two ops could load each other's kernels.


# sin and cos: a vectorised pass with the reduction's verdict summed, then, only where some element was not
# reliable (huge, next to a multiple of pi/2, inf, NaN), a second pass that calls the C library for those.
@njit(**PARALLEL_OPTIONS)
def _sin_loop(x, out):
    unreliable = 0
    for i in prange(x.size):
        value, reliable = D.sin_checked(x[i])
        out[i] = value
        unreliable += not reliable
    if unreliable:
        for i in range(x.size):
            out[i] = D.sin(x[i])


@njit(**PARALLEL_OPTIONS)
def _sin_d_loop(x, g, out):
    unreliable = 0
    for i in prange(x.size):
        value, reliable = D.cos_checked(x[i])
        out[i] = g[i] * value
        unreliable += not reliable
    if unreliable:
        for i in range(x.size):
            out[i] = g[i] * D.cos(x[i])


@njit(**PARALLEL_OPTIONS)
def _cos_loop(x, out):
    unreliable = 0
    for i in prange(x.size):
        value, reliable = D.cos_checked(x[i])
        out[i] = value
        unreliable += not reliable
    if unreliable:
        for i in range(x.size):
            out[i] = D.cos(x[i])


@njit(**PARALLEL_OPTIONS)
def _cos_d_loop(x, g, out):
    unreliable = 0
    for i in prange(x.size):
        value, reliable = D.sin_checked(x[i])
        out[i] = -g[i] * value
        unreliable += not reliable
    if unreliable:
        for i in range(x.size):
            out[i] = -g[i] * D.sin(x[i])


@njit(**PARALLEL_OPTIONS)
def _erf_loop(x, out):
    for i in prange(x.size):
        out[i] = D.erf(x[i])


@njit(**PARALLEL_OPTIONS)
def _gelu_loop(x, out):
    for i in prange(x.size):
        out[i] = _gelu(x[i])


@njit(**PARALLEL_OPTIONS)
def _gelu_d_loop(x, g, out):
    for i in prange(x.size):
        out[i] = _gelu_d(x[i], g[i])


@njit(**PARALLEL_OPTIONS)
def _leaky_relu_loop(x, slope, out):
    for i in prange(x.size):
        out[i] = _leaky_relu(x[i], slope)


@njit(**PARALLEL_OPTIONS)
def _leaky_relu_d_loop(x, slope, g, out):
    for i in prange(x.size):
        out[i] = _leaky_relu_d(x[i], slope, g[i])


@njit(**SERIAL_OPTIONS)
def _leaky_relu_serial_loop(x, slope, out):
    for i in range(x.size):
        out[i] = _leaky_relu(x[i], slope)


@njit(**SERIAL_OPTIONS)
def _leaky_relu_d_serial_loop(x, slope, g, out):
    for i in range(x.size):
        out[i] = _leaky_relu_d(x[i], slope, g[i])


# Memory-bound ops over both cores through Numba's own threads: one pass costs about what waking Python threads
# costs (threaded_call: neg on 10^6 float64 0.25-0.30 ms, one call 0.22-0.25 ms, this loop 0.11-0.20 ms, torch 0.10 ms;
# idle AVX-512 machine, 2026-12-01).  The loops call the ufunc's kernel, which LLVM inlines (it is a few
# instructions), so loop and ufunc are one computation.


@njit(**PARALLEL_OPTIONS)
def _neg_loop(x, out):
    for i in prange(x.size):
        out[i] = neg(x[i])


@njit(**PARALLEL_OPTIONS)
def _abs_loop(x, out):
    for i in prange(x.size):
        out[i] = abs_(x[i])


@njit(**PARALLEL_OPTIONS)
def _square_loop(x, out):
    for i in prange(x.size):
        out[i] = square(x[i])


@njit(**PARALLEL_OPTIONS)
def _reciprocal_loop(x, out):
    for i in prange(x.size):
        out[i] = reciprocal(x[i])


@njit(**PARALLEL_OPTIONS)
def _relu_loop(x, out):
    for i in prange(x.size):
        out[i] = relu(x[i])


@njit(**PARALLEL_OPTIONS)
def _add_loop(x, y, out):
    for i in prange(x.size):
        out[i] = add(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _sub_loop(x, y, out):
    for i in prange(x.size):
        out[i] = sub(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _mul_loop(x, y, out):
    for i in prange(x.size):
        out[i] = mul(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _div_loop(x, y, out):
    for i in prange(x.size):
        out[i] = div(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _maximum_loop(x, y, out):
    for i in prange(x.size):
        out[i] = maximum(x[i], y[i])


@njit(**PARALLEL_OPTIONS)
def _minimum_loop(x, y, out):
    for i in prange(x.size):
        out[i] = minimum(x[i], y[i])


LOOPS = {  # op -> (forward, derivative) over 1-D arrays: the ufunc's arguments, then out; None: the ufunc
    "exp": (_exp_loop, _exp_d_loop),
    "expm1": (_expm1_loop, _exp_d_loop),
    "log": (_log_loop, None),
    "log1p": (_log1p_loop, None),
    "tanh": (_tanh_loop, _tanh_d_loop),
    "sigmoid": (_sigmoid_loop, _sigmoid_d_loop),
    "softplus": (_softplus_loop, _softplus_d_loop),
    "sin": (_sin_loop, _sin_d_loop),
    "cos": (_cos_loop, _cos_d_loop),
    "erf": (_erf_loop, None),
    "gelu": (_gelu_loop, _gelu_d_loop),
    "leaky_relu": (_leaky_relu_loop, _leaky_relu_d_loop),
    "neg": (_neg_loop, None),
    "abs": (_abs_loop, None),
    "square": (_square_loop, None),
    "reciprocal": (_reciprocal_loop, None),
    "relu": (_relu_loop, None),
}
# The ops with a scalar parameter, below PARALLEL_MIN_SIZE: one-thread loops (the ufunc leaves its fast path)
SERIAL_LOOPS = {"leaky_relu": (_leaky_relu_serial_loop, _leaky_relu_d_serial_loop)}  # and hardtanh's and clip's


BINARY_LOOPS: dict = {  # op -> forward loop over 1-D x, y and out (and mathfuncs' logaddexp and hypot)
    "add": _add_loop,
    "sub": _sub_loop,
    "mul": _mul_loop,
    "div": _div_loop,
    "maximum": _maximum_loop,
    "minimum": _minimum_loop,
}


def apply_binary(op: str, x, y):
    """The binary ``op``'s forward at (x, y): its parallel loop where it has one and x and y are large C-contiguous
    arrays of one shape and dtype; its ufunc otherwise (threaded where that pays, see threaded_call)."""
    loop = BINARY_LOOPS.get(op)
    if (
        loop is not None
        and x.size >= PARALLEL_MIN_SIZE
        and x.shape == y.shape
        and x.dtype == y.dtype
        and x.flags.c_contiguous
        and y.flags.c_contiguous
    ):
        out = np.empty_like(x, order="C")
        loop(x.reshape(-1), y.reshape(-1), out.reshape(-1))
        return out
    return threaded_call(BINARY[op][0], x, y, memory_bound=op in MEMORY_BOUND)


def apply_unary(op: str, x, extra: tuple, g=None):
    """Forward (``g is None``) or derivative of the unary ``op`` at ``x`` (``extra``: the op's parameter).

    Large C-contiguous operands of one dtype take the op's parallel loop where it has one; anything else
    (small, strided, mixed dtypes) its ufunc.  Both call the same scalar kernel, so they agree bit for bit
    (tests/test_numba_vecmath.py checks it)."""
    forward, derivative, _ = UNARY[op]
    arrays = (x,) if g is None else (x, g)
    out = np.empty_like(x, order="C")
    loops = LOOPS if x.size >= PARALLEL_MIN_SIZE else SERIAL_LOOPS
    loop = loops.get(op, (None, None))[g is not None]
    if loop is not None and all(a.flags.c_contiguous and a.dtype == x.dtype and a.shape == x.shape for a in arrays):
        loop(x.reshape(-1), *extra, *(a.reshape(-1) for a in arrays[1:]), out.reshape(-1))
        return out
    if extra:  # a scalar parameter: the ufunc's strided loop, one call
        return (forward if g is None else derivative)(*arrays[:1], *extra, *arrays[1:], out=out)
    return threaded_call(forward if g is None else derivative, *arrays, out=out, memory_bound=op in MEMORY_BOUND)


# ---------------------------------------------------------------- per-element losses: value(x, t, p), d/dx(x, t, p)
@njit(inline="always")
def _mse(x, t, unused):
    return (x - t) * (x - t)


@njit(inline="always")
def _mse_d(x, t, unused):
    return 2.0 * (x - t)


@njit(inline="always")
def _huber(x, t, delta):
    d = abs(x - t)
    return 0.5 * d * d if d <= delta else delta * (d - 0.5 * delta)


@njit(inline="always")
def _huber_d(x, t, delta):
    d = x - t
    return max(-delta, min(delta, d))


@njit(inline="always")
def _bce(x, t, pos_weight):
    log1p_e = V32.log1p(V32.exp(-abs(x)))
    sp_pos = max(-x, 0.0) + log1p_e  # -log sigmoid(x)
    sp_neg = max(x, 0.0) + log1p_e  # -log(1 - sigmoid(x))
    positive, negative = pos_weight * t, 1.0 - t  # a term with coefficient 0 costs nothing (not 0 * inf = NaN)
    return (positive * sp_pos if positive != 0 else 0.0) + (negative * sp_neg if negative != 0 else 0.0)


@njit(inline="always")
def _bce_d(x, t, pos_weight):
    s = V32.sigmoid(x)
    return (1.0 - t) * s - pos_weight * t * (1.0 - s)


mse_elem, mse_elem_d = _t(_mse.py_func), _t(_mse_d.py_func)
huber_elem, huber_elem_d = _t(_huber.py_func), _t(_huber_d.py_func)
bce_elem, bce_elem_d = _t(_bce.py_func), _t(_bce_d.py_func)


# A loss's scalar parameter (delta, pos_weight) would hand the ufunc an input of stride 0, off its fast path
# (bce_elem: 135 ms on 10^6 float32 with a scalar pos_weight), so contiguous operands with a scalar parameter
# take this loop (one per loss and direction, chosen by ``kind``: LLVM unswitches the loop-invariant branch).
@njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _loss_loop(kind, x, t, p, out):
    for i in range(x.size):
        if kind == 0:
            out[i] = _mse(x[i], t[i], p)
        elif kind == 1:
            out[i] = _mse_d(x[i], t[i], p)
        elif kind == 2:
            out[i] = _huber(x[i], t[i], p)
        elif kind == 3:
            out[i] = _huber_d(x[i], t[i], p)
        elif kind == 4:
            out[i] = _bce(x[i], t[i], p)
        else:
            out[i] = _bce_d(x[i], t[i], p)


@_t
def dropout_apply(x, mask, scale):
    """x * mask * scale in one pass (the mask is 0 or 1, ``scale`` = 1 / (1 - p))."""
    return x * (mask * scale)


LOSSES = {  # op -> (value, derivative, parameter name)
    "mse_loss": (mse_elem, mse_elem_d, None),
    "huber_loss": (huber_elem, huber_elem_d, "delta"),
    "binary_cross_entropy_with_logits": (bce_elem, bce_elem_d, "pos_weight"),
}


def apply_loss(op: str, x, t, p, derivative: bool = False):
    """The per-element value (or derivative in x) of the loss ``op`` at (x, t) with its parameter ``p`` (a scalar
    of x's dtype, or an array that broadcasts): :func:`_loss_loop` for contiguous x and t of one shape and dtype
    with a scalar p, else the loss's ufunc."""
    if np.isscalar(p) and x.shape == t.shape and x.dtype == t.dtype and x.flags.c_contiguous and t.flags.c_contiguous:
        out = np.empty_like(x, order="C")
        kind = 2 * list(LOSSES).index(op) + derivative
        _loss_loop(kind, x.reshape(-1), t.reshape(-1), x.dtype.type(p), out.reshape(-1))
        return out
    return threaded_call(LOSSES[op][derivative], x, t, p, memory_bound=op in MEMORY_BOUND)
