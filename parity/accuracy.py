"""The reference's own accuracy: its float64 elementwise functions against arbitrary precision (mpmath).

torch is an oracle for semantics, not for the last bits.  Here every elementwise entry of the catalog is
evaluated on points drawn across the whole float64 range (log-uniform magnitudes of both signs, the
subnormals, the moderate range where sigmoid, tanh, erf and gelu turn, each function's tails) and compared
with its mathematical value computed by mpmath at :data:`PRECISION` bits, in ULP of the float64 result:
``|result - truth| / ulp(truth)``, with ulp(t) = 2**(max(floor(log2|t|), -1022) - 52), so a subnormal result
is measured in the subnormal spacing 2**-1074 and a correctly rounded one is within 0.5.  The bound each
entry must meet, and why, is data beside the catalog (:mod:`reference.catalog_accuracy`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np

from reference import get_spec
from reference.activations import GELU_TANH_CUBIC, SELU_ALPHA, SELU_SCALE, SQRT_2_OVER_PI

PRECISION = 128  # bits: 2**-128 relative is 2**-75 ulp of a double, far below what is measured
OVERFLOW = mpmath.mpf(2) ** 1024 - mpmath.mpf(2) ** 970  # from here on, round-to-nearest gives inf


UNMEASURED = object()  # a pole at a signed zero: mpmath has no -0, the catalog's special values state 1/+-0


def _pole_at_zero(fn):
    return lambda *args: UNMEASURED if args[-1] == 0 else fn(*args)


def _domain(low=None, pole=None):
    """A truth that is NaN below ``low`` (returns None) and -inf at ``pole``."""

    def wrap(fn):
        def truth(x, **params):
            if low is not None and x < low:
                return None
            if pole is not None and x == pole:
                return -mpmath.inf
            return fn(x, **params)

        return truth

    return wrap


def _pow(x, y):
    if x < 0 and y != mpmath.floor(y):
        return None  # a negative base with a non-integer exponent: NaN
    if x == 0:
        return mpmath.mpf(1) if y == 0 else (mpmath.mpf(0) if y > 0 else mpmath.inf)
    return mpmath.power(x, y)


def _gelu(x):
    if abs(x) > 1e4:  # erfc is 2 or 0 to far beyond 2**-1074 (mpmath's erfc refuses arguments this large)
        return x if x > 0 else mpmath.mpf(0)
    return x / 2 * mpmath.erfc(-x / mpmath.sqrt(2))


TRUTH: dict[str, Callable] = {
    "neg": lambda x: -x,
    "abs": lambda x: abs(x),
    "exp": lambda x: mpmath.exp(x),
    "expm1": lambda x: mpmath.expm1(x),
    "log": _domain(low=0, pole=0)(lambda x: mpmath.log(x)),
    "log1p": _domain(low=-1, pole=-1)(lambda x: mpmath.log1p(x)),
    "sqrt": _domain(low=0)(lambda x: mpmath.sqrt(x)),
    "square": lambda x: x * x,
    "reciprocal": _pole_at_zero(lambda x: 1 / x),
    "sin": lambda x: mpmath.sin(x),
    "cos": lambda x: mpmath.cos(x),
    "tanh": lambda x: mpmath.tanh(x),
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "relu": lambda x: max(x, mpmath.mpf(0)),
    "leaky_relu": lambda x, negative_slope: x if x > 0 else mpmath.mpf(negative_slope) * x,
    "gelu": _gelu,
    "softplus": lambda x, beta, threshold=None: mpmath.log1p(mpmath.exp(mpmath.mpf(beta) * x)) / mpmath.mpf(beta),
    "erf": lambda x: mpmath.erf(x),
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": _pole_at_zero(lambda x, y: x / y),
    "pow": _pow,
    "maximum": lambda x, y: max(x, y),
    "minimum": lambda x, y: min(x, y),
    # the math-function family (reference.catalog_mathfuncs)
    "sign": lambda x: mpmath.sign(x),
    "floor": lambda x: mpmath.floor(x),
    "ceil": lambda x: mpmath.ceil(x),
    "trunc": lambda x: mpmath.floor(x) if x >= 0 else mpmath.ceil(x),
    "round": lambda x: _round_half_even(x),
    "exp2": lambda x: mpmath.power(2, x),
    "log2": _domain(low=0, pole=0)(lambda x: mpmath.log(x, 2)),
    "log10": _domain(low=0, pole=0)(lambda x: mpmath.log10(x)),
    "rsqrt": _pole_at_zero(_domain(low=0)(lambda x: 1 / mpmath.sqrt(x))),
    "sinh": lambda x: mpmath.sinh(x),
    "cosh": lambda x: mpmath.cosh(x),
    "asin": lambda x: mpmath.asin(x) if abs(x) <= 1 else None,
    "acos": lambda x: mpmath.acos(x) if abs(x) <= 1 else None,
    "atan": lambda x: mpmath.atan(x),
    "asinh": lambda x: mpmath.asinh(x),
    "acosh": _domain(low=1)(lambda x: mpmath.acosh(x)),
    "atanh": lambda x: None if abs(x) > 1 else (mpmath.inf * x if abs(x) == 1 else mpmath.atanh(x)),
    "atan2": lambda x, y: mpmath.atan2(x, y),
    "clip": lambda x, min, max: _clip(x, min, max),
    # the activation family (reference.catalog_activations), with the reference's double constants
    "silu": lambda x: x / (1 + mpmath.exp(-x)),
    "elu": lambda x, alpha: x if x > 0 else mpmath.mpf(alpha) * mpmath.expm1(x),
    "selu": lambda x: mpmath.mpf(SELU_SCALE) * (x if x > 0 else mpmath.mpf(SELU_ALPHA) * mpmath.expm1(x)),
    "hardtanh": lambda x, min_val, max_val: min(max(x, mpmath.mpf(min_val)), mpmath.mpf(max_val)),
    "log_sigmoid": lambda x: -mpmath.log1p(mpmath.exp(-x)),
    "mish": lambda x: x * mpmath.tanh(mpmath.log1p(mpmath.exp(x))),
    "gelu_tanh": lambda x: (
        x / (1 + mpmath.exp(-2 * mpmath.mpf(SQRT_2_OVER_PI) * (x + mpmath.mpf(GELU_TANH_CUBIC) * x**3)))
    ),
    "hypot": lambda x, y: mpmath.hypot(x, y),
    "fmod": lambda x, y: None if y == 0 else _exact_quotient(x, y, "trunc")[1],
    "remainder": lambda x, y: None if y == 0 else _exact_quotient(x, y, "floor")[1],
    "floor_divide": _pole_at_zero(lambda x, y: _exact_quotient(x, y, "floor")[0]),
    "logaddexp": lambda x, y: max(x, y) + mpmath.log1p(mpmath.exp(-abs(x - y))),
    "xlogy": lambda x, y: (
        mpmath.mpf(0) if x == 0 else (None if y < 0 else _pole_at_zero(lambda a, b: a * mpmath.log(b))(x, y))
    ),
}


def _exact_quotient(x, y, rounding):
    """(q, x - q y) with q = trunc(x / y) or floor(x / y), both exact: the working precision covers the exponent gap
    of x and y (x / y of two doubles has up to 2100 integer bits; 128 bits would cancel x - q y to noise)."""
    gap = max(int(mpmath.log(abs(x), 2) - mpmath.log(abs(y), 2)), 0) if x != 0 else 0
    with mpmath.workprec(gap + 2 * PRECISION):
        ratio = x / y
        q = mpmath.floor(ratio) if rounding == "floor" or ratio >= 0 else mpmath.ceil(ratio)
        return +q, +(x - q * y)


def _clip(x, low, high):
    out = x if low is None else mpmath.mpf(low) if x < low else x
    return out if high is None else mpmath.mpf(high) if out > high else out


def _round_half_even(x):
    below = mpmath.floor(x)
    half = x - below
    if half != mpmath.mpf(0.5):
        return below + (1 if half > 0.5 else 0)
    return below if below % 2 == 0 else below + 1


def ulp_error(result: float, truth) -> float:
    """The error of the float64 ``result`` in ULP of the exact ``truth`` (None: the value is NaN)."""
    if truth is UNMEASURED:
        return 0.0
    if truth is None:
        return 0.0 if math.isnan(result) else math.inf
    if math.isnan(result):
        return math.inf
    if mpmath.isinf(truth) or abs(truth) >= OVERFLOW:
        return 0.0 if math.isinf(result) and (result > 0) == (truth > 0) else math.inf
    if math.isinf(result):
        return math.inf
    exponent = -1022 if truth == 0 else max(int(mpmath.floor(mpmath.log(abs(truth), 2))), -1022)
    return float(abs(mpmath.mpf(result) - truth) / mpmath.ldexp(1, exponent - 52))


# ---------------------------------------------------------------- where the points come from
def _log_uniform(rng, n):
    """Finite float64 of both signs with exponents uniform over the whole range, subnormals included."""
    mantissa = rng.integers(0, 2**52, n, dtype=np.uint64)
    exponent = rng.integers(0, 2047, n, dtype=np.uint64)  # 0: the subnormals (and 0); 2047 (inf, NaN) left out
    sign = rng.integers(0, 2, n, dtype=np.uint64)
    return ((sign << np.uint64(63)) | (exponent << np.uint64(52)) | mantissa).view(np.float64)


def _subnormal(rng, n):
    bits = rng.integers(1, 2**52, n, dtype=np.uint64) | (rng.integers(0, 2, n, dtype=np.uint64) << np.uint64(63))
    return bits.view(np.float64)


def points(n: int, seed: int, scale: float = 50.0) -> np.ndarray:
    """``n`` float64 inputs: a quarter across the whole range, a quarter subnormal, a quarter in
    [-scale, scale] (where sigmoid, tanh, erf and gelu turn), a quarter in [-800, 800] (exp and softplus
    cross over- and underflow there)."""
    rng = np.random.default_rng(seed)
    quarter = max(n // 4, 1)
    return np.concatenate(
        [
            _log_uniform(rng, quarter),
            _subnormal(rng, quarter),
            rng.uniform(-scale, scale, quarter),
            rng.uniform(-800.0, 800.0, n - 3 * quarter),
        ]
    )


@dataclass(frozen=True)
class Accuracy:
    """The worst error found for one entry: in ULP, at which inputs, over how many points."""

    entry: str
    points: int
    max_ulp: float
    worst: tuple
    params: dict

    def line(self) -> str:
        at = ", ".join(repr(float(v)) for v in self.worst)
        return f"{self.entry}{self.params or ''}: {self.max_ulp:.3g} ulp over {self.points} points, worst at ({at})"


def measure(entry: str, inputs: tuple[np.ndarray, ...], params: dict | None = None) -> Accuracy:
    """The reference's error on ``inputs`` (float64 arrays of one shape), point by point, against mpmath."""
    params = dict(params or {})
    result = np.asarray(get_spec(entry).forward(*inputs, **params), dtype=np.float64).reshape(-1)
    columns = [np.asarray(x, dtype=np.float64).reshape(-1) for x in inputs]
    truth = TRUTH[entry]
    worst, at = 0.0, ()
    with mpmath.workprec(PRECISION):
        for i, value in enumerate(result):
            args = [mpmath.mpf(float(c[i])) for c in columns]
            error = ulp_error(float(value), truth(*args, **params))
            if error > worst or not at:
                worst, at = error, tuple(float(c[i]) for c in columns)
    return Accuracy(entry, result.size, worst, at, params)


def sample_inputs(entry: str, n: int, seed: int) -> tuple[np.ndarray, ...]:
    """Inputs for ``entry``: :func:`points` for each argument (pow's exponents kept where its results are finite
    or just overflow: a few dozen, and small integers, so negative bases are exercised)."""
    arity = len([a for a in get_spec(entry).arg_names if not a.endswith("?")])
    x = points(n, seed)
    if arity == 1:
        return (x,)
    y = points(n, seed + 1)
    if entry == "pow":
        rng = np.random.default_rng(seed + 2)
        y = np.where(rng.integers(0, 2, n) == 1, rng.integers(-8, 9, n).astype(np.float64), rng.uniform(-40, 40, n))
    return x, y
