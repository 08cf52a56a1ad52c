"""The engine's max_dim, min_dim, median, sort and topk (#14): primitives, each backward beside its forward; and
the index-valued argmax, argmin, argsort and topk_indices, plain int64 NumPy arrays (no graph node: an index
has no gradient).

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


def _index(name, x, axis, keepdims):
    data = tensor(x).data
    axis = normalize_axis(axis, max(data.ndim, 1))
    index = _choosers()[name](np.moveaxis(data.reshape(1) if data.ndim == 0 else data, axis, -1))
    return index.reshape(()) if data.ndim == 0 else np.expand_dims(index, axis) if keepdims else index


def argmax(x, axis, keepdims=False):
    """torch.argmax(x, dim): the first maximum's index (the first NaN's), an int64 array."""
    return _index("max_dim", x, axis, keepdims)


def argmin(x, axis, keepdims=False):
    """torch.argmin(x, dim): the first minimum's index (the first NaN's), an int64 array."""
    return _index("min_dim", x, axis, keepdims)


def argsort(x, axis=-1):
    """torch.argsort(x, dim, stable=True): ascending, ties in order, NaN last; an int64 array."""
    data = tensor(x).data
    if data.ndim == 0:
        return np.zeros((), dtype=np.int64)
    return np.argsort(data, axis=normalize_axis(axis, data.ndim), kind="stable")


def _topk_positions(data, k, axis, largest):
    """(rows with ``axis`` last, the chosen positions per row): NaN above every number, ties in index order --
    one lexicographic sort on (NaN or not, value), where the reference composes two stable sorts."""
    rows = np.moveaxis(data.reshape(1) if data.ndim == 0 else data, axis, -1)
    nan = np.isnan(rows)
    numbers = np.where(nan, 0.0, rows)
    keys = (-numbers, ~nan) if largest else (numbers, nan)
    return rows, np.lexsort(keys, axis=-1)[..., :k]


def _from_rows(result, ndim, axis):
    return result.reshape(()) if ndim == 0 else np.moveaxis(result, -1, axis)


def topk(x, k, axis=-1, largest=True):
    """torch.topk(x, k, dim, largest, sorted=True).values; the gradient to the index each value came from."""
    x = tensor(x)
    axis = normalize_axis(axis, max(x.ndim, 1))
    rows, chosen = _topk_positions(x.data, k, axis, largest)

    def back(g, cg):
        if cg:
            return _no_second_order("topk")(g, cg)
        grad = np.zeros_like(rows)
        g_rows = np.reshape(g, (1,)) if x.ndim == 0 else np.moveaxis(g, axis, -1)
        np.put_along_axis(grad, chosen, g_rows, axis=-1)
        return (_from_rows(grad, x.ndim, axis),)

    out = _from_rows(np.take_along_axis(rows, chosen, axis=-1), x.ndim, axis)
    return make(np.array(out, copy=True), (x,), back, "topk", ())


def topk_indices(x, k, axis=-1, largest=True):
    """torch.topk(...).indices: an int64 array."""
    data = tensor(x).data
    axis = normalize_axis(axis, max(data.ndim, 1))
    return np.array(_from_rows(_topk_positions(data, k, axis, largest)[1], data.ndim, axis), copy=True)


OPS = {
    "max_dim": max_dim,
    "min_dim": min_dim,
    "median": median,
    "sort": sort,
    "argmax": argmax,
    "argmin": argmin,
    "argsort": argsort,
    "topk": topk,
    "topk_indices": topk_indices,
}
