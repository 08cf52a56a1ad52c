"""Reductions with ``axis``/``keepdims`` (and the softmax family), with VJPs."""

from __future__ import annotations

import builtins
import math

import numpy as np

from reference import _xp
from reference._checks import (
    normalize_axes,
    normalize_axis,
    require_bool,
    require_float_array,
    require_ndim,
    require_real,
)
from reference._op import reference_op, vjp_of


def _check_reduce(x, axis=None, keepdims=False) -> None:
    require_float_array(x, "x")
    normalize_axes(axis, x.ndim)
    require_bool(keepdims, "keepdims")


def _check_nonempty_reduce(x, axis=None, keepdims=False) -> None:
    _check_reduce(x, axis, keepdims)
    axes = normalize_axes(axis, x.ndim)
    if any(x.shape[a] == 0 for a in axes):
        raise ValueError(f"x has shape {tuple(x.shape)}: max/min over an empty axis has no value")


def _check_var(x, axis=None, *, correction, keepdims=False) -> None:
    _check_reduce(x, axis, keepdims)
    require_real(correction, "correction", minimum=0.0)


def _check_softmax(x, axis=-1) -> None:
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=1)
    normalize_axis(axis, x.ndim)


def _keep(g, x, axis, keepdims):
    """Re-insert the reduced axes into ``g`` (a no-op when ``keepdims``)."""
    return g if keepdims else np.expand_dims(g, normalize_axes(axis, x.ndim))


def reduced_count(x, axis) -> int:
    """How many elements of ``x`` each output of a reduction over ``axis`` combines."""
    return math.prod(x.shape[a] for a in normalize_axes(axis, x.ndim))


def _degrees_of_freedom(x, axis, correction):
    # builtins.max: this module's own ``max`` is the reference op.
    return builtins.max(reduced_count(x, axis) - correction, 0)


def _axes(x, axis):
    return normalize_axes(axis, x.ndim)


@reference_op(("x",), _check_reduce)
def sum(x, axis=None, keepdims=False):  # noqa: A001 - the op's name
    """Sum over ``axis`` (None: all axes; (): none).

    The accumulator starts at -0.0, the true additive identity of IEEE 754, so
    that the sum of negative zeros is -0.0 (np.sum and torch.sum start at +0.0).
    """
    return _xp.sum_from_negative_zero(x, _axes(x, axis), keepdims)


@vjp_of(sum)
def sum_vjp(g, x, axis=None, keepdims=False):
    return (_keep(g, x, axis, keepdims),)


@reference_op(("x",), _check_reduce)
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return np.mean(x, axis=_axes(x, axis), keepdims=keepdims)


@vjp_of(mean)
def mean_vjp(g, x, axis=None, keepdims=False):
    return (_keep(g, x, axis, keepdims) / reduced_count(x, axis),)


@reference_op(("x",), _check_var)
def var(x, axis=None, *, correction, keepdims=False):
    """Σ(x - mean)² / max(N - correction, 0).

    ``correction`` has no default on purpose: NumPy's ``var`` defaults to 0
    (ddof=0) and ``torch.var`` to 1, and a reference that picked one would
    hide that difference.
    """
    axes = _axes(x, axis)
    centred = x - np.mean(x, axis=axes, keepdims=True)
    dof = _degrees_of_freedom(x, axis, correction)
    return np.sum(centred * centred, axis=axes, keepdims=keepdims) / dof


@vjp_of(var)
def var_vjp(g, x, axis=None, *, correction, keepdims=False):
    axes = _axes(x, axis)
    centred = x - np.mean(x, axis=axes, keepdims=True)
    dof = _degrees_of_freedom(x, axis, correction)
    return (_keep(g, x, axis, keepdims) * 2.0 * centred / dof,)


