"""Catalog entries of the math-function family (issue #14): the forward and VJP are in :mod:`reference.mathfuncs`;
here each entry's cases, its special values stated by hand (IEEE 754, C99 Annex F, Python's ``math``), its
tolerances with their reasons, and where the libraries disagree.

Where NumPy, torch, NumExpr and Numba differ among themselves, the entry's ``notes`` say so, and the backend
that differs from the reference declares it (impls/*: ``Divergence`` with the condition where it is known).
The reference follows NumPy and the Array API standard for values and torch's derivatives.yaml for gradients
at the points where the function has none.
"""

from __future__ import annotations

import math

from reference import mathfuncs
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
PI = math.pi

UNARY_CASES = (Case(((3, 5),)), Case(((),)), Case(((2, 1, 4),)), Case(((0, 3),)))
BINARY_CASES = (Case(((3, 5), (3, 5))), Case(((3, 1), (1, 4))), Case(((), (2, 3))), Case(((2, 1, 4), (3, 1))))
STEP_KINKS = (
    "piecewise constant: the gradient is 0 wherever it exists; sampled between the steps (at least 0.05 from "
    "every integer and half-integer), the 0 at the steps, at NaN and with a NaN cotangent is pinned (torch: "
    "zeros_like(grad))"
)


def _unary(name, domain="real", specials=(), **kw) -> OpSpec:
    return OpSpec(name, getattr(mathfuncs, name), "unary", UNARY_CASES, domain=domain, specials=specials, **kw)


def _binary(name, domain="real", specials=(), **kw) -> OpSpec:
    return OpSpec(name, getattr(mathfuncs, name), "binary", BINARY_CASES, domain=domain, specials=specials, **kw)


def _zero_grad(values, expected) -> Special:
    """The step functions' gradient: 0 at a step, at NaN, at infinities, and where the cotangent is NaN."""
    n = len(values)
    return Special(
        "zero-grad",
        (values,),
        expected,
        cotangent=[1.0] * (n - 1) + [NAN],
        grads=([0.0] * n,),
        note="the gradient is 0 everywhere, even at a step, at NaN and for a NaN cotangent (torch: zeros_like(grad))",
    )


STEPS = [
    _unary(
        "sign",
        domain="between_steps",
        kinks=STEP_KINKS,
        specials=(
            Special(
                "ieee",
                ([-0.0, 0.0, NAN, 2.0, -INF, INF, -0.5],),
                [0.0, 0.0, NAN, 1.0, -1.0, 1.0, -1.0],
                note="sign(+-0) = 0 and sign(NaN) = NaN (Array API; NumPy)",
            ),
            Special(
                "subnormal",
                ([5e-324, -5e-324],),
                [1.0, -1.0],
                dtypes=("float64",),
                note="the smallest subnormals are not 0",
            ),
            _zero_grad([0.0, -3.0, NAN, 2.0], [0.0, -1.0, NAN, 1.0]),
        ),
        notes="torch.sign(NaN) is 0, NumPy's and the Array API's NaN (torch declares it); every library returns +0 "
        "for -0",
    ),
    _unary(
        "floor",
        domain="between_steps",
        kinks=STEP_KINKS,
        specials=(
            Special(
                "ieee",
                ([-0.5, -0.0, 0.5, NAN, INF, -INF, 2.0, -2.0],),
                [-1.0, -0.0, 0.0, NAN, INF, -INF, 2.0, -2.0],
                signed_zero=True,
            ),
            _zero_grad([1.0, -0.5, INF, NAN], [1.0, -1.0, INF, NAN]),
        ),
    ),
    _unary(
        "ceil",
        domain="between_steps",
        kinks=STEP_KINKS,
        specials=(
            Special(
                "ieee",
                ([-0.5, -0.0, 0.2, NAN, INF, -INF, 2.0],),
                [-0.0, -0.0, 1.0, NAN, INF, -INF, 2.0],
                signed_zero=True,
                note="ceil(-0.5) is -0.0 (IEEE 754 keeps the sign of the operand)",
            ),
            _zero_grad([1.0, -0.5, INF, NAN], [1.0, -0.0, INF, NAN]),
        ),
    ),
    _unary(
        "trunc",
        domain="between_steps",
        kinks=STEP_KINKS,
        specials=(
            Special(
                "ieee", ([-0.5, 0.5, -0.0, -1.5, NAN, -INF],), [-0.0, 0.0, -0.0, -1.0, NAN, -INF], signed_zero=True
            ),
            _zero_grad([1.0, -0.5, INF, NAN], [1.0, -0.0, INF, NAN]),
        ),
    ),
    _unary(
        "round",
        domain="between_steps",
        kinks=STEP_KINKS,
        specials=(
            Special(
                "half-even",
                ([0.5, 1.5, 2.5, -0.5, -2.5, 3.5, -0.0, NAN, INF],),
                [0.0, 2.0, 2.0, -0.0, -2.0, 4.0, -0.0, NAN, INF],
                signed_zero=True,
                note="halves round to the even neighbour (IEEE 754 roundTiesToEven), not away from zero",
            ),
            Special(
                "below-half",
                ([0.49999999999999994],),
                [0.0],
                dtypes=("float64",),
                note="the largest double below 0.5 rounds to 0; floor(x + 0.5) gives 1 (x + 0.5 rounds up to 1)",
            ),
            _zero_grad([0.5, -2.5, INF, NAN], [0.0, -2.0, INF, NAN]),
        ),
        notes="NumPy's rint, torch.round, numexpr's round (2.14: measured half-even), Numba's np.rint and Python's "
        "round all round half to even; C's round() and Excel round half away from zero",
    ),
]

