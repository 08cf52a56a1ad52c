"""Elementwise math functions beyond the basic set (issue #14): rounding, sign, exp2/log2/log10, rsqrt, the
hyperbolic and inverse trigonometric functions, and the binary atan2, hypot, fmod, remainder, floor_divide,
logaddexp and xlogy; clip.  NumPy forward and hand-derived VJP side by side, dtype-preserving.

The catalog entries (cases, special values, tolerances, which backends disagree and where) are in
:mod:`reference.catalog_mathfuncs`.  Every gradient convention at a point where the function is not
differentiable is the one torch's derivatives.yaml states (torch 2.13), unless the catalog says otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from reference._checks import dtype_name, require_float_array, require_real
from reference._op import reference_op, unbroadcast, vjp_of
from reference.binary import _binary
from reference.elementwise import _unary

LN2 = math.log(2.0)
LN10 = math.log(10.0)


# ---------------------------------------------------------------- piecewise-constant: gradient 0 everywhere
def _zero_gradient(g, x):
    # torch: zeros_like(grad) for sign, floor, ceil, trunc and round, so 0 even at NaN inputs or cotangents
    return (np.zeros_like(x),)


@_unary
def sign(x):
    """-1, 0 or +1 by the sign of x; sign(+-0) = +0, sign(NaN) = NaN (NumPy, the Array API standard)."""
    return np.where(x == 0, 0.0, np.sign(x))


@_unary
def floor(x):
    """The largest integer <= x (floor(-0.0) = -0.0)."""
    return np.floor(x)


@_unary
def ceil(x):
    """The smallest integer >= x (ceil(-0.5) = -0.0)."""
    return np.ceil(x)


@_unary
def trunc(x):
    """x rounded towards zero (trunc(-0.5) = -0.0)."""
    return np.trunc(x)


@_unary
def round(x):  # noqa: A001 - the op's name
    """x rounded to the nearest integer, halves to even (round(2.5) = 2, round(-0.5) = -0.0), as np.rint."""
    return np.rint(x)


for _step in (sign, floor, ceil, trunc, round):
    vjp_of(_step)(_zero_gradient)


# ---------------------------------------------------------------- exponentials, logarithms, rsqrt
@_unary
def exp2(x):
    """2**x"""
    return np.exp2(x)


@vjp_of(exp2)
def exp2_vjp(g, x):
    return (g * np.exp2(x) * LN2,)


@_unary
def log2(x):
    """Base-2 logarithm."""
    return np.log2(x)


@vjp_of(log2)
def log2_vjp(g, x):
    # (g / x) / ln 2, not g / (x ln 2): at a subnormal x the product x ln 2 rounds to a few bits (hypothesis found
    # x = 5e-324, where x ln 2 is 5e-324 again and the gradient came out ln 2 too large)
    return (g / x / LN2,)


@_unary
def log10(x):
    """Base-10 logarithm."""
    return np.log10(x)


@vjp_of(log10)
def log10_vjp(g, x):
    return (g / x / LN10,)  # as log2's


@_unary
def rsqrt(x):
    """1 / sqrt(x) (rsqrt(+-0) = +-inf, NaN below 0)."""
    return 1.0 / np.sqrt(x)


@vjp_of(rsqrt)
def rsqrt_vjp(g, x):
    r = 1.0 / np.sqrt(x)
    return (-0.5 * g * (r * r * r),)


# ---------------------------------------------------------------- hyperbolic and inverse trigonometric
@_unary
def sinh(x):
    """Hyperbolic sine."""
    return np.sinh(x)


@vjp_of(sinh)
def sinh_vjp(g, x):
    return (g * np.cosh(x),)


@_unary
def cosh(x):
    """Hyperbolic cosine."""
    return np.cosh(x)


@vjp_of(cosh)
def cosh_vjp(g, x):
    return (g * np.sinh(x),)


@_unary
def asin(x):
    """Inverse sine, in [-pi/2, pi/2]; NaN outside [-1, 1]."""
    return np.arcsin(x)


def _one_minus_square(x):
    # (1 - x)(1 + x), not 1 - x*x: no cancellation as |x| -> 1
    return (1.0 - x) * (1.0 + x)


@vjp_of(asin)
def asin_vjp(g, x):
    return (g / np.sqrt(_one_minus_square(x)),)


@_unary
def acos(x):
    """Inverse cosine, in [0, pi]; NaN outside [-1, 1]."""
    return np.arccos(x)


@vjp_of(acos)
def acos_vjp(g, x):
    return (-g / np.sqrt(_one_minus_square(x)),)


@_unary
def atan(x):
    """Inverse tangent, in (-pi/2, pi/2)."""
    return np.arctan(x)


@vjp_of(atan)
def atan_vjp(g, x):
    # 1 / (1 + x**2), written so that x**2 cannot overflow: for |x| > 1, (1/x)**2 / (1 + (1/x)**2)
    big = np.abs(x) > 1.0
    r = 1.0 / np.where(big, x, 1.0)
    return (g * np.where(big, r * r / (1.0 + r * r), 1.0 / (1.0 + x * x)),)


@_unary
def asinh(x):
    """Inverse hyperbolic sine."""
    return np.arcsinh(x)


@vjp_of(asinh)
def asinh_vjp(g, x):
    # 1 / sqrt(1 + x**2) = |1/x| / sqrt(1 + (1/x)**2) for |x| > 1, so that x**2 cannot overflow
    big = np.abs(x) > 1.0
    r = 1.0 / np.where(big, x, 1.0)
    return (g * np.where(big, np.abs(r) / np.sqrt(1.0 + r * r), 1.0 / np.sqrt(1.0 + x * x)),)


@_unary
def acosh(x):
    """Inverse hyperbolic cosine; NaN below 1."""
    return np.arccosh(x)


@vjp_of(acosh)
def acosh_vjp(g, x):
    # 1 / sqrt((x - 1)(x + 1)): x - 1 is exact near 1 (Sterbenz), x * x - 1 cancels there; for x > 2**500 the
    # product overflows while the derivative is ~1/x.  Below 1, where acosh is NaN, the formula's value as torch's
    # (x * x - 1).rsqrt(): NaN in (-1, 1), finite below -1, +inf at -1 (+ 0.0 turns the product's -0 into +0)
    big = x > 2.0**500
    return (g * np.where(big, 1.0 / x, 1.0 / np.sqrt((x - 1.0) * (x + 1.0) + 0.0)),)


@_unary
def atanh(x):
    """Inverse hyperbolic tangent; +-inf at +-1, NaN beyond."""
    return np.arctanh(x)


@vjp_of(atanh)
def atanh_vjp(g, x):
    return (g / _one_minus_square(x),)


# ---------------------------------------------------------------- clip
def _check_clip(x, min=None, max=None) -> None:  # noqa: A002 - torch's and NumPy's names
    require_float_array(x, "x")
    if min is None and max is None:
        raise ValueError("clip needs min or max (or both); with neither it would be the identity")
    for value, name in ((min, "min"), (max, "max")):
        if value is not None:
            require_real(value, name)


@reference_op(("x",), _check_clip)
def clip(x, min=None, max=None):  # noqa: A002
    """min(max(x, min), max) with scalar bounds (either may be None); where min > max every element is max, as
    np.clip and torch.clamp; NaN propagates."""
    out = x if min is None else np.where(x < min, min, x)
    return out if max is None else np.where(out > max, max, out)


@vjp_of(clip)
def clip_vjp(g, x, min=None, max=None):  # noqa: A002
    # torch's clamp_backward: g where min <= x <= max, bounds included (so NaN, which compares false, gets 0)
    inside = np.ones_like(x, dtype=bool)  # on x's device (CuPy's emulated one included)
    if min is not None:
        inside &= x >= min
    if max is not None:
        inside &= x <= max
    return (np.where(inside, g, 0.0),)


# ---------------------------------------------------------------- binary
def _to_inputs(gx, gy, x, y):
    return unbroadcast(gx, x.shape), unbroadcast(gy, y.shape)


@_binary
def atan2(x, y):
    """arctan(x / y) in the quadrant of the point (y, x), in [-pi, pi] (NumPy's and torch's argument order); the
    signs of zeros pick the quadrant: atan2(+0, -0) = pi, atan2(-0, -0) = -pi."""
    return np.arctan2(x, y)


@vjp_of(atan2)
def atan2_vjp(g, x, y):
    # d/dx = y / (x**2 + y**2), d/dy = -x / (x**2 + y**2); 0 at (0, 0), where torch's atan2_backward masks the
    # division by zero.  Scaled by the larger magnitude so that the squares cannot over- or underflow.
    scale = np.maximum(np.abs(x), np.abs(y))
    safe = np.where((scale == 0) | ~np.isfinite(scale), 1.0, scale)
    xs, ys = x / safe, y / safe
    r2 = (xs * xs + ys * ys) * safe
    origin = (x == 0) & (y == 0)
    gx = np.where(origin, 0.0, g * (ys / r2))
    gy = np.where(origin, 0.0, g * (-xs / r2))
    return _to_inputs(gx, gy, x, y)


@_binary
def hypot(x, y):
    """sqrt(x**2 + y**2) without overflow; hypot(+-inf, NaN) = +inf (C99, IEEE 754)."""
    return np.hypot(x, y)


@vjp_of(hypot)
def hypot_vjp(g, x, y):
    # x / hypot, y / hypot (torch's formula): NaN at (0, 0), where the function has no gradient
    h = np.hypot(x, y)
    return _to_inputs(g * (x / h), g * (y / h), x, y)


@_binary
def fmod(x, y):
    """C's fmod: x - trunc(x / y) y, exactly; the result has the sign of x (fmod(-5, 3) = -2)."""
    return np.fmod(x, y)


