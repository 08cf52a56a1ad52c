"""torch's prod, std, vector_norm, nansum and nanmean with the reference's arguments (#14), and where torch
differs from the reference on them (declared; the entries are in ``reference/catalog_reductions.py``).

Imported by :mod:`impls.torch_backend` at module level, so nothing here imports torch: it is passed in.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from impls.declare import Divergence
from reference._checks import normalize_axes

NAN, INF = math.nan, math.inf


def over_axes(torch, fn):
    """Adapt a torch reduction that takes one ``dim`` (torch.prod) to NumPy's ``axis``: None (every axis), an
    int, or a tuple of axes (moved last and merged into one; ``()`` reduces nothing: a new size-1 axis)."""

    def reduce(x, axis, keepdims, **kw):
        dims = normalize_axes(axis, x.ndim)
        kept = [d for d in range(x.ndim) if d not in dims]
        size = math.prod(x.shape[d] for d in dims)
        out = fn(x.permute(tuple(kept) + dims).reshape(*(x.shape[d] for d in kept), size), dim=-1, **kw)
        return out.reshape([1 if d in dims else n for d, n in enumerate(x.shape)]) if keepdims else out

    return reduce


def _quietly(std, x, axis, keepdims, correction):
    """torch.std warns where correction >= N (degrees of freedom <= 0); the catalog asks for exactly that (std's
    no-dof special value), and the value, NaN or inf, is compared like any other."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "std\\(\\): degrees of freedom is <= 0", UserWarning)
        return std(x, axis, keepdims, correction=correction)


def reduction_ops(torch, over_dims) -> dict:
    """The entries of ``reference/catalog_reductions.py`` as torch calls; ``over_dims`` adapts a torch reduction
    taking a tuple ``dim`` to NumPy's ``axis`` (the torch backend's ``_reduction``)."""
    norm = over_dims(lambda x, dim, keepdim, ord: torch.linalg.vector_norm(x, ord, dim, keepdim))
    return {
        "prod": over_axes(torch, torch.prod),
        "std": lambda x, axis, correction, keepdims: _quietly(over_dims(torch.std), x, axis, keepdims, correction),
        "vector_norm": lambda x, ord, axis, keepdims: norm(x, axis, keepdims, ord=ord),
        "nansum": over_dims(torch.nansum),
        "nanmean": over_dims(torch.nanmean),
    }


def _has_nan(inputs, params) -> bool:
    return bool(np.isnan(inputs[0]).any())


def divides_inexactly(x, axes, zeros_help: bool = True) -> bool:
    """Some slice (reduced over ``axes``) has no zero (``zeros_help``: torch's prod takes another path there), and
    its product divided by one of its elements is not that element's gradient: an element or the product is
    infinite, NaN or subnormal (where prod / x loses digits)."""
    tiny = np.finfo(np.float64).tiny
    with np.errstate(all="ignore"):
        out = np.prod(x, axis=axes, keepdims=True)
        odd = ~np.isfinite(x) | ((x != 0) & (np.abs(x) < tiny)) | ~np.isfinite(out) | (np.abs(out) < tiny)
    return bool(np.any(np.any(odd, axis=axes) & ~(zeros_help & np.any(x == 0, axis=axes))))


def _prod_divides_inexactly(inputs, params) -> bool:
    (x,) = inputs
    return divides_inexactly(x, normalize_axes(params.get("axis"), x.ndim))


def _sum_of_squares_leaves_range(inputs, params) -> bool:
    """ord 2 where some x² overflows or underflows (to a subnormal or 0) while x is a normal number's neighbour:
    torch does not rescale, so its norm is inf, or loses digits down to 0 (and its gradient, masked at 0, is 0)."""
    (x,) = inputs
    with np.errstate(over="ignore", under="ignore"):
        squares = x * x
    tiny = np.finfo(np.float64).tiny
    leaves = (np.isinf(squares) & np.isfinite(x)) | ((x != 0) & (np.abs(squares) < tiny))
    return params.get("ord", 2) == 2 and bool(np.any(leaves))


DECLARATIONS = (
    Divergence(
        "prod",
        "torch's prod backward divides the product by x when a slice has no zero: an infinite element gets "
        "inf/inf = NaN where its gradient is the (finite) product of the others, a lone NaN NaN/NaN where it is "
        "the empty product 1, and a subnormal product loses digits ([5e-324, 1.5]: 2, not 1.5)",
        check="special",
        variant="inf",
        returns=INF,
        grads=([NAN, INF, INF],),
        inputs=_prod_divides_inexactly,
    ),
    Divergence(
        "vector_norm",
        "torch's ord-1 backward is g * sgn(x) with sgn(NaN) = 0 (as abs'), so the NaN's gradient is 0",
        check="special",
        variant="nan-grad-1",
        returns=NAN,
        grads=([1.0, 0.0, -1.0],),
        inputs=_has_nan,
    ),
    Divergence(
        "vector_norm",
        "torch's inf-norm backward counts a NaN as the maximum, as the reference, but multiplies by sgn(NaN) = 0",
        check="special",
        variant="nan-grad-inf",
        returns=NAN,
        grads=([0.0, 0.0, 0.0],),
        inputs=_has_nan,
    ),
    Divergence(
        "vector_norm",
        "torch's 2-norm is sqrt(Σ x²) without rescaling: inf once Σ x² overflows (|x| ~ 1.3e154 in float64) "
        "where the norm is finite, and digits lost (down to 0, with a 0 gradient) once x² underflows",
        check="special",
        variant="overflow",
        returns=INF,
        inputs=_sum_of_squares_leaves_range,
    ),
)