def _extremum_vjp(g, x, out, axis, keepdims):
    # Ties split the gradient evenly (torch.amax/amin, HIPS autograd).  Where the
    # extremum is NaN no element equals it: the count is 0 and the gradient is
    # NaN for the whole slice, which is also what torch returns.
    out_k = _keep(out, x, axis, keepdims)
    mask = x == out_k
    count = np.sum(mask, axis=_axes(x, axis), keepdims=True)
    return (mask * (_keep(g, x, axis, keepdims) / count),)


@reference_op(("x",), _check_nonempty_reduce)
def max(x, axis=None, keepdims=False):  # noqa: A001 - the op's name
    """Maximum over ``axis`` (``amax``); NaN propagates."""
    return np.max(x, axis=_axes(x, axis), keepdims=keepdims)


@vjp_of(max)
def max_vjp(g, x, axis=None, keepdims=False):
    return _extremum_vjp(g, x, max(x, axis=axis, keepdims=keepdims), axis, keepdims)


@reference_op(("x",), _check_nonempty_reduce)
def min(x, axis=None, keepdims=False):  # noqa: A001 - the op's name
    """Minimum over ``axis`` (``amin``); NaN propagates."""
    return np.min(x, axis=_axes(x, axis), keepdims=keepdims)


@vjp_of(min)
def min_vjp(g, x, axis=None, keepdims=False):
    return _extremum_vjp(g, x, min(x, axis=axis, keepdims=keepdims), axis, keepdims)


def _logsumexp_keepdims(x, axes):
    # Shift by the maximum, but only by a finite one: with an all -inf slice the
    # naive shift computes -inf - -inf = NaN, while the right answer is -inf.
    m = _xp.max_at_least(x, axes, -np.inf)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m


@reference_op(("x",), _check_reduce)
def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x) over ``axis``, without overflow; -inf for an all -inf slice."""
    out = _logsumexp_keepdims(x, _axes(x, axis))
    return out if keepdims else np.squeeze(out, axis=_axes(x, axis))


@vjp_of(logsumexp)
def logsumexp_vjp(g, x, axis=None, keepdims=False):
    out = _logsumexp_keepdims(x, _axes(x, axis))
    return (_keep(g, x, axis, keepdims) * np.exp(x - out),)


def _softmax(x, axis):
    # max_at_least, not np.max: a size-0 axis has no maximum, and its softmax is simply empty
    shifted = np.exp(x - _xp.max_at_least(x, (normalize_axis(axis, x.ndim),), -np.inf))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


@reference_op(("x",), _check_softmax)
def softmax(x, axis=-1):
    """exp(x) / Σ exp(x) along ``axis``, shifted by the maximum so logits of 1e4 do not overflow."""
    return _softmax(x, axis)


@vjp_of(softmax)
def softmax_vjp(g, x, axis=-1):
    p = _softmax(x, axis)
    return (p * (g - np.sum(g * p, axis=axis, keepdims=True)),)


def _log_softmax(x, axis: int):
    """(x - m) - log Σ exp(x - m) with m the maximum along ``axis``, as torch and JAX: a slice holding +inf is NaN
    throughout (inf - inf at the maximum spreads through the sum), and an all -inf slice is NaN (unlike
    :func:`logsumexp`, which is -inf there: log_softmax is x minus it, -inf - -inf)."""
    m = _xp.max_at_least(x, (axis,), -np.inf)
    shifted = x - np.where(np.isneginf(m), 0.0, m)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@reference_op(("x",), _check_softmax)
def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``."""
    return _log_softmax(x, normalize_axis(axis, x.ndim))


@vjp_of(log_softmax)
def log_softmax_vjp(g, x, axis=-1):
    p = np.exp(_log_softmax(x, normalize_axis(axis, x.ndim)))
    return (g - p * np.sum(g, axis=axis, keepdims=True),)


