"""Cosine similarity with ``torch.nn.functional.cosine_similarity``'s semantics (torch 2.13, measured) and its VJP
with respect to both inputs.

torch broadcasts the two inputs, then divides each by its own norm clamped at ``eps``:
``sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))`` along ``dim`` -- each norm separately, not the product of the norms
(older releases clamped |x1| |x2| as one, which differs for vectors shorter than sqrt(eps)).  The clamp is done in
place under ``no_grad``, so the gradient still differentiates the *unclamped* norm, d|x|/dx = x / |x| (0 at x = 0):
where a norm is clamped the gradient is not the derivative of the clamped forward (stated by the ``tiny-norm``
special value).
"""

from __future__ import annotations

import numpy as np

from reference._checks import broadcast_shapes, normalize_axis, require_float_array, require_real, require_same_dtype
from reference._op import reference_op, unbroadcast, vjp_of


def _check_cosine_similarity(x1, x2, dim=1, eps=1e-8):
    require_float_array(x1, "x1")
    require_float_array(x2, "x2")
    require_same_dtype((x1, x2), ("x1", "x2"))
    shape = broadcast_shapes(("x1", tuple(x1.shape)), ("x2", tuple(x2.shape)))
    if not shape:
        raise ValueError("x1 and x2 broadcast to a 0-d shape: cosine similarity needs an axis `dim` to sum along")
    normalize_axis(dim, len(shape), "dim")
    require_real(eps, "eps", minimum=0.0)


def vector_norm(x, dim):
    """The 2-norm along ``dim`` (kept) as torch computes it: sqrt(Σ x^2), whose squares overflow and underflow,
    except along an axis of length 1, where it is |x| (torch's reduction of one element never squares it)."""
    if x.shape[dim] == 1:
        return np.abs(x)
    return np.sqrt(np.sum(x * x, axis=dim, keepdims=True))


def _unit(x, dim, eps):
    """x divided by its norm along ``dim`` clamped at eps, the clamped norm, and the norm's gradient x / |x| (0 where
    |x| = 0, as torch's norm backward)."""
    norm = vector_norm(x, dim)
    clamped = np.maximum(norm, eps)
    return x / clamped, clamped, x / np.where(norm == 0, 1.0, norm)


@reference_op(("x1", "x2"), _check_cosine_similarity)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ x1 x2 / (max(|x1|, eps) max(|x2|, eps)) along ``dim``, after broadcasting x1 and x2."""
    x1, x2 = np.broadcast_arrays(x1, x2)
    u, *_ = _unit(x1, dim, eps)
    v, *_ = _unit(x2, dim, eps)
    return np.sum(u * v, axis=dim)


@vjp_of(cosine_similarity)
def cosine_similarity_vjp(g, x1, x2, dim=1, eps=1e-8):
    # with c = max(|x|, eps) and torch's dc/dx = x / |x| (the clamp invisible to the gradient):
    # d cos / d x1 = x2 / (c1 c2) - cos / c1 * x1 / |x1| (and symmetrically): the cosine's derivative where no norm
    # is clamped
    shape1, shape2 = x1.shape, x2.shape
    x1, x2 = np.broadcast_arrays(x1, x2)
    dim = normalize_axis(dim, x1.ndim, "dim")
    u, c1, d1 = _unit(x1, dim, eps)
    v, c2, d2 = _unit(x2, dim, eps)
    cos = np.sum(u * v, axis=dim, keepdims=True)
    g = np.expand_dims(g, dim)
    return (
        unbroadcast(g * (v - cos * d1) / c1, shape1),
        unbroadcast(g * (u - cos * d2) / c2, shape2),
    )
