"""Catalog entries of the scans (#14): cumsum and cumprod along one axis.  References and VJPs:
:mod:`reference.scans`.

* cumsum: torch's CPU cumsum starts its accumulator at +0.0, so a running sum of -0.0s is +0.0 (IEEE 754 and
  np.cumsum: -0.0; declared in impls/torch_scans.py).
* cumprod: zeros in the gradient (one zero: the elements after it get 0 from every later product; two: the
  gradient before the first zero is what remains), and an infinite element, whose gradient torch computes as
  out / x = inf/inf = NaN (declared).
"""

from __future__ import annotations

import math

import numpy as np

from reference import scans
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan

SCAN_CASES = (
    Case(((4, 7),), {"axis": 1}),
    Case(((3, 2, 5),), {"axis": 0}),
    Case(((6,),), {"axis": -1}),
    Case(((),), {"axis": 0}),
)


def _cumsum_terms(inputs, params):
    # out[k] sums k + 1 terms: Higham's bound with the running sum of |x| (n: the longest of them)
    (x,) = inputs
    if x.ndim == 0:
        return 1, np.abs(x)
    return x.shape[params["axis"]], np.cumsum(np.abs(x), axis=params["axis"])


def _cumprod_terms(inputs, params):
    # out[k] is a product of k + 1 factors, rounded k times: (n - 1) u |out| at most (see prod's allowance)
    (x,) = inputs
    n = 1 if x.ndim == 0 else x.shape[params["axis"]]
    steps = (math.ceil(math.log2(n)) if n > 1 else 0) + 2
    return n, np.abs(scans.cumprod(x, **params)) * max(n - 1, 0) / steps


ENTRIES = (
    OpSpec(
        "cumsum",
        scans.cumsum,
        "scan",
        SCAN_CASES,
        accumulation=_cumsum_terms,
        fd_step=1.0,
        fd_step_reason="the op is linear in its input, so central differences are exact at any step",
        specials=(
            Special("signed-zero", ([-0.0, -0.0],), [-0.0, -0.0], params={"axis": 0}, signed_zero=True,
                    note="-0 + -0 = -0 (IEEE 754)"),
            Special("inf", ([INF, -INF, 1.0],), [INF, NAN, NAN], params={"axis": 0}, note="inf - inf = NaN onwards"),
            Special("gradient", ([1.0, 2.0, 3.0],), [1.0, 3.0, 6.0], params={"axis": 0}, cotangent=[1.0, 2.0, 3.0],
                    grads=([6.0, 5.0, 3.0],), note="x[i] enters every later sum: the reversed running sum of g"),
        ),
    ),
    OpSpec(
        "cumprod",
        scans.cumprod,
        "scan",
        SCAN_CASES,
        domain="unit",
        accumulation=_cumprod_terms,
        kinks="smooth (polynomials); the zeros of its gradient are pinned as special values",
        notes="sampled with |x| <= 1, as prod: a running product of larger factors overflows in one order and not "
        "in another",
        specials=(
            Special("one-zero", ([2.0, 0.0, 3.0],), [2.0, 0.0, 0.0], params={"axis": 0}, cotangent=[1.0, 1.0, 1.0],
                    grads=([1.0, 8.0, 0.0],), note="d/dx0 (2 + 2 x1 + 2 x1 x2) etc.: 1 + x1 + x1 x2, 2 + 2 x2, 2 x1"),
            Special("two-zeros", ([0.0, 2.0, 0.0],), [0.0, 0.0, 0.0], params={"axis": 0}, cotangent=[1.0, 1.0, 1.0],
                    grads=([3.0, 0.0, 0.0],), note="1 + x1 + x1 x2 = 3; every other term holds x0 = 0"),
            Special("inf", ([INF, 2.0, 3.0],), [INF, INF, INF], params={"axis": 0}, cotangent=[1.0, 1.0, 1.0],
                    grads=([9.0, INF, INF],), note="d/dx0 = 1 + x1 + x1 x2 = 9 is finite; out / x is inf/inf"),
            Special("float16-overflow", ([256.0, 256.0],), [256.0, INF], params={"axis": 0}, dtypes=("float16",),
                    note="256 * 256 = 65536 is past float16's largest finite value, 65504"),
        ),
    ),
)  # fmt: skip
