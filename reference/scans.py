"""Scans along one axis, cumsum and cumprod, with hand-derived VJPs (#14).  Catalog entries: catalog_scans.py."""

from __future__ import annotations

import numpy as np

from reference._checks import normalize_axis, require_float_array
from reference._op import reference_op, vjp_of


def _check_scan(x, *, axis) -> None:
    require_float_array(x, "x")
    normalize_axis(axis, max(x.ndim, 1))  # a 0-d x is a scan over its one element, as in torch


def _last(x, axis):
    """``x`` with ``axis`` moved last (a 0-d ``x`` as one element)."""
    return np.moveaxis(np.reshape(x, (1,)) if x.ndim == 0 else x, axis, -1)


def _back(values, x, axis):
    return np.reshape(values, ()) if x.ndim == 0 else np.moveaxis(values, -1, axis)


@reference_op(("x",), _check_scan)
def cumsum(x, *, axis):
    """Running sums along ``axis``: out[k] = x[0] + ... + x[k]."""
    return np.cumsum(x, axis=normalize_axis(axis, max(x.ndim, 1))) if x.ndim else x.copy()


@vjp_of(cumsum)
def cumsum_vjp(g, x, *, axis):
    # x[i] enters every out[k] with k >= i: the gradient is the reversed running sum of g
    axis = normalize_axis(axis, max(x.ndim, 1))
    rows = _last(g, axis)
    return (_back(np.flip(np.cumsum(np.flip(rows, axis=-1), axis=-1), axis=-1), x, axis),)


@reference_op(("x",), _check_scan)
def cumprod(x, *, axis):
    """Running products along ``axis``: out[k] = x[0] * ... * x[k]."""
    return np.cumprod(x, axis=normalize_axis(axis, max(x.ndim, 1))) if x.ndim else x.copy()


@vjp_of(cumprod)
def cumprod_vjp(g, x, *, axis):
    # d out[k] / d x[i] = Π_{j <= k, j != i} x[j] for k >= i, so the gradient of x[i] is
    #   (x[0] ... x[i-1]) * S[i],  S[i] = Σ_{k >= i} g[k] x[i+1] ... x[k] = g[i] + x[i+1] S[i+1]
    # (Horner's rule from the end).  No division by x: exact with zeros (torch's backward divides where a slice
    # has no zero, so an infinite x[i] gets inf/inf = NaN there).
    axis = normalize_axis(axis, max(x.ndim, 1))
    rows, cotangent = _last(x, axis), _last(g, axis)
    n = rows.shape[-1]
    suffix = [cotangent[..., n - 1]] if n else []
    for i in range(n - 2, -1, -1):
        suffix.append(cotangent[..., i] + rows[..., i + 1] * suffix[-1])
    if not n:
        return (np.zeros_like(x),)
    s = np.stack(suffix[::-1], axis=-1)
    ones = np.ones_like(rows[..., :1])
    before = np.concatenate([ones, np.cumprod(rows[..., :-1], axis=-1)], axis=-1)
    return (_back(before * s, x, axis),)
