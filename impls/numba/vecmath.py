"""exp, expm1, log, log1p and tanh that LLVM can vectorise, for Numba kernels (float64 arithmetic).

Numba lowers ``math.exp`` and friends to calls into the C library, one element at a time: a loop that
calls them cannot be vectorised, and PyPI's llvmlite has no SVML to swap in vector versions.  These
are written with arithmetic, comparisons and bit moves only, so that a loop over them compiles to SIMD
code.  Each follows the classic fdlibm construction:

- **exp**: ``x = n ln2 + r`` with ``|r| <= ln2/2`` (n by the round-to-nearest shift trick, ``ln2`` split in
  two so that ``n * LN2_HI`` is exact), a degree-13 Taylor polynomial for ``e^r`` (truncation < 2^-60),
  and ``2^n`` built in the exponent field.  ``2^n`` is applied as two factors ``2^(n//2) * 2^(n - n//2)``,
  so that results in the subnormal range and overflow to inf come out of the multiplications.
- **expm1**: the same reduction, the polynomial for ``e^r - 1`` itself (no cancellation near 0), then
  ``2^n (e^r - 1) + (2^n - 1)``.
- **log**: ``x = 2^k m`` with ``m`` in ``[sqrt(2)/2, sqrt(2))`` read from the bits (subnormals scaled by
  2^54 first), and fdlibm's ``log(1+f) = f - hfsq + s (hfsq + R(s^2))``, ``s = f / (2 + f)``.
- **log1p**: ``log(u) - ((u - 1) - x) / u`` with ``u = 1 + x``: the second term is the rounding error
  of ``1 + x``, restored to first order (exact ``x`` when ``u == 1``).
- **tanh**: ``-e / (e + 2)`` with ``e = expm1(-2|x|)`` and the sign of ``x``: no cancellation anywhere.

Measured against ``np.longdouble`` (tests/test_numba_vecmath.py): at most 1 ulp for exp and log, 2 for
expm1, log1p and tanh; NumPy's own float64 versions are within 1.  IEEE special values (NaN, +-inf,
+-0, overflow, underflow into subnormals) are handled by explicit selects, and the catalog's special
value checks run through them.

The functions are inlined into their callers in Numba's IR (``inline="always"``), so the *caller's*
``fastmath`` flags apply: the elementwise kernels use ``{"contract"}``, which fuses each multiply-add
of the polynomials into one FMA.  It changes only rounding (for the better) and lets LLVM assume
nothing about NaN or inf; without it the results are still correct, only slower.  float32 arguments
are computed in float64 and rounded once by the caller's float32 signature.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # low 32 bits zero: n * LN2_HI is exact for |n| < 2^20
LN2_LO = 1.90821492927058770002e-10
ROUND_SHIFT = 6755399441055744.0  # 1.5 * 2^52: (y + SHIFT) - SHIFT rounds y to an integer
CLAMP = 1100.0  # |x| beyond which exp(x) is 0 or inf and expm1(x) is -1 or inf; keeps n's bits valid
SMALLEST_NORMAL = 2.2250738585072014e-308
TWO_54 = 18014398509481984.0
SQRT_HALF_BITS = 0x3FE6A09E00000000  # high word of sqrt(2)/2: log's mantissa is kept in [sqrt(2)/2, sqrt(2))
ONE_BITS = 0x3FF0000000000000
MANTISSA_MASK = 0x000FFFFFFFFFFFFF
# fdlibm e_log.c: log(1+f) = f - hfsq + s*(hfsq + R(s^2)), |s| <= 0.1716, error < 2^-58.45
LG1, LG2, LG3, LG4 = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
)
LG5, LG6, LG7 = 1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01
NAN = float("nan")
INF = float("inf")


@intrinsic
def _bits_to_float(typingctx, bits):
    """The float64 whose IEEE 754 bit pattern is the int64 ``bits`` (a register move, no conversion)."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _float_to_bits(typingctx, value):
    """The IEEE 754 bit pattern of the float64 ``value`` as an int64."""
    if value != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@njit(inline="always")
def _reduce(x):
    """(n, r) with x = n ln2 + r, |r| <= ln2/2 (x clamped to [-CLAMP, CLAMP]; NaN handled by callers)."""
    xc = x if x > -CLAMP else -CLAMP
    xc = xc if xc < CLAMP else CLAMP
    n = (xc * LOG2E + ROUND_SHIFT) - ROUND_SHIFT
    return n, (xc - n * LN2_HI) - n * LN2_LO


@njit(inline="always")
def _expm1_poly(r):
    """e^r - 1 for |r| <= ln2/2: Taylor to degree 13 in Horner form (truncation below 2^-60 relative)."""
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    return p * (r * r) + r