EXP_LOG = [
    _unary(
        "exp2",
        specials=(
            Special(
                "ieee",
                ([-INF, INF, NAN, -0.0, 10.0, -3.0, 2000.0, -2000.0],),
                [0.0, INF, NAN, 1.0, 1024.0, 0.125, INF, 0.0],
            ),
            Special(
                "subnormal",
                ([-1074.0, -1022.0],),
                [5e-324, 2.0**-1022],
                dtypes=("float64",),
                note="2**-1074 is the smallest subnormal double, exactly",
            ),
        ),
    ),
    _unary(
        "log2",
        domain="positive",
        specials=(
            Special(
                "ieee", ([0.0, -0.0, INF, -1.0, NAN, 8.0, 0.125, 1.0],), [-INF, -INF, INF, NAN, NAN, 3.0, -3.0, 0.0]
            ),
            Special(
                "pole-grad",
                ([0.0, 2.0],),
                [-INF, 1.0],
                cotangent=[1.0, 1.0],
                grads=([INF, 1.0 / (2.0 * math.log(2.0))],),
                note="log2'(x) = 1 / (x ln 2): +inf at 0",
            ),
        ),
    ),
    _unary(
        "log10",
        domain="positive",
        specials=(Special("ieee", ([0.0, -0.0, INF, -1.0, NAN, 1000.0, 1.0],), [-INF, -INF, INF, NAN, NAN, 3.0, 0.0]),),
    ),
    _unary(
        "rsqrt",
        domain="positive",
        specials=(
            Special(
                "ieee",
                ([0.0, -0.0, INF, -1.0, NAN, 4.0, 0.25],),
                [INF, -INF, 0.0, NAN, NAN, 0.5, 2.0],
                note="1 / sqrt(-0) = 1 / -0 = -inf",
            ),
            Special(
                "pole-grad",
                ([0.0, 4.0],),
                [INF, 0.5],
                cotangent=[1.0, 1.0],
                grads=([-INF, -1.0 / 16.0],),
                note="rsqrt'(x) = -x**-1.5 / 2: -inf at +0",
            ),
        ),
    ),
]

