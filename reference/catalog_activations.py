"""Catalog entries of the activation family (issue #14): forward and VJP in :mod:`reference.activations`; here the
cases, special values stated by hand (limits, IEEE 754, Python's ``math``), tolerances with their reasons, and
where the libraries disagree.

``gelu_tanh`` is its own entry rather than an ``approximate`` parameter of ``gelu``: the two are different
functions (they differ by up to 4.7e-4), with different tails, special values and accuracy bounds, and the backends
support them differently -- NumExpr and NumPy have no erf but can evaluate the tanh form -- so a parameter would
make every backend declare half an entry per value; as two entries each has its whole story here and in
:mod:`reference.catalog`.
"""

from __future__ import annotations

import math

from reference import activations
from reference.activations import GELU_TANH_CUBIC, SELU_ALPHA, SELU_SCALE, SQRT_2_OVER_PI
from reference.spec import Case, OpSpec, Special, Tolerance

INF, NAN = math.inf, math.nan
LN2 = math.log(2.0)

CASES = (Case(((3, 5),)), Case(((),)), Case(((2, 1, 4),)), Case(((0, 3),)))
KINK_AT_ZERO = "not differentiable at 0 (the two branches meet with different slopes): sampled between the steps"
LIMITS = (
    "the literal formula is inf * 0 = NaN at -inf (and its derivative at +-inf); the reference takes the limits "
    "0 and +inf, with derivatives 0 and 1"
)


def _entry(name, domain="real", specials=(), cases=CASES, **kw) -> OpSpec:
    return OpSpec(name, getattr(activations, name), "unary", cases, domain=domain, specials=specials, **kw)


def _with(params, cases=CASES[:3]):
    return tuple(Case(c.shapes, params) for c in cases)


def _infinite(at_minus_inf=0.0):
    return Special(
        "infinite",
        ([-INF, INF],),
        [at_minus_inf, INF],
        cotangent=[1.0, 1.0],
        grads=([0.0, 1.0],),
        note="the limits at -inf and +inf, and of the derivative (0 and 1)",
    )


def _nan_grad_long(params, slope):
    """The gradient at NaN over 8 elements: torch's vectorised CPU loops disagree with its scalar ones there."""
    return Special(
        "nan-grad-long",
        ([NAN] * 8,),
        [NAN] * 8,
        params=params,
        cotangent=[1.0] * 8,
        grads=([slope] * 8,),
        note="the right branch's slope at NaN, as over the short kink special (torch's scalar loop); torch's "
        "vectorised loop, which runs from 8 float64 elements on AVX2, gives something else",
    )


def _cancelling_terms(inputs, params):
    """gelu_tanh in a half type: 2u carries a few roundings of the dtype, which x sigmoid(2u) turns into absolute
    errors of ~|2u| u |x| s(1 - s) <= u |x| (the same allowance as gelu's: 4 rounded steps of at most |x|)."""
    import numpy as np

    (x,) = inputs
    return 4, np.where(np.isfinite(x), np.abs(x), 0.0)


def _gelu_tanh_exact(x):
    """x sigmoid(2u) in Python's math, for the stated values (2u = 2 sqrt(2/pi) (x + 0.044715 x**3))."""
    two_u = 2.0 * SQRT_2_OVER_PI * (x + GELU_TANH_CUBIC * x**3)
    return x / (1.0 + math.exp(-two_u))


