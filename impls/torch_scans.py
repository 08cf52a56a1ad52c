"""torch's cumsum and cumprod with the reference's arguments (#14), and where torch differs (declared).
Entries: ``reference/catalog_scans.py``.  torch is passed in, never imported here."""

from __future__ import annotations

import math

import numpy as np

from impls.declare import Divergence

NAN, INF = math.nan, math.inf


def scan_ops(torch) -> dict:
    """The entries of ``reference/catalog_scans.py`` as torch calls."""
    return {
        "cumsum": lambda x, axis: torch.cumsum(x, dim=axis),
        "cumprod": lambda x, axis: torch.cumprod(x, dim=axis),
    }


def _all_negative_zeros(inputs, params) -> bool:
    (x,) = inputs
    return x.ndim > 0 and bool(np.any(np.all((x == 0) & np.signbit(x), axis=params["axis"])))


def _infinite_without_zero(inputs, params) -> bool:
    (x,) = inputs
    return x.ndim > 0 and bool(np.any(np.any(np.isinf(x), axis=params["axis"]) & ~np.any(x == 0, axis=params["axis"])))


DECLARATIONS = (
    Divergence(
        "cumsum",
        "torch's CPU cumsum starts its accumulator at +0.0, so a running sum of -0.0s is +0.0 (IEEE 754 and "
        "np.cumsum: -0.0)",
        check="special",
        variant="signed-zero",
        device="cpu",
        returns=[0.0, 0.0],
        inputs=_all_negative_zeros,
    ),
    Divergence(
        "cumprod",
        "torch's cumprod backward divides the output by x where a slice has no zero, so an infinite element gets "
        "inf/inf = NaN where its gradient (1 + x1 + x1 x2 = 9) is finite",
        check="special",
        variant="inf",
        returns=[INF, INF, INF],
        grads=([NAN, INF, INF],),
        inputs=_infinite_without_zero,
    ),
)