@vjp_of(fmod)
def fmod_vjp(g, x, y):
    # torch: d/dx = 1, d/dy = -trunc(x / y), the quotient rounded as torch.div(rounding_mode="trunc")
    return _to_inputs(g, -g * np.trunc(x / y), x, y)


@_binary
def remainder(x, y):
    """Python's %: x - floor(x / y) y; the result has the sign of y (remainder(-5, 3) = 1), as np.remainder and
    torch.remainder."""
    return np.remainder(x, y)


@vjp_of(remainder)
def remainder_vjp(g, x, y):
    # torch: d/dx = 1, d/dy = -floor(x / y) (torch.div(rounding_mode="floor"))
    return _to_inputs(g, -g * np.floor_divide(x, y), x, y)


@_binary
def floor_divide(x, y):
    """floor(x / y) as Python's // and np.floor_divide compute it (from fmod, so exact where x / y would round to
    an integer); -0.0 // 3 = -0.0, 1 // 0 = inf, -1 // inf = -1."""
    return np.floor_divide(x, y)


@vjp_of(floor_divide)
def floor_divide_vjp(g, x, y):
    # piecewise constant: 0 almost everywhere (torch has no derivative for floor_divide; torch.div with
    # rounding_mode="floor" returns zeros)
    return np.zeros_like(x), np.zeros_like(y)