HYPERBOLIC_AND_INVERSE = [
    _unary(
        "sinh",
        specials=(
            Special(
                "ieee",
                ([0.0, -0.0, INF, -INF, NAN, 1000.0, -1000.0],),
                [0.0, -0.0, INF, -INF, NAN, INF, -INF],
                signed_zero=True,
            ),
            Special(
                "near-overflow",
                ([710.0],),
                [1.1169973830808557e308],
                dtypes=("float64",),
                note="sinh(710) = e**710 / 2 is finite though e**710 overflows: sinh must not go through e**x",
            ),
        ),
    ),
    _unary(
        "cosh",
        specials=(
            Special("ieee", ([0.0, -0.0, INF, -INF, NAN, 1000.0],), [1.0, 1.0, INF, INF, NAN, INF]),
            Special(
                "grad",
                ([0.0, -0.0, -INF],),
                [1.0, 1.0, INF],
                cotangent=[1.0, 1.0, 1.0],
                grads=([0.0, -0.0, -INF],),
                signed_zero=True,
                note="cosh'(x) = sinh(x): -0 at -0, -inf at -inf",
            ),
        ),
    ),
    _unary(
        "asin",
        domain="unit_interval",
        specials=(
            Special(
                "ieee",
                ([0.0, -0.0, 1.0, -1.0, 2.0, NAN, INF],),
                [0.0, -0.0, PI / 2, -PI / 2, NAN, NAN, NAN],
                signed_zero=True,
            ),
            Special(
                "pole-grad",
                ([1.0, -1.0, 0.0],),
                [PI / 2, -PI / 2, 0.0],
                cotangent=[1.0, 1.0, 1.0],
                grads=([INF, INF, 1.0],),
                note="asin'(x) = 1 / sqrt(1 - x**2): +inf at +-1",
            ),
        ),
    ),
    _unary(
        "acos",
        domain="unit_interval",
        specials=(
            Special("ieee", ([1.0, -1.0, 0.0, -0.0, 2.0, NAN],), [0.0, PI, PI / 2, PI / 2, NAN, NAN]),
            Special(
                "pole-grad",
                ([1.0, -1.0, 0.0],),
                [0.0, PI, PI / 2],
                cotangent=[1.0, 1.0, 1.0],
                grads=([-INF, -INF, -1.0],),
                note="acos'(x) = -1 / sqrt(1 - x**2): -inf at +-1",
            ),
        ),
    ),
    _unary(
        "atan",
        specials=(
            Special(
                "ieee", ([0.0, -0.0, INF, -INF, NAN, 1.0],), [0.0, -0.0, PI / 2, -PI / 2, NAN, PI / 4], signed_zero=True
            ),
            Special(
                "tail-grad",
                ([INF, 1e200],),
                [PI / 2, PI / 2],
                cotangent=[1.0, 1.0],
                grads=([0.0, 0.0],),
                dtypes=("float64",),
                note="atan'(x) = 1 / (1 + x**2): 0 at inf; at 1e200 it is 1e-400, below the "
                "smallest subnormal: 0, and no NaN from x**2 overflowing on the way",
            ),
        ),
    ),
    _unary(
        "asinh",
        specials=(
            Special("ieee", ([0.0, -0.0, INF, -INF, NAN],), [0.0, -0.0, INF, -INF, NAN], signed_zero=True),
            Special(
                "large",
                ([1e300, -1e300],),
                [691.4686750787736, -691.4686750787736],
                dtypes=("float64",),
                note="asinh(x) = log(2x) + O(1/x**2) for large x, where log(x + sqrt(x**2 + 1)) overflows",
            ),
        ),
    ),
    _unary(
        "acosh",
        domain="above_one",
        specials=(
            Special("ieee", ([1.0, 0.5, INF, NAN, -1.0, -INF],), [0.0, NAN, INF, NAN, NAN, NAN]),
            Special(
                "pole-grad",
                ([1.0, 2.0],),
                [0.0, math.acosh(2.0)],
                cotangent=[1.0, 1.0],
                grads=([INF, 1.0 / math.sqrt(3.0)],),
                note="acosh'(x) = 1 / sqrt(x**2 - 1): +inf at 1",
            ),
        ),
    ),
    _unary(
        "atanh",
        domain="unit_interval",
        specials=(
            Special("ieee", ([0.0, -0.0, 1.0, -1.0, 2.0, NAN],), [0.0, -0.0, INF, -INF, NAN, NAN], signed_zero=True),
            Special(
                "pole-grad",
                ([1.0, -1.0, 0.5],),
                [INF, -INF, math.atanh(0.5)],
                cotangent=[1.0, 1.0, 1.0],
                grads=([INF, INF, 4.0 / 3.0],),
                note="atanh'(x) = 1 / (1 - x**2): +inf at +-1",
            ),
        ),
    ),
]