# ---------------------------------------------------------------- prod, std, vector norms, nansum, nanmean (#14)
# Their catalog entries (cases, special values, tolerances and the backends' disagreements) are in
# reference/catalog_reductions.py.
def _rows_last(x, axes):
    """``x`` with ``axes`` moved last and merged into one axis of ``n`` elements, and the permutation used."""
    kept = [a for a in range(x.ndim) if a not in axes]
    perm = kept + list(axes)
    moved = np.transpose(x, perm)
    n = math.prod(x.shape[a] for a in axes)
    return moved.reshape(tuple(x.shape[a] for a in kept) + (n,)), perm


def _rows_back(rows, x, perm):
    """Undo :func:`_rows_last` for an array of ``rows``' shape: ``x``'s shape and axis order again."""
    moved = rows.reshape(tuple(x.shape[a] for a in perm))
    inverse = [perm.index(i) for i in range(x.ndim)]  # Python ints: a host np.argsort would not pass to CuPy
    return np.transpose(moved, inverse)


def _exclusive_products(rows):
    """For every element of the last axis, the product of all the *other* elements of its row, without a
    division: prefix product times suffix product.  Exact where prod / x is not: at zeros (0/0) and infinities."""
    ones = np.ones_like(rows[..., :1])
    before = np.concatenate([ones, np.cumprod(rows[..., :-1], axis=-1)], axis=-1)
    flipped = np.flip(rows, axis=-1)
    after = np.flip(np.concatenate([ones, np.cumprod(flipped[..., :-1], axis=-1)], axis=-1), axis=-1)
    return before * after


@reference_op(("x",), _check_reduce)
def prod(x, axis=None, keepdims=False):
    """Product over ``axis``; the empty product is 1."""
    return np.prod(x, axis=_axes(x, axis), keepdims=keepdims)


@vjp_of(prod)
def prod_vjp(g, x, axis=None, keepdims=False):
    # d prod / d x_i = the product of the other elements, formed without dividing the product by x_i: with one
    # zero in a slice only that zero's gradient is nonzero, with two every gradient is 0, and an infinite
    # element gets the (finite) product of the others, where prod / x gives 0/0 or inf/inf = NaN.
    axes = _axes(x, axis)
    rows, perm = _rows_last(x, axes)
    others = _rows_back(_exclusive_products(rows), x, perm)
    return (_keep(g, x, axis, keepdims) * others,)


@reference_op(("x",), _check_var)
def std(x, axis=None, *, correction, keepdims=False):
    """sqrt(var(x, correction)): Σ(x - mean)² / max(N - correction, 0), square-rooted.  ``correction`` has no
    default (np.std: ddof=0, torch.std: correction=1), as for :func:`var`."""
    return np.sqrt(var(x, axis=axis, correction=correction, keepdims=keepdims))


@vjp_of(std)
def std_vjp(g, x, axis=None, *, correction, keepdims=False):
    # d std = d var / (2 std) = (x - mean) / (dof * std); where std == 0 (a constant slice) that is 0/0, and the
    # gradient is 0 there, as torch's std_backward masks it (the subgradient of a kink at its minimum).
    axes = _axes(x, axis)
    centred = x - np.mean(x, axis=axes, keepdims=True)
    dof = _degrees_of_freedom(x, axis, correction)
    s = std(x, axis=axis, correction=correction, keepdims=True)
    return (np.where(s == 0, 0.0, _keep(g, x, axis, keepdims) * centred / (dof * s)),)


NORM_ORDERS = (1, 2, math.inf)


def _check_vector_norm(x, ord=2, axis=None, keepdims=False) -> None:  # noqa: A002 - torch's name
    _check_reduce(x, axis, keepdims)
    require_real(ord, "ord")
    if ord not in NORM_ORDERS:
        raise ValueError(f"ord={ord} is not supported: the reference's vector norms are ord = 1, 2 and inf")
    if ord == math.inf:  # a maximum over nothing, as max: torch refuses it too
        _check_nonempty_reduce(x, axis, keepdims)


