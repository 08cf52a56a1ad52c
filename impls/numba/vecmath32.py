"""exp, expm1, log, log1p, tanh and sigmoid computed in float32 for float32 data, and dispatchers that pick them.

:mod:`impls.numba.vecmath` computes in float64, which for float32 data gives 8 AVX-512 lanes where NumPy's and
torch's float32 kernels have 16, and polynomials of twice the degree float32 needs: 10^6 float32 exp took
0.44 ms, as float64 did, against 0.17 ms for the float32 version here (two threads, AVX-512 machine,
2026-12-01).  The constructions are vecmath's, with float32 constants (NumPy scalars, which Numba types as
float32, so that no operation is promoted to float64):

- **exp**: ``x = n ln2 + r``, ``|r| <= ln2/2``, ``ln2`` in two parts whose first has 15 significant bits
  (``n * LN2_HI`` exact for ``|n| < 2^9``), Taylor to degree 7 for ``e^r - 1`` (truncation below 2^-27
  relative), ``2^n`` as two factors in the exponent field so that subnormal results round once and overflow
  gives inf.
- **expm1**: ``2^n (e^r - 1) + (2^n - 1)`` while ``2^n - 1`` is exact (n <= 24), ``2^n e^r`` beyond.
- **log**: ``x = 2^k (1 + f)``, ``1 + f`` in ``[sqrt(2)/2, sqrt(2))`` (subnormals scaled by 2^25 first) and
  fdlibm's ``e_logf.c`` form ``f - hfsq + s (hfsq + R(s^2))`` with its four float coefficients.
- **log1p**: ``log(u) - ((u - 1) - x) / u``, ``u = 1 + x``; **tanh**: ``-e / (e + 2)``, ``e = expm1(-2|x|)``;
  **sigmoid**: ``1 / (1 + e^-|x|)`` or ``e^x / (1 + e^x)``.

tests/test_numba_vecmath32.py measures them against float64 NumPy over the whole float32 range (bounds
there: 1-3 ulp of float32, well inside the catalog's float32 rtol of 1e-5, about 84 ulp) and checks NaN,
+-inf, +-0, subnormal results and overflow as NumPy's float32 functions give them.

The public names (``exp``, ``expm1``, ...) are overloads: a float32 argument gets the float32 version, any
other the float64 one from vecmath.  Kernels call them with their element, so a float32 ufunc signature and
the float32 parallel loop compile the same float32 code (they agree bit for bit), and float64 kernels are
unchanged.  Like vecmath's, every function is inlined into its caller, whose ``fastmath={"contract"}`` fuses
the polynomials' multiply-adds.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from impls.numba import vecmath as V

F = np.float32
ZERO, HALF, ONE, TWO = F(0.0), F(0.5), F(1.0), F(2.0)
LOG2E = F(1.4426950408889634)
LN2_HI = F(0.693145751953125)  # 15 significant bits: n * LN2_HI is exact for |n| < 2^9
LN2_LO = F(1.4286068203094173e-06)  # ln 2 - LN2_HI
ROUND_SHIFT = F(12582912.0)  # 1.5 * 2^23: (y + SHIFT) - SHIFT rounds y to an integer
CLAMP = F(104.0)  # |x| beyond which exp(x) is 0 or inf in float32 (n stays within _two_to's |n| <= 2 * 126)
EXPM1_EXACT_MAX = F(24.0)  # 2^n - 1 is exact in float32 up to n = 24
# Taylor coefficients of (e^r - 1 - r) / r^2 = 1/2 + r/6 + ...: degree 7 in all
EXP_C2, EXP_C3, EXP_C4 = F(1 / 2), F(1 / 6), F(1 / 24)
EXP_C5, EXP_C6, EXP_C7 = F(1 / 120), F(1 / 720), F(1 / 5040)
SMALLEST_NORMAL = F(1.1754943508222875e-38)
TWO_25 = F(33554432.0)
SQRT_HALF_BITS = 0x3F3504F3  # float32 sqrt(2)/2: log's mantissa is kept in [sqrt(2)/2, sqrt(2))
ONE_BITS = 0x3F800000
MANTISSA_MASK = 0x007FFFFF
# fdlibm e_logf.c: log(1+f) = f - hfsq + s*(hfsq + R(s^2)), |s| <= 0.1716
LG1, LG2 = F(6.6666662693e-01), F(4.0000972152e-01)
LG3, LG4 = F(2.8498786688e-01), F(2.4279078841e-01)
NAN, INF = F(np.nan), F(np.inf)


@intrinsic
def _bits_to_float32(typingctx, bits):
    """The float32 whose IEEE 754 bit pattern is the low 32 bits of the integer ``bits``."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        word = args[0] if bits.bitwidth == 32 else builder.trunc(args[0], ir.IntType(32))
        return builder.bitcast(word, ir.FloatType())

    return types.float32(bits), codegen


@intrinsic
def _float32_to_bits(typingctx, value):
    """The IEEE 754 bit pattern of the float32 ``value`` as an int32."""
    if value != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen


@njit(inline="always")
def _reduce(x):
    """(n, r) with x = n ln2 + r, |r| <= ln2/2 (x clamped to [-CLAMP, CLAMP]; NaN handled by callers)."""
    xc = x if x > -CLAMP else -CLAMP
    xc = xc if xc < CLAMP else CLAMP
    n = (xc * LOG2E + ROUND_SHIFT) - ROUND_SHIFT
    return n, (xc - n * LN2_HI) - n * LN2_LO


