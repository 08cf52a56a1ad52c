"""Unary elementwise ops and their VJPs (NumPy, dtype-preserving)."""

from __future__ import annotations

import math

import numpy as np

from reference import _xp
from reference._checks import require_float_array, require_real
from reference._op import reference_op, vjp_of

SQRT_2 = math.sqrt(2.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
INV_SQRT_2PI = 0.3989422804014327  # 1/sqrt(2 pi), correctly rounded (mpmath)
# 1/sqrt(2) as a sum of two doubles (mpmath): z = -x/sqrt(2) is then known to ~2**-100 relative
SQRT_HALF_HI, SQRT_HALF_LO = 0.7071067811865476, -4.833646656726457e-17
SPLITTER = 134217729.0  # 2**27 + 1: Veltkamp's split of a double into two 26-bit halves
# erfc(z) ~ exp(-z**2) / (z sqrt(pi)) * sum (-1)**n (2n - 1)!! / (2 z**2)**n; 9 terms reach 2**-53 from z = 25
ASYMPTOTIC_ERFC = (1.0, -1.0, 3.0, -15.0, 105.0, -945.0, 10395.0, -135135.0, 2027025.0)
GELU_TAIL = -36.0  # below it erfc(-x / sqrt 2) < 2**-1016 and subnormal: the asymptotic series instead


def _check_x(x, **_params) -> None:
    require_float_array(x, "x")


def _check_leaky(x, negative_slope=0.01) -> None:
    require_float_array(x, "x")
    require_real(negative_slope, "negative_slope")


def _check_softplus(x, beta=1.0, threshold=None) -> None:
    require_float_array(x, "x")
    if require_real(beta, "beta") <= 0:
        raise ValueError(f"beta must be > 0, got {beta}: a non-positive beta is not supported (torch accepts it)")
    if threshold is not None:
        raise ValueError(
            f"threshold={threshold} is not supported: the reference's softplus is exact for every x, while "
            "torch's threshold (20 by default) returns x itself where beta * x > threshold, off by "
            "log1p(exp(-threshold)) / beta"
        )


def _unary(fn):
    return reference_op(("x",), _check_x)(fn)


@_unary
def neg(x):
    """-x"""
    return np.negative(x)


@vjp_of(neg)
def neg_vjp(g, x):
    return (np.negative(g),)


@_unary
def abs(x):  # noqa: A001 - the op's name
    """|x|"""
    return np.abs(x)


@vjp_of(abs)
def abs_vjp(g, x):
    # sign(0) = 0: the subgradient torch, JAX and HIPS autograd all pick at the kink.
    return (g * np.sign(x),)


@_unary
def exp(x):
    """e**x"""
    return np.exp(x)


@vjp_of(exp)
def exp_vjp(g, x):
    return (g * np.exp(x),)


@_unary
def expm1(x):
    """e**x - 1, accurate near 0."""
    return np.expm1(x)


@vjp_of(expm1)
def expm1_vjp(g, x):
    return (g * np.exp(x),)


@_unary
def log(x):
    """Natural logarithm."""
    return np.log(x)


@vjp_of(log)
def log_vjp(g, x):
    return (g / x,)


@_unary
def log1p(x):
    """log(1 + x), accurate near 0."""
    return np.log1p(x)


@vjp_of(log1p)
def log1p_vjp(g, x):
    return (g / (1.0 + x),)


@_unary
def sqrt(x):
    """Square root (sqrt(-0) = -0, sqrt of a negative is NaN)."""
    return np.sqrt(x)


@vjp_of(sqrt)
def sqrt_vjp(g, x):
    # d sqrt(x)/dx = 1 / (2 sqrt(x)): +inf at x = 0, as in torch.
    return (g / (2.0 * np.sqrt(x)),)


@_unary
def square(x):
    """x * x"""
    return x * x


@vjp_of(square)
def square_vjp(g, x):
    return (2.0 * x * g,)


@_unary
def reciprocal(x):
    """1 / x"""
    return 1.0 / x


@vjp_of(reciprocal)
def reciprocal_vjp(g, x):
    r = 1.0 / x
    return (-g * r * r,)


@_unary
def sin(x):
    """Sine."""
    return np.sin(x)


@vjp_of(sin)
def sin_vjp(g, x):
    return (g * np.cos(x),)


@_unary
def cos(x):
    """Cosine."""
    return np.cos(x)


@vjp_of(cos)
def cos_vjp(g, x):
    return (-g * np.sin(x),)


@_unary
def tanh(x):
    """Hyperbolic tangent."""
    return np.tanh(x)


@vjp_of(tanh)
def tanh_vjp(g, x):
    t = np.tanh(x)
    return (g * (1.0 - t * t),)


def _sigmoid(x):
    # Evaluate exp only at -|x| so that it never overflows: for x >= 0 the
    # usual 1/(1+e^-x), for x < 0 the equivalent e^x/(1+e^x).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@_unary
def sigmoid(x):
    """Logistic function 1 / (1 + e**-x), overflow-free for any x."""
    return _sigmoid(x)


@vjp_of(sigmoid)
def sigmoid_vjp(g, x):
    s = _sigmoid(x)
    return (g * s * (1.0 - s),)


@_unary
def relu(x):
    """max(x, 0); NaN propagates."""
    return np.where(x > 0, x, np.where(np.isnan(x), x, 0.0))


@vjp_of(relu)
def relu_vjp(g, x):
    # relu'(0) = 0, as torch's threshold_backward (grad where x > 0).
    return (np.where(x > 0, g, 0.0),)


@reference_op(("x",), _check_leaky)
def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, negative_slope * x otherwise."""
    return np.where(x > 0, x, x * negative_slope)


@vjp_of(leaky_relu)
def leaky_relu_vjp(g, x, negative_slope=0.01):
    # At x = 0 the slope on the left is used, as torch does.
    return (np.where(x > 0, g, g * negative_slope),)


_erf = _xp.erf


@_unary
def erf(x):
    """Gauss error function, from the C library's erf (see the note at the top)."""
    return _erf(x)


@vjp_of(erf)
def erf_vjp(g, x):
    return (g * TWO_OVER_SQRT_PI * np.exp(-x * x),)


def _two_prod(a, b):
    """(p, e) with p = fl(a * b) and a * b = p + e exactly (Dekker; float64, |a|, |b| < 2**995)."""
    p = a * b
    a_hi = SPLITTER * a
    a_hi = a_hi - (a_hi - a)
    b_hi = SPLITTER * b
    b_hi = b_hi - (b_hi - b)
    a_lo, b_lo = a - a_hi, b - b_hi
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def _normal_cdf_parts(x):
    """For float64 x (clipped to +-64, where the CDF is exactly 0 or 1): z = -x / sqrt(2) as the pair z + dz, and
    erfc(z + dz) to first order in dz.  erfc amplifies a relative error of its argument by 2 z**2, so a single
    rounding of x / sqrt(2) would cost 64 ulp at x = -8 and 2000 at x = -32."""
    x = np.clip(x, -64.0, 64.0)
    z, dz = _two_prod(-x, SQRT_HALF_HI)
    dz = dz - x * SQRT_HALF_LO
    return z, dz, _xp.erfc(z) - dz * TWO_OVER_SQRT_PI * np.exp(-z * z)


def _gelu_tail(z, dz):
    """x Phi(x) = -exp(-z**2) S(z) / sqrt(2 pi) for z = -x / sqrt(2) > 25 (S: the asymptotic series of erfc), with
    z**2 split exactly as p + dp so that exp sees an exact argument (z**2 ~ 700 would cost ~700 ulp otherwise)."""
    p, dp = _two_prod(z, z)
    dp = dp + 2.0 * z * dz
    w = 0.5 / (p + dp)
    series = np.zeros_like(w)
    for c in reversed(ASYMPTOTIC_ERFC):
        series = series * w + c
    return -(INV_SQRT_2PI * series * (1.0 - dp)) * np.exp(-p)


def _gelu64(x):
    z, dz, erfc = _normal_cdf_parts(x)
    out = np.where(x < GELU_TAIL, _gelu_tail(z, dz), 0.5 * x * erfc)
    return np.where(np.isneginf(x), -0.0, out)


@_unary
def gelu(x):
    """x * Phi(x) with the exact normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2, evaluated in float64; the limit 0
    at -inf.  Not 0.5 x (1 + erf(x / sqrt 2)): 1 + erf cancels in the negative tail, where it has lost 6 digits
    at x = -7 and all of them (a -0.0 for ~-1e-18) from x = -9."""
    return _gelu64(x.astype(np.float64)).astype(x.dtype)


@vjp_of(gelu)
def gelu_vjp(g, x):
    x64 = x.astype(np.float64)
    cdf = 0.5 * _normal_cdf_parts(x64)[2]
    pdf = INV_SQRT_2PI * np.exp(-0.5 * x64 * x64)
    return (g * np.where(np.isneginf(x64), 0.0, cdf + x64 * pdf).astype(x.dtype),)


@reference_op(("x",), _check_softplus)
def softplus(x, beta=1.0, threshold=None):
    """(1/beta) log(1 + e**(beta x)), evaluated without overflow, exactly for every x.

    torch switches to the identity above ``beta * x > threshold`` (20 by default); the exact value differs
    from x there by log1p(e**-20)/beta, ~1e-10 relative, far inside float64's rtol.  Only ``threshold=None``
    (no switch) is supported: the catalog declares the difference.
    """
    return _softplus64(x.astype(np.float64), float(beta)).astype(x.dtype)


def _softplus64(x, beta):
    # max(x, 0) + log1p(exp(-|bx|)) / beta: max(bx, 0) / beta is max(x, 0) exactly (and bx may overflow where x
    # does not); bx = beta * x is kept exactly as bx + dbx, since in the negative tail softplus ~ exp(bx) / beta
    # turns a rounding of bx into a relative error of |bx| u (700 ulp at bx = -700)
    bx, dbx = _two_prod(x, beta)
    dbx = np.where(np.isfinite(dbx), dbx, 0.0)  # beyond 2**995 the split overflows; exp(-|bx|) is 0 there anyway
    tail = np.exp(-np.abs(bx)) * (1.0 - np.sign(bx) * dbx)
    return np.maximum(x, 0.0) + np.log1p(tail) / beta


@vjp_of(softplus)
def softplus_vjp(g, x, beta=1.0, threshold=None):
    return (g * _sigmoid(beta * x),)
