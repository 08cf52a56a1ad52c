"""Unary elementwise ops and their VJPs (NumPy, dtype-preserving)."""

from __future__ import annotations

import math

import numpy as np

from reference import _xp
from reference._checks import require_float_array, require_real
from reference._op import reference_op, vjp_of

SQRT_2 = math.sqrt(2.0)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _check_x(x, **_params) -> None:
    require_float_array(x, "x")


def _check_leaky(x, negative_slope=0.01) -> None:
    require_float_array(x, "x")
    require_real(negative_slope, "negative_slope")


def _check_softplus(x, beta=1.0) -> None:
    require_float_array(x, "x")
    require_real(beta, "beta", minimum=0.0, exclusive=True)


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


@_unary
def gelu(x):
    """x * Phi(x) with the exact (erf) normal CDF; the limit 0 at -inf."""
    out = 0.5 * x * (1.0 + _erf(x / SQRT_2))
    return np.where(np.isneginf(x), -0.0, out)


@vjp_of(gelu)
def gelu_vjp(g, x):
    cdf = 0.5 * (1.0 + _erf(x / SQRT_2))
    pdf = INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return (g * np.where(np.isneginf(x), 0.0, cdf + x * pdf),)


@reference_op(("x",), _check_softplus)
def softplus(x, beta=1.0):
    """(1/beta) log(1 + e**(beta x)), evaluated without overflow.

    torch switches to the identity above ``beta * x > 20``; the exact value differs
    from x there by log1p(e**-20)/20 ~ 1e-10 relative, far inside float64's rtol.
    """
    bx = beta * x
    return (np.maximum(bx, 0.0) + np.log1p(np.exp(-np.abs(bx)))) / beta


@vjp_of(softplus)
def softplus_vjp(g, x, beta=1.0):
    return (g * _sigmoid(beta * x),)