ENTRIES = (
    _entry(
        "silu",
        specials=(
            Special("ieee", ([NAN, 0.0, -1000.0, 1000.0, 1.0],), [NAN, 0.0, 0.0, 1000.0, 1.0 / (1.0 + math.exp(-1.0))]),
            _infinite(),
            Special("grad", ([0.0],), [0.0], cotangent=[1.0], grads=([0.5],), note="silu'(0) = sigmoid(0) = 1/2"),
        ),
        notes="torch evaluates x * sigmoid(x) (x / (1 + e**-x) in its kernel): NaN at -inf and a NaN gradient at +-inf",
    ),
    _entry(
        "elu",
        domain="between_steps",
        cases=_with({"alpha": 1.0}) + (Case(((3, 4),), {"alpha": 0.5}),),
        kinks=KINK_AT_ZERO + "; the left slope alpha is pinned at 0 (torch's elu_backward: x <= 0)",
        specials=(
            Special(
                "ieee",
                ([-INF, INF, NAN, -0.0, 1.0, -1.0],),
                [-1.0, INF, NAN, -0.0, 1.0, math.expm1(-1.0)],
                params={"alpha": 1.0},
                signed_zero=True,
                note="elu(-0) = alpha expm1(-0) = -0; elu(-inf) = -alpha",
            ),
            Special(
                "kink",
                ([0.0, -0.0, NAN, -1.0, 2.0],),
                [0.0, -0.0, NAN, 0.5 * math.expm1(-1.0), 2.0],
                params={"alpha": 0.5},
                cotangent=[1.0, 1.0, 1.0, 1.0, 1.0],
                grads=([0.5, 0.5, 1.0, 0.5 * math.exp(-1.0), 1.0],),
                note="the left slope alpha at 0 (x <= 0), the right one (1) at NaN: torch's elu_backward",
            ),
            _nan_grad_long({"alpha": 0.5}, 1.0),
        ),
    ),
    _entry(
        "selu",
        domain="between_steps",
        kinks=KINK_AT_ZERO + "; the left slope scale * alpha is pinned at 0",
        specials=(
            Special(
                "ieee",
                ([-INF, INF, NAN, 0.0, 1.0],),
                [-SELU_SCALE * SELU_ALPHA, INF, NAN, 0.0, SELU_SCALE],
                note="selu(-inf) = -scale alpha = -1.7581",
            ),
            Special(
                "kink",
                ([0.0, NAN, 1.0],),
                [0.0, NAN, SELU_SCALE],
                cotangent=[1.0, 1.0, 1.0],
                grads=([SELU_SCALE * SELU_ALPHA, SELU_SCALE, SELU_SCALE],),
                note="scale alpha at 0 (x <= 0), scale at NaN, as torch's elu_backward",
            ),
            _nan_grad_long({}, SELU_SCALE),
        ),
    ),
    _entry(
        "hardtanh",
        domain="between_steps",
        cases=_with({"min_val": -1.0, "max_val": 1.0}) + (Case(((3, 4),), {"min_val": -0.5, "max_val": 2.0}),),
        kinks="not differentiable at the bounds: sampled between the steps (the bounds are integers or halves)",
        specials=(
            Special(
                "ieee",
                ([-INF, INF, NAN, -0.0, 0.5, -3.0, 3.0],),
                [-1.0, 1.0, NAN, -0.0, 0.5, -1.0, 1.0],
                params={"min_val": -1.0, "max_val": 1.0},
                signed_zero=True,
            ),
            Special(
                "bounds-grad",
                ([-1.0, 1.0, 0.5, NAN, 2.0],),
                [-1.0, 1.0, 0.5, NAN, 1.0],
                params={"min_val": -1.0, "max_val": 1.0},
                cotangent=[1.0, 1.0, 1.0, 1.0, 1.0],
                grads=([0.0, 0.0, 1.0, 1.0, 0.0],),
                note="0 at the bounds and g at NaN (torch's hardtanh_backward: 0 where x <= min_val or x >= max_val); "
                "clip's convention is the opposite on both counts",
            ),
            _nan_grad_long({"min_val": -1.0, "max_val": 1.0}, 1.0),
        ),
        notes="the same values as clip(x, min_val, max_val), with the gradient convention of torch's hardtanh: the "
        "bounds excluded, NaN passing the gradient (clip: bounds included, NaN blocked)",
    ),
    _entry(
        "log_sigmoid",
        specials=(
            Special(
                "ieee",
                ([-INF, INF, NAN, 0.0, -1000.0, 1000.0],),
                [-INF, 0.0, NAN, -LN2, -1000.0, 0.0],
                note="log(sigmoid(-1000)) = -1000: sigmoid(-1000) underflows to 0 and log(0) = -inf",
            ),
            Special(
                "tail",
                ([40.0],),
                [-math.log1p(math.exp(-40.0))],
                dtypes=("float64",),
                tolerance=Tolerance(1e-13, 0.0, "relative: the point is the digits of a value of 4e-18"),
                note="-log1p(e**-40) = -4.25e-18; log(sigmoid(40)) = log(1.0) = 0 loses it all",
            ),
            Special(
                "grad",
                ([-INF, INF, 0.0, -1000.0],),
                [-INF, 0.0, -LN2, -1000.0],
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([1.0, 0.0, 0.5, 1.0],),
                note="log_sigmoid'(x) = sigmoid(-x)",
            ),
        ),
    ),
    _entry(
        "mish",
        specials=(
            Special("ieee", ([NAN, 0.0, 1000.0, -1000.0],), [NAN, 0.0, 1000.0, 0.0]),
            _infinite(),
            Special("grad", ([0.0],), [0.0], cotangent=[1.0], grads=([math.tanh(LN2)],), note="mish'(0) = tanh(ln 2)"),
        ),
        notes="torch evaluates x * tanh(softplus(x)) literally: NaN at -inf and a NaN gradient at +-inf",
    ),
    _entry(
        "gelu_tanh",
        accumulation=_cancelling_terms,
        specials=(
            Special("ieee", ([NAN, 0.0, 1000.0, -1000.0, 1.0],), [NAN, 0.0, 1000.0, 0.0, _gelu_tanh_exact(1.0)]),
            _infinite(),
            Special(
                "negative-tail",
                ([-5.0, -10.0],),
                [_gelu_tanh_exact(-5.0), _gelu_tanh_exact(-10.0)],
                dtypes=("float64",),
                tolerance=Tolerance(1e-12, 0.0, "relative: the point is the digits of values of 1e-6 and 1e-37"),
                note="0.5 x (1 + tanh(u)) cancels: tanh(-8.4) is -1 + 9e-8 (9 digits left), tanh(-43.7) rounds to -1 "
                "(none left); x sigmoid(2u) keeps them (stated from Python's math).  The reference is held to 1e-12 "
                "relative here; a backend gets the entry's allowance of u |x| on top (torch's literal formula, -0.0 "
                "at -10, is within it)",
            ),
        ),
        notes="torch's F.gelu(x, approximate='tanh'); NumExpr and NumPy can evaluate it where they have no erf for the "
        "exact gelu",
    ),
)
