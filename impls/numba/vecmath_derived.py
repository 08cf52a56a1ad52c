"""exp2, log2, log10, the hyperbolic and inverse hyperbolic functions, sin, cos, atan, asin, acos, atan2, erf, fmod,
hypot and logaddexp for Numba
kernels, written with arithmetic, comparisons and selects only, so that a loop over them vectorises.

Numba lowers ``math.sinh`` and friends to one C library call per element, which LLVM cannot vectorise (PyPI's
llvmlite has no SVML).  These are built on :mod:`impls.numba.vecmath` (exp, expm1, log) with the classic
identities, each branch computed and the right one selected:

- **exp2**: ``x = n + f``, ``|f| <= 1/2`` (exact), ``2^x = 2^n e^(f ln 2)``: exact at integers.
- **log2, log10**: vecmath's reduction ``x = 2^k (1 + f)``, then ``k + log(1+f) / ln 2`` and
  ``k log10(2) + log(1+f) / ln 10`` (``log10(2)`` split in two so that ``k * LOG10_2_HI`` is exact).
- **sinh**: ``(t + t / (t + 1)) / 2`` with ``t = expm1(|x|)`` below 22 (no cancellation near 0), ``e^|x| / 2``
  above (scaled in the exponent, so that it overflows only where sinh does).  **cosh**: ``E + 1/(4E)``,
  ``E = e^|x| / 2`` (two positive terms: no cancellation anywhere).
- **asinh, acosh, atanh**: ``log1p`` of fdlibm's arguments (``|x| + x^2 / (1 + sqrt(1 + x^2))``,
  ``t + sqrt(2t + t^2)`` with ``t = x - 1``, ``2|x| / (1 - |x|)``), ``log(2|x| + 1/(sqrt(x^2 + 1) + |x|))``
  above 2 and ``log|x| + ln 2`` above 2^28; ``log1p(v)`` as ``log(1 + v)`` less the rounding error of
  ``1 + v`` to first order (one log per element whichever branch).
- **atan**: ``|x|`` is reduced to ``|t| <= tan(pi/8)`` by ``t = |x|``, ``(|x| - 1) / (|x| + 1)`` (+ pi/4) or
  ``-1/|x|`` (+ pi/2), then ``atan(t) = t + t^3 P(t^2)`` with ``P`` a degree-10 Chebyshev series.
  **asin** = ``atan(x / sqrt((1 - x)(1 + x)))`` and **acos** = ``2 atan(sqrt((1 - x) / (1 + x)))``: IEEE
  division and sqrt give +-pi/2, pi and NaN outside [-1, 1] without a branch.
- **sin, cos**: ``x = n pi/2 + r`` (Cody and Waite's reduction, pi/2 in three parts, the remainder kept as a
  double-double), Taylor series for sin r and cos r, the quadrant selected; where the reduction cannot
  promise 2^-56 relative (|x| >= 2^19, x within 2^-40 of a nonzero multiple of pi/2, inf, NaN) the C
  library's function is called instead (the loops do that in a second pass, so the first vectorises).
- **atan2**: atan of the smaller magnitude over the larger, then ``pi/2 - r``, ``pi - r`` or ``pi/2 + r`` by
  quadrant (C's special values at zeros and infinities).
- **fmod**: ``|x| - floor(|x| / |y|) |y|`` by one FMA, corrected by ``|y|`` where the rounded quotient was one
  too large: exact; C's fmod where the quotient reaches 2^52 (the loops' second pass).
- **hypot**: ``sqrt(x^2 + y^2)`` of x and y scaled by a power of two where the larger is far from 1.
  **logaddexp**: ``max(x, y) + log1p(e^-|x - y|)``, NumPy's formula.
- **erf**: ``x + x S(x^2)`` below 1 (``S(z) = erf(sqrt z) / sqrt z - 1``, degree 12: x is exact, and
  the rounding falls on ``x S``, at most 0.13 x), ``1 - e^(-x^2) Q(|x|)`` on [1, 6) (``Q(a) = erfc(a)
  e^(a^2)``, degree 16 on [1, 2], [2, 3.5] and [3.5, 6]), 1 beyond (``erfc(6) < 2^-55``).

The Chebyshev coefficients are the interpolants at the Chebyshev points of the first kind, computed in
160-bit arithmetic with mpmath and rounded to float64 (tests/test_numba_vecmath.py recomputes them and
measures every function against an extended-precision truth; the bounds are there).  Series are evaluated
with Clenshaw's recurrence (well conditioned; a monomial fit of the same functions in float64 is not).
As in vecmath, everything is ``inline="always"``, float32 arguments are computed in float64 and rounded once,
and NaN, +-inf and signed zeros are selected explicitly.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from impls.numba import vecmath as V

LN2 = 0.6931471805599453
INV_LN2 = 1.4426950408889634
INV_LN10 = 0.4342944819032518
LOG10_2_HI = 0.30102992057800293  # low 32 bits zero: k * LOG10_2_HI is exact for |k| < 2^20
LOG10_2_LO = 7.508597826552624e-08
PIO2_HI, PIO2_LO = 1.5707963267948966, 6.123233995736766e-17
PI_HI, PI_LO = 3.141592653589793, 1.2246467991473532e-16
PIO4_HI, PIO4_LO = 0.7853981633974483, 3.061616997868383e-17
TAN_PI_8, TAN_3PI_8 = 0.41421356237309503, 2.414213562373095
EXP2_CLAMP = 2000.0  # |x| beyond which 2^x is 0 or inf; n stays within vecmath._two_to's |n| <= 2044
TWO_28 = 268435456.0
HYPOT_LOW, HYPOT_HIGH, HYPOT_UP, HYPOT_DOWN = 2.0**-500, 2.0**500, 2.0**600, 2.0**-600
# pi/2 in three parts, the first two of 33 significant bits (n * part is exact for n < 2^19); the rest < 2^-122
PIO2_1, PIO2_2, PIO2_3 = 1.5707963267341256, 6.077100506303966e-11, 2.0222662487959506e-21
TWO_OVER_PI = 0.6366197723675814
TRIG_MAX = 524288.0  # 2^19
TRIG_TINY = 2.0**-40
SIN_TAYLOR = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(1, 9))  # -1/3!, 1/5!, ..., 1/17!
COS_TAYLOR = tuple((-1) ** k / math.factorial(2 * k) for k in range(2, 10))  # 1/4!, -1/6!, ..., -1/18!
INF, NAN = V.INF, V.NAN

ERF_SMALL = (  # erf(sqrt z) / sqrt z - 1 on z in [0, 1]
    -0.024523060617345903, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485,
    2.741993125219606e-05, -1.1043175507344507e-06, 3.8488755420345036e-08, -1.1808582533875466e-09,
    3.2334215826050907e-11, -7.991015947004483e-13, 1.799072511348477e-14, -3.718635162421382e-16,
    7.101507363020076e-18,
)  # fmt: skip
ERFC_INTERVALS = ((1.0, 2.0), (2.0, 3.5), (3.5, 6.0))
SCALED_ERFC = (  # erfc(a) e^(a^2) on each of ERFC_INTERVALS
    (
        0.331427281639452, -0.0850021377067432, 0.009951127341466115, -0.0010810888102208325,
        0.0001102324363119495, -1.0636830518218601e-05, 9.775012680479055e-07, -8.597922867888315e-08,
        7.2677084117248425e-09, -5.923543840592542e-10, 4.6683928572294154e-11, -3.5661277015677288e-12,
        2.645877951906767e-13, -1.9101658667347927e-14, 1.3439764866689656e-15, -9.22862586358592e-17,
        6.166538925305747e-18,
    ),
    (
        0.19943078169681192, -0.04938002535992735, 0.00584049638189269, -0.0006632226933017975,
        7.259178935511736e-05, -7.682952765978158e-06, 7.883915794570548e-07, -7.861599623239447e-08,
        7.632681897920269e-09, -7.227220937985042e-10, 6.683956650788736e-11, -6.0454671515461064e-12,
        5.353822287984558e-13, -4.6471602439693144e-14, 3.9573849800401975e-15, -3.3088553268711293e-16,
        2.7013904016838518e-17,
    ),
    (
        0.12011119518612726, -0.03077508367843977, 0.003865397162805732, -0.00047649553104630324,
        5.770371528146291e-05, -6.87063803752421e-06, 8.049536979209691e-07, -9.285957122953073e-08,
        1.055453759031051e-08, -1.182660794609964e-09, 1.3071369079163548e-10, -1.425723928049002e-11,
        1.535327673504518e-12, -1.6330584214908968e-13, 1.7163587691171722e-14, -1.7829370768011022e-15,
        1.8130524414755138e-16,
    ),
)  # fmt: skip
ATAN_TAIL = (  # (atan(t) - t) / t^3 on z = t^2 in [0, tan(pi/8)^2]
    -0.3175967348755782, 0.015287330953370771, -0.0004353522436798789, 1.3462765939324905e-05,
    -4.3729562445046217e-07, 1.4676633293272415e-08, -5.042295094978041e-10, 1.7629800332878273e-11,
    -6.248787887503826e-13, 2.239189241162682e-14, -8.085269258195484e-16,
)  # fmt: skip
ATAN_Z_MAX = TAN_PI_8 * TAN_PI_8
(ERFC_A, ERFC_B, ERFC_C) = SCALED_ERFC


def _clenshaw(coeffs, u):
    """sum_k coeffs[k] T_k(u) for u in [-1, 1] (Clenshaw's recurrence), in Python; Numba compiles the unrolled
    form below."""
    b1 = b2 = 0.0
    for k in range(len(coeffs) - 1, 0, -1):
        b1, b2 = 2.0 * u * b1 - b2 + coeffs[k], b1
    return u * b1 - b2 + coeffs[0]


@overload(_clenshaw, inline="always")
def _clenshaw_unrolled(coeffs, u):
    """The recurrence written out for the tuple's length, each coefficient a constant index.

    The loop form (a variable index into the tuple) vectorised only when LLVM optimised the code twice: the
    parallel loops that inline erf ran scalar, 10-11 ms for 10^6 elements, in the process that compiled them,
    and vectorised, 2.1-2.5 ms, when a later process loaded the same functions from Numba's cache (the cached
    object is the loop's module linked with its kernel and optimised again; in the compiling process the
    kernel's first, scalar build is the one the engine resolves).  Straight-line code vectorises in one pass."""
    n = len(coeffs)
    lines = ["def clenshaw(coeffs, u):", "    b1 = 0.0", "    b2 = 0.0", "    two_u = 2.0 * u"]
    lines += [f"    b1, b2 = two_u * b1 - b2 + coeffs[{k}], b1" for k in range(n - 1, 0, -1)]
    lines.append("    return u * b1 - b2 + coeffs[0]")
    scope: dict = {}
    exec("\n".join(lines), scope)
    return scope["clenshaw"]


@njit(inline="always")
def _signed(x, r):
    """r with the sign of x; x itself where x is +-0 or NaN (odd functions keep the zero's sign)."""
    r = r if x > 0.0 else -r
    return x if (x == 0.0) | (x != x) else r


@njit(inline="always")
def _log1p_parts(v):
    """(u, c) with log1p(v) = log(u) - c: u = 1 + v rounded, c its rounding error over u (exact v where u == 1)."""
    u = 1.0 + v
    return u, ((u - 1.0) - v) / u


# ---------------------------------------------------------------- exp2, log2, log10
@njit(inline="always")
def exp2(x):
    """2^x within 1.5 ulp, exact at integers; exp2(nan) = nan, exp2(-inf) = 0, exp2(inf) = inf."""
    x = float(x)
    xc = x if x > -EXP2_CLAMP else -EXP2_CLAMP
    xc = xc if xc < EXP2_CLAMP else EXP2_CLAMP
    n = (xc + V.ROUND_SHIFT) - V.ROUND_SHIFT
    r = (xc - n) * LN2
    s1, s2 = V._two_to(n)
    result = ((V._expm1_poly(r) + 1.0) * s1) * s2
    return result if x == x else x


@njit(inline="always")
def _log_special(x, result):
    special = -INF if x == 0.0 else (NAN if x < 0.0 else x)  # x is +-0, negative, inf or nan
    return result if (x > 0.0 and x < INF) else special


@njit(inline="always")
def log2(x):
    """log2(x) within 1.5 ulp, exact at powers of two; log2(+-0) = -inf, log2(x < 0) = nan."""
    x = float(x)
    k, log_m = V._log_reduced(x)
    return _log_special(x, k + log_m * INV_LN2)


@njit(inline="always")
def log10(x):
    """log10(x) within 2 ulp; log10(+-0) = -inf, log10(x < 0) = nan."""
    x = float(x)
    k, log_m = V._log_reduced(x)
    return _log_special(x, k * LOG10_2_HI + (log_m * INV_LN10 + k * LOG10_2_LO))


# ---------------------------------------------------------------- hyperbolic and inverse hyperbolic
@njit(inline="always")
def sinh(x):
    """sinh(x) within 2 ulp; odd, sinh(+-inf) = +-inf, overflow only where sinh overflows."""
    x = float(x)
    a = abs(x)
    t = V.expm1(a)
    near = 0.5 * (t + t / (t + 1.0))
    far = V.exp_scaled(a, -1)  # e^a / 2: e^-a is below half an ulp of it from a = 22 on
    return _signed(x, near if a < 22.0 else far)


@njit(inline="always")
def cosh(x):
    """cosh(x) within 2 ulp: E + 1/(4E) with E = e^|x| / 2; cosh(+-inf) = inf."""
    e = V.exp_scaled(abs(float(x)), -1)
    return e + 0.25 / e


@njit(inline="always")
def asinh(x):
    """asinh(x) within 2 ulp; odd, asinh(+-inf) = +-inf."""
    x = float(x)
    a = abs(x)
    root = math.sqrt(a * a + 1.0)  # inf for a > 1e154, where only the last branch is taken
    u, c = _log1p_parts(a + a * a / (1.0 + root))
    near = a <= 2.0
    arg = u if near else (2.0 * a + 1.0 / (root + a) if a <= TWO_28 else a)
    r = V.log(arg) - (c if near else 0.0) + (LN2 if a > TWO_28 else 0.0)
    return _signed(x, r)


@njit(inline="always")
def acosh(x):
    """acosh(x) within 2 ulp for x >= 1, NaN below 1 and for NaN; acosh(inf) = inf."""
    x = float(x)
    t = x - 1.0
    u, c = _log1p_parts(t + math.sqrt(2.0 * t + t * t))
    near = x <= 2.0
    arg = u if near else (2.0 * x - 1.0 / (x + math.sqrt(x * x - 1.0)) if x <= TWO_28 else x)
    r = V.log(arg) - (c if near else 0.0) + (LN2 if x > TWO_28 else 0.0)
    return r if x >= 1.0 else NAN


@njit(inline="always")
def atanh(x):
    """atanh(x) within 2 ulp; odd, atanh(+-1) = +-inf, NaN beyond."""
    x = float(x)
    a = abs(x)
    v = 2.0 * a + 2.0 * a * a / (1.0 - a) if a < 0.5 else 2.0 * a / (1.0 - a)
    u, c = _log1p_parts(v)
    r = 0.5 * (V.log(u) - c)
    r = r if a < 1.0 else (INF if a == 1.0 else NAN)
    return _signed(x, r)


# ---------------------------------------------------------------- inverse trigonometric
@njit(inline="always")
def atan(x):
    """atan(x) within 1.5 ulp; odd, atan(+-inf) = +-pi/2."""
    x = float(x)
    a = abs(x)
    low, high = a <= TAN_PI_8, a > TAN_3PI_8
    t = a if low else ((a - 1.0) / (a + 1.0) if not high else -1.0 / a)
    base_hi = 0.0 if low else (PIO4_HI if not high else PIO2_HI)
    base_lo = 0.0 if low else (PIO4_LO if not high else PIO2_LO)
    z = t * t
    tail = t * z * _clenshaw(ATAN_TAIL, z * (2.0 / ATAN_Z_MAX) - 1.0)
    return _signed(x, base_hi + ((tail + base_lo) + t))


@njit(inline="always")
def atan2(y, x):
    """atan2(y, x), C's argument order, within 2.5 ulp: r = atan of the smaller magnitude over the larger (in
    [0, 1], no overflow), then pi/2 - r where |y| > |x|, pi - r where x is negative (-0 included), pi/2 + r where
    both, each constant in two parts; the sign is y's.  C's special values: +-pi/4 and +-3pi/4 at infinite y
    and x, +-0 and +-pi at zero y, NaN where either is NaN."""
    a, b = abs(np.float64(y)), abs(np.float64(x))  # Numba's float() keeps float32 a float32
    swap = a > b
    num = b if swap else a
    den = a if swap else b
    q = 1.0 if (a == INF) & (b == INF) else (0.0 if num == 0.0 else num / den)  # inf / inf and 0 / 0
    r = atan(q)
    left = math.copysign(1.0, x) < 0.0
    # r, pi/2 - r, pi/2 + r or pi - r: the base's low part added to +-r first, its high part last
    base_hi = (PIO2_HI if swap else PI_HI) if left else (PIO2_HI if swap else 0.0)
    base_lo = (PIO2_LO if swap else PI_LO) if left else (PIO2_LO if swap else 0.0)
    signed_r = r if left == swap else -r
    r = math.copysign(base_hi + (signed_r + base_lo), y)
    return r if (x == x) & (y == y) else x + y


@njit(inline="always")
def asin(x):
    """asin(x) = atan(x / sqrt((1 - x)(1 + x))) within 3 ulp; +-pi/2 at +-1, NaN beyond."""
    x = float(x)
    return atan(x / math.sqrt((1.0 - x) * (1.0 + x)))


@njit(inline="always")
def acos(x):
    """acos(x) = 2 atan(sqrt((1 - x) / (1 + x))) within 3 ulp; pi at -1, 0 at 1, NaN beyond."""
    x = float(x)
    return 2.0 * atan(math.sqrt((1.0 - x) / (1.0 + x)))


# ---------------------------------------------------------------- sine and cosine
@njit(inline="always")
def _horner(coeffs, z):
    p = 0.0
    for k in range(len(coeffs) - 1, -1, -1):
        p = p * z + coeffs[k]
    return p


@njit(inline="always")
def _reduce_half_pi(x):
    """(n, r, lo, reliable): x = n pi/2 + r + lo with |r| <= pi/4 (a hair more) and lo below half an ulp of r.

    x - n PIO2_1 and n PIO2_2 are exact (33-bit constants, n < 2^19), the difference of the two is
    carried as a double-double (Knuth's TwoSum), and pi/2 - PIO2_1 - PIO2_2 - PIO2_3 < 2^-122: r + lo is
    within 2^-100 of x - n pi/2.  ``reliable`` is False where that is not a relative 2^-56 of r: |x| >= 2^19,
    x near a nonzero multiple of pi/2 (|r| < 2^-40), and inf or NaN; callers use the C library there."""
    n = (x * TWO_OVER_PI + V.ROUND_SHIFT) - V.ROUND_SHIFT
    y = x - n * PIO2_1
    t = n * PIO2_2
    hi = y - t
    back = hi - y
    lo = ((y - (hi - back)) - (t + back)) - n * PIO2_3
    r = hi + lo
    lo = lo - (r - hi)
    reliable = (abs(x) < TRIG_MAX) & ((n == 0.0) | (abs(r) > TRIG_TINY))
    return n, r, lo, reliable


@njit(inline="always")
def _sin_cos_reduced(r, lo):
    """(sin(r + lo), cos(r + lo)) for |r| <= pi/4: Taylor series to r^17 and r^18 (truncation below 2^-60)."""
    z = r * r
    sin_r = r + (r * z * _horner(SIN_TAYLOR, z) + lo * (1.0 - 0.5 * z))
    half_z = 0.5 * z
    w = 1.0 - half_z
    cos_r = w + (((1.0 - w) - half_z) + (z * z * _horner(COS_TAYLOR, z) - r * lo))
    return sin_r, cos_r


@njit(inline="always")
def _trig_checked(x, shift):
    """(sin(x + shift pi/2), reliable) for shift 0 (sin) or 1 (cos): the quadrant picks +-sin r or +-cos r."""
    n, r, lo, reliable = _reduce_half_pi(x)
    sin_r, cos_r = _sin_cos_reduced(r, lo)
    quadrant = (int(n) + shift) & 3 if reliable else shift
    value = sin_r if (quadrant & 1) == 0 else cos_r
    return (value if quadrant < 2 else -value), reliable


@njit(inline="always")
def sin_checked(x):
    """(sin(x), reliable): within 1.5 ulp where ``reliable`` (see _reduce_half_pi), anything where not."""
    x = float(x)
    value, reliable = _trig_checked(x, 0)
    return (x if x == 0.0 else value), reliable  # sin(-0) = -0


@njit(inline="always")
def cos_checked(x):
    """(cos(x), reliable), as sin_checked."""
    return _trig_checked(float(x), 1)


@njit(inline="always")
def sin(x):
    """sin(x): sin_checked where reliable, the C library's sin elsewhere (inf and NaN give NaN)."""
    value, reliable = sin_checked(x)
    return value if reliable else math.sin(float(x))


@njit(inline="always")
def cos(x):
    """cos(x): cos_checked where reliable, the C library's cos elsewhere (inf and NaN give NaN)."""
    value, reliable = cos_checked(x)
    return value if reliable else math.cos(float(x))


# ---------------------------------------------------------------- error function
@njit(inline="always")
def erf(x):
    """erf(x) within 1.5 ulp; odd, erf(+-inf) = +-1."""
    x = float(x)
    a = abs(x)
    z = a * a
    near = a + a * _clenshaw(ERF_SMALL, 2.0 * z - 1.0)  # a exact: the series' rounding is on a part below 0.13 a
    first, second = a < 2.0, a < 3.5
    lo = 1.0 if first else (2.0 if second else 3.5)
    width = 1.0 if first else (1.5 if second else 2.5)
    u = (2.0 * (a - lo) - width) / width
    # all three series, then a select: choosing each coefficient by selects instead kept LLVM from vectorising
    q = _clenshaw(ERFC_A, u) if first else (_clenshaw(ERFC_B, u) if second else _clenshaw(ERFC_C, u))
    far = 1.0 - V.exp(-z) * q
    return _signed(x, near if a < 1.0 else (far if a < 6.0 else 1.0))


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (LLVM's fma intrinsic: a vector FMA where the CPU has one, C's fma otherwise);
    not left to contraction, which may or may not fuse."""
    signature = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, sig, args):
        double = ir.DoubleType()
        fnty = ir.FunctionType(double, [double, double, double])
        return builder.call(builder.module.declare_intrinsic("llvm.fma", [double], fnty), args)

    return signature, codegen


FMOD_EXACT_QUOTIENT = 2.0**52


@njit(inline="always")
def fmod_checked(x, y):
    """(fmod(x, y), reliable), C's fmod, exact: n = floor(|x| / |y|), then |x| - n |y| by one FMA, which is exact
    where n is right (the result is representable: below |y|, a multiple of y's last bit); the rounded quotient
    can only be one too large (rounding is monotonic and below 2^52 moves less than 1), which shows as a
    negative remainder and is undone by adding |y| (exact too).  Signed as x.  Not reliable where the quotient
    reaches 2^52, is inf or NaN (y = 0, x = inf, NaN): the caller takes C's fmod there."""
    ax, ay = abs(np.float64(x)), abs(np.float64(y))  # Numba's float() keeps float32 a float32
    q = ax / ay
    r = fma(-math.floor(q), ay, ax)
    r = r + ay if r < 0.0 else r
    r = ax if q < 1.0 else r  # |x| < |y| (y = inf: 0 * inf would be NaN)
    return math.copysign(r, x), q < FMOD_EXACT_QUOTIENT


def as_type_of(x, value):
    """``value`` converted to the scalar type of ``x`` (in Python: unchanged)."""
    return value


@overload(as_type_of, inline="always")
def _as_type_of(x, value):
    def convert(x, value):
        return x_type(value)

    x_type = x
    return convert


# ---------------------------------------------------------------- binary: hypot, logaddexp
@njit(inline="always")
def hypot(x, y):
    """sqrt(x^2 + y^2) within 1 ulp: both scaled by 2^-600 or 2^600 (exact) where the larger is beyond 2^500 or
    below 2^-500, so that the squares neither overflow nor lose the smaller one, summed with one rounding (FMA);
    inf if either is infinite (even with a NaN), else NaN if either is NaN."""
    x, y = abs(float(x)), abs(float(y))
    big = x if x > y else y  # with a NaN the comparisons are false: the NaN reaches the sum either way
    scale = HYPOT_UP if big < HYPOT_LOW else (HYPOT_DOWN if big > HYPOT_HIGH else 1.0)
    xs, ys = x * scale, y * scale
    r = math.sqrt(xs * xs + ys * ys) * (1.0 / scale)
    return INF if (x == INF) | (y == INF) else r


@njit(inline="always")
def logaddexp(x, y):
    """log(e^x + e^y) as max(x, y) + log1p(e^-|x - y|), x + ln 2 where x == y (equal infinities included), NaN
    where either is NaN."""
    x, y = float(x), float(y)
    d = x - y
    r = (x if d > 0.0 else y) + V.log1p(V.exp(-abs(d)))
    r = x + LN2 if x == y else r
    return r if (d == d) | (x == y) else d
