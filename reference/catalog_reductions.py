"""Catalog entries of the reductions added by #14: prod, std, vector_norm, nansum, nanmean.

The references and their hand-derived VJPs are in :mod:`reference.reductions`.  Each entry states the
disagreement it is known for as special values written by hand (and the backends that differ declare it
where they are known to: ``impls/torch_reductions.py``):

* prod: the gradient with one zero (only the zero's gradient is nonzero) and with two (all 0), where the naive
  ``prod / x`` gives 0/0 = NaN; at an infinite element ``prod / x`` is inf/inf = NaN where the product of the
  others is finite (torch's backward divides when the slice has no zero: declared).
* std: ``correction`` has no default (np.std ddof=0, torch.std correction=1); at a constant slice the
  gradient is 0/0, which torch masks to 0 (and so does the reference).
* vector_norm: the gradient at the zero vector (0 for ord 1, 2 and inf: torch masks 2's 0/0), ties of the
  inf-norm split evenly, and sign(NaN) (NaN here, 0 in torch: declared, as for abs).
* nansum / nanmean: NaN counts as absent; an all-NaN slice sums to 0 and averages to NaN (0/0), and its
  nanmean gradient is NaN too (torch's as well).
"""

from __future__ import annotations

import math

import numpy as np

from reference import reductions
from reference._checks import normalize_axes
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan


def _axes(x, axis):
    return normalize_axes(axis, x.ndim)


def _reduced(x, params) -> int:
    return reductions.reduced_count(x, params.get("axis"))


# ---------------------------------------------------------------- accumulation allowances (OpSpec.accumulation)
def _prod_terms(inputs, params):
    # A product of n factors rounds n - 1 times: relative error (n - 1) u (no cancellation is possible).  The
    # allowance is (ceil(log2 n) + 2) u M, so M = |prod| (n - 1) / (ceil(log2 n) + 2) makes it (n - 1) u |prod|.
    (x,) = inputs
    n = _reduced(x, params)
    steps = (math.ceil(math.log2(n)) if n > 1 else 0) + 2
    out = np.abs(reductions.prod(x, axis=params.get("axis"), keepdims=params.get("keepdims", False)))
    return n, out * max(n - 1, 0) / steps


def _std_terms(inputs, params):
    # sqrt(v) moves an absolute error e of v by e / (2 sqrt v): var's bound (Σ (|x - m| + |x|)² / dof, see the
    # var entry) over 2 std, plus the rounding of the root itself (u std, inside the + 2).  At std == 0 the bound
    # would be infinite: 0 there (the cases have no constant slice; the special value's is exact).
    (x,) = inputs
    axis, keep = params.get("axis"), params.get("keepdims", False)
    axes = _axes(x, axis)
    spread = np.abs(x - np.mean(x, axis=axes, keepdims=True)) + np.abs(x)
    dof = max(_reduced(x, params) - params["correction"], 1)
    var_bound = np.sum(spread * spread, axis=axes, keepdims=keep) / dof
    s = reductions.std(x, axis=axis, correction=params["correction"], keepdims=keep)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _reduced(x, params), np.where(s > 0, var_bound / (2 * s) + s, 0.0)


def _norm_terms(inputs, params):
    # ord 1: a sum of |x| (no cancellation): Higham's bound with M = the norm.  ord 2: Σ x² has relative error
    # (ceil(log2 n) + 1) u, the root halves it and adds u: within the bound with M = the norm.  ord inf: a
    # maximum of |x| is exact: no allowance.
    (x,) = inputs
    if params.get("ord", 2) == INF:
        return 1, 0.0
    return _reduced(x, params), reductions.vector_norm(x, **params)


def _nansum_terms(inputs, params):
    (x,) = inputs
    clean = np.where(np.isnan(x), 0.0, np.abs(x))
    return _reduced(x, params), np.sum(clean, axis=_axes(x, params.get("axis")), keepdims=params.get("keepdims", False))


def _nanmean_terms(inputs, params):
    # the sum's bound over the count of numbers (the division rounds once more: inside the + 2)
    (x,) = inputs
    terms, total = _nansum_terms(inputs, params)
    count = np.sum(~np.isnan(x), axis=_axes(x, params.get("axis")), keepdims=params.get("keepdims", False))
    return terms, total / np.maximum(count, 1)


