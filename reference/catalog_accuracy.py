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
}
