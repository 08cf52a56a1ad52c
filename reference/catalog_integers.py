"""Catalog entries of the integer and bool family (:mod:`reference.integers`): the int32, int64 and bool columns.

How they are checked: inputs are drawn as int64 (small values, values at the int32 and int64 limits, anywhere in
int64: ``parity.inputs._integers``) and enter a column as its dtype -- int32 keeps the low 32 bits, bool the
parity -- so every column sees values where wrap-around shows.  Results are compared exactly, value and dtype
(``parity.compare.assert_exact``); there are no gradients.  Every special value states its result by hand in the
dtypes it names (an int32 overflow and an int64 one are different statements).

Where backends disagree (declared in each backend, stated here):

* ``int_true_divide`` and ``int_add_float``: NumPy 2 gives float64 (true division of integers, and an integer array
  with a Python float under NEP 50); torch gives its default dtype, float32, which rounds quotients and sums past
  2**24 (the torch backend declares it);
* integer ``//`` and ``%`` by zero: NumPy returns 0 (with a RuntimeWarning), torch raises ``ZeroDivisionError`` on
  the CPU (the ``by-zero`` special values; the torch backend declares them unsupported, a test pins the raise);
* torch wraps a Python int scalar past int32's range into an int32 tensor's arithmetic (x + 2**31 adds
  -2**31); NumPy 2 raises OverflowError (NEP 50): not an entry here (the scalar is not an array), pinned by a test.
"""

from __future__ import annotations

import math

from reference import integers
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
I32_MIN, I32_MAX, I64_MIN, I64_MAX = -(2**31), 2**31 - 1, -(2**63), 2**63 - 1
INTS = ("int32", "int64")
INTS_AND_BOOL = ("int32", "int64", "bool")

BINARY_CASES = (
    Case(((3, 5), (3, 5))),
    Case(((2, 1, 4), (3, 1))),
    Case(((), (4,))),
    Case(((0, 3), (3,))),
)
UNARY_CASES = (Case(((3, 5),)), Case(((),)), Case(((0, 2),)))
BOOL_TABLE = ([True, True, False, False], [True, False, True, False])


def _int32(label, inputs, expected, note=""):
    return Special(f"int32-{label}", inputs, expected, dtypes=("int32",), note=note)


def _int64(label, inputs, expected, note=""):
    return Special(f"int64-{label}", inputs, expected, dtypes=("int64",), note=note)


def _bool(label, expected, note=""):
    return Special(label, BOOL_TABLE, expected, dtypes=("bool",), note=note)


def _entry(name, dtypes, specials, *, domain="integers", cases=BINARY_CASES, notes=""):
    return OpSpec(name, getattr(integers, name), "integer", cases, domain=domain, dtypes=dtypes, specials=specials,
                  notes=notes)  # fmt: skip


BY_ZERO = "NumPy's convention: integer division by zero is 0 (with a RuntimeWarning); torch raises on the CPU"

