"""The integer and bool family (#14, reference/catalog_integers.py) as NumExpr expressions.

NumExpr's virtual machine has int32 (``int``), int64 (``long``) and bool types, and its integer ``+``, ``-``,
``*`` and unary ``-`` are C's, which the compiled interpreter runs wrapping modulo 2**32 / 2**64 (measured,
NumExpr 2.14.2: INT_MAX + 1 is INT_MIN, INT_MIN * -1 is INT_MIN; checked by the matrix on the hand-stated
wrap-around values).  What its opcodes do otherwise, read in its source (numexpr/interp_body.cpp, 2.14) and
measured here:

* ``x // y`` (``floordiv_iii``/``floordiv_lll``) is ``y ? x / y - (x % y != 0 && (x < 0) != (y < 0)) : 0``:
  floor division, 0 for a zero divisor (NumPy's convention, the catalog's); but ``INT_MIN // -1`` is C's
  ``INT_MIN / -1``, which traps on x86 (SIGFPE kills the process, measured).  The divisor -1 is therefore
  swapped for 1 inside the expression and the quotient taken as ``-x`` (wrapping: -INT_MIN is INT_MIN).
* ``x % y`` (``mod_iii``/``mod_lll``) is ``y == 0 ? 0 : ((x % y) + y) % y``: the sum ``(x % y) + y`` overflows
  for divisors past half the range, so (2**31 - 2) % (2**31 - 1) comes back -3 (NumPy: 2**31 - 2; measured), and
  INT_MIN % -1 traps like the division.  The remainder is computed as ``x - (x // y) * y`` instead, exact under
  wrap-around (the true remainder fits, so the wrapped difference is it), with the same guards.
* ``abs()`` of an integer is typed float64 in NumExpr's Python layer (``'abs': func(numpy.absolute, 'float')``),
  which would round int64 past 2**53 and return the wrong dtype: ``where(x < 0, -x, x)`` instead (wrapping at
  INT_MIN, as the catalog states).
* ``/`` of integers is true division in float64 (``truediv_op`` casts both to double, then divides), and an
  integer array plus a Python float is float64: NumPy 2's promotion, the catalog's.
* bool ``+`` is logical or and ``*`` logical and (``add_bbb``/``mul_bbb``); bool ``-`` has no opcode (the catalog
  has no bool column for it either).

Constants are passed as variables of the operands' dtype (a literal would be typed int32 or float64 by NumExpr).
"""

from __future__ import annotations

import numpy as np

_SAFE_DIVISOR = "where((y == zero) | (y == minus_one), one, y)"  # no trap: 0 and -1 are handled around it
EXPRESSIONS = {
    "int_add": "x + y",
    "int_sub": "x - y",
    "int_mul": "x * y",
    "int_floor_divide": f"where(y == minus_one, -x, where(y == zero, zero, x // {_SAFE_DIVISOR}))",
    "int_remainder": f"where(y == zero, zero, x - (x // {_SAFE_DIVISOR}) * {_SAFE_DIVISOR})",
    "int_abs": "where(x < zero, -x, x)",
    "int_eq": "x == y",
    "int_lt": "x < y",
    "int_true_divide": "x / y",
    "int_add_float": "x + scalar",
}


def forward(ne, name: str, inputs, params) -> np.ndarray:
    """The entry ``name`` evaluated by NumExpr (``ne``, the module); the result has NumExpr's own dtype, which the
    matrix compares exactly with the reference's (int32/int64/bool, bool for comparisons, float64 for divisions)."""
    x = inputs[0]
    t = x.dtype.type
    names = {"zero": t(0), "one": t(1), "minus_one": t(-1) if x.dtype.kind == "i" else t(0), "x": x}
    if len(inputs) > 1:
        names["y"] = inputs[1]
    if "scalar" in params:
        names["scalar"] = float(params["scalar"])
    return np.asarray(ne.evaluate(EXPRESSIONS[name], local_dict=names))
