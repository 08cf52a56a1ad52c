"""The integer and bool family (#14, reference/catalog_integers.py) and ``where`` as Numba ufuncs.

Each op is an ``@vectorize`` ufunc with one loop per column: bool first where the entry has a bool column (NumPy
picks the first registered loop its inputs cast to safely, and bool casts safely to int32: listed after, bool
inputs would run the int32 loop and come back int32), then int32, then int64.  NumPy's ufunc machinery
broadcasts; the bodies are compiled code.

What Numba does with integers, and how the bodies pin the catalog's semantics down:

* arithmetic on int32 is typed int64 inside the body (Numba widens integers to the machine word) and the result is
  cast back to the loop's int32, keeping the low 32 bits: wrap-around modulo 2**32; int64 arithmetic is LLVM's
  ``add``/``sub``/``mul``, which wrap modulo 2**64 (measured: INT64_MAX + 1 is INT64_MIN);
* ``//`` and ``%`` on integers follow Python (floor division; the remainder takes the divisor's sign), but a
  zero divisor raises ZeroDivisionError or gives 0 depending on the error model, and INT64_MIN // -1 is LLVM's
  ``sdiv`` overflow (a trap on x86): the bodies return the catalog's values for y == 0 (0, NumPy's convention)
  and y == -1 (``-x`` wrapping, and 0) before dividing, so neither the error model nor the trap is ever reached;
* bool + bool is computed as ints (True + True = 2) and cast to bool: logical or; bool * bool: logical and;
* true division and int + float: each integer converted to float64 (rounded to nearest past 2**53), one IEEE
  operation in float64; x / 0 is written out (+-inf, NaN for 0 / 0) rather than left to the error model.
"""

from __future__ import annotations

import math

from numba import vectorize

_INT_PAIRS = ["int32(int32, int32)", "int64(int64, int64)"]
_BOOL_PAIR = ["boolean(boolean, boolean)"]
_COMPARE = ["boolean(boolean, boolean)", "boolean(int32, int32)", "boolean(int64, int64)"]


def _ufunc(signatures):
    return vectorize(signatures, cache=True)


@_ufunc(_BOOL_PAIR + _INT_PAIRS)
def int_add(x, y):
    return x + y


@_ufunc(_INT_PAIRS)
def int_sub(x, y):
    return x - y


@_ufunc(_BOOL_PAIR + _INT_PAIRS)
def int_mul(x, y):
    return x * y


@_ufunc(_INT_PAIRS)
def int_floor_divide(x, y):
    if y == 0:
        return 0
    if y == -1:
        return -x  # wraps: -INT_MIN is INT_MIN, as INT_MIN // -1 in the catalog
    return x // y


@_ufunc(_INT_PAIRS)
def int_remainder(x, y):
    if y == 0 or y == -1:
        return 0
    return x % y


@_ufunc(["int32(int32)", "int64(int64)"])
def int_abs(x):
    return -x if x < 0 else x


@_ufunc(_COMPARE)
def int_eq(x, y):
    return x == y


@_ufunc(_COMPARE)
def int_lt(x, y):
    return x < y


@_ufunc(["float64(int32, int32)", "float64(int64, int64)"])
def int_true_divide(x, y):
    numerator, denominator = float(x), float(y)
    if denominator == 0.0:
        return numerator * math.inf  # +-inf, and 0 * inf = NaN for 0 / 0
    return numerator / denominator


@_ufunc(["float64(int32, float64)", "float64(int64, float64)"])
def int_add_float(x, scalar):
    return float(x) + scalar


KERNELS = {
    "int_add": int_add,
    "int_sub": int_sub,
    "int_mul": int_mul,
    "int_floor_divide": int_floor_divide,
    "int_remainder": int_remainder,
    "int_abs": int_abs,
    "int_eq": int_eq,
    "int_lt": int_lt,
    "int_true_divide": int_true_divide,
    "int_add_float": int_add_float,
}


# ---------------------------------------------------------------- where: select, and its backward
@vectorize(["float32(boolean, float32, float32)", "float64(boolean, float64, float64)"], cache=True)
def where(condition, x, y):
    return x if condition else y


@vectorize(["float32(boolean, float32)", "float64(boolean, float64)"], cache=True)
def where_grad_x(condition, g):
    return g if condition else 0.0  # exactly 0 where the branch is not taken, whatever g is there


@vectorize(["float32(boolean, float32)", "float64(boolean, float64)"], cache=True)
def where_grad_y(condition, g):
    return 0.0 if condition else g