ENTRIES = (
    _entry(
        "int_add",
        INTS_AND_BOOL,
        (
            _int32("wrap", ([I32_MAX, I32_MIN, 5], [1, -1, -7]), [I32_MIN, I32_MAX, -2], "modulo 2**32"),
            _int64("wrap", ([I64_MAX, I64_MIN, 5], [1, -1, -7]), [I64_MIN, I64_MAX, -2], "modulo 2**64"),
            _bool("or", [True, True, True, False], "bool + bool is logical or (True + True stays True)"),
        ),
    ),
    _entry(
        "int_sub",
        INTS,
        (
            _int32(
                "wrap",
                ([I32_MIN, I32_MAX, 0], [1, -1, I32_MIN]),
                [I32_MAX, I32_MIN, I32_MIN],
                "modulo 2**32: 0 - INT_MIN is INT_MIN",
            ),
            _int64("wrap", ([I64_MIN, I64_MAX, 0], [1, -1, I64_MIN]), [I64_MAX, I64_MIN, I64_MIN], "modulo 2**64"),
        ),
        notes="bool - bool is refused by NumPy (TypeError) and torch (RuntimeError) alike: no bool column",
    ),
    _entry(
        "int_mul",
        INTS_AND_BOOL,
        (
            _int32(
                "wrap",
                ([65536, I32_MAX, I32_MIN, -3], [65536, 2, -1, 7]),
                [0, -2, I32_MIN, -21],
                "the low 32 bits of the exact product: 2**32 -> 0, (2**31 - 1) * 2 -> -2, INT_MIN * -1 -> INT_MIN",
            ),
            _int64(
                "wrap",
                ([2**32, 3037000500, I64_MIN], [2**32, 3037000500, -1]),
                [0, -9223372036709301616, I64_MIN],
                "3037000500**2 = 9223372037000250000 is past 2**63 - 1 and wraps by 2**64",
            ),
            _bool("and", [True, False, False, False], "bool * bool is logical and"),
        ),
    ),
    _entry(
        "int_floor_divide",
        INTS,
        (
            _int32(
                "floor",
                ([7, -7, 7, -7, I32_MIN], [2, 2, -2, -2, -1]),
                [3, -4, -4, 3, I32_MIN],
                "rounds toward minus infinity (C's / truncates: -7 / 2 = -3); INT_MIN // -1 wraps to INT_MIN",
            ),
            _int64("floor", ([7, -7, I64_MIN, I64_MAX], [-2, -2, -1, 2]), [-4, 3, I64_MIN, 2**62 - 1]),
            Special("by-zero", ([5, -5, 0], [0, 0, 0]), [0, 0, 0], dtypes=INTS, note=BY_ZERO),
        ),
        domain="integer_divisors",
    ),
    _entry(
        "int_remainder",
        INTS,
        (
            _int32(
                "sign-of-divisor",
                ([7, -7, 7, -7, I32_MIN], [2, 2, -2, -2, -1]),
                [1, 1, -1, -1, 0],
                "x - floor(x / y) y takes y's sign (C's % and fmod take x's: -7 % 2 = -1 there)",
            ),
            _int64("sign-of-divisor", ([7, -7, I64_MIN, I64_MAX], [-2, 3, 3, -3]), [-1, 2, 1, -2]),
            Special("by-zero", ([5, -5, 0], [0, 0, 0]), [0, 0, 0], dtypes=INTS, note=BY_ZERO),
        ),
        domain="integer_divisors",
    ),
    _entry(
        "int_abs",
        INTS,
        (
            _int32(
                "most-negative",
                ([I32_MIN, -5, 0, I32_MAX],),
                [I32_MIN, 5, 0, I32_MAX],
                "|INT_MIN| = 2**31 does not fit: it wraps to INT_MIN itself",
            ),
            _int64("most-negative", ([I64_MIN, -5, 0, I64_MAX],), [I64_MIN, 5, 0, I64_MAX]),
        ),
        cases=UNARY_CASES,
        notes="abs of a bool is refused by torch (not implemented for 'Bool') and is the identity in NumPy: no bool "
        "column",
    ),
    _entry(
        "int_eq",
        INTS_AND_BOOL,
        (
            _int32("limits", ([I32_MIN, I32_MAX, 0], [I32_MIN, I32_MIN, 0]), [True, False, True]),
            _int64(
                "limits",
                ([I64_MIN, I64_MAX, 2**53], [I64_MIN, I64_MAX - 1, 2**53 + 1]),
                [True, False, False],
                "exact: 2**53 and 2**53 + 1 are equal once rounded to float64, and must not be compared there",
            ),
            _bool("table", [True, False, False, True]),
        ),
    ),
    _entry(
        "int_lt",
        INTS_AND_BOOL,
        (
            _int32("limits", ([I32_MIN, I32_MAX, -1], [I32_MAX, I32_MIN, 0]), [True, False, True]),
            _int64(
                "limits",
                ([I64_MAX - 1, 2**53, I64_MIN], [I64_MAX, 2**53 + 1, I64_MIN]),
                [True, True, False],
                "exact: compared as integers, not through float64",
            ),
            _bool("table", [False, False, True, False], "False < True"),
        ),
    ),
    _entry(
        "int_true_divide",
        INTS,
        (
            Special(
                "ieee",
                ([1, -1, 0, 7, -7], [0, 0, 0, 2, 2]),
                [INF, -INF, NAN, 3.5, -3.5],
                dtypes=INTS,
                note="true division in float64: x / 0 is +-inf, 0 / 0 NaN",
            ),
            _int32(
                "rounding",
                ([I32_MAX, I32_MIN, 0], [3, 1, -5]),
                [I32_MAX / 3, float(I32_MIN), -0.0],
                "(2**31 - 1) / 3 correctly rounded (Python's int / int is); 0 / -5 is -0.0",
            ),
            _int64(
                "rounding",
                ([2**62 + 1, I64_MAX, 2**53 + 1], [1, 1, 1]),
                [2.0**62, 2.0**63, 2.0**53],
                "int64 values past 2**53 round to float64 (ties to even)",
            ),
        ),
        domain="integer_divisors",
        notes="NumPy: int / int is float64; torch: its default dtype (float32), declared in the torch backend",
    ),
    OpSpec(
        "int_add_float",
        integers.int_add_float,
        "integer",
        (Case(((3, 5),), {"scalar": 2.5}), Case(((),), {"scalar": -0.5}), Case(((4,),), {"scalar": 1e10})),
        domain="integers",
        dtypes=INTS,
        specials=(
            Special(
                "promotion",
                ([1, -3, 2**24 + 1],),
                [3.5, -0.5, 16777219.5],
                params={"scalar": 2.5},
                dtypes=INTS,
                note="float64: 2**24 + 1 + 2.5 is exact there (float32 would round it to 16777220)",
            ),
            Special(
                "int64-rounding",
                ([2**53 + 1, I64_MAX],),
                [2.0**53, 2.0**63],
                params={"scalar": 0.25},
                dtypes=("int64",),
                note="the int64 is rounded to float64 first (2**53 + 1 -> 2**53), then the sum",
            ),
        ),
        notes="NEP 50: the Python float is weak but an integer array cannot hold it, so NumPy 2 gives float64; torch "
        "gives its default dtype, float32 (declared in the torch backend)",
    ),
)
NAMES = tuple(spec.name for spec in ENTRIES)

# The audit (``parity audit``) compares float64 values and gradients with the oracle; these entries have neither.
NOT_AUDITED = {
    spec.name: "exact integer/bool arithmetic without gradients: checked against torch exactly in every int32, int64 "
    "and bool cell of the matrix, on draws at the int32/int64 limits and at the hand-stated wrap-around points; the "
    "audit's float64 comparison does not apply"
    for spec in ENTRIES
}
