"""The engine's cumsum and cumprod (#14): primitives, each backward beside its forward (first order only)."""

from __future__ import annotations

import numpy as np

from impls.autograd.ops import tensor
from impls.autograd.tensor import make
from reference._checks import normalize_axis


def _scan(name, x, axis, forward, backward):
    """A scan primitive along ``axis``; a 0-d ``x`` is a scan over its one element (as torch)."""
    x = tensor(x)
    axis = normalize_axis(axis, max(x.ndim, 1))
    data = x.data.reshape(1) if x.ndim == 0 else x.data
    rows = np.moveaxis(data, axis, -1)
    with np.errstate(all="ignore"):
        out = np.moveaxis(forward(rows), -1, axis).reshape(x.shape)

    def back(g, cg):
        if cg:
            raise NotImplementedError(f"second-order gradients through {name} are not implemented")
        g_rows = np.moveaxis(g.reshape(data.shape), axis, -1)
        with np.errstate(all="ignore"):
            return (np.moveaxis(backward(g_rows, rows), -1, axis).reshape(x.shape).astype(x.dtype),)

    return make(np.asarray(out, dtype=x.dtype), (x,), back, name, ())


def cumsum(x, axis):
    """Running sums; the gradient is the reversed running sum of the cotangent."""
    return _scan(
        "cumsum", x, axis, lambda r: np.cumsum(r, axis=-1), lambda g, r: np.cumsum(g[..., ::-1], -1)[..., ::-1]
    )


def _cumprod_back(g, rows):
    # x[i]'s gradient: (x[0] ... x[i-1]) * Σ_{k >= i} g[k] x[i+1] ... x[k], the sum by Horner's rule from the end
    total = np.zeros_like(g)
    carry = np.zeros_like(g[..., 0]) if g.shape[-1] else None
    for i in range(g.shape[-1] - 1, -1, -1):
        carry = g[..., i] if i == g.shape[-1] - 1 else g[..., i] + rows[..., i + 1] * carry
        total[..., i] = carry
    before = np.ones_like(rows)
    before[..., 1:] = np.cumprod(rows[..., :-1], axis=-1)
    return before * total


def cumprod(x, axis):
    """Running products; the gradient without dividing by x (exact with zeros and infinities)."""
    return _scan("cumprod", x, axis, lambda r: np.cumprod(r, axis=-1), _cumprod_back)


OPS = {"cumsum": cumsum, "cumprod": cumprod}
