"""The engine's max_dim, min_dim, median and sort (#14): primitives, each backward beside its forward.

The forward picks, per slice, the index its value comes from (or a permutation, for sort); the backward puts
the cotangent back there.  First order only.
"""

from __future__ import annotations

import numpy as np

from impls.autograd.ops import tensor
from impls.autograd.tensor import make
from reference._checks import normalize_axis


def _first_nan_or(rows, index):
    nan = np.isnan(rows)
    return np.where(nan.any(axis=-1), nan.argmax(axis=-1), index)


def _choosers():
    return {
        "max_dim": lambda rows: _first_nan_or(rows, rows.argmax(axis=-1)),
        "min_dim": lambda rows: _first_nan_or(rows, rows.argmin(axis=-1)),
        # the lower median: the stable sort's position (n - 1) // 2; NaN propagates
        "median": lambda rows: _first_nan_or(
            rows, np.argsort(rows, axis=-1, kind="stable")[..., (rows.shape[-1] - 1) // 2]
        ),
    }


def _no_second_order(name):
    def back(g, cg):
        raise NotImplementedError(f"second-order gradients through {name} are not implemented")

    return back


def _select(name, x, axis, keepdims):
    x = tensor(x)
    axis = normalize_axis(axis, max(x.ndim, 1))
    rows = np.moveaxis(x.data.reshape(1) if x.ndim == 0 else x.data, axis, -1)
    index = _choosers()[name](rows)
    out = np.take_along_axis(rows, index[..., None], axis=-1)
    out = out.reshape(()) if x.ndim == 0 else np.moveaxis(out, -1, axis) if keepdims else out[..., 0]

    def back(g, cg):
        if cg:
            return _no_second_order(name)(g, cg)
        grad = np.zeros_like(rows)
        np.put_along_axis(grad, index[..., None], np.reshape(g, index.shape)[..., None], axis=-1)
        return (grad.reshape(()) if x.ndim == 0 else np.moveaxis(grad, -1, axis),)

    return make(np.array(out, copy=True), (x,), back, name, ())  # not ascontiguousarray: it makes 0-d 1-d


def max_dim(x, axis, keepdims=False):
    """torch.max(x, dim).values: the gradient to the first maximum (or the first NaN)."""
    return _select("max_dim", x, axis, keepdims)


def min_dim(x, axis, keepdims=False):
    """torch.min(x, dim).values: the gradient to the first minimum (or the first NaN)."""
    return _select("min_dim", x, axis, keepdims)


def median(x, axis, keepdims=False):
    """The lower median along ``axis``; the gradient to the index it came from."""
    return _select("median", x, axis, keepdims)


def sort(x, axis=-1):
    """A stable ascending sort, NaN last; the gradient goes back through the permutation."""
    x = tensor(x)
    if x.ndim == 0:
        return make(x.data.copy(), (x,), lambda g, cg: (g,), "sort", ())
    axis = normalize_axis(axis, x.ndim)
    order = np.argsort(x.data, axis=axis, kind="stable")

    def back(g, cg):
        if cg:
            return _no_second_order("sort")(g, cg)
        grad = np.empty_like(g)
        np.put_along_axis(grad, order, g, axis=axis)
        return (grad,)

    return make(np.take_along_axis(x.data, order, axis=axis), (x,), back, "sort", ())


OPS = {"max_dim": max_dim, "min_dim": min_dim, "median": median, "sort": sort}
