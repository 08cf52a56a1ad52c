"""Integer and bool arithmetic with NumPy 2's semantics (NEP 50), checked in the int32, int64 and bool columns with
exact comparison (reference/catalog_integers.py says where torch differs).

What the entries pin down, each stated by hand in the catalog:

* wrap-around: int32 and int64 arithmetic is modulo 2**32 / 2**64 in two's complement (NumPy and torch both; C
  would call signed overflow undefined), so ``abs`` of the most negative value is itself and ``INT_MIN // -1`` is
  ``INT_MIN``;
* floor division and remainder round toward minus infinity, the remainder taking the divisor's sign (Python's
  rule; torch since 1.13; C's ``/`` and ``%`` truncate, as ``fmod`` does);
* integer division by zero is 0 for ``//`` and ``%`` in NumPy (with a RuntimeWarning, silenced here); torch raises
  ``ZeroDivisionError`` on the CPU (declared in the torch backend);
* comparisons return bool;
* promotion: ``int / int`` is float64 in NumPy (true division), and an int array with a Python float is float64
  (NEP 50: the Python float is "weak", but an integer array cannot hold it, so NumPy's default float); torch gives
  its default dtype, float32, for both (declared: float32 holds 24 significant bits, so a quotient of large
  int32s is rounded);
* bool: ``+`` is logical or, ``*`` logical and (NumPy and torch); ``-`` of two bools is refused by both.

Operands share one dtype (parity never promotes silently) and broadcast like NumPy's.
"""

from __future__ import annotations

import numpy as np

from reference._checks import broadcast_shapes, dtype_name, require_real, require_same_dtype
from reference._op import no_gradient, reference_op

INTEGERS = ("int32", "int64")
INTEGERS_AND_BOOL = (*INTEGERS, "bool")


def require_integral_array(x, name: str, allowed=INTEGERS_AND_BOOL) -> None:
    """``x`` is an array of one of ``allowed`` (int32, int64, bool); ``TypeError`` naming ``name`` otherwise."""
    if not (hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "ndim")):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    if dtype_name(x) not in allowed:
        raise TypeError(f"{name} must have dtype {' or '.join(allowed)}, got {dtype_name(x)}")


def _pair_check(allowed):
    def check(x, y) -> None:
        require_integral_array(x, "x", allowed)
        require_integral_array(y, "y", allowed)
        require_same_dtype((x, y), ("x", "y"))
        broadcast_shapes(("x", tuple(x.shape)), ("y", tuple(y.shape)))

    return check


def _check_x(x) -> None:
    require_integral_array(x, "x", INTEGERS)


def _bool(*inputs):
    return np.dtype(bool)


def _float64(*inputs):
    return np.dtype(np.float64)


def _binary(allowed, result_dtype=None):
    def decorate(fn):
        return no_gradient(reference_op(("x", "y"), _pair_check(allowed), ("x", "y"), result_dtype)(fn))

    return decorate


@_binary(INTEGERS_AND_BOOL)
def int_add(x, y):
    """x + y, wrapping around; logical or for bools."""
    return np.add(x, y)


@_binary(INTEGERS)
def int_sub(x, y):
    """x - y, wrapping around (bools: refused, as NumPy and torch refuse them)."""
    return np.subtract(x, y)


@_binary(INTEGERS_AND_BOOL)
def int_mul(x, y):
    """x * y, wrapping around (the low bits of the exact product); logical and for bools."""
    return np.multiply(x, y)


@_binary(INTEGERS)
def int_floor_divide(x, y):
    """floor(x / y) (toward minus infinity); 0 where y == 0 (NumPy's convention); INT_MIN // -1 wraps to INT_MIN."""
    return np.floor_divide(x, y)


@_binary(INTEGERS)
def int_remainder(x, y):
    """x - floor(x / y) * y: the sign of y (Python's %); 0 where y == 0 (NumPy's convention)."""
    return np.remainder(x, y)


@_binary(INTEGERS, _float64)
def int_true_divide(x, y):
    """x / y in float64, correctly rounded (NumPy: int / int is float64); +-inf for x / 0, NaN for 0 / 0."""
    return np.true_divide(x.astype(np.float64), y.astype(np.float64))


@_binary(INTEGERS_AND_BOOL, _bool)
def int_eq(x, y):
    """x == y, as bool."""
    return np.equal(x, y)


@_binary(INTEGERS_AND_BOOL, _bool)
def int_lt(x, y):
    """x < y, as bool (False < True)."""
    return np.less(x, y)


@no_gradient
@reference_op(("x",), _check_x, ("x",))
def int_abs(x):
    """|x|, wrapping around: the most negative value is its own absolute value."""
    return np.abs(x)


def _check_add_float(x, scalar) -> None:
    require_integral_array(x, "x", INTEGERS)
    if isinstance(scalar, (int, np.integer)) and not isinstance(scalar, bool):
        raise TypeError("scalar must be a Python float (an int scalar keeps the integer dtype: use int_add)")
    require_real(scalar, "scalar")


@no_gradient
@reference_op(("x",), _check_add_float, ("x",), _float64)
def int_add_float(x, scalar):
    """x + scalar for a Python float ``scalar``: float64 (NEP 50: a Python float with an integer array gives the
    default float, float64), each element exactly x converted to float64 plus scalar, rounded once."""
    return x.astype(np.float64) + scalar
