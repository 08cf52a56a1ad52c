"""Order statistics along one axis, with hand-derived VJPs (#14): max/min along a dimension (one index, the
gradient to it), the lower median, a stable sort, the k largest (or smallest); and the index-valued results
argmax, argmin, argsort and topk's indices (int64, compared exactly, no gradient).  Catalog entries:
:mod:`reference.catalog_order`.

Each reduces or permutes along one ``axis`` (an int, as torch's ``dim``; a 0-d ``x`` is one element).  The
index each output takes its value from is :func:`source_index` and friends: the gradient goes there and
nowhere else, which is what distinguishes ``max_dim`` (torch.max(x, dim): one index) from ``max`` (torch.amax:
a tie splits the gradient).
"""

from __future__ import annotations

import numpy as np

from reference._checks import normalize_axis, require_bool, require_float_array, require_int
from reference._op import no_gradient, reference_op, vjp_of


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


# ---------------------------------------------------------------- index-valued results (int64, no gradient)
INDEX_RESULT = "its result is an index (int64), piecewise constant in x: there is no gradient"


def _int64(*inputs):
    return np.dtype(np.int64)


def _index_op(validate):
    """An index-valued entry: every input ``nondiff``, an int64 result, a VJP that says there is none."""

    def decorate(fn):
        return no_gradient(reference_op(("x",), validate, ("x",), _int64)(fn), reason=INDEX_RESULT)

    return decorate


def _index_along(x, axis, keepdims, chooser):
    index = chooser(_last(x, axis))
    if x.ndim == 0:
        return np.reshape(index, ())
    return np.expand_dims(index, normalize_axis(axis, x.ndim)) if keepdims else index


@_index_op(_check_select)
def argmax(x, *, axis, keepdims=False):
    """The index of the maximum along ``axis`` (``torch.argmax(x, dim)``, ``np.argmax``): the first of tied maxima;
    a NaN is the maximum, so a slice holding NaN gives its first NaN's index (both libraries)."""
    return _index_along(x, axis, keepdims, lambda rows: _extremum_index(rows, True))


@_index_op(_check_select)
def argmin(x, *, axis, keepdims=False):
    """The index of the minimum along ``axis`` (``torch.argmin(x, dim)``, ``np.argmin``): the first of tied minima;
    a NaN is the minimum too, so a slice holding NaN gives its first NaN's index."""
    return _index_along(x, axis, keepdims, lambda rows: _extremum_index(rows, False))


@_index_op(_check_sort)
def argsort(x, *, axis=-1):
    """The permutation that sorts ``x`` ascending along ``axis``, stably (ties, -0.0 and 0.0 included, keep their
    order), NaN last: ``torch.argsort(x, dim, stable=True)``, ``np.argsort(kind="stable")``."""
    if x.ndim == 0:
        return np.zeros_like(x, dtype=np.int64)
    return _sort_order(x, normalize_axis(axis, x.ndim))


# ---------------------------------------------------------------- topk
def _check_topk(x, *, k, axis=-1, largest=True) -> None:
    require_float_array(x, "x")
    axis = normalize_axis(axis, max(x.ndim, 1))
    k = require_int(k, "k")
    require_bool(largest, "largest")
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise ValueError(f"k={k} is out of range: x has {n} element(s) along axis {axis}")
    if x.ndim == 0 and k == 0:
        raise ValueError("k=0 of a 0-d x is not supported: torch returns a 0-d result (one element) for no elements")


def _topk_order(rows, k, largest):
    """The positions of the k largest (smallest) elements of each row, in order: a NaN is larger than everything
    (first for largest, last for smallest: torch.topk as torch.sort); ties in index order."""
    if largest:
        descending = np.argsort(-rows, axis=-1, kind="stable")  # NaN last here: move it first, stably
        is_number = ~np.isnan(np.take_along_axis(rows, descending, axis=-1))
        order = np.take_along_axis(descending, np.argsort(is_number, axis=-1, kind="stable"), axis=-1)
    else:
        order = np.argsort(rows, axis=-1, kind="stable")
    return order[..., :k]


def _along(result, x, axis):
    """A per-row result (last axis k) back in ``x``'s layout: 0-d for a 0-d ``x``."""
    return np.reshape(result, ()) if x.ndim == 0 else np.moveaxis(result, -1, normalize_axis(axis, x.ndim))


@reference_op(("x",), _check_topk)
def topk(x, *, k, axis=-1, largest=True):
    """The k largest (``largest=False``: smallest) values along ``axis``, sorted (largest first, or smallest first):
    ``torch.topk(x, k, dim, largest, sorted=True).values``; NaN counts as larger than every number.  The gradient
    goes to the index each value came from."""
    rows = _last(x, axis)
    return _along(np.take_along_axis(rows, _topk_order(rows, k, largest), axis=-1), x, axis)


@vjp_of(topk)
def topk_vjp(g, x, *, k, axis=-1, largest=True):
    # the cotangent scattered to the chosen positions (distinct, so nothing accumulates), zeros elsewhere
    rows = _last(x, axis)
    order = _topk_order(rows, k, largest)
    g_rows = _last(g, axis) if x.ndim else np.reshape(g, (1,))[:k]
    chosen = order[..., :, None] == _positions(rows)[..., None, :]
    return (_along(np.sum(np.where(chosen, g_rows[..., :, None], 0.0), axis=-2), x, axis),)


@_index_op(_check_topk)
def topk_indices(x, *, k, axis=-1, largest=True):
    """The indices of ``topk``'s values (``torch.topk(...).indices``, int64).  Where values tie, which of the tied
    indices is taken (and in which order) is not promised: compare with :func:`canonical_topk_indices`."""
    return _along(_topk_order(_last(x, axis), k, largest), x, axis)


def canonical_topk_indices(out, x, *, k, axis=-1, largest=True):
    """``out`` (topk's indices of ``x``, any implementation's) in a form every correct answer shares: the j-th
    index becomes the position of the r-th occurrence of its value in its row, r counting the earlier indices
    at an equal value (NaN equals NaN, -0.0 equals 0.0 here).  Correct answers differ only in which tied
    positions they take, so they map to the same form; an index at another value maps elsewhere, and a row with
    a repeated or out-of-range index maps to -1.  NumPy only (the harness compares NumPy arrays)."""
    x, out = np.asarray(x), np.asarray(out)
    rows = _last(x, axis)
    picked = np.asarray(_last(out, axis) if x.ndim else np.reshape(out, (1,)), dtype=np.int64)
    result = np.full(picked.shape, -1, dtype=np.int64)
    n = rows.shape[-1]
    for where in np.ndindex(picked.shape[:-1]):
        row, chosen = rows[where], picked[where].tolist()
        if len(set(chosen)) != len(chosen) or any(not 0 <= i < n for i in chosen):
            continue
        keys = ["nan" if np.isnan(v) else float(v) for v in row.tolist()]
        seen: dict = {}
        for j, i in enumerate(chosen):
            r = seen[keys[i]] = seen.get(keys[i], -1) + 1
            result[where + (j,)] = [p for p, key in enumerate(keys) if key == keys[i]][r]
    return _along(result, x, axis)