@_binary
def logaddexp(x, y):
    """log(e**x + e**y) without overflow: max(x, y) + log1p(e**-|x - y|); logaddexp(-inf, -inf) = -inf."""
    return np.logaddexp(x, y)


@vjp_of(logaddexp)
def logaddexp_vjp(g, x, y):
    # e**x / (e**x + e**y) = 1 / (1 + e**(y - x)), torch's formula; at equal infinities y - x is NaN and so is
    # the gradient (the limit depends on the direction of approach)
    return _to_inputs(g / (1.0 + np.exp(y - x)), g / (1.0 + np.exp(x - y)), x, y)


@_binary
def xlogy(x, y):
    """x log(y), 0 where x == 0 (even at y = 0 or y < 0: 0 log 0 = 0), NaN where y is NaN (scipy.special.xlogy,
    torch.xlogy)."""
    return np.where((x == 0) & ~np.isnan(y), 0.0, x * np.log(y))


@vjp_of(xlogy)
def xlogy_vjp(g, x, y):
    # torch: d/dx = xlogy(g, y) masked to 0 where x == 0 and y <= 0; d/dy = g x / y
    gx = np.where((g == 0) & ~np.isnan(y), 0.0, g * np.log(y))
    gx = np.where((x == 0) & (y <= 0), 0.0, gx)
    gy = g * (x / y)  # g (x / y): linear in g even where g x is subnormal
    # where x / y overflows (y subnormal) and g x / y does not, torch's (g x) / y is finite (found by parity audit)
    with np.errstate(all="ignore"):
        grouped = (g * x) / y
    gy = np.where(np.isinf(gy) & np.isfinite(grouped), grouped, gy)
    return _to_inputs(gx, gy, x, y)


# ---------------------------------------------------------------- where (a bool condition selects x or y)
def _check_where(condition, x, y) -> None:
    if dtype_name(condition) != "bool":
        raise TypeError(f"condition must be a bool array (torch.where refuses others), got {dtype_name(condition)}")
    require_float_array(x, "x")
    require_float_array(y, "y")
    if x.dtype != y.dtype:
        raise TypeError(f"x and y must have the same dtype, got {dtype_name(x)} and {dtype_name(y)}")
    try:
        np.broadcast_shapes(condition.shape, x.shape, y.shape)
    except ValueError:
        raise ValueError(
            f"condition {tuple(condition.shape)}, x {tuple(x.shape)} and y {tuple(y.shape)} do not broadcast together"
        ) from None


def _where_dtype(condition, x, y):
    return x.dtype


@reference_op(("condition", "x", "y"), _check_where, nondiff=("condition",), result_dtype=_where_dtype)
def where(condition, x, y):
    """x where condition holds, else y, broadcast together (``torch.where(condition, x, y)``, ``np.where``): the
    value of the branch not taken does not matter, NaN and inf included."""
    return np.where(condition, x, y)


@vjp_of(where)
def where_vjp(g, condition, x, y):
    # g to x where condition holds and to y elsewhere, each summed back to its shape: the branch not taken gets
    # exactly 0, whatever its value (a NaN there does not leak into the gradient of where itself)
    zero = np.zeros_like(g)
    return unbroadcast(np.where(condition, g, zero), x.shape), unbroadcast(np.where(condition, zero, g), y.shape)