@njit(inline="always")
def _expm1_poly(r):
    """e^r - 1 for |r| <= ln2/2, Taylor to degree 7 (truncation below 2^-27 relative)."""
    p = EXP_C7
    p = p * r + EXP_C6
    p = p * r + EXP_C5
    p = p * r + EXP_C4
    p = p * r + EXP_C3
    p = p * r + EXP_C2
    return p * (r * r) + r


@njit(inline="always")
def _two_to(n):
    """2^n as two float32 factors (2^h, 2^(n-h)), h = n // 2, each normal for |n| <= 2 * 126."""
    k = np.int32(n)
    h = k >> 1
    return _bits_to_float32((h + 127) << 23), _bits_to_float32((k - h + 127) << 23)


@njit(inline="always")
def exp32(x):
    """e^x for float32 x in float32; exp(nan) = nan, exp(-inf) = 0, exp(inf) = inf, subnormal results kept."""
    n, r = _reduce(x)
    s1, s2 = _two_to(n)
    result = ((_expm1_poly(r) + ONE) * s1) * s2
    return result if x == x else x


@njit(inline="always")
def expm1_32(x):
    """e^x - 1 for float32 x in float32, relative accuracy kept near 0; expm1(-0.0) = -0.0, expm1(-inf) = -1."""
    n, r = _reduce(x)
    q = _expm1_poly(r)
    s1, s2 = _two_to(n)
    s = s1 * s2
    small = s * q + (s - ONE)  # s - 1 exact while n <= 24; s rounds to 0 for n < -149 (result -1)
    large = ((q + ONE) * s1) * s2  # n > 24: the -1 is at most half an ulp, and overflow gives inf
    result = large if n > EXPM1_EXACT_MAX else small
    return x if (x == ZERO) | (x != x) else result


@njit(inline="always")
def log32(x):
    """Natural log of float32 x in float32; log(+-0) = -inf, log(x < 0) = nan, log(inf) = inf, log(nan) = nan."""
    subnormal = x < SMALLEST_NORMAL
    scaled = x * TWO_25 if subnormal else x
    bits = _float32_to_bits(scaled) + (ONE_BITS - SQRT_HALF_BITS)
    k = F((bits >> 23) - 127) - (F(25.0) if subnormal else ZERO)
    f = _bits_to_float32((bits & MANTISSA_MASK) + SQRT_HALF_BITS) - ONE
    hfsq = HALF * f * f
    s = f / (TWO + f)
    z = s * s
    w = z * z
    tail = s * (hfsq + (w * (LG2 + w * LG4) + z * (LG1 + w * LG3)))
    result = tail + k * LN2_LO - hfsq + f + k * LN2_HI
    special = -INF if x == ZERO else (NAN if x < ZERO else x)  # x is +-0, negative, inf or nan
    return result if (x > ZERO and x < INF) else special


@njit(inline="always")
def log1p32(x):
    """log(1 + x) for float32 x in float32, relative accuracy kept near 0; log1p(-1) = -inf, below -1 nan."""
    u = ONE + x
    result = log32(u) - ((u - ONE) - x) / u
    result = x if u == ONE else result  # |x| below half an ulp of 1: log1p(x) = x to within rounding, -0 kept
    special = -INF if x == -ONE else (NAN if x < -ONE else x)  # x is -1, below -1, inf or nan
    return result if (x > -ONE and x < INF) else special


@njit(inline="always")
def tanh32(x):
    """tanh of float32 x in float32: -expm1(-2|x|) / (expm1(-2|x|) + 2) with the sign of x."""
    e = expm1_32(-TWO * abs(x))
    t = -e / (e + TWO)
    result = t if x >= ZERO else -t
    return x if (x == ZERO) | (x != x) else result


@njit(inline="always")
def sigmoid32(x):
    """1 / (1 + e^-x) for float32 x in float32: e^-|x| <= 1, and for x < 0 the form e^x / (1 + e^x)."""
    e = exp32(-abs(x))
    return ONE / (ONE + e) if x >= ZERO else e / (ONE + e)


def _dispatch(native, wide):
    """An overload body: ``native`` for a float32 argument, vecmath's float64 ``wide`` for any other."""

    def typer(x):
        return native.py_func if x == types.float32 else wide.py_func

    return typer


def exp(x):
    """e^x in the argument's precision: float32 in float32 (exp32), anything else in float64 (vecmath.exp)."""
    raise NotImplementedError("compiled by Numba only")


def expm1(x):
    """e^x - 1 in the argument's precision (expm1_32 or vecmath.expm1)."""
    raise NotImplementedError("compiled by Numba only")


def log(x):
    """Natural log in the argument's precision (log32 or vecmath.log)."""
    raise NotImplementedError("compiled by Numba only")


def log1p(x):
    """log(1 + x) in the argument's precision (log1p32 or vecmath.log1p)."""
    raise NotImplementedError("compiled by Numba only")


def tanh(x):
    """tanh in the argument's precision (tanh32 or vecmath.tanh)."""
    raise NotImplementedError("compiled by Numba only")


def sigmoid(x):
    """The logistic function in the argument's precision (sigmoid32 or vecmath.sigmoid)."""
    raise NotImplementedError("compiled by Numba only")


for _generic, _native, _wide in (
    (exp, exp32, V.exp),
    (expm1, expm1_32, V.expm1),
    (log, log32, V.log),
    (log1p, log1p32, V.log1p),
    (tanh, tanh32, V.tanh),
    (sigmoid, sigmoid32, V.sigmoid),
):
    overload(_generic, jit_options={"forceinline": True})(_dispatch(_native, _wide))
