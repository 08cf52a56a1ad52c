"""impls/numba/vecmath_derived.py: each function within its ulp bound of an extended-precision truth over its
whole domain, NaN/inf/signed-zero behaviour as NumPy's (an independent implementation), and the Chebyshev
tables equal to what their stated construction gives (recomputed with mpmath)."""

import math

import numpy as np
import pytest

pytest.importorskip("numba")

from impls.numba import elementwise as E  # noqa: E402
from impls.numba import mathfuncs as M  # noqa: E402
from impls.numba import vecmath_derived as D  # noqa: E402

pytestmark = pytest.mark.numba

EXTENDED = np.finfo(np.longdouble).nmant >= 63  # x87 80-bit long double: 11 more bits than float64
RNG_SEED = 20261201
KERNELS = {  # op -> (the backend's float64 ufunc, NumPy's name for the truth)
    "exp2": (M.exp2, "exp2"),
    "log2": (M.log2, "log2"),
    "log10": (M.log10, "log10"),
    "sinh": (M.sinh, "sinh"),
    "cosh": (M.cosh, "cosh"),
    "asinh": (M.asinh, "arcsinh"),
    "acosh": (M.acosh, "arccosh"),
    "atanh": (M.atanh, "arctanh"),
    "atan": (M.atan, "arctan"),
    "asin": (M.asin, "arcsin"),
    "acos": (M.acos, "arccos"),
    "sin": (E.sin, "sin"),
    "cos": (E.cos, "cos"),
    "erf": (E.erf, None),
}
# Measured maxima on these samples (NumPy's own float64 functions are within 1 ulp): exp2 0.99, log2 1.08,
# log10 1.52, sinh 1.81, cosh 1.29, asinh 1.32, acosh 1.60, atanh 1.71, atan 1.39, asin 2.29, acos 2.10, erf 1.00,
# sin 0.76, cos 0.73 (a tenth of their samples the doubles nearest multiples of pi/2).
# asin and acos go through a quotient and a square root before atan: about one ulp more than atan's.
ULP_BOUND = {
    "exp2": 1.5, "log2": 1.5, "log10": 2.0, "sinh": 2.0, "cosh": 2.0, "asinh": 2.0, "acosh": 2.0,
    "atanh": 2.5, "atan": 1.5, "asin": 3.0, "acos": 3.0, "erf": 1.5, "sin": 1.5, "cos": 1.5,
}  # fmt: skip


