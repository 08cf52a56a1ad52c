"""Order statistics along one axis, with hand-derived VJPs (#14): max/min along a dimension (one index, the
gradient to it), the lower median, and a stable sort.  Catalog entries: :mod:`reference.catalog_order`.

Each reduces or permutes along one ``axis`` (an int, as torch's ``dim``; a 0-d ``x`` is one element).  The
index each output takes its value from is :func:`source_index` and friends: the gradient goes there and
nowhere else, which is what distinguishes ``max_dim`` (torch.max(x, dim): one index) from ``max`` (torch.amax:
a tie splits the gradient).
"""

from __future__ import annotations

import numpy as np

from reference._checks import normalize_axis, require_bool, require_float_array
from reference._op import reference_op, vjp_of


def _check_select(x, *, axis, keepdims=False) -> None:
    require_float_array(x, "x")
    axis = normalize_axis(axis, max(x.ndim, 1))
    require_bool(keepdims, "keepdims")
    if x.ndim and x.shape[axis] == 0:
        raise ValueError(f"x has shape {tuple(x.shape)}: a selection over an empty axis has no value")


def _check_sort(x, *, axis=-1) -> None:
    require_float_array(x, "x")
    normalize_axis(axis, max(x.ndim, 1))


def _last(x, axis):
    """``x`` with ``axis`` moved last; a 0-d ``x`` as one element."""
    return np.moveaxis(np.reshape(x, (1,)) if x.ndim == 0 else x, normalize_axis(axis, max(x.ndim, 1)), -1)


def _positions(rows):
    """0, 1, ..., n-1 along the last axis, shaped like ``rows`` (no host np.arange: CuPy arrays take it)."""
    return np.cumsum(np.ones_like(rows, dtype=np.int64), axis=-1) - 1


def _first_nan_or(rows, index):
    """``index``, or the first NaN's position where the slice holds one (torch: NaN is the extremum)."""
    nan = np.isnan(rows)
    return np.where(np.any(nan, axis=-1), np.argmax(nan, axis=-1), index)


def _extremum_index(rows, largest: bool):
    # np.argmax/argmin return the first of tied extrema, and a NaN's position when there is one
    return _first_nan_or(rows, np.argmax(rows, axis=-1) if largest else np.argmin(rows, axis=-1))


def _median_index(rows):
    # the lower of the two middle values for an even count (torch; np.median averages them): position
    # (n - 1) // 2 of the stable sort, NaN last; a slice holding NaN gives the NaN (torch.median propagates it)
    order = np.argsort(rows, axis=-1, kind="stable")
    middle = np.take(order, [(rows.shape[-1] - 1) // 2], axis=-1)[..., 0]
    return _first_nan_or(rows, middle)


def _select(x, axis, keepdims, chooser):
    rows = _last(x, axis)
    index = chooser(rows)
    out = np.take_along_axis(rows, index[..., None], axis=-1)[..., 0]
    if x.ndim == 0:
        return np.reshape(out, ())
    return np.expand_dims(out, normalize_axis(axis, x.ndim)) if keepdims else out


def _select_vjp(g, x, axis, keepdims, chooser):
    """The cotangent placed at the one chosen index of every slice, zeros elsewhere."""
    rows = _last(x, axis)
    index = chooser(rows)
    g_rows = np.reshape(g, index.shape)[..., None]
    grad = np.where(_positions(rows) == index[..., None], g_rows, 0.0)
    return np.reshape(grad, ()) if x.ndim == 0 else np.moveaxis(grad, -1, normalize_axis(axis, x.ndim))


@reference_op(("x",), _check_select)
def max_dim(x, *, axis, keepdims=False):
    """The maximum along ``axis`` as ``torch.max(x, dim).values``: NaN propagates; the gradient goes to one index,
    the first maximum (the first NaN where there is one), not split among ties as ``max`` (amax) does."""
    return _select(x, axis, keepdims, lambda rows: _extremum_index(rows, True))


@vjp_of(max_dim)
def max_dim_vjp(g, x, *, axis, keepdims=False):
    return (_select_vjp(g, x, axis, keepdims, lambda rows: _extremum_index(rows, True)),)


@reference_op(("x",), _check_select)
def min_dim(x, *, axis, keepdims=False):
    """The minimum along ``axis`` as ``torch.min(x, dim).values``; the gradient to the first minimum (or NaN)."""
    return _select(x, axis, keepdims, lambda rows: _extremum_index(rows, False))


@vjp_of(min_dim)
def min_dim_vjp(g, x, *, axis, keepdims=False):
    return (_select_vjp(g, x, axis, keepdims, lambda rows: _extremum_index(rows, False)),)


@reference_op(("x",), _check_select)
def median(x, *, axis, keepdims=False):
    """The lower median along ``axis`` as ``torch.median(x, dim).values``: for an even count the lower of the two
    middle values (np.median returns their mean); NaN propagates.  The gradient goes to the one index it came
    from (the stable sort's middle position; where values tie there, torch does not promise which)."""
    return _select(x, axis, keepdims, _median_index)


@vjp_of(median)
def median_vjp(g, x, *, axis, keepdims=False):
    return (_select_vjp(g, x, axis, keepdims, _median_index),)


def _sort_order(x, axis):
    # stable: ties keep their order (torch.sort(stable=True); np.sort's default quicksort promises nothing);
    # NaN sorts last in both; -0.0 and 0.0 are equal, so they keep their order too
    return np.argsort(x, axis=axis, kind="stable")


@reference_op(("x",), _check_sort)
def sort(x, *, axis=-1):
    """``x`` sorted ascending along ``axis``, stably, NaN last (``torch.sort(x, dim, stable=True).values``)."""
    if x.ndim == 0:
        return x.copy()
    return np.take_along_axis(x, _sort_order(x, normalize_axis(axis, x.ndim)), axis=normalize_axis(axis, x.ndim))


@vjp_of(sort)
def sort_vjp(g, x, *, axis=-1):
    # out[i] = x[order[i]]: the gradient of x[j] is g at the position j was sorted to, order's inverse
    if x.ndim == 0:
        return (g,)
    axis = normalize_axis(axis, x.ndim)
    inverse = np.argsort(_sort_order(x, axis), axis=axis)
    return (np.take_along_axis(g, inverse, axis=axis),)