QUOTIENT_KINKS = (
    "the quotient's integer part jumps where x / y crosses an integer: sampled with x / y at least 0.025 from "
    "every integer (y in +-{0.5, 1, 2})"
)
QUOTIENT_OVERFLOW = Special(
    "quotient-overflow",
    ([1e300] * 4 + [1.0] * 4, [1e-10] * 4 + [2.0**-1073] * 4),
    [math.fmod(1e300, 1e-10)] * 4 + [0.0] * 4,
    dtypes=("float64",),
    note="fmod and remainder are exact even where x / y overflows (1e300 / 1e-10, 1 / 2**-1073): x - trunc(x / y) y "
    "computed naively is inf - inf = NaN (the value from Python's math.fmod; both positive, so fmod = remainder; 1 is "
    "a multiple of 2**-1073)",
)
BINARY = [
    _binary(
        "atan2",
        specials=(
            Special(
                "ieee",
                (
                    [0.0, -0.0, 0.0, -0.0, 1.0, -1.0, INF, -INF, INF, INF, NAN, 1.0],
                    [0.0, 0.0, -0.0, -0.0, INF, INF, 1.0, 1.0, INF, -INF, 1.0, -INF],
                ),
                [0.0, -0.0, PI, -PI, 0.0, -0.0, PI / 2, -PI / 2, PI / 4, 3 * PI / 4, NAN, PI],
                signed_zero=True,
                note="C99 Annex F: the signs of zeros and infinities pick the quadrant",
            ),
            Special(
                "origin-grad",
                ([0.0, -0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 2.0]),
                [0.0, -0.0, PI / 2, 0.0],
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([0.0, 0.0, 0.0, 0.5], [0.0, 0.0, -1.0, -0.0]),
                note="atan2 has no gradient at (0, 0): torch's atan2_backward gives 0 there, so does the reference; "
                "elsewhere d/dx = y / (x**2 + y**2), d/dy = -x / (x**2 + y**2)",
            ),
            Special(
                "tiny-grad",
                ([0.0, 1e-200, 3e-170], [1e-200, 1e-200, 4e-170]),
                [0.0, PI / 4, math.atan2(3e-170, 4e-170)],
                cotangent=[1.0, 1.0, 1.0],
                grads=([1e200, 5e199, 1.6e169], [-0.0, -5e199, -1.2e169]),
                dtypes=("float64",),
                note="d/dx = y / (x**2 + y**2) is 1 / y = 1e200 at (0, 1e-200), though x**2 + y**2 underflows to 0",
            ),
        ),
        notes="arguments in NumPy's and torch's order, atan2(x, y) = arctan(x / y): x is the ordinate",
    ),
    _binary(
        "hypot",
        specials=(
            Special(
                "ieee",
                ([INF, NAN, -INF, NAN, 3.0, 0.0, -0.0, -3.0], [NAN, INF, 1.0, 1.0, 4.0, 0.0, -0.0, 4.0]),
                [INF, INF, INF, NAN, 5.0, 0.0, 0.0, 5.0],
                note="hypot(+-inf, NaN) = +inf (C99, IEEE 754): an infinite side makes the length infinite whatever "
                "the other is",
            ),
            Special(
                "scaled",
                ([3e200, 3e-300, 1e308], [4e200, 4e-300, 1e308]),
                [5e200, 5e-300, 1.4142135623730951e308],
                dtypes=("float64",),
                note="no overflow or underflow of the squares: sqrt(x**2 + y**2) gives inf, 0 and inf",
            ),
            Special(
                "origin-grad",
                ([0.0, 3.0, -3.0], [0.0, 4.0, 4.0]),
                [0.0, 5.0, 5.0],
                cotangent=[1.0, 1.0, 1.0],
                grads=([NAN, 0.6, -0.6], [NAN, 0.8, 0.8]),
                note="hypot has no gradient at (0, 0): torch's x / hypot(x, y) is 0/0 = NaN there, and so is the "
                "reference's",
            ),
        ),
    ),
    _binary(
        "fmod",
        domain="quotient_between_steps",
        kinks=QUOTIENT_KINKS,
        specials=(
            Special(
                "sign",
                ([-5.0, 5.0, -5.0, 5.0, -0.0, 0.0, 5.5, -6.0], [3.0, 3.0, -3.0, -3.0, 3.0, -3.0, 2.0, 3.0]),
                [-2.0, 2.0, -2.0, 2.0, -0.0, 0.0, 1.5, -0.0],
                signed_zero=True,
                note="the result has the sign of x (C's fmod; torch.fmod, np.fmod), a zero result included",
            ),
            Special(
                "ieee",
                ([INF, 1.0, NAN, 1.0, -1.0, 1.0], [2.0, 0.0, 1.0, INF, INF, NAN]),
                [NAN, NAN, NAN, 1.0, -1.0, NAN],
                note="fmod(inf, y) and fmod(x, 0) are NaN; fmod(x, inf) = x",
            ),
            Special(
                "grad",
                ([-5.0, 5.5, 7.0], [3.0, 2.0, -2.0]),
                [-2.0, 1.5, 1.0],
                cotangent=[1.0, 1.0, 1.0],
                grads=([1.0, 1.0, 1.0], [1.0, -2.0, 3.0]),
                note="d/dx = 1, d/dy = -trunc(x / y) (torch): trunc(-5/3) = -1, trunc(2.75) = 2, trunc(-3.5) = -3",
            ),
            QUOTIENT_OVERFLOW,
        ),
        notes="fmod takes the sign of x, remainder (Python's %) the sign of y: fmod(-5, 3) = -2, remainder(-5, 3) "
        "= 1; numexpr's % is remainder's",
    ),
    _binary(
        "remainder",
        domain="quotient_between_steps",
        kinks=QUOTIENT_KINKS,
        specials=(
            Special(
                "sign",
                ([-5.0, 5.0, -5.0, 5.0, 5.5, -6.0], [3.0, 3.0, -3.0, -3.0, 2.0, 3.0]),
                [1.0, 2.0, -2.0, -1.0, 1.5, 0.0],
                note="the result has the sign of y (Python's %; np.remainder, torch.remainder)",
            ),
            Special(
                "signed-zero",
                ([-0.0, 0.0, -3.0, 3.0], [3.0, -3.0, 3.0, -3.0]),
                [0.0, -0.0, 0.0, -0.0],
                signed_zero=True,
                note="a zero result takes the sign of y, as Python's -0.0 % 3 = 0.0 and np.remainder",
            ),
            Special(
                "ieee",
                ([INF, 1.0, NAN, 1.0, -1.0], [2.0, 0.0, 1.0, INF, INF]),
                [NAN, NAN, NAN, 1.0, INF],
                note="as Python's %: 1 % inf = 1 and -1 % inf = inf (x - floor(x / inf) inf = -1 + inf)",
            ),
            Special(
                "grad",
                ([-5.0, 5.5, 7.0], [3.0, 2.0, -2.0]),
                [1.0, 1.5, -1.0],
                cotangent=[1.0, 1.0, 1.0],
                grads=([1.0, 1.0, 1.0], [2.0, -2.0, 4.0]),
                note="d/dx = 1, d/dy = -floor(x / y) (torch)",
            ),
            QUOTIENT_OVERFLOW,
        ),
        notes="see fmod for the sign of the result",
    ),
    _binary(
        "floor_divide",
        domain="quotient_between_steps",
        kinks=QUOTIENT_KINKS + "; the gradient is 0 wherever it exists",
        specials=(
            Special(
                "ieee",
                (
                    [-5.0, 5.0, -0.0, 0.0, 1.0, -1.0, 0.0, 1.0, -1.0, NAN],
                    [3.0, -3.0, 3.0, -3.0, 0.0, 0.0, 0.0, INF, INF, 1.0],
                ),
                [-2.0, -2.0, -0.0, -0.0, INF, -INF, NAN, 0.0, -1.0, NAN],
                signed_zero=True,
                note="floor(-0.0 / 3) = -0.0; x // 0 is +-inf and 0 // 0 NaN (IEEE division); -1 // inf = -1 "
                "(the floor of -0.0...1), as Python's //",
            ),
            Special(
                "exact-quotient",
                ([1.0], [0.1]),
                [9.0],
                dtypes=("float64", "float32"),
                note="0.1 is stored above 1/10, so 1 / 0.1 is 9.99... exactly and its floor 9, though the rounded "
                "quotient 1 / 0.1 is 10.0: floor(x / y) computed naively gives 10",
            ),
            Special(
                "zero-grad",
                ([-5.0, 6.0, NAN], [3.0, 3.0, 1.0]),
                [-2.0, 2.0, NAN],
                cotangent=[1.0, 1.0, NAN],
                grads=([0.0, 0.0, 0.0], [0.0, 0.0, 0.0]),
                note="piecewise constant: the gradient is 0 everywhere (torch.div(rounding_mode='floor'))",
            ),
        ),
        notes="NumPy, torch and Python compute it from fmod (exact); torch.floor_divide has no derivative, "
        "torch.div(rounding_mode='floor') the same values and a zero gradient",
    ),
    _binary(
        "logaddexp",
        specials=(
            Special(
                "ieee",
                ([-INF, INF, INF, NAN, 1000.0, -1000.0, -INF], [-INF, INF, -INF, 1.0, 1000.0, -1000.0, 0.0]),
                [-INF, INF, INF, NAN, 1000.0 + math.log(2.0), -1000.0 + math.log(2.0), 0.0],
                note="log(e**-inf + e**-inf) = -inf, not -inf - -inf = NaN; e**1000 overflows without the max shift",
            ),
            Special(
                "grad",
                ([0.0, 1000.0, -INF, -INF, INF], [0.0, 1000.0, 0.0, -INF, 1.0]),
                [math.log(2.0), 1000.0 + math.log(2.0), 0.0, -INF, INF],
                cotangent=[1.0, 1.0, 1.0, 1.0, 1.0],
                grads=([0.5, 0.5, 0.0, NAN, 1.0], [0.5, 0.5, 1.0, NAN, 0.0]),
                note="the softmax weights e**x / (e**x + e**y); at equal infinities they are 0/0 (the limit depends "
                "on the direction): NaN, as torch",
            ),
        ),
    ),
    _binary(
        "xlogy",
        domain="log_argument",
        specials=(
            Special(
                "ieee",
                ([0.0, 0.0, 0.0, 1.0, NAN, 0.0, 2.0, 0.0, -0.0], [0.0, -1.0, NAN, 0.0, 1.0, INF, 1.0, 3.0, 2.0]),
                [0.0, 0.0, NAN, -INF, NAN, 0.0, 0.0, 0.0, 0.0],
                note="0 log y = 0 wherever y is not NaN (0 log 0, 0 log -1, 0 log inf included: scipy.special.xlogy, "
                "torch.xlogy)",
            ),
            Special(
                "zero-grad",
                ([0.0, 0.0, 0.0, 2.0], [0.0, -1.0, 2.0, 3.0]),
                [0.0, 0.0, 0.0, 2.0 * math.log(3.0)],
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([0.0, 0.0, math.log(2.0), math.log(3.0)], [NAN, -0.0, 0.0, 2.0 / 3.0]),
                note="torch: d/dx = log y, masked to 0 where x == 0 and y <= 0; d/dy = x / y (0/0 = NaN at the origin)",
            ),
        ),
    ),
]