def _samples(op: str) -> np.ndarray:
    """Seeded float64 inputs over the op's whole finite domain (log-uniform where it is unbounded), plus a
    dense band near zero (or near 1 for acosh), each branch point of the constructions included."""
    rng = np.random.default_rng([RNG_SEED, len(op), ord(op[-1])])
    n = 60_000
    signed = rng.choice([-1.0, 1.0], n)
    log_uniform = np.exp(rng.uniform(-700.0, 700.0, n))
    wide = {
        "exp2": rng.uniform(-1074.0, 1023.9, n),
        "log2": log_uniform,
        "log10": log_uniform,
        "sinh": rng.uniform(-710.4, 710.4, n),
        "cosh": rng.uniform(-710.4, 710.4, n),
        "asinh": signed * log_uniform,
        "acosh": 1.0 + log_uniform,
        "atanh": rng.uniform(-1.0, 1.0, n),
        "atan": signed * log_uniform,
        "asin": rng.uniform(-1.0, 1.0, n),
        "acos": rng.uniform(-1.0, 1.0, n),
        "erf": rng.uniform(-7.0, 7.0, n),
        "sin": rng.uniform(-(2.0**19), 2.0**19, n),
        "cos": rng.uniform(-(2.0**19), 2.0**19, n),
    }[op]
    if op in ("sin", "cos"):  # the doubles nearest multiples of pi/2, where the reduction cancels most
        wide[: n // 10] = (np.pi / 2) * rng.integers(-(2**19), 2**19, n // 10)
    near_zero = rng.standard_normal(10_000) * 10.0 ** rng.integers(-300, 0, 10_000)
    if op in ("log2", "log10", "acosh"):
        near_zero = 1.0 + np.abs(near_zero)
    edges = np.array([0.5, 1.0, 2.0, 3.5, 6.0, 22.0, D.TAN_PI_8, D.TAN_3PI_8, D.TWO_28, 0.999999, 1e-20])
    edges = np.concatenate([np.nextafter(edges, -np.inf), edges, np.nextafter(edges, np.inf)])
    return np.concatenate([wide, near_zero, edges if op != "acosh" else 1.0 + edges])


def test_sin_and_cos_defer_to_the_c_library_where_the_reduction_is_unreliable():
    """|x| >= 2^19, x within 2^-40 of a nonzero multiple of pi/2 (the doubles nearest pi and -pi/2), inf and NaN:
    the C library's value, bit for bit, from the ufunc and from the parallel loop's second pass."""
    x = np.array([2.0**19, np.pi, -np.pi / 2, 1e308, 5.319372648326541e255, np.inf, -np.inf, np.nan, 3.0, 100.0])
    with np.errstate(all="ignore"):
        for op, libm in (("sin", math.sin), ("cos", math.cos)):
            flags = [getattr(D, f"{op}_checked").py_func(v)[1] for v in x]  # the reduction's verdict, in Python
            assert flags == [False] * 8 + [True, True], (op, flags)
            expected = np.array([libm(v) if np.isfinite(v) else np.nan for v in x[:8]])
            np.testing.assert_array_equal(KERNELS[op][0](x[:8]), expected)
            np.testing.assert_array_equal(E.apply_unary(op, np.repeat(x[:8], 8192), ()), np.repeat(expected, 8192))


def _truth(op: str, x: np.ndarray) -> np.ndarray:
    if op == "erf":
        mpmath = pytest.importorskip("mpmath")
        mpmath.mp.prec = 80
        return np.array([float(mpmath.erf(v)) for v in x.tolist()], dtype=np.longdouble)  # within 0.5 ulp of exact
    with np.errstate(all="ignore"):
        return getattr(np, KERNELS[op][1])(x.astype(np.longdouble))


@pytest.mark.skipif(not EXTENDED, reason="np.longdouble is not the 80-bit extended type on this platform")
@pytest.mark.parametrize("op", sorted(KERNELS))
def test_derived_vecmath_is_within_its_ulp_bound_of_extended_precision(op):
    x = _samples(op)
    x = x[np.abs(x) <= 1.0] if op in ("atanh", "asin", "acos") else x
    truth = _truth(op, x)
    with np.errstate(all="ignore"):
        actual = KERNELS[op][0](x)
    finite = np.isfinite(truth.astype(np.float64))
    np.testing.assert_array_equal(np.isfinite(actual), finite, err_msg=f"{op}: where the result is finite")
    ulp = np.spacing(np.abs(truth[finite].astype(np.float64))).astype(np.longdouble)
    error = np.abs(actual[finite].astype(np.longdouble) - truth[finite]) / ulp
    worst = int(np.argmax(error))
    assert error[worst] <= ULP_BOUND[op], f"{op}({x[finite][worst]!r}): {float(error[worst]):.2f} ulp"


SPECIALS = np.array(
    [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, -1e-300,
     1.0, -1.0, 1.0000000000000002, -1.0000000000000002, 0.9999999999999999, 2.0, -2.0, 22.0, 709.78, 710.47,
     710.48, -710.48, 1023.99, 1024.0, -1074.0, -1075.0, 1e308, -1e308, 6.0, -6.0, 0.5, -0.5, 2.0**28, 2.0**29]
)  # fmt: skip


@pytest.mark.parametrize("op", sorted(KERNELS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_derived_vecmath_special_values_match_numpy(op, dtype):
    """NaN positions, infinities and signed zeros exactly as NumPy's (math.erf for erf), values within 4 eps."""
    with np.errstate(all="ignore"):
        x = SPECIALS.astype(dtype)
        if op == "erf":
            expected = np.array([math.erf(v) for v in x.tolist()], dtype=dtype)
        else:
            expected = getattr(np, KERNELS[op][1])(x)
        actual = KERNELS[op][0](x)
    assert actual.dtype == x.dtype
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=f"{op}: NaN positions")
    np.testing.assert_array_equal(np.isposinf(actual), np.isposinf(expected), err_msg=f"{op}: +inf positions")
    np.testing.assert_array_equal(np.isneginf(actual), np.isneginf(expected), err_msg=f"{op}: -inf positions")
    zero = expected == 0
    np.testing.assert_array_equal(np.signbit(actual[zero]), np.signbit(expected[zero]), err_msg=f"{op}: zero signs")
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=4 * np.finfo(dtype).eps, atol=0)


def _chebyshev(mpmath, f, lo, hi, degree) -> tuple:
    """The degree-``degree`` interpolant of f at the Chebyshev points of the first kind on [lo, hi], as Chebyshev
    coefficients computed in 160-bit arithmetic and rounded to float64 (the construction the module states)."""
    n = degree + 1
    lo, hi = mpmath.mpf(lo), mpmath.mpf(hi)
    angles = [mpmath.pi * (j + mpmath.mpf(1) / 2) / n for j in range(n)]
    values = [f((mpmath.cos(t) + 1) / 2 * (hi - lo) + lo) for t in angles]
    coeffs = [2 * mpmath.fsum(v * mpmath.cos(m * t) for v, t in zip(values, angles)) / n for m in range(n)]
    coeffs[0] /= 2
    return tuple(float(c) for c in coeffs)


def test_chebyshev_tables_are_the_stated_interpolants():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 160

    def erf_over_x(z):
        value = 2 / mpmath.sqrt(mpmath.pi) if z == 0 else mpmath.erf(mpmath.sqrt(z)) / mpmath.sqrt(z)
        return value - 1

    def atan_tail(z):
        return mpmath.mpf(-1) / 3 if z == 0 else (mpmath.atan(mpmath.sqrt(z)) - mpmath.sqrt(z)) / mpmath.sqrt(z) ** 3

    assert _chebyshev(mpmath, erf_over_x, 0, 1, 12) == D.ERF_SMALL
    for (lo, hi), table in zip(D.ERFC_INTERVALS, D.SCALED_ERFC):
        assert _chebyshev(mpmath, lambda a: mpmath.erfc(a) * mpmath.exp(a * a), lo, hi, 16) == table, (lo, hi)
    assert float(mpmath.tan(mpmath.pi / 8)) == D.TAN_PI_8 and float(mpmath.tan(3 * mpmath.pi / 8)) == D.TAN_3PI_8
    assert _chebyshev(mpmath, atan_tail, 0, D.TAN_PI_8**2, 10) == D.ATAN_TAIL


BINARY = {"hypot": M.hypot, "logaddexp": M.logaddexp, "atan2": M.atan2, "fmod": M.fmod}
NUMPY_NAME = {"atan2": "arctan2"}
# In ulps of the result, except logaddexp's: max(x, y) + log1p(e^-|x - y|) cancels where the result is near 0
# (NumPy's float64 logaddexp, the same formula, is 58 ulp off at x ~ y ~ -ln 2), so its error is counted in ulps of
# the larger of the result and max(x, y), whose rounding it carries.  Measured: hypot 1.12, logaddexp 1.43 (NumPy 0.52,
# 1.17), atan2 1.94 (NumPy 0.75); fmod is exact.
BINARY_ULP_BOUND = {"hypot": 1.5, "logaddexp": 1.5, "atan2": 2.5, "fmod": 0.0}


def _binary_samples(op: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([RNG_SEED, len(op), 2])
    n = 60_000
    if op == "hypot":  # magnitudes across the range (no overflow or underflow of the squares), ratios of all sizes
        x = rng.choice([-1.0, 1.0], n) * np.exp(rng.uniform(-660.0, 660.0, n))
        y = x * np.exp(rng.uniform(-40.0, 40.0, n)) * rng.choice([-1.0, 1.0], n)
    elif op == "fmod":  # quotients up to 2^60 (past the FMA path's 2^52), and just below and above integers
        x = rng.standard_normal(n) * np.exp(rng.uniform(-40.0, 40.0, n))
        y = rng.standard_normal(n) * np.exp(rng.uniform(-40.0, 40.0, n))
        whole = rng.integers(1, 2**60, n // 5).astype(np.float64)
        y[: n // 5] = x[: n // 5] / whole * (1.0 + rng.choice([-1.0, 0.0, 1.0], n // 5) * 2.0**-52)
    elif op == "atan2":  # every quadrant, magnitudes far apart and near-equal (the swap's edge)
        x = rng.standard_normal(n) * np.exp(rng.uniform(-30.0, 30.0, n))
        y = rng.standard_normal(n) * np.exp(rng.uniform(-30.0, 30.0, n))
        y[: n // 10] = x[: n // 10] * rng.uniform(0.99, 1.01, n // 10) * rng.choice([-1.0, 1.0], n // 10)
    else:  # logaddexp: near-equal arguments (where log1p's argument is near 1) and far ones
        x = rng.uniform(-800.0, 800.0, n)
        y = x + rng.standard_normal(n) * 10.0 ** rng.integers(-12, 3, n)
    return x, y


@pytest.mark.skipif(not EXTENDED, reason="np.longdouble is not the 80-bit extended type on this platform")
@pytest.mark.parametrize("op", sorted(BINARY))
def test_derived_binary_vecmath_is_within_its_ulp_bound_of_extended_precision(op):
    x, y = _binary_samples(op)
    truth = getattr(np, NUMPY_NAME.get(op, op))(x.astype(np.longdouble), y.astype(np.longdouble))
    with np.errstate(all="ignore"):
        actual = BINARY[op](x, y)
    scale = np.abs(truth.astype(np.float64))
    scale = np.maximum(scale, np.abs(np.maximum(x, y))) if op == "logaddexp" else scale
    error = np.abs(actual.astype(np.longdouble) - truth) / np.spacing(scale).astype(np.longdouble)
    worst = int(np.argmax(error))
    assert error[worst] <= BINARY_ULP_BOUND[op], f"{op}({x[worst]!r}, {y[worst]!r}): {float(error[worst]):.2f} ulp"


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_derived_binary_special_values_match_numpy_and_the_loop_matches_the_ufunc(op, dtype):
    """Every pair of special values: NaN, infinities and zero signs as NumPy's; then the parallel loop (large
    contiguous operands) bit for bit as the ufunc (strided ones)."""
    with np.errstate(all="ignore"):
        x, y = (a.reshape(-1).astype(dtype) for a in np.meshgrid(SPECIALS, SPECIALS))
        expected = getattr(np, NUMPY_NAME.get(op, op))(x, y)
        actual = BINARY[op](x, y)
        assert actual.dtype == x.dtype
        np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected), err_msg=f"{op}: NaN positions")
        np.testing.assert_array_equal(np.isposinf(actual), np.isposinf(expected), err_msg=f"{op}: +inf positions")
        np.testing.assert_array_equal(np.isneginf(actual), np.isneginf(expected), err_msg=f"{op}: -inf positions")
        zero = expected == 0
        np.testing.assert_array_equal(np.signbit(actual[zero]), np.signbit(expected[zero]), err_msg=f"{op}: signs")
        finite = np.isfinite(expected)
        scale = np.abs(expected) if op != "logaddexp" else np.maximum(np.abs(expected), np.abs(np.maximum(x, y)))
        off = np.abs(actual - expected)[finite] > 4 * np.finfo(dtype).eps * scale[finite]  # logaddexp: as above
        assert not off.any(), (op, x[finite][off], y[finite][off], actual[finite][off], expected[finite][off])
        E.BINARY_LOOPS.update({op: M.BINARY_LOOPS[op]})  # as the backend registers it
        E.BINARY.update({op: M.BINARY[op]})
        large_x, large_y = np.tile(x, 64), np.tile(y, 64)  # past E.PARALLEL_MIN_SIZE: the loop
        looped = E.apply_binary(op, large_x, large_y)
        strided = E.apply_binary(op, np.repeat(large_x, 2)[::2], np.repeat(large_y, 2)[::2])
    uint = np.uint32 if dtype == "float32" else np.uint64
    assert large_x.size >= E.PARALLEL_MIN_SIZE
    np.testing.assert_array_equal(looped.view(uint), strided.view(uint))
