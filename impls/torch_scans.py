"""torch's cumsum and cumprod with the reference's arguments (#14), and where torch differs (declared).
Entries: ``reference/catalog_scans.py``.  torch is passed in, never imported here."""

from __future__ import annotations

import math

import numpy as np

from impls.declare import Divergence
from impls.torch_reductions import divides_inexactly

NAN, INF = math.nan, math.inf


def scan_ops(torch) -> dict:
    """The entries of ``reference/catalog_scans.py`` as torch calls."""
    return {
        "cumsum": lambda x, axis: torch.cumsum(x, dim=axis),
        "cumprod": lambda x, axis: torch.cumprod(x, dim=axis),
    }


def _starts_with_negative_zero(inputs, params) -> bool:
    """Some slice starts with -0.0, so its first running sum (at least) is -0.0, which torch gives as +0.0."""
    (x,) = inputs
    if x.ndim == 0:
        return False
    first = np.take(x, 0, axis=params["axis"]) if x.shape[params["axis"]] else np.ones(1)
    return bool(np.any((first == 0) & np.signbit(first)))


def _cumprod_divides_inexactly(inputs, params) -> bool:
    (x,) = inputs
    return x.ndim > 0 and divides_inexactly(x, (params["axis"] % x.ndim,), zeros_help=False)


DECLARATIONS = (
    Divergence(
        "cumsum",
        "torch's CPU cumsum starts its accumulator at +0.0, so a running sum of -0.0s (from the first element "
        "on) is +0.0 (IEEE 754 and np.cumsum: -0.0)",
        check="special",
        variant="signed-zero",
        device="cpu",
        returns=[0.0, 0.0],
        inputs=_starts_with_negative_zero,
    ),
    Divergence(
        "cumprod",
        "torch's cumprod backward divides the output by x (before a slice's first zero too), so an infinite "
        "element gets inf/inf = NaN where its gradient (1 + x1 + x1 x2 = 9) is finite (and loses digits at "
        "subnormals)",
        check="special",
        variant="inf",
        returns=[INF, INF, INF],
        grads=([NAN, INF, INF],),
        inputs=_cumprod_divides_inexactly,
    ),
)
