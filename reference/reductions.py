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
