"""Binary elementwise ops with NumPy broadcasting, and their VJPs."""

from __future__ import annotations

import numpy as np

from reference._checks import broadcast_shapes, require_float_array, require_same_dtype
from reference._op import reference_op, unbroadcast, vjp_of


def _check_xy(x, y) -> None:
    require_float_array(x, "x")
    require_float_array(y, "y")
    require_same_dtype((x, y), ("x", "y"))
    broadcast_shapes(("x", tuple(x.shape)), ("y", tuple(y.shape)))


def _binary(fn):
    return reference_op(("x", "y"), _check_xy)(fn)


def _reduce_to_inputs(gx, gy, x, y):
    return unbroadcast(gx, x.shape), unbroadcast(gy, y.shape)


@_binary
def add(x, y):
    """x + y"""
    return x + y


@vjp_of(add)
def add_vjp(g, x, y):
    return _reduce_to_inputs(g, g, x, y)


@_binary
def sub(x, y):
    """x - y"""
    return x - y


@vjp_of(sub)
def sub_vjp(g, x, y):
    return _reduce_to_inputs(g, -g, x, y)


@_binary
def mul(x, y):
    """x * y"""
    return x * y


@vjp_of(mul)
def mul_vjp(g, x, y):
    return _reduce_to_inputs(g * y, g * x, x, y)


@_binary
def div(x, y):
    """x / y (true division)"""
    return x / y


@vjp_of(div)
def div_vjp(g, x, y):
    # -(g/y)(x/y), not -g x / y**2: y**2 and g x under- or overflow long before the gradient does
    # (hypothesis found x = y = 1.3e-158, where g x is subnormal and the gradient lost 0.14%).
    # Where g / y overflows (a subnormal y), -g ((x / y) / y), torch's order, is finite whenever the gradient is:
    # at x = 0 it is -0 where the product above is inf * 0 = NaN (found by parity audit).
    g_over_y, x_over_y = g / y, x / y
    gy = -g_over_y * x_over_y
    gy = np.where(np.isfinite(gy) | ~np.isfinite(g), gy, -g * (x_over_y / y))
    return _reduce_to_inputs(g_over_y, gy, x, y)


@_binary
def pow(x, y):  # noqa: A001 - the op's name
    """x ** y for real x, y (NaN for a negative base with a non-integer exponent)."""
    return np.power(x, y)


@vjp_of(pow)
def pow_vjp(g, x, y):
    # The two conventions torch adopts where the naive formulas give NaN
    # (0 * 0**-1 and 0**y * log 0): d/dx is 0 where y == 0, d/dy is 0 where x == 0 and y >= 0.
    # g (y x**(y - 1)), torch's grouping: (g y) x**(y - 1) underflows g y to 0 at a subnormal y and makes 0 * inf
    gx = np.where(y == 0, 0.0, g * (y * np.power(x, y - 1)))
    gy = np.where((x == 0) & (y >= 0), 0.0, g * np.power(x, y) * np.log(x))
    return _reduce_to_inputs(gx, gy, x, y)


@_binary
def maximum(x, y):
    """Elementwise maximum; NaN in either input propagates."""
    return np.maximum(x, y)


def _split_at_ties(g, a, b):
    """Gradients of max(a, b) with respect to a and b."""
    # Ties share the gradient equally; elsewhere it goes to the winner.  Where a NaN
    # makes every comparison false both inputs receive g, exactly as torch's formula
    # where(x == y, g / 2, g).masked_fill(x < y, 0).
    ga = np.where(a == b, g / 2, np.where(a < b, 0.0, g))
    gb = np.where(a == b, g / 2, np.where(a > b, 0.0, g))
    return ga, gb


@vjp_of(maximum)
def maximum_vjp(g, x, y):
    gx, gy = _split_at_ties(g, x, y)
    return _reduce_to_inputs(gx, gy, x, y)


@_binary
def minimum(x, y):
    """Elementwise minimum; NaN in either input propagates."""
    return np.minimum(x, y)


@vjp_of(minimum)
def minimum_vjp(g, x, y):
    gx, gy = _split_at_ties(g, -x, -y)
    return _reduce_to_inputs(gx, gy, x, y)