CLIP_BOUNDS = {"min": -1.0, "max": 1.5}
CLIP = OpSpec(
    "clip",
    mathfuncs.clip,
    "unary",
    tuple(Case(c.shapes, CLIP_BOUNDS) for c in UNARY_CASES[:3])
    + (Case(((3, 4),), {"min": -0.5, "max": None}), Case(((2, 3),), {"min": None, "max": 0.5})),
    domain="between_steps",
    kinks="not differentiable at the bounds: sampled between the steps (the bounds are integers or halves); the "
    "gradient at the bounds is pinned",
    specials=(
        Special(
            "ieee",
            ([-INF, INF, NAN, -0.0, 0.5, -3.0, 3.0],),
            [-1.0, 1.5, NAN, -0.0, 0.5, -1.0, 1.5],
            params=CLIP_BOUNDS,
            signed_zero=True,
        ),
        Special(
            "bounds-grad",
            ([-1.0, 1.5, 0.5, NAN, 2.0, -2.0],),
            [-1.0, 1.5, 0.5, NAN, 1.5, -1.0],
            params=CLIP_BOUNDS,
            cotangent=[1.0] * 6,
            grads=([1.0, 1.0, 1.0, 0.0, 0.0, 0.0],),
            note="g at the bounds themselves, 0 at NaN: torch's clamp_backward passes g where min <= x <= max "
            "(hardtanh's convention is the opposite on both counts)",
        ),
        Special(
            "crossed",
            ([0.0, 5.0, -5.0],),
            [1.0, 1.0, 1.0],
            params={"min": 2.0, "max": 1.0},
            cotangent=[1.0, 1.0, 1.0],
            grads=([0.0, 0.0, 0.0],),
            note="min > max: every element is max (np.clip and torch.clamp), and no x lies in [min, max]",
        ),
        Special("one-sided", ([-3.0, 3.0, NAN],), [-3.0, 1.0, NAN], params={"min": None, "max": 1.0}),
    ),
    notes="scalar bounds, either may be None (not both); the same values as hardtanh(x, min, max) with the gradient "
    "convention of torch.clamp",
)