# ---------------------------------------------------------------- cases (small: the matrix multiplies them)
PROD_CASES = (
    Case(((3, 4),), {"axis": 1}),
    Case(((2, 3),), {"axis": None}),
    Case(((2, 3, 2),), {"axis": (0, 2), "keepdims": True}),
    Case(((),), {"axis": None}),
)
STD_CASES = (
    Case(((4, 7),), {"axis": 1, "correction": 1}),
    Case(((2, 3, 5),), {"axis": (0, 2), "correction": 0, "keepdims": True}),
    Case(((24,),), {"axis": None, "correction": 1}),
)
NORM_CASES = (
    Case(((4, 7),), {"ord": 2, "axis": 1}),
    Case(((2, 3, 5),), {"ord": 1, "axis": (0, 2), "keepdims": True}),
    Case(((5, 6),), {"ord": INF, "axis": -2}),
    Case(((6,),), {"ord": 2, "axis": None}),
)
NAN_CASES = (
    Case(((4, 7),), {"axis": 1}),
    Case(((2, 3, 5),), {"axis": (0, 2), "keepdims": True}),
    Case(((5, 6),), {"axis": None}),
)


def _reduction(name, cases, specials, **kw) -> OpSpec:
    return OpSpec(name, getattr(reductions, name), "reduction", cases, specials=specials, **kw)