@reference_op(("x",), _check_vector_norm)
def vector_norm(x, ord=2, axis=None, keepdims=False):  # noqa: A002 - torch's name
    """The vector ``ord``-norm over ``axis`` (``torch.linalg.vector_norm``): Σ|x| (1), sqrt(Σ x²) (2, computed
    scaled by max|x|, so it overflows only where the norm itself does) or max|x| (inf)."""
    axes = _axes(x, axis)
    magnitude = np.abs(x)
    if ord == 1:
        return _xp.sum_from_negative_zero(magnitude, axes, keepdims) + 0.0  # |x| >= +0: the sum is +0 at least
    if ord == 2:
        # scaled by the largest |x| (as LAPACK's nrm2), so that Σ x² overflows only where the norm does: torch's
        # and NumPy's unscaled sqrt(Σ x²) is inf from |x| ~ 1.3e154 in float64 (1.8e19 float32, 256 float16)
        largest = _xp.max_at_least(magnitude, axes, 0.0)
        scale = np.where((largest > 0) & np.isfinite(largest), largest, 1.0)
        scaled = x / scale
        out = scale * np.sqrt(np.sum(scaled * scaled, axis=axes, keepdims=True))
        return out if keepdims else np.squeeze(out, axis=axes)
    return np.max(magnitude, axis=axes, keepdims=keepdims)


@vjp_of(vector_norm)
def vector_norm_vjp(g, x, ord=2, axis=None, keepdims=False):  # noqa: A002 - torch's name
    # ord 1: g sign(x), 0 at 0.  ord 2: g x / norm, 0 where norm == 0 (torch masks the 0/0 of the zero vector).
    # ord inf: the maximum's gradient, split evenly among the elements whose |x| ties for it, a NaN counted as the
    # maximum (torch's rule): g sign(x) mask / count.  sign(NaN) is NaN here; torch's sgn(NaN) is 0.
    g = _keep(g, x, axis, keepdims)
    if ord == 1:
        return (g * np.sign(x),)
    norm = vector_norm(x, ord=ord, axis=axis, keepdims=True)
    if ord == 2:
        return (np.where(norm == 0, 0.0, g * x / norm),)
    mask = (np.abs(x) == norm) | np.isnan(x)
    count = np.sum(mask, axis=_axes(x, axis), keepdims=True)
    return (np.where(mask, g * np.sign(x) / count, 0.0),)


def _without_nan(x):
    return np.where(np.isnan(x), -0.0, x)


@reference_op(("x",), _check_reduce)
def nansum(x, axis=None, keepdims=False):
    """Sum over ``axis`` with NaN counted as zero (an all-NaN slice sums to zero); from -0.0, as :func:`sum`."""
    return _xp.sum_from_negative_zero(_without_nan(x), _axes(x, axis), keepdims)


@vjp_of(nansum)
def nansum_vjp(g, x, axis=None, keepdims=False):
    return (np.where(np.isnan(x), 0.0, _keep(g, x, axis, keepdims)),)


def _count_numbers(x, axis):
    return np.sum(~np.isnan(x), axis=_axes(x, axis), keepdims=True)


@reference_op(("x",), _check_reduce)
def nanmean(x, axis=None, keepdims=False):
    """Mean of the elements that are not NaN over ``axis``; NaN for an all-NaN slice (0/0)."""
    total = nansum(x, axis=axis, keepdims=True)
    out = total / _count_numbers(x, axis)
    return out if keepdims else np.squeeze(out, axis=_axes(x, axis))


@vjp_of(nanmean)
def nanmean_vjp(g, x, axis=None, keepdims=False):
    # g / count at the numbers, 0 at the NaNs; an all-NaN slice has count 0 and its NaN mean a NaN gradient
    # ((g / 0) * 0), which is what torch's nanmean (nansum / count, differentiated) gives too.
    share = _keep(g, x, axis, keepdims) / _count_numbers(x, axis)
    return (share * ~np.isnan(x),)
