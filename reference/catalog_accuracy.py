"""How accurate the reference's float64 elementwise functions are, entry by entry: the bound in ULP of the float64
result, and why it holds (``parity.accuracy`` measures it against mpmath; tests/test_accuracy.py holds every
entry to it across the whole float64 range, tails and subnormals included).

Where a bound rests on a library, the library's own statement is the reason: glibc lists the largest errors its
test suite finds per function (sysdeps/x86_64/fpu/libm-test-ulps: double exp, expm1, log, log1p, sin, cos,
erf, pow 1; tanh 2; erfc 5), and NumPy holds its float64 loops, libm's or its own SIMD ones on every dispatch
target, to 1 ulp (tanh 2) in its accuracy tests (numpy/_core/tests/data/umath-validation-set-*.csv).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LIBM = "NumPy's float64 loop: the C library's or NumPy's own SIMD kernel, both held to 1 ulp"


@dataclass(frozen=True)
class UlpBound:
    """The most ULP the reference's float64 result may be from the exact value, why, and the parameter values
    it is measured at (each one separately); ``caveat`` says where it cannot be promised, and why."""

    ulp: float
    reason: str
    params: tuple[Mapping[str, Any], ...] = ({},)
    caveat: str = field(default="")


EXACT = "no rounding: the result is one of the inputs (or its negation)"
ONE_ROUNDING = "one IEEE 754 operation, correctly rounded"
INTEGRAL = "an integer-valued result that IEEE 754 represents exactly (floor, ceil, trunc, roundToIntegral, sign)"
LIBM_MEASURED = (
    "NumPy's float64 loop (the C library's function, or NumPy's own SIMD kernel): measured here {measured} ulp over "
    "the seeded points and hypothesis's search; the bound leaves the margin of one faithfully rounded result"
)
OTHER_LIBM = "measured with glibc on x86-64; on another C library the bound is what this test measures there"

ULP_BOUNDS: dict[str, UlpBound] = {
    "neg": UlpBound(0.0, EXACT),
    "abs": UlpBound(0.0, EXACT),
    "relu": UlpBound(0.0, EXACT),
    "maximum": UlpBound(0.0, EXACT),
    "minimum": UlpBound(0.0, EXACT),
    "square": UlpBound(0.5, ONE_ROUNDING + " (x * x)"),
    "reciprocal": UlpBound(0.5, ONE_ROUNDING + " (1 / x)"),
    "sqrt": UlpBound(0.5, ONE_ROUNDING + ": IEEE 754 requires sqrt correctly rounded"),
    "add": UlpBound(0.5, ONE_ROUNDING),
    "sub": UlpBound(0.5, ONE_ROUNDING),
    "mul": UlpBound(0.5, ONE_ROUNDING),
    "div": UlpBound(0.5, ONE_ROUNDING),
    "leaky_relu": UlpBound(
        0.5, ONE_ROUNDING + " (negative_slope * x)", params=({"negative_slope": 0.01}, {"negative_slope": 0.3})
    ),
    "exp": UlpBound(1.0, LIBM),
    "expm1": UlpBound(1.0, LIBM),
    "log": UlpBound(1.0, LIBM),
    "log1p": UlpBound(1.0, LIBM),
    "sin": UlpBound(1.0, LIBM),
    "cos": UlpBound(1.0, LIBM),
    "tanh": UlpBound(2.0, "NumPy's float64 loop: glibc and NumPy's accuracy tests both state 2 ulp"),
    "erf": UlpBound(1.0, "math.erf is the C library's erf: 1 ulp in glibc"),
    "pow": UlpBound(
        1.0,
        "the C library's pow: 1 ulp in glibc",
        caveat="NumPy's accuracy tests do not cover power: on a CPU where NumPy runs its own SIMD power, the "
        "bound is what this test measures there, not a promise",
    ),
    "sigmoid": UlpBound(
        2.5,
        "e = exp(-|x|) (1 ulp), then 1 / (1 + e) or e / (1 + e): two correctly rounded operations, and 1 + e "
        "damps e's error; measured here 1.6",
    ),
    "softplus": UlpBound(
        3.5,
        "max(bx, 0) + log1p(exp(-|bx|)), over beta, with bx = beta x kept exact as a double-double (a rounded "
        "bx would cost |bx| ulp in the negative tail, 500 at beta = 2.5): exp and log1p 1 ulp each, the sum and "
        "the division half an ulp each; measured here 2.5 at beta = 0.3",
        params=({"beta": 1.0}, {"beta": 2.5}, {"beta": 0.3}),
    ),
    "gelu": UlpBound(
        6.0,
        "x/2 erfc(-x/sqrt 2) with the argument a double-double (erfc turns its relative error into 2 z**2 times as "
        "much): glibc's erfc is within 5 ulp, the product adds half an ulp; below x = -36, where erfc is "
        "subnormal, an asymptotic series with z**2 split exactly (3 ulp); measured here 2.8",
        caveat="on a C library whose erfc is less accurate than glibc's, gelu is as inaccurate as that erfc",
    ),
    # ------------------------------------------------ the math-function family (reference.catalog_mathfuncs)
    **{name: UlpBound(0.0, INTEGRAL) for name in ("sign", "floor", "ceil", "trunc", "round")},
    "rsqrt": UlpBound(
        1.5,
        "1 / sqrt(x): sqrt correctly rounded (relative error <= u, at most 1 ulp of the result once inverted), then "
        "one correctly rounded division (0.5 ulp); measured here 1.24",
    ),
    **{
        name: UlpBound(bound, LIBM_MEASURED.format(measured=measured), caveat=OTHER_LIBM)
        for name, bound, measured in (
            ("exp2", 1.0, 0.501),
            ("log2", 1.0, 0.5),
            ("log10", 2.0, 1.03),
            ("sinh", 2.0, 1.12),
            ("cosh", 2.0, 0.96),
            ("asin", 2.0, 0.43),
            ("acos", 2.0, 0.48),
            ("atan", 2.0, 0.5),
            ("asinh", 2.0, 1.17),
            ("acosh", 2.0, 0.98),
            ("atanh", 2.0, 0.68),
            ("atan2", 1.0, 0.5),
            ("hypot", 1.0, 0.75),
        )
    },
    "fmod": UlpBound(0.0, "IEEE 754's fmod is exact: x - trunc(x / y) y is representable (C99 F.9.7.1)"),
    "remainder": UlpBound(
        0.5, "NumPy's remainder: the exact fmod, then one correctly rounded addition of y where the signs differ"
    ),
    "floor_divide": UlpBound(
        0.5,
        "NumPy's floor_divide: the exact quotient's floor from fmod, rounded once where it exceeds 2**53 (a double "
        "holds every integer up to there exactly)",
    ),
    "logaddexp": UlpBound(
        2.0,
        "NumPy's max(x, y) + log1p(exp(-|x - y|)): exp and log1p 1 ulp each on a term below ln 2, one rounded "
        "addition; measured here 0.675",
        caveat=OTHER_LIBM,
    ),
    # ------------------------------------------------ the activation family (reference.catalog_activations)
    "clip": UlpBound(
        0.0, EXACT, params=({"min": -1.0, "max": 1.5}, {"min": None, "max": 0.5}, {"min": 2.0, "max": 1.0})
    ),
    "hardtanh": UlpBound(0.0, EXACT, params=({"min_val": -1.0, "max_val": 1.0}, {"min_val": -0.5, "max_val": 2.0})),
    "elu": UlpBound(
        1.5, "alpha * expm1(x): expm1 1 ulp, one rounded product; measured 0.5", params=({"alpha": 1.0}, {"alpha": 0.5})
    ),
    "selu": UlpBound(2.0, "scale * alpha * expm1(x): expm1 1 ulp, two rounded products; measured 1.19"),
    "log_sigmoid": UlpBound(
        2.0, "min(x, 0) - log1p(exp(-|x|)): exp and log1p 1 ulp each on a term below ln 2, a subtraction; measured 0.88"
    ),
    **{
        name: UlpBound(
            400.0,
            f"{formula}: a few ulp wherever the result is normal; below x = -700 the result is subnormal and so is "
            f"{small}, which carries half a subnormal spacing of error, times |x| <= 745: at most ~373 spacings "
            f"(measured {measured})",
        )
        for name, formula, small, measured in (
            ("silu", "x * sigmoid(x)", "sigmoid(x) = e**x / (1 + e**x)", 316),
            ("mish", "x * tanh(softplus(x))", "tanh(log1p(e**x)) ~ e**x", 296),
        )
    },
    "gelu_tanh": UlpBound(
        1500.0,
        "x * sigmoid(2u), 2u = 2 sqrt(2/pi) (x + 0.044715 x**3) with the reference's double constants: 2u carries "
        "about four roundings (x**3, the products, the sum), which exp turns into a relative error of ~2 |2u| ulp "
        "in the negative tail, where |2u| reaches 745 before the result underflows; measured 1090 at x = -19.8",
    ),
    "xlogy": UlpBound(1.5, "x * log(y): log 1 ulp (the C library's), one correctly rounded product; measured 1.14"),
}