ENTRIES = (
    _reduction(
        "prod",
        PROD_CASES,
        (
            Special("one-zero", ([2.0, 0.0, 3.0],), 0.0, cotangent=1.0, grads=([0.0, 6.0, 0.0],),
                    note="only the zero's gradient is nonzero (the product of the others); prod / x gives 0/0 there"),
            Special("two-zeros", ([0.0, 2.0, 0.0],), 0.0, cotangent=1.0, grads=([0.0, 0.0, 0.0],),
                    note="with two zeros every product of the others holds a zero"),
            Special("inf", ([INF, 2.0, 3.0],), INF, cotangent=1.0, grads=([6.0, INF, INF],),
                    note="the infinite element's gradient is the finite product of the others (prod / x: inf/inf)"),
            Special("inf-times-zero", ([INF, 0.0, 3.0],), NAN, cotangent=1.0, grads=([0.0, INF, NAN],),
                    note="inf * 0 = NaN; the gradients are the products of the others: 0, inf, inf * 0"),
            Special("signed-zero", ([-0.0, 1.0],), -0.0, signed_zero=True, note="-0 * 1 = -0"),
            Special("nan", ([NAN, 2.0],), NAN),
            Special("empty", ([],), 1.0, note="the empty product is 1"),
            Special("float16-overflow", ([256.0, 256.0],), INF, dtypes=("float16",),
                    note="256 * 256 = 65536 is past float16's largest finite value, 65504"),
        ),
        domain="unit",
        accumulation=_prod_terms,
        kinks="smooth (a polynomial); the zeros in the gradient are pinned as special values",
        notes="the gradient is formed from prefix and suffix products, never prod / x.  Sampled with |x| <= 1: a "
        "partial product of larger factors can overflow in one multiplication order and not in another (torch's "
        "CPU prod multiplies float16 in float16: [10] * 5 + [0] gives inf * 0 = NaN where the product is 0), "
        "which says nothing about either; overflow is pinned by the float16-overflow special value",
    ),
    _reduction(
        "std",
        STD_CASES,
        (
            Special("constant", ([2.0, 2.0, 2.0],), 0.0, params={"correction": 1}, cotangent=1.0,
                    grads=([0.0, 0.0, 0.0],), note="(x - mean) / (dof std) is 0/0: 0, as torch's std_backward masks"),
            Special("no-dof", ([5.0],), NAN, params={"correction": 1}, note="sqrt(0 / max(1 - 1, 0)) = sqrt(0/0)"),
            Special("bessel", ([1.0, 2.0, 3.0, 4.0],), math.sqrt(5.0 / 3.0), params={"correction": 1}),
            Special("inf", ([INF, 1.0],), NAN, params={"correction": 0}, note="inf - inf in the centring"),
        ),
        accumulation=_std_terms,
        kinks="not differentiable where the slice is constant (std = 0); pinned as a special value",
        notes="correction has no default: np.std defaults to ddof=0, torch.std to correction=1",
    ),
    _reduction(
        "vector_norm",
        NORM_CASES,
        (
            *(
                Special(f"zero-vector-{o}", ([0.0, 0.0, 0.0],), 0.0, params={"ord": o}, cotangent=1.0,
                        grads=([0.0, 0.0, 0.0],), note="the gradient at the zero vector is 0 (torch masks x / 0)")
                for o in (1, 2, INF)
            ),
            Special("pythagoras", ([3.0, -4.0],), 5.0, params={"ord": 2}, cotangent=1.0, grads=([0.6, -0.8],)),
            Special("ties-inf", ([3.0, -3.0, 1.0],), 3.0, params={"ord": INF}, cotangent=1.0,
                    grads=([0.5, -0.5, 0.0],), note="|x| ties for the maximum: the gradient is split evenly"),
            Special("inf-2", ([3.0, INF, 1.0],), INF, params={"ord": 2}, cotangent=1.0, grads=([0.0, NAN, 0.0],),
                    note="x / norm: 3/inf = 0 and inf/inf = NaN"),
            Special("nan-grad-1", ([3.0, NAN, -1.0],), NAN, params={"ord": 1}, cotangent=1.0,
                    grads=([1.0, NAN, -1.0],), note="sign(NaN) is NaN"),
            Special("overflow", ([3e200, -4e200],), 5e200, params={"ord": 2}, dtypes=("float64",),
                    note="Σ x² = 2.5e401 overflows; the norm does not"),
            Special("float16-overflow", ([300.0, -400.0],), 500.0, params={"ord": 2}, dtypes=("float16",),
                    note="300² overflows float16 (65504); the norm is 500"),
            Special("nan-grad-inf", ([3.0, NAN, 1.0],), NAN, params={"ord": INF}, cotangent=1.0,
                    grads=([0.0, NAN, 0.0],), note="a NaN counts as the maximum (torch's rule), and sign(NaN) is NaN"),
        ),
        domain="nonzero",
        accumulation=_norm_terms,
        kinks="ord 1 is not differentiable at 0, ord inf at ties of |x|: sampled with |x| >= 0.1 (ties: never "
        "drawn); the conventions there are pinned as special values",
        notes="ord 1, 2 and inf (torch.linalg.vector_norm); ord 2 is not rescaled, so it overflows where Σ x² does",
    ),
    _reduction(
        "nansum",
        NAN_CASES,
        (
            Special("nan", ([NAN, 2.0, 3.0],), 5.0, cotangent=1.0, grads=([0.0, 1.0, 1.0],),
                    note="NaN counts as 0 and gets no gradient"),
            Special("all-nan", ([[NAN, NAN], [1.0, 2.0]],), [0.0, 3.0], params={"axis": 1}, cotangent=[1.0, 1.0],
                    grads=([[0.0, 0.0], [1.0, 1.0]],), note="an all-NaN slice sums to zero"),
            Special("inf-minus-inf", ([INF, -INF, NAN],), NAN, note="only NaN inputs are skipped: inf - inf is NaN"),
        ),
        accumulation=_nansum_terms,
        fd_step=1.0,
        fd_step_reason="the op is linear in its input, so central differences are exact at any step",
    ),
    _reduction(
        "nanmean",
        NAN_CASES,
        (
            Special("nan", ([NAN, 2.0, 3.0],), 2.5, cotangent=1.0, grads=([0.0, 0.5, 0.5],),
                    note="the mean of the numbers only; NaN gets no gradient"),
            Special("all-nan", ([[NAN, NAN], [1.0, 3.0]],), [NAN, 2.0], params={"axis": 1}, cotangent=[1.0, 1.0],
                    grads=([[NAN, NAN], [0.5, 0.5]],),
                    note="an all-NaN slice has no numbers: 0/0 = NaN, and its gradient (g / 0) * 0 is NaN too"),
        ),
        accumulation=_nanmean_terms,
        fd_step=1.0,
        fd_step_reason="the op is linear in its input, so central differences are exact at any step",
    ),
)  # fmt: skip
