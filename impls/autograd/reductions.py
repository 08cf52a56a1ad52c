"""The engine's prod, std, vector_norm, nansum and nanmean (#14): primitives, each backward beside its forward.

Each is a primitive rather than a composition because a composition would differentiate through a 0/0: the
product's gradient as prod / x at a zero, sqrt's at a constant slice (std) or the zero vector (2-norm), a
NaN's share of the mask (nansum, nanmean).  First order only: ``create_graph`` through them raises.
"""

from __future__ import annotations

import math

import numpy as np

from impls.autograd.ops import tensor
from impls.autograd.tensor import make
from reference._checks import normalize_axes


def _first_order(name, backward):
    def back(g, cg):
        if cg:
            raise NotImplementedError(f"second-order gradients through {name} are not implemented")
        with np.errstate(all="ignore"):
            return (backward(g),)

    return back


def _expand(g, shape, axes, keepdims):
    """The cotangent with the reduced axes back (size 1), ready to broadcast against the input."""
    return g if keepdims else np.reshape(g, [1 if i in axes else n for i, n in enumerate(shape)])


def _reduce(name, x, axis, keepdims, forward, backward):
    """A reduction primitive: ``forward(data, axes)`` keeps dims; ``backward(g_kept, data, out_kept, axes)``."""
    x = tensor(x)
    axes = normalize_axes(axis, x.ndim)
    with np.errstate(all="ignore"):
        out_kept = np.asarray(forward(x.data, axes), dtype=x.dtype)
    out = out_kept if keepdims else np.squeeze(out_kept, axis=axes)

    def grad(g):
        return np.asarray(backward(_expand(g, x.shape, axes, keepdims), x.data, out_kept, axes), dtype=x.dtype)

    return make(np.asarray(out, dtype=x.dtype), (x,), _first_order(name, grad), name, ())


# ---------------------------------------------------------------- prod
def _others_product(data, axes):
    """The product of every other element of each element's slice: prefix times suffix products (no division)."""
    kept = [a for a in range(data.ndim) if a not in axes]
    perm = kept + list(axes)
    rows = np.transpose(data, perm).reshape([data.shape[a] for a in kept] + [math.prod(data.shape[a] for a in axes)])
    ones = np.ones_like(rows[..., :1])
    before = np.concatenate([ones, np.cumprod(rows[..., :-1], axis=-1)], axis=-1)
    after = np.concatenate([np.cumprod(rows[..., :0:-1], axis=-1)[..., ::-1], ones], axis=-1)
    others = (before * after).reshape([data.shape[a] for a in perm])
    return np.transpose(others, np.argsort(perm))


def prod(x, axis=None, keepdims=False):
    """Product over ``axis``; the gradient is the product of the other elements (exact at zeros and infinities)."""
    return _reduce(
        "prod",
        x,
        axis,
        keepdims,
        lambda d, axes: np.prod(d, axis=axes, keepdims=True),
        lambda g, d, out, axes: g * _others_product(d, axes),
    )


# ---------------------------------------------------------------- std
def _dof(shape, axes, correction):
    return max(math.prod(shape[a] for a in axes) - correction, 0)


def std(x, axis=None, *, correction, keepdims=False):
    """sqrt(Σ(x - mean)² / max(N - correction, 0)); the gradient (x - mean) / (dof std) is 0 where std is 0."""

    def forward(d, axes):
        centred = d - np.mean(d, axis=axes, keepdims=True)
        return np.sqrt(np.sum(centred * centred, axis=axes, keepdims=True) / _dof(d.shape, axes, correction))

    def backward(g, d, out, axes):
        centred = d - np.mean(d, axis=axes, keepdims=True)
        return np.where(out == 0, 0.0, g * centred / (_dof(d.shape, axes, correction) * out))

    return _reduce("std", x, axis, keepdims, forward, backward)


# ---------------------------------------------------------------- vector norms
def _norm(d, axes, order):
    magnitude = np.abs(d)
    if order == 1:
        return np.sum(magnitude, axis=axes, keepdims=True)
    largest = np.max(magnitude, axis=axes, keepdims=True, initial=0.0)
    if order == math.inf:
        return largest
    scale = np.where((largest > 0) & np.isfinite(largest), largest, 1.0).astype(d.dtype)
    return scale * np.sqrt(np.sum(np.square(d / scale), axis=axes, keepdims=True))


def _norm_back(g, d, out, axes, order):
    if order == 1:
        return g * np.sign(d)
    if order == 2:
        return np.where(out == 0, 0.0, g * d / out)
    winners = (np.abs(d) == out) | np.isnan(d)  # ties share the gradient; a NaN is the maximum
    return np.where(winners, g * np.sign(d) / np.sum(winners, axis=axes, keepdims=True), 0.0)


def vector_norm(x, ord=2, axis=None, keepdims=False):  # noqa: A002 - torch's name
    """The ``ord``-norm (1, 2 or inf) over ``axis``; 2 rescaled by max|x| so that it overflows only with the norm."""
    return _reduce(
        "vector_norm",
        x,
        axis,
        keepdims,
        lambda d, axes: _norm(d, axes, ord),
        lambda g, d, out, axes: _norm_back(g, d, out, axes, ord),
    )


# ---------------------------------------------------------------- NaN-skipping sums and means
def _numbers(d, axes):
    return np.sum(~np.isnan(d), axis=axes, keepdims=True)


def nansum(x, axis=None, keepdims=False):
    """Sum with NaN as absent (from -0.0, as the engine's sum); NaN gets no gradient."""
    return _reduce(
        "nansum",
        x,
        axis,
        keepdims,
        lambda d, axes: np.add.reduce(np.where(np.isnan(d), -0.0, d), axis=axes, keepdims=True, initial=-0.0),
        lambda g, d, out, axes: np.where(np.isnan(d), 0.0, g),
    )


def nanmean(x, axis=None, keepdims=False):
    """Mean of the numbers; an all-NaN slice is 0/0 = NaN, and so is its gradient, (g / 0) * 0."""
    return _reduce(
        "nanmean",
        x,
        axis,
        keepdims,
        lambda d, axes: (
            np.add.reduce(np.where(np.isnan(d), -0.0, d), axis=axes, keepdims=True, initial=-0.0) / _numbers(d, axes)
        ),
        lambda g, d, out, axes: g / _numbers(d, axes) * ~np.isnan(d),
    )


OPS = {"prod": prod, "std": std, "vector_norm": vector_norm, "nansum": nansum, "nanmean": nanmean}
