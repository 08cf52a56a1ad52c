"""Activation functions (issue #14): silu, elu, selu, hardtanh, log_sigmoid, mish and gelu with the tanh
approximation.  NumPy forward and hand-derived VJP side by side, dtype-preserving.

The catalog entries (cases, special values, tolerances, where the libraries disagree) are in
:mod:`reference.catalog_activations`.  Each forward is evaluated without overflow or cancellation for every x, and
takes its limit at +-inf where the literal formula gives inf * 0 = NaN (torch does not: its backend declares it).
Gradients at kinks and at NaN follow torch's derivatives.yaml unless the catalog says otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from reference._checks import require_float_array, require_real
from reference._op import reference_op, vjp_of
from reference.elementwise import _sigmoid, _unary

# torch.nn.SELU's constants (Klambauer et al. 2017), as torch writes them
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_CUBIC = 0.044715


def _at_infinities(x, value, at_minus_inf, at_plus_inf):
    """``value`` with its limits at -inf and +inf put in (the formulas give inf * 0 = NaN there)."""
    return np.where(np.isneginf(x), at_minus_inf, np.where(np.isposinf(x), at_plus_inf, value))


def _softplus(x):
    """log(1 + e**x) without overflow: max(x, 0) + log1p(e**-|x|)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


# ---------------------------------------------------------------- silu
@_unary
def silu(x):
    """x * sigmoid(x) (swish); the limit -0 at -inf."""
    return _at_infinities(x, x * _sigmoid(x), -0.0, np.inf)


@vjp_of(silu)
def silu_vjp(g, x):
    s = _sigmoid(x)
    return (g * _at_infinities(x, s * (1.0 + x * (1.0 - s)), 0.0, 1.0),)


# ---------------------------------------------------------------- elu, selu
def _check_elu(x, alpha=1.0) -> None:
    require_float_array(x, "x")
    require_real(alpha, "alpha")


@reference_op(("x",), _check_elu)
def elu(x, alpha=1.0):
    """x for x > 0, alpha (e**x - 1) otherwise (elu(-0) = -0)."""
    return np.where(x > 0, x, alpha * np.expm1(x))


@vjp_of(elu)
def elu_vjp(g, x, alpha=1.0):
    # torch's elu_backward: the left branch where x <= 0 (so alpha at 0), the right one elsewhere, NaN included
    return (np.where(x <= 0, g * (alpha * np.exp(x)), g),)


@_unary
def selu(x):
    """scale * elu(x, alpha) with torch's constants (alpha 1.6732..., scale 1.0507...)."""
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))


@vjp_of(selu)
def selu_vjp(g, x):
    return (g * np.where(x <= 0, SELU_SCALE * SELU_ALPHA * np.exp(x), SELU_SCALE),)


# ---------------------------------------------------------------- hardtanh
def _check_hardtanh(x, min_val=-1.0, max_val=1.0) -> None:
    require_float_array(x, "x")
    if require_real(min_val, "min_val") > require_real(max_val, "max_val"):
        raise ValueError(f"min_val={min_val} must not exceed max_val={max_val}")


@reference_op(("x",), _check_hardtanh)
def hardtanh(x, min_val=-1.0, max_val=1.0):
    """x clipped to [min_val, max_val]; NaN propagates."""
    return np.where(x < min_val, min_val, np.where(x > max_val, max_val, x))


@vjp_of(hardtanh)
def hardtanh_vjp(g, x, min_val=-1.0, max_val=1.0):
    # torch's hardtanh_backward: 0 where x <= min_val or x >= max_val -- the bounds excluded, unlike clip's -- and g
    # elsewhere, NaN included (both comparisons are false)
    return (np.where((x <= min_val) | (x >= max_val), 0.0, g),)


# ---------------------------------------------------------------- log_sigmoid
@_unary
def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), without overflow: min(x, 0) - log1p(e**-|x|)."""
    return np.minimum(x, 0.0) - np.log1p(np.exp(-np.abs(x)))


@vjp_of(log_sigmoid)
def log_sigmoid_vjp(g, x):
    return (g * _sigmoid(-x),)


# ---------------------------------------------------------------- mish
@_unary
def mish(x):
    """x * tanh(softplus(x)); the limit -0 at -inf."""
    return _at_infinities(x, x * np.tanh(_softplus(x)), -0.0, np.inf)


@vjp_of(mish)
def mish_vjp(g, x):
    t = np.tanh(_softplus(x))
    return (g * _at_infinities(x, t + x * (1.0 - t * t) * _sigmoid(x), 0.0, 1.0),)


# ---------------------------------------------------------------- gelu, tanh approximation
def _gelu_tanh_argument(x):
    """2u with u = sqrt(2/pi) (x + 0.044715 x**3): 1 + tanh(u) = 2 sigmoid(2u)."""
    return 2.0 * SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x * x * x)


@_unary
def gelu_tanh(x):
    """GELU's tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) (torch's approximate='tanh'),
    evaluated as x sigmoid(2u): 1 + tanh(u) cancels in the negative tail (all digits lost from x = -10).  The limit
    -0 at -inf."""
    return _at_infinities(x, x * _sigmoid(_gelu_tanh_argument(x)), -0.0, np.inf)


@vjp_of(gelu_tanh)
def gelu_tanh_vjp(g, x):
    # d/dx x s(2u) = s + x s(2u) s(-2u) 2u'; beyond |x| = 1e3, where x**2 may overflow, the limits 0 and 1 (s(2u)
    # is 0 or 1 there to far below the smallest subnormal)
    two_u = _gelu_tanh_argument(x)
    slope = 2.0 * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_CUBIC * x * x)
    inner = _sigmoid(two_u) + x * _sigmoid(two_u) * _sigmoid(-two_u) * slope
    return (g * np.where(np.abs(x) > 1e3, np.where(x > 0, 1.0, 0.0), inner),)