@njit(inline="always")
def _two_to(n):
    """2^n as the two factors (2^h, 2^(n-h)), h = n // 2, each a normal float64 for |n| <= 2 * 1022."""
    k = int(n)
    h = k >> 1
    return _bits_to_float((h + 1023) << 52), _bits_to_float((k - h + 1023) << 52)


@njit(inline="always")
def exp(x):
    """e^x, within 1 ulp; exp(nan) = nan, exp(-inf) = 0, exp(inf) = inf, subnormal results kept."""
    x = float(x)
    n, r = _reduce(x)
    s1, s2 = _two_to(n)
    result = ((_expm1_poly(r) + 1.0) * s1) * s2
    return result if x == x else x


@njit(inline="always")
def exp_scaled(x, k):
    """e^x * 2^k for an integer k with |k| <= 400 (scaled in the exponent field: no rounding, and overflow
    or underflow only where the product does); nan passes through."""
    x = float(x)
    n, r = _reduce(x)
    s1, s2 = _two_to(n + k)
    result = ((_expm1_poly(r) + 1.0) * s1) * s2
    return result if x == x else x


@njit(inline="always")
def expm1(x):
    """e^x - 1, within 2 ulp, relative accuracy kept near 0; expm1(-0.0) = -0.0, expm1(-inf) = -1."""
    x = float(x)
    n, r = _reduce(x)
    q = _expm1_poly(r)
    s1, s2 = _two_to(n)
    s = s1 * s2
    small = s * q + (s - 1.0)  # exact s and s - 1 while n <= 53; s rounds to 0 for n < -1074 (result -1)
    large = ((q + 1.0) * s1) * s2  # n > 56: the -1 is below half an ulp, and overflow gives inf
    result = large if n > 56.0 else small
    return x if (x == 0.0) | (x != x) else result  # +-0 keeps its sign; nan passes through


@njit(inline="always")
def _log_parts(x):
    """(k, f, hfsq, tail) for x > 0 (finite): x = 2^k (1 + f), 1 + f in [sqrt(2)/2, sqrt(2)), and
    log(1 + f) = f - hfsq + tail (fdlibm's construction; the callers add the terms in their own order)."""
    subnormal = x < SMALLEST_NORMAL
    scaled = x * TWO_54 if subnormal else x
    bits = _float_to_bits(scaled) + (ONE_BITS - SQRT_HALF_BITS)
    k = float((bits >> 52) - 1023) - (54.0 if subnormal else 0.0)
    m = _bits_to_float((bits & MANTISSA_MASK) + SQRT_HALF_BITS)
    f = m - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG2 + w * (LG4 + w * LG6))
    t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
    return k, f, hfsq, s * (hfsq + (t1 + t2))


@njit(inline="always")
def _log_reduced(x):
    """(k, log(1 + f)) with x = 2^k (1 + f) as in _log_parts: for log2 and log10, which scale the two apart."""
    k, f, hfsq, tail = _log_parts(x)
    return k, (tail - hfsq) + f


@njit(inline="always")
def log(x):
    """Natural log, within 1 ulp; log(+-0) = -inf, log(x < 0) = nan, log(inf) = inf, log(nan) = nan."""
    x = float(x)
    k, f, hfsq, tail = _log_parts(x)
    result = tail + k * LN2_LO - hfsq + f + k * LN2_HI
    special = -INF if x == 0.0 else (NAN if x < 0.0 else x)  # x is +-0, negative, inf or nan
    return result if (x > 0.0 and x < INF) else special


@njit(inline="always")
def log1p(x):
    """log(1 + x), within 2 ulp, relative accuracy kept near 0; log1p(-1) = -inf, log1p(x < -1) = nan."""
    x = float(x)
    u = 1.0 + x
    result = log(u) - ((u - 1.0) - x) / u
    result = x if u == 1.0 else result  # |x| below half an ulp of 1: log1p(x) = x to within rounding, -0 kept
    special = -INF if x == -1.0 else (NAN if x < -1.0 else x)  # x is -1, below -1, inf or nan
    return result if (x > -1.0 and x < INF) else special


@njit(inline="always")
def tanh(x):
    """Hyperbolic tangent, within 2 ulp: -expm1(-2|x|) / (expm1(-2|x|) + 2) with the sign of x."""
    x = float(x)
    e = expm1(-2.0 * abs(x))
    t = -e / (e + 2.0)
    result = t if x >= 0.0 else -t
    return x if (x == 0.0) | (x != x) else result  # +-0 keeps its sign; nan passes through


@njit(inline="always")
def sigmoid(x):
    """1 / (1 + e^-x) without overflow: e^-|x| <= 1, and for x < 0 the form e^x / (1 + e^x)."""
    x = float(x)
    e = exp(-abs(x))
    pos = 1.0 / (1.0 + e)
    return pos if x >= 0.0 else e / (1.0 + e)
