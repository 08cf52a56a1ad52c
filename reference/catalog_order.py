"""Catalog entries of the order statistics (#14): max_dim, min_dim, median, sort.  References and VJPs:
:mod:`reference.order`.

* max_dim / min_dim (torch.max(x, dim).values) against max / min (torch.amax): a tie sends the whole gradient to
  one index, the first, where amax splits it; a NaN is the extremum, and the first NaN gets the gradient.
* median: the lower of the two middle values for an even count (torch.median; np.median averages them, so the
  numpy function is not this entry); NaN propagates and gets the gradient.  Where values tie at the middle,
  torch does not promise which index it returns: no special value states it, and the cases have no ties.
* sort: stable (ties keep their order, and -0.0 / 0.0 are ties), NaN last, as torch.sort(stable=True) and
  np.sort(kind="stable"); the gradient follows the permutation, so which tied element gets which cotangent is
  decided by stability (torch's default stable=False and NumPy's default quicksort promise nothing).
* topk (torch.topk(x, k, dim, largest, sorted=True).values): a NaN is larger than every number, for largest=True
  and False alike (torch orders topk as its sort; pytorch/pytorch#16762); the values are determined even at ties,
  their gradient goes to the index each came from, which at a tie torch does not promise: sampled without ties.
  sorted=False is not an entry: torch then promises no order at all.

Index-valued results (int64, compared exactly in every float column; no gradient: ``reference._op.no_gradient``):

* argmax / argmin (torch.argmax(x, dim), np.argmax): the first of tied extrema; NaN is the maximum for argmax and
  the minimum for argmin, so a slice holding NaN gives its first NaN's index in both libraries.
* argsort (torch.argsort(x, dim, stable=True), np.argsort(kind="stable")): ties (and -0.0 / 0.0) keep their
  order, NaN last, so the permutation is determined.
* topk_indices (torch.topk(...).indices): where values tie, torch returns any of the tied indices in any order
  (torch.topk([2, 2, 2, 1], 2) gives 1, 2 on this machine; the reference takes 0, 1).  What is determined is
  compared: both sides in the canonical form of ``order.canonical_topk_indices`` (``OpSpec.ties``): each index
  pointing at the right value, no index repeated; which tied position it is, is not compared.
"""

from __future__ import annotations

import math

from reference import order
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan

SELECT_CASES = (
    Case(((4, 7),), {"axis": 1}),
    Case(((3, 2, 5),), {"axis": 0, "keepdims": True}),
    Case(((2, 6),), {"axis": -1}),
    Case(((),), {"axis": 0}),
)
SORT_CASES = (
    Case(((4, 7),), {"axis": 1}),
    Case(((3, 2, 5),), {"axis": 0}),
    Case(((6,),), {"axis": -1}),
    Case(((),), {"axis": 0}),
)
ONE_INDEX = "not differentiable at ties; sampled without ties, the gradient to one index is pinned at a tie"
TOPK_CASES = (
    Case(((4, 7),), {"k": 3, "axis": 1, "largest": True}),
    Case(((3, 2, 5),), {"k": 2, "axis": 0, "largest": False}),
    Case(((6,),), {"k": 6, "axis": -1, "largest": True}),
    Case(((2, 3),), {"k": 0, "axis": 1, "largest": True}),
    Case(((),), {"k": 1, "axis": 0, "largest": False}),
)
NAN_ROW = [1.0, NAN, 3.0, NAN, 2.0]


def _index_entry(name, cases, specials, notes=""):
    """An index-valued entry: int64 results compared exactly in the float columns, no gradient."""
    return OpSpec(name, getattr(order, name), "order", cases, domain="no_ties", specials=specials, notes=notes)


def _topk_special(label, inputs, k, largest, expected, note, **grads):
    return Special(label, (inputs,), expected, params={"k": k, "axis": 0, "largest": largest}, note=note, **grads)


