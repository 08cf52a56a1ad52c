"""The catalog: one entry per op.  Tests are generated from it; nobody writes a test per op.

Expected special values are stated by hand from mathematics and IEEE 754
(Python's ``math`` where a decimal is needed), never computed by the reference.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from reference import (
    binary,
    catalog_activations,
    catalog_attention,
    catalog_convolution,
    catalog_indexing,
    catalog_integers,
    catalog_linalg,
    catalog_mathfuncs,
    catalog_nn,
    catalog_normalization,
    catalog_order,
    catalog_pointwise_losses,
    catalog_reductions,
    catalog_resampling,
    catalog_scans,
    catalog_similarity,
    catalog_train,
    elementwise,
    layers,
    linalg,
    loops,
    optim,
    reductions,
    shape,
)
from reference.loops import LOOPS as LOOPS_BY_NAME
from reference.spec import Case, LoopSpec, OpSpec, OptimizerSpec, Special, Tolerance

INF, NAN = math.inf, math.nan

# ---------------------------------------------------------------- cases
UNARY_CASES = (Case(((4, 7),)), Case(((),)), Case(((2, 1, 5),)), Case(((0, 3),)))
BINARY_CASES = (
    Case(((4, 7), (4, 7))),
    Case(((4, 1), (1, 7))),
    Case(((2, 3, 5), (5,))),
    Case(((), (3, 4))),
    # un-broadcasting: x's size-1 middle axis is stretched; y gains a leading axis *and* its size-1 last axis is
    # stretched (issue #20: the gradient of an operand with fewer dimensions and a size-1 one)
    Case(((2, 1, 5), (3, 1))),
)
REDUCE_CASES = (
    Case(((4, 7),), {"axis": None}),
    Case(((4, 7),), {"axis": 1}),
    Case(((2, 3, 5),), {"axis": (0, 2), "keepdims": True}),
    Case(((5, 6),), {"axis": -2}),
    Case(((),), {"axis": None}),
)
VAR_CASES = (
    Case(((4, 7),), {"axis": 1, "correction": 1}),
    Case(((2, 3, 5),), {"axis": (0, 2), "correction": 0, "keepdims": True}),
    Case(((24,),), {"axis": None, "correction": 1}),
)
SOFTMAX_CASES = (
    Case(((4, 7),), {"axis": -1}),
    Case(((3, 5, 2),), {"axis": 1}),
    Case(((6,),), {"axis": 0}),
)

# ---------------------------------------------------------------- accumulation magnitudes


def _sum_terms(inputs, params):
    (x,) = inputs
    axis = params.get("axis")
    return reductions.reduced_count(x, axis), np.sum(
        np.abs(x), axis=_axes(x, axis), keepdims=params.get("keepdims", False)
    )


def _mean_terms(inputs, params):
    (x,) = inputs
    terms, total = _sum_terms(inputs, params)
    return terms, total / max(terms, 1)


def _var_terms(inputs, params):
    # Σ (x - m)^2 / dof: each centred term carries the rounding of m, ~u|x|.
    (x,) = inputs
    axis, keep = params.get("axis"), params.get("keepdims", False)
    axes = _axes(x, axis)
    terms = reductions.reduced_count(x, axis)
    spread = np.abs(x - np.mean(x, axis=axes, keepdims=True)) + np.abs(x)
    dof = max(terms - params["correction"], 1)
    return terms, np.sum(spread * spread, axis=axes, keepdims=keep) / dof


def _logsumexp_terms(inputs, params):
    (x,) = inputs
    axis, keep = params.get("axis"), params.get("keepdims", False)
    finite = np.where(np.isfinite(x), np.abs(x), 0.0)
    return reductions.reduced_count(x, axis), np.max(finite, axis=_axes(x, axis), keepdims=keep, initial=0.0) + 1.0


def _softmax_terms(inputs, params):
    # exp(x - lse) carries the absolute error of x - lse, u(|x| + |lse|), as a relative error.
    (x,) = inputs
    axis = params.get("axis", -1)
    lse = np.abs(reductions.logsumexp(x, axis=axis, keepdims=True))
    return x.shape[axis], reductions.softmax(x, axis=axis) * (np.abs(x) + lse)


def _log_softmax_terms(inputs, params):
    # x - lse: u(|x| + |lse|), plus the rounding of the shifted sum of exponentials (>= 1), which its log turns
    # into an absolute error of u: at x = [0, -2] every backend's float16 result is 3 ulp off -0.127 for that
    (x,) = inputs
    axis = params.get("axis", -1)
    return x.shape[axis], np.abs(x) + np.abs(reductions.logsumexp(x, axis=axis, keepdims=True)) + 1.0


def _matmul_terms(inputs, params):
    a, b = inputs
    return a.shape[-1], np.abs(a) @ np.abs(b)


def _axes(x, axis):
    return tuple(range(x.ndim)) if axis is None else axis


# ---------------------------------------------------------------- specials shared by several ops
PRESERVES_SPECIALS = "moves values without arithmetic: NaN, inf and -0.0 come through unchanged"


def _unary(name, domain="real", specials=(), **kw) -> OpSpec:
    return OpSpec(name, getattr(elementwise, name), "unary", UNARY_CASES, domain=domain, specials=specials, **kw)


def _binary(name, domain="real", specials=(), **kw) -> OpSpec:
    return OpSpec(name, getattr(binary, name), "binary", BINARY_CASES, domain=domain, specials=specials, **kw)


def _reduction(name, cases=REDUCE_CASES, specials=(), **kw) -> OpSpec:
    return OpSpec(name, getattr(reductions, name), "reduction", cases, specials=specials, **kw)


LINEAR_FD = "the op is linear in each input, so central differences are exact at any step"

UNARY = [
    _unary(
        "neg",
        specials=(Special("ieee", ([0.0, -0.0, INF, -INF, NAN],), [-0.0, 0.0, -INF, INF, NAN], signed_zero=True),),
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
    ),
    _unary(
        "abs",
        domain="nonzero",
        kinks="not differentiable at 0; sampled away from it, the subgradient 0 is pinned as a special value",
        specials=(
            Special("ieee", ([-0.0, 0.0, -INF, INF, NAN, -2.0],), [0.0, 0.0, INF, INF, NAN, 2.0], signed_zero=True),
            Special(
                "kink",
                ([-0.0, 0.0, 2.0, -2.0],),
                [0.0, 0.0, 2.0, 2.0],
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([0.0, 0.0, 1.0, -1.0],),
                note="abs'(0) = 0 (sign(0))",
            ),
            Special(
                "nan-grad",
                ([NAN, -2.0],),
                [NAN, 2.0],
                cotangent=[1.0, 1.0],
                grads=([NAN, -1.0],),
                note="the gradient at NaN is NaN: sign(NaN) is NaN",
            ),
        ),
    ),
    _unary("exp", specials=(Special("ieee", ([-INF, INF, NAN, -0.0, 1000.0],), [0.0, INF, NAN, 1.0, INF]),)),
    _unary(
        "expm1",
        specials=(
            Special("ieee", ([-0.0, 0.0, -INF, INF, NAN],), [-0.0, 0.0, -1.0, INF, NAN], signed_zero=True),
            Special("tiny", ([1e-10, -1e-12],), [math.expm1(1e-10), math.expm1(-1e-12)], note="no cancellation near 0"),
        ),
    ),
    _unary(
        "log",
        domain="positive",
        specials=(Special("ieee", ([0.0, -0.0, INF, -1.0, NAN, 1.0],), [-INF, -INF, INF, NAN, NAN, 0.0]),),
    ),
    _unary(
        "log1p",
        domain="above_minus_one",
        specials=(
            Special("ieee", ([-1.0, -0.0, 0.0, INF, -2.0, NAN],), [-INF, -0.0, 0.0, INF, NAN, NAN], signed_zero=True),
            Special("tiny", ([1e-10, -1e-12],), [math.log1p(1e-10), math.log1p(-1e-12)], note="no cancellation near 0"),
        ),
    ),
    _unary(
        "sqrt",
        domain="positive",
        specials=(
            Special("ieee", ([0.0, -0.0, INF, -1.0, NAN, 4.0],), [0.0, -0.0, INF, NAN, NAN, 2.0], signed_zero=True),
            Special(
                "zero-grad",
                ([0.0, 4.0],),
                [0.0, 2.0],
                cotangent=[1.0, 1.0],
                grads=([INF, 0.25],),
                note="sqrt'(0) = +inf",
            ),
        ),
    ),
    _unary("square", specials=(Special("ieee", ([-0.0, INF, -INF, NAN, 1e200],), [0.0, INF, INF, NAN, INF]),)),
    _unary(
        "reciprocal",
        domain="nonzero",
        specials=(Special("ieee", ([0.0, -0.0, INF, -INF, NAN],), [INF, -INF, 0.0, -0.0, NAN], signed_zero=True),),
    ),
    _unary(
        "sin",
        specials=(Special("ieee", ([0.0, -0.0, INF, -INF, NAN],), [0.0, -0.0, NAN, NAN, NAN], signed_zero=True),),
    ),
    _unary("cos", specials=(Special("ieee", ([0.0, -0.0, INF, NAN],), [1.0, 1.0, NAN, NAN]),)),
    _unary(
        "tanh",
        specials=(
            Special("ieee", ([0.0, -0.0, INF, -INF, NAN, 20.0],), [0.0, -0.0, 1.0, -1.0, NAN, 1.0], signed_zero=True),
        ),
    ),
    _unary(
        "sigmoid",
        specials=(
            Special("ieee", ([-INF, INF, NAN, 0.0],), [0.0, 1.0, NAN, 0.5]),
            Special(
                "overflow",
                ([-1000.0, 1000.0, -1e4, 1e4],),
                [0.0, 1.0, 0.0, 1.0],
                note="e**1000 overflows; a stable sigmoid never evaluates it",
            ),
        ),
    ),
    _unary(
        "relu",
        domain="nonzero",
        kinks="not differentiable at 0; sampled away from it, relu'(0) = 0 is pinned",
        specials=(
            Special("ieee", ([-INF, INF, NAN, -1.0, 0.0],), [0.0, INF, NAN, 0.0, 0.0]),
            Special(
                "kink",
                ([0.0, -1.0, 1.0],),
                [0.0, 0.0, 1.0],
                cotangent=[1.0, 1.0, 1.0],
                grads=([0.0, 0.0, 1.0],),
                note="relu'(0) = 0, as torch",
            ),
            Special(
                "nan-grad",
                ([NAN, 2.0],),
                [NAN, 2.0],
                cotangent=[1.0, 1.0],
                grads=([0.0, 1.0],),
                note="the gradient flows only where x > 0, so none at NaN (as JAX)",
            ),
        ),
    ),
    OpSpec(
        "leaky_relu",
        elementwise.leaky_relu,
        "unary",
        tuple(Case(c.shapes, {"negative_slope": 0.01}) for c in UNARY_CASES[:2])
        + (Case(((3, 4),), {"negative_slope": 0.2}),),
        domain="nonzero",
        kinks="not differentiable at 0; the left slope is pinned there",
        specials=(
            Special("ieee", ([-INF, INF, NAN, -2.0],), [-INF, INF, NAN, -0.02], params={"negative_slope": 0.01}),
            Special(
                "kink",
                ([0.0, -2.0, 2.0],),
                [0.0, -0.02, 2.0],
                params={"negative_slope": 0.01},
                cotangent=[1.0, 1.0, 1.0],
                grads=([0.01, 0.01, 1.0],),
                note="the left slope at 0, as torch",
            ),
        ),
    ),
    _unary(
        "gelu",
        specials=(
            Special("ieee", ([NAN, 0.0, -0.0],), [NAN, 0.0, 0.0]),
            Special("plus-inf", ([INF, INF],), [INF, INF], note="x * Phi(x) -> x as x -> +inf"),
            Special("minus-inf", ([-INF],), [0.0], note="x * Phi(x) -> 0 as x -> -inf; evaluating -inf * 0 gives NaN"),
        ),
    ),
    OpSpec(
        "softplus",
        elementwise.softplus,
        "unary",
        tuple(Case(c.shapes, {"beta": 1.0}) for c in UNARY_CASES[:3]) + (Case(((3, 4),), {"beta": 2.5}),),
        specials=(
            Special("ieee", ([-INF, INF, NAN, 0.0],), [0.0, INF, NAN, math.log(2.0)], params={"beta": 1.0}),
            Special(
                "overflow",
                ([1000.0, -1000.0],),
                [1000.0, 0.0],
                params={"beta": 1.0},
                note="log(1 + e**1000) must not overflow",
            ),
        ),
    ),
    _unary(
        "erf",
        specials=(Special("ieee", ([0.0, -0.0, INF, -INF, NAN],), [0.0, -0.0, 1.0, -1.0, NAN], signed_zero=True),),
        notes="NumPy has no erf: the reference vectorises math.erf (C99 libm, ~1 ulp of float64). "
        "A backend without erf must declare it unsupported, never substitute an approximation.",
    ),
]

BINARY = [
    _binary(
        "add",
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(
            Special(
                "ieee",
                ([INF, INF, -0.0, NAN, 1.0], [-INF, INF, -0.0, 1.0, NAN]),
                [NAN, INF, -0.0, NAN, NAN],
                signed_zero=True,
            ),
        ),
    ),
    _binary(
        "sub",
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(
            Special("ieee", ([INF, INF, -0.0, 0.0], [INF, -INF, 0.0, 0.0]), [NAN, INF, -0.0, 0.0], signed_zero=True),
        ),
    ),
    _binary(
        "mul",
        fd_step=1.0,
        fd_step_reason="bilinear: the second-order term cancels in central differences, so any step is exact",
        specials=(
            Special("ieee", ([0.0, INF, -0.0, NAN], [INF, 0.0, 5.0, 1.0]), [NAN, NAN, -0.0, NAN], signed_zero=True),
        ),
    ),
    _binary(
        "div",
        domain="nonzero_denominator",
        specials=(
            Special(
                "ieee",
                ([1.0, -1.0, 0.0, INF, 1.0], [0.0, 0.0, 0.0, INF, -0.0]),
                [INF, -INF, NAN, NAN, -INF],
                signed_zero=True,
            ),
        ),
    ),
    _binary(
        "pow",
        domain="pow",
        specials=(
            Special(
                "ieee",
                ([0.0, 0.0, 0.0, 2.0, -8.0, 1.0, NAN], [0.0, 2.0, -1.0, NAN, 1.0 / 3.0, NAN, 0.0]),
                [1.0, 0.0, INF, NAN, NAN, 1.0, 1.0],
                note="C99: 0**0 = 1, 1**NaN = 1, NaN**0 = 1; a negative base with a non-integer exponent is NaN",
            ),
            Special(
                "zero-base-grad",
                ([0.0, 0.0, 2.0], [0.0, 2.0, 3.0]),
                [1.0, 0.0, 8.0],
                cotangent=[1.0, 1.0, 1.0],
                grads=([0.0, 0.0, 12.0], [0.0, 0.0, 8.0 * math.log(2.0)]),
                note="d(x**y)/dx = 0 where y == 0 and d(x**y)/dy = 0 where x == 0, y >= 0 (torch's conventions); "
                "the naive formulas give 0 * 0**-1 = NaN and 0 * log 0 = NaN",
            ),
        ),
    ),
    _binary(
        "maximum",
        domain="distinct_pair",
        kinks="not differentiable where x == y; sampled on disjoint grids, the even split at ties is pinned",
        specials=(
            Special("nan", ([NAN, 1.0], [1.0, NAN]), [NAN, NAN], note="NaN propagates (fmax would drop it)"),
            Special(
                "ties",
                ([1.0, 2.0], [1.0, 3.0]),
                [1.0, 3.0],
                cotangent=[1.0, 1.0],
                grads=([0.5, 0.0], [0.5, 1.0]),
                note="a tie splits the gradient evenly",
            ),
        ),
    ),
    _binary(
        "minimum",
        domain="distinct_pair",
        kinks="not differentiable where x == y; sampled on disjoint grids, the even split at ties is pinned",
        specials=(
            Special("nan", ([NAN, 1.0], [1.0, NAN]), [NAN, NAN], note="NaN propagates (fmin would drop it)"),
            Special(
                "ties",
                ([1.0, 2.0], [1.0, 3.0]),
                [1.0, 2.0],
                cotangent=[1.0, 1.0],
                grads=([0.5, 1.0], [0.5, 0.0]),
                note="a tie splits the gradient evenly",
            ),
        ),
    ),
]


# ---------------------------------------------------------------- branch conventions of the non-smooth binary ops
# (issue #20) the gradient where a NaN or an infinity picks the branch, stated by hand: torch's rule
# where(x == y, g/2, g) with the loser's share masked to 0, so a NaN, which loses no comparison, passes g to both.
def _with_specials(spec: OpSpec, *specials: Special) -> OpSpec:
    return replace(spec, specials=spec.specials + specials)


_NAN_INF_PAIRS = ([NAN, 1.0, INF, -INF], [1.0, NAN, 2.0, -INF])
_COTANGENT = [2.0, 3.0, 5.0, 7.0]
_BRANCH_SPECIALS = {
    "maximum": Special(
        "nan-inf-grad", _NAN_INF_PAIRS, [NAN, NAN, INF, -INF], cotangent=_COTANGENT,
        grads=([2.0, 3.0, 5.0, 3.5], [2.0, 3.0, 0.0, 3.5]),
        note="NaN on either side passes g to both inputs; inf beats 2; the tie at -inf splits g",
    ),
    "minimum": Special(
        "nan-inf-grad", _NAN_INF_PAIRS, [NAN, NAN, 2.0, -INF], cotangent=_COTANGENT,
        grads=([2.0, 3.0, 0.0, 3.5], [2.0, 3.0, 5.0, 3.5]),
        note="NaN on either side passes g to both inputs; 2 beats inf; the tie at -inf splits g",
    ),
    "pow": Special(
        "nan-grad", ([NAN, 1.0, 2.0], [0.0, NAN, 1.0]), [1.0, 1.0, 2.0], cotangent=[2.0, 3.0, 5.0],
        grads=([0.0, NAN, 5.0], [NAN, 0.0, 10.0 * math.log(2.0)]),
        note="NaN**0 = 1 with d/dx = 0 (y == 0) and d/dy = g log(NaN) = NaN; 1**NaN = 1 with d/dx = g NaN 1**(NaN-1) "
        "= NaN and d/dy = g 1**NaN log 1 = 0",
    ),
}  # fmt: skip
BINARY = [_with_specials(s, _BRANCH_SPECIALS[s.name]) if s.name in _BRANCH_SPECIALS else s for s in BINARY]

REDUCTIONS = [
    _reduction(
        "sum",
        accumulation=_sum_terms,
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(
            Special("inf-minus-inf", ([INF, -INF, 1.0],), NAN),
            Special("nan", ([NAN, 1.0],), NAN),
            Special("signed-zero", ([-0.0, -0.0],), -0.0, signed_zero=True, note="-0 + -0 = -0"),
        ),
    ),
    _reduction(
        "mean",
        accumulation=_mean_terms,
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(Special("inf", ([INF, 1.0],), INF), Special("nan", ([NAN, 1.0],), NAN)),
    ),
    _reduction(
        "var",
        cases=VAR_CASES,
        accumulation=_var_terms,
        specials=(
            Special("inf", ([INF, 1.0],), NAN, params={"correction": 0}),
            Special("no-dof", ([5.0],), NAN, params={"correction": 1}, note="0 / max(1 - 1, 0) = 0/0"),
            Special("bessel", ([1.0, 2.0, 3.0, 4.0],), 5.0 / 3.0, params={"correction": 1}),
        ),
        notes="correction has no default: np.var defaults to ddof=0, torch.var to correction=1",
    ),
    _reduction(
        "max",
        domain="no_ties",
        kinks="not differentiable at ties; sampled without ties, the even split is pinned",
        specials=(
            Special("nan", ([1.0, NAN, 3.0],), NAN, note="NaN propagates (np.nanmax/np.fmax would drop it)"),
            Special(
                "ties",
                ([[3.0, 1.0, 3.0]],),
                [3.0],
                params={"axis": 1},
                cotangent=[2.0],
                grads=([[1.0, 0.0, 1.0]],),
                note="amax splits the gradient evenly among ties",
            ),
            Special(
                "nan-grad",
                ([1.0, NAN],),
                NAN,
                cotangent=1.0,
                grads=([NAN, NAN],),
                note="the gradient of a NaN maximum is NaN for the whole slice",
            ),
        ),
    ),
    _reduction(
        "min",
        domain="no_ties",
        kinks="not differentiable at ties; sampled without ties, the even split is pinned",
        specials=(
            Special("nan", ([1.0, NAN, 3.0],), NAN),
            Special(
                "ties",
                ([[1.0, 4.0, 1.0]],),
                [1.0],
                params={"axis": 1},
                cotangent=[2.0],
                grads=([[1.0, 0.0, 1.0]],),
                note="amin splits the gradient evenly among ties",
            ),
        ),
    ),
    _reduction(
        "logsumexp",
        accumulation=_logsumexp_terms,
        specials=(
            Special("all-minus-inf", ([-INF, -INF],), -INF, note="a naive max shift gives -inf - -inf = NaN"),
            Special("inf", ([INF, 1.0],), INF),
            Special("nan", ([NAN, 1.0],), NAN),
            Special("large", ([1000.0, 1000.0],), 1000.0 + math.log(2.0), note="e**1000 overflows without the shift"),
            Special("huge", ([1e4, -1e4],), 1e4),
        ),
    ),
    _reduction(
        "softmax",
        cases=SOFTMAX_CASES,
        accumulation=_softmax_terms,
        specials=(
            Special("large", ([1000.0, 0.0],), [1.0, 0.0], note="logits of 1e3 overflow exp without the shift"),
            Special("huge", ([1e4, -1e4],), [1.0, 0.0]),
            Special("equal-large", ([-1000.0, -1000.0],), [0.5, 0.5]),
        ),
    ),
    _reduction(
        "log_softmax",
        cases=SOFTMAX_CASES,
        accumulation=_log_softmax_terms,
        specials=(
            Special("large", ([1000.0, 0.0],), [0.0, -1000.0]),
            Special("huge", ([1e4, -1e4],), [0.0, -2e4]),
            Special("equal-large", ([-1000.0, -1000.0],), [-math.log(2.0), -math.log(2.0)]),
        ),
    ),
]

LINALG_AND_SHAPE = [
    OpSpec(
        "matmul",
        linalg.matmul,
        "linalg",
        (
            Case(((3, 4), (4, 5))),
            Case(((2, 3, 4), (4, 5))),
            Case(((2, 1, 3, 4), (5, 4, 6))),
            Case(((4,), (4, 5))),
            Case(((3, 4), (4,))),
            Case(((4,), (4,))),
        ),
        accumulation=_matmul_terms,
        fd_step=1.0,
        fd_step_reason="bilinear: the second-order term cancels in central differences, so any step is exact",
        specials=(
            Special("inf-times-zero", ([[INF, 1.0]], [[0.0], [1.0]]), [[NAN]]),
            Special("nan", ([[1.0, NAN]], [[1.0], [0.0]]), [[NAN]]),
        ),
    ),
    OpSpec(
        "outer",
        linalg.outer,
        "linalg",
        (Case(((3,), (5,))), Case(((1,), (4,)))),
        fd_step=1.0,
        fd_step_reason="bilinear: the second-order term cancels in central differences, so any step is exact",
        specials=(Special("ieee", ([INF, 0.0], [0.0, 1.0]), [[NAN, INF], [0.0, 0.0]]),),
    ),
    OpSpec(
        "transpose",
        shape.transpose,
        "shape",
        (
            Case(((3, 4),), {"axes": None}),
            Case(((2, 3, 4),), {"axes": (2, 0, 1)}),
            Case(((2, 3, 4, 5),), {"axes": (-1, 1, 0, 2)}),
        ),
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(
            Special(
                "ieee", ([[NAN, -0.0], [INF, 1.0]],), [[NAN, INF], [-0.0, 1.0]], params={"axes": None}, signed_zero=True
            ),
        ),
        notes=PRESERVES_SPECIALS,
    ),
    OpSpec(
        "reshape",
        shape.reshape,
        "shape",
        (
            Case(((3, 4),), {"shape": (4, 3)}),
            Case(((2, 3, 4),), {"shape": (6, -1)}),
            Case(((12,),), {"shape": (2, 1, 6)}),
            Case(((),), {"shape": (1,)}),
        ),
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(
            Special(
                "ieee", ([NAN, -0.0, INF, 1.0],), [[NAN, -0.0], [INF, 1.0]], params={"shape": (2, 2)}, signed_zero=True
            ),
        ),
        notes=PRESERVES_SPECIALS,
    ),
    OpSpec(
        "concatenate",
        shape.concatenate,
        "shape",
        (
            Case(((3, 4), (2, 4)), {"axis": 0}),
            Case(((3, 2), (3, 5), (3, 1)), {"axis": 1}),
            Case(((2, 3, 4), (2, 3, 1)), {"axis": -1}),
        ),
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(Special("ieee", ([NAN, -0.0], [INF]), [NAN, -0.0, INF], params={"axis": 0}, signed_zero=True),),
        notes=PRESERVES_SPECIALS,
    ),
    OpSpec(
        "slice",
        shape.slice,
        "shape",
        (
            Case(((5, 7),), {"index": (slice(1, 4), slice(None, None, 2))}),
            Case(((5, 7),), {"index": (slice(None, None, -1),)}),
            Case(((4, 6, 3),), {"index": (1, slice(-3, None), slice(None, None, -2))}),
            Case(((6,),), {"index": (slice(4, 1, -1),)}),
        ),
        fd_step=1.0,
        fd_step_reason=LINEAR_FD,
        specials=(
            Special(
                "ieee",
                ([NAN, -0.0, INF, 1.0],),
                [1.0, INF, -0.0, NAN],
                params={"index": (slice(None, None, -1),)},
                signed_zero=True,
            ),
        ),
        notes=PRESERVES_SPECIALS + "; torch rejects negative steps, its adapter gathers instead",
    ),
]

# ---------------------------------------------------------------- the half types (issue #16)
# Special values that mean something only in float16 or bfloat16, stated by hand as the exact result rounded to the
# dtype (reference.floats: nearest, ties to even; float16 max 65504, the overflow threshold 65520; smallest
# subnormals 2**-24 and 2**-133).  Exact tolerance where the point is the rounding itself: every stated value is
# at least 0.14 of an ulp away from a rounding tie, so any implementation computing in float32 or wider and
# rounding once lands on it, and a flushed subnormal or a double rounding shows.
EXACT = Tolerance(0.0, 0.0, "the stated value is the correctly rounded result, at least 0.14 ulp from a tie")
HALF_SPECIALS = {
    "exp": (
        Special("float16-overflow", ([11.0, 11.1, -17.0, -18.0],), [59872.0, INF, 2.0**-24, 0.0],
                dtypes=("float16",), tolerance=EXACT,
                note="e**11 = 59874.1 rounds to 59872; 11.1 is 11.1015625 in float16 and e**11.1015625 = 66275 is "
                     "past 65520: inf; e**-17 = 0.69 * 2**-24 rounds up to the smallest subnormal, e**-18 = 0.26 * "
                     "2**-24 to 0"),
        Special("bfloat16-range", ([88.5, 89.0],), [205.0 * 2.0**120, INF], dtypes=("bfloat16",), tolerance=EXACT,
                note="bfloat16 keeps float32's exponent range: e**88.5 = 204.86 * 2**120 is finite, e**89 overflows"),
    ),
    "square": (
        Special("float16-overflow", ([255.0, 256.0, -300.0],), [65024.0, INF, INF], dtypes=("float16",),
                tolerance=EXACT, note="255**2 = 65025 rounds to 65024; 256**2 = 65536 is past 65520: inf"),
    ),
    "softmax": (
        Special("float16-logits", ([12.0, 0.0],), [1.0, 103.0 * 2.0**-24], params={"axis": 0}, dtypes=("float16",),
                tolerance=EXACT,
                note="e**12 = 162755 overflows float16, so an unshifted softmax gives inf / inf = NaN; the shifted one "
                     "gives 1 and e**-12 / (1 + e**-12) = 103.08 * 2**-24, a subnormal"),
    ),
    "mul": (
        Special("float16-subnormal",
                ([2.0**-7, 2.0**-10, -(2.0**-12), 2.0**-13], [2.0**-10, 2.0**-14, 2.0**-12, 2.0**-12]),
                [2.0**-17, 2.0**-24, -(2.0**-24), 0.0], dtypes=("float16",), tolerance=EXACT,
                note="products below the smallest normal 2**-14 are subnormals (gradual underflow), 2**-25 is the tie "
                     "between 0 and 2**-24 and rounds to even, 0; flush-to-zero gives 0 for all four"),
        Special("bfloat16-subnormal", ([2.0**-60, 2.0**-63], [2.0**-70, 2.0**-70]), [2.0**-130, 2.0**-133],
                dtypes=("bfloat16",), tolerance=EXACT,
                note="2**-130 is a bfloat16 subnormal, 2**-133 the smallest; flush-to-zero gives 0"),
    ),
    "add": (
        Special("float16-integers", ([2048.0, 2048.0, 65504.0], [1.0, 3.0, 16.0]), [2048.0, 2052.0, INF],
                dtypes=("float16",), tolerance=EXACT,
                note="above 2048 float16 holds even integers only: 2049 ties to 2048, 2051 to 2052 (ties to even); "
                     "65504 + 16 = 65520 ties between 65504 and 2**16, which is past the range: inf"),
        Special("bfloat16-integers", ([256.0, 255.0, 4096.0, 2.0**24], [1.0, 1.0, 8.0, 1.0]),
                [256.0, 256.0, 4096.0, 2.0**24], dtypes=("bfloat16",), tolerance=EXACT,
                note="bfloat16 has 8 significant bits: 257 ties to 256 (even), 4104 rounds to 4096, 2**24 + 1 to "
                     "2**24"),
    ),
    "sum": (
        Special("float16-long", ([1.0] * 4096,), 4096.0, dtypes=("float16",),
                note="4096 ones: accumulated in float16 one by one, the sum stops at 2048 (2048 + 1 rounds to 2048)"),
        Special("float16-long-rows", ([[1.0, 1.0]] * 4096,), [4096.0, 4096.0], params={"axis": 0},
                dtypes=("float16",), note="the same sum over a strided axis (each column's 4096 ones)"),
        Special("bfloat16-long", ([1.0] * 512,), 512.0, dtypes=("bfloat16",),
                note="512 ones: accumulated in bfloat16 one by one, the sum stops at 256"),
    ),
}  # fmt: skip


def _nll_terms(inputs, params):
    # a (weighted) sum of picked inputs, divided by the summed weights for 'mean': both sums carry rounding
    x, _, *rest = inputs
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    count = max(x.size // c, 1)
    weight = rest[0] if rest and rest[0] is not None else np.ones(c)
    largest = np.abs(x).max(initial=0.0) * np.abs(weight).max(initial=1.0)
    if params.get("reduction", "mean") == "mean":
        return count, 2.0 * largest / max(np.abs(weight).min(initial=1.0), 1e-300)
    return count, count * largest


def _avg_pool_terms(inputs, params):
    # each output sums its window (then divides by the count): avg_pool2d of |x| is that sum's magnitude / count
    (x,) = inputs
    kernel = params["kernel_size"]
    window = kernel * kernel if isinstance(kernel, int) else math.prod(kernel)
    return window, layers.avg_pool2d(np.abs(x), **params)


def _gelu_terms(inputs, params):
    # x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): four rounded steps (the scaling, erf, 1 + erf, the product), each off
    # by u of a value at most |x| in magnitude; where erf -> -1 (x < 0) 1 + erf cancels, so the error is ~u |x|
    # absolutely however small gelu(x) is
    (x,) = inputs
    return 4, np.where(np.isfinite(x), np.abs(x), 0.0)


def _batch_norm_eval_terms(inputs, params):
    # (x - mean) / sqrt(var + eps) * weight + bias: five rounded steps, each off by u of at most |xhat w| + |b|;
    # where xhat w ~ -b the sum cancels, so the error is ~u (|xhat w| + |b|) absolutely
    x, mean, var, *affine = inputs
    channel = (1, -1, *([1] * (x.ndim - 2)))
    xhat = np.abs(x - mean.reshape(channel)) / np.sqrt(var.reshape(channel) + params["eps"])
    weight, bias = (list(affine) + [None, None])[:2]
    scaled = xhat * (1.0 if weight is None else np.abs(weight).reshape(channel))
    return 6, scaled + (0.0 if bias is None else np.abs(bias).reshape(channel))


SUMMATION = ("sum", "mean", "matmul", "linear", "conv2d")  # the allowance is one sum of products (OpSpec.summation)
PRODUCTS_VJP = ("add", "sub", "mul", "div", "sum", "mean", "matmul", "outer", "linear", "conv2d", "avg_pool2d")
# rounding the catalog's float32/float64 tolerances absorbed (their rtol is 22u and 450 000u) and the half types'
# (2u and 4u) do not: sums, and formulas that cancel, each bounded as above
ADDED_ACCUMULATION = {
    "nll_loss": _nll_terms,
    "avg_pool2d": _avg_pool_terms,
    "gelu": _gelu_terms,
    "batch_norm_eval": _batch_norm_eval_terms,
}


def _with_half_support(spec: OpSpec) -> OpSpec:
    spec = replace(spec, specials=spec.specials + HALF_SPECIALS.get(spec.name, ()))
    if spec.name in ADDED_ACCUMULATION and spec.accumulation is None:
        spec = replace(spec, accumulation=ADDED_ACCUMULATION[spec.name])
    return replace(
        spec,
        summation=spec.summation or spec.name in SUMMATION,
        products_vjp=spec.products_vjp or spec.name in PRODUCTS_VJP,
    )


CATALOG: dict[str, OpSpec] = {
    spec.name: _with_half_support(spec)
    for spec in UNARY
    + BINARY
    + REDUCTIONS
    + LINALG_AND_SHAPE
    + catalog_nn.LAYERS
    + catalog_nn.LOSSES
    + list(catalog_linalg.ENTRIES)
    + list(catalog_reductions.ENTRIES)
    + list(catalog_scans.ENTRIES)
    + list(catalog_order.ENTRIES)
    + list(catalog_indexing.ENTRIES)
    + list(catalog_integers.ENTRIES)
    + list(catalog_attention.ENTRIES)
    + list(catalog_pointwise_losses.ENTRIES)
    + list(catalog_normalization.ENTRIES)
    + list(catalog_similarity.ENTRIES)
    + list(catalog_convolution.ENTRIES)
    + list(catalog_resampling.ENTRIES)
    + list(catalog_mathfuncs.ENTRIES)
    + list(catalog_activations.ENTRIES)
}


def get_spec(name: str) -> OpSpec:
    """The catalog entry called ``name``; ``KeyError`` listing the known names otherwise."""
    try:
        return CATALOG[name]
    except KeyError:
        raise KeyError(f"no catalog entry {name!r}; known: {', '.join(CATALOG)}") from None


# ---------------------------------------------------------------- optimizers and other entry kinds
def _configs(*hypers, shape=(3, 4)):
    return tuple(Case((shape,), h) for h in hypers)


OPTIMIZER_SPECS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec(
            "sgd",
            optim.sgd,
            _configs(
                {},
                {"momentum": 0.9},
                {"momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01},
                {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
                {"momentum": 0.9, "weight_decay": 0.01, "maximize": True},
            )
            + _configs({"momentum": 0.5}, shape=(5,)),
            notes="torch form: v = mu v + g, p -= lr v (not Sutskever's v = mu v + lr g)",
        ),
        OptimizerSpec(
            "adam",
            optim.adam,
            _configs(
                {}, {"weight_decay": 0.1, "amsgrad": True}, {"betas": (0.8, 0.99), "eps": 1e-6}, {"maximize": True}
            ),
            notes="weight_decay is L2 (added to the gradient); eps is added to sqrt(v-hat)",
        ),
        OptimizerSpec(
            "adamw",
            optim.adamw,
            _configs({}, {"weight_decay": 0.1, "amsgrad": True}, {"weight_decay": 0.1, "maximize": True}),
            notes="decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step",
        ),
        OptimizerSpec(
            "rmsprop",
            optim.rmsprop,
            _configs(
                {},
                {"momentum": 0.9, "centered": True, "weight_decay": 0.01},
                {"alpha": 0.9},
                {"momentum": 0.5, "weight_decay": 0.01, "maximize": True},
            ),
        ),
    )
    + catalog_train.OPTIMIZERS
}

ENTRY_GROUPS = {"ops": CATALOG, "optimizers": OPTIMIZER_SPECS}


def get_entry(name: str):
    """Any catalog entry (op, layer, loss, optimizer, loop) by name."""
    for group in ENTRY_GROUPS.values():
        if name in group:
            return group[name]
    known = [n for group in ENTRY_GROUPS.values() for n in group]
    raise KeyError(f"no catalog entry {name!r}; known: {', '.join(known)}")


def _loop_cases(*params):
    return tuple(Case((), p) for p in params)


# (#16) every classifier under bfloat16 autocast and under float16 autocast with GradScaler's loss scaling (torch's
# defaults), with manual gradients (every backend) and autograd (a backend whose cast its autograd sees: torch)
MIXED_PRECISION = (
    {"grad": "manual", "optimizer": "sgd", "amp": "bfloat16"},
    {"grad": "manual", "optimizer": "sgd", "amp": "float16", "loss_scale": {}},
    {"grad": "auto", "optimizer": "adam", "amp": "bfloat16"},
    {"grad": "auto", "optimizer": "adam", "amp": "float16", "loss_scale": {}},
)

LOOP_SPECS: dict[str, LoopSpec] = {
    spec.name: spec
    for spec in (
        LoopSpec(
            "poly",
            loops.poly,
            _loop_cases({"grad": "manual", "steps": 2000}, {"grad": "auto", "steps": 2000}),
            notes="degree-4 polynomial fit of sin on [0, 5], lr 1e-5; the CLI runs 200,000 steps",
        ),
        LoopSpec(
            "linreg",
            loops.linreg,
            _loop_cases({"grad": "manual"}, {"grad": "auto"}, {"grad": "manual", "features": 1000}),
        ),
        LoopSpec(
            "mlp",
            LOOPS_BY_NAME["mlp"],
            _loop_cases(
                {"grad": "manual", "optimizer": "sgd"},
                {"grad": "auto", "optimizer": "adam"},
                {"grad": "manual", "optimizer": "adamw"},
                *MIXED_PRECISION,
            ),
            roundings=32,
        ),
        LoopSpec(
            "cnn",
            LOOPS_BY_NAME["cnn"],
            _loop_cases(
                {"grad": "manual", "optimizer": "sgd"}, {"grad": "auto", "optimizer": "adam"}, *MIXED_PRECISION
            ),
            roundings=32,
        ),
    )
    + catalog_train.LOOPS
}
ENTRY_GROUPS["loops"] = LOOP_SPECS
