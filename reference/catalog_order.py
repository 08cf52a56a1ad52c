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
)  # fmt: skip