WHERE = OpSpec(
    "where",
    mathfuncs.where,
    "ternary",
    (
        Case(((3, 5), (3, 5), (3, 5))),
        Case(((3, 1), (1, 4), (3, 4))),
        Case(((), (2, 3), ())),
        Case(((2, 1, 4), (3, 1), (1,))),
    ),
    domain="condition",
    fd_step=1.0,
    fd_step_reason="linear in x and y (the condition is fixed): central differences are exact at any step",
    specials=(
        Special(
            "branch-not-taken",
            ([True, False, True, False], [1.0, NAN, INF, 2.0], [NAN, 3.0, 4.0, -INF]),
            [1.0, 3.0, INF, -INF],
            cotangent=[1.0, 2.0, 3.0, 4.0],
            grads=([1.0, 0.0, 3.0, 0.0], [0.0, 2.0, 0.0, 4.0]),
            note="the branch not taken -- NaN, inf -- reaches neither the value nor the gradient: g to x where the "
            "condition holds, to y elsewhere, exactly 0 on the other side (the NaN that leaks into gradients is "
            "that of a function computed in the masked branch, f(x) in where(c, f(x), y), not of where itself)",
        ),
        Special(
            "signed-zero",
            ([True, False], [-0.0, 0.0], [0.0, -0.0]),
            [-0.0, -0.0],
            signed_zero=True,
            note="the chosen element as it is, its zero's sign included",
        ),
        Special(
            "broadcast",
            ([[True], [False]], [1.0, 2.0, 3.0], 5.0),
            [[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]],
            cotangent=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
            grads=([1.0, 2.0, 3.0], 15.0),
            note="condition, x and y broadcast together; each gradient is summed back to its input's shape",
        ),
    ),
    notes="torch.where(condition, x, y): a bool condition (no gradient, a bool input in every float column), x and "
    "y of one float dtype",
)

ENTRIES = tuple(STEPS + EXP_LOG + HYPERBOLIC_AND_INVERSE + BINARY + [CLIP, WHERE])