ENTRIES = (
    OpSpec(
        "max_dim",
        order.max_dim,
        "order",
        SELECT_CASES,
        domain="no_ties",
        kinks=ONE_INDEX,
        specials=(
            Special("ties", ([3.0, 1.0, 3.0],), 3.0, params={"axis": 0}, cotangent=2.0, grads=([2.0, 0.0, 0.0],),
                    note="the whole gradient to the first maximum (max, i.e. amax, splits it: 1, 0, 1)"),
            Special("nan", ([1.0, NAN, 3.0, NAN],), NAN, params={"axis": 0}, cotangent=2.0,
                    grads=([0.0, 2.0, 0.0, 0.0],), note="NaN is the maximum: it propagates, the first NaN gets g"),
        ),
    ),
    OpSpec(
        "min_dim",
        order.min_dim,
        "order",
        SELECT_CASES,
        domain="no_ties",
        kinks=ONE_INDEX,
        specials=(
            Special("ties", ([1.0, 4.0, 1.0],), 1.0, params={"axis": 0}, cotangent=2.0, grads=([2.0, 0.0, 0.0],),
                    note="the whole gradient to the first minimum (min, i.e. amin, splits it)"),
            Special("nan", ([1.0, NAN, -3.0, NAN],), NAN, params={"axis": 0}, cotangent=2.0,
                    grads=([0.0, 2.0, 0.0, 0.0],), note="NaN is the minimum: it propagates, the first NaN gets g"),
        ),
    ),
    OpSpec(
        "median",
        order.median,
        "order",
        SELECT_CASES,
        domain="no_ties",
        kinks=ONE_INDEX,
        specials=(
            Special("even", ([4.0, 1.0, 3.0, 2.0],), 2.0, params={"axis": 0}, cotangent=1.0,
                    grads=([0.0, 0.0, 0.0, 1.0],), note="the lower of the middle values 2 and 3 (np.median: 2.5)"),
            Special("odd", ([3.0, 1.0, 2.0],), 2.0, params={"axis": 0}, cotangent=1.0, grads=([0.0, 0.0, 1.0],)),
            Special("nan", ([2.0, NAN, 1.0],), NAN, params={"axis": 0}, cotangent=1.0, grads=([0.0, 1.0, 0.0],),
                    note="NaN propagates (np.nanmedian and torch.nanmedian would skip it) and gets the gradient"),
        ),
    ),
    OpSpec(
        "sort",
        order.sort,
        "order",
        SORT_CASES,
        domain="no_ties",
        kinks="not differentiable at ties; sampled without ties, the stable assignment of tied gradients is pinned",
        specials=(
            Special("nan-last", ([1.0, NAN, -INF, 0.0, INF],), [-INF, 0.0, 1.0, INF, NAN], params={"axis": 0},
                    note="NaN sorts after +inf"),
            Special("signed-zero", ([0.0, -0.0, -0.0, 0.0],), [0.0, -0.0, -0.0, 0.0], params={"axis": 0},
                    signed_zero=True, note="-0.0 and 0.0 are equal: a stable sort keeps their order"),
            Special("ties-grad", ([2.0, 1.0, 2.0],), [1.0, 2.0, 2.0], params={"axis": 0}, cotangent=[10.0, 20.0, 30.0],
                    grads=([20.0, 10.0, 30.0],), note="stable: the first 2 takes the first tied position's gradient"),
        ),
    ),
    OpSpec(
        "topk",
        order.topk,
        "order",
        TOPK_CASES,
        domain="no_ties",
        kinks="not differentiable at ties (which tied index gets the gradient is not promised): sampled without ties",
        specials=(
            _topk_special("nan-largest", NAN_ROW, 3, True, [NAN, NAN, 3.0], "NaN is larger than every number"),
            _topk_special("nan-smallest", NAN_ROW, 5, False, [1.0, 2.0, 3.0, NAN, NAN],
                          "still larger with largest=False: the NaNs come last"),
            _topk_special("ties", [2.0, 2.0, 2.0, 1.0], 2, True, [2.0, 2.0], "the values are determined at a tie"),
            _topk_special("signed-zero", [-0.0, 1.0, 0.0], 3, False, [-0.0, 0.0, 1.0],
                          "-0.0 and 0.0 tie: either order is a correct answer, so the sign of zero is not compared"),
            _topk_special("grad", [1.0, 4.0, 3.0, 2.0], 2, True, [4.0, 3.0],
                          "the cotangent goes to the chosen indices 1 and 2, zeros elsewhere", cotangent=[10.0, 20.0],
                          grads=([0.0, 10.0, 20.0, 0.0],)),
            _topk_special("inf", [-INF, 0.5, INF], 2, False, [-INF, 0.5], "infinities are ordinary extremes"),
        ),
        notes="sorted=True only: with sorted=False torch promises no order (the reference has no such parameter)",
    ),
    _index_entry(
        "argmax",
        SELECT_CASES,
        (
            Special("ties", ([3.0, 1.0, 3.0],), 0, params={"axis": 0}, note="the first of tied maxima"),
            Special("nan", ([1.0, NAN, 3.0, NAN],), 1, params={"axis": 0}, note="NaN is the maximum: the first NaN"),
            Special("signed-zero", ([-0.0, 0.0, -1.0],), 0, params={"axis": 0},
                    note="-0.0 and 0.0 are equal: the first of them"),
            Special("inf", ([[-INF, INF, INF], [-INF, -INF, -2.0]],), [1, 2], params={"axis": 1},
                    note="+inf is an ordinary maximum (the first of two); -inf loses to any number"),
        ),
    ),
    _index_entry(
        "argmin",
        SELECT_CASES,
        (
            Special("ties", ([1.0, 4.0, 1.0],), 0, params={"axis": 0}, note="the first of tied minima"),
            Special("nan", ([1.0, NAN, -3.0, NAN],), 1, params={"axis": 0},
                    note="NaN is the minimum too (as torch.min and np.min propagate it): the first NaN"),
            Special("signed-zero", ([0.0, -0.0, 1.0],), 0, params={"axis": 0},
                    note="-0.0 and 0.0 are equal: the first of them"),
            Special("inf", ([[INF, -INF, -INF], [INF, INF, 2.0]],), [1, 2], params={"axis": 1},
                    note="-inf is an ordinary minimum (the first of two)"),
        ),
    ),
    _index_entry(
        "argsort",
        SORT_CASES,
        (
            Special("nan-last", ([1.0, NAN, -INF, 0.0, INF],), [2, 3, 0, 4, 1], params={"axis": 0},
                    note="NaN sorts after +inf"),
            Special("signed-zero", ([0.0, -0.0, -0.0, 0.0],), [0, 1, 2, 3], params={"axis": 0},
                    note="-0.0 and 0.0 are equal: a stable sort keeps their order"),
            Special("ties", ([[2.0, 1.0, 2.0, 1.0]],), [[1, 3, 0, 2]], params={"axis": 1},
                    note="stable: equal values in their original order"),
        ),
        notes="stable=True (torch's default stable=False and NumPy's default quicksort may order ties either way)",
    ),
    OpSpec(
        "topk_indices",
        order.topk_indices,
        "order",
        TOPK_CASES,
        domain="no_ties",
        ties=order.canonical_topk_indices,
        specials=(
            _topk_special("nan-largest", NAN_ROW, 3, True, [1, 3, 2], "the NaNs first, in either order"),
            _topk_special("nan-smallest", NAN_ROW, 5, False, [0, 4, 2, 1, 3], "the NaNs last, in either order"),
            _topk_special("ties", [2.0, 2.0, 2.0, 1.0], 2, True, [0, 1],
                          "any two of the three 2s are correct (torch gives 1, 2 on this machine): compared as "
                          "indices of the value 2, distinct"),
            _topk_special("order", [1.0, 4.0, 3.0, 2.0], 3, False, [0, 3, 2], "the smallest first"),
        ),
        notes="compared in the canonical form of order.canonical_topk_indices (module doc): where values tie, which "
        "tied index is returned is not promised by torch",
    ),
)  # fmt: skip
