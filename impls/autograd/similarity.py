"""Cosine similarity for the autograd engine: the norm and torch's in-place clamp are primitives (each backward
beside its forward), the rest the engine's arithmetic."""

from __future__ import annotations

import numpy as np

from impls.autograd import ops
from impls.autograd.ops import Tensor, make, tensor
from reference import similarity as ref_similarity
from reference._checks import normalize_axis


def norm(x, dim) -> Tensor:
    """The 2-norm along ``dim`` (kept), as the reference computes it; backward g x / |x|, 0 where |x| = 0 (torch's
    norm backward)."""
    x = tensor(x)
    data = ref_similarity.vector_norm(x.data, dim)
    safe = np.where(data == 0, 1.0, data).astype(x.dtype)
    return make(data, (x,), lambda g, cg: (g * (x if cg else x.data) / safe,), "norm")


def clamp_min_value_only(x, floor: float) -> Tensor:
    """max(x, floor) whose gradient passes unchanged: torch clamps the norms of cosine_similarity in place under
    no_grad, so autograd never sees the clamp."""
    x = tensor(x)
    return make(np.maximum(x.data, floor).astype(x.dtype), (x,), lambda g, cg: (g,), "clamp_value_only", ())


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ x1 / max(|x1|, eps) * x2 / max(|x2|, eps) along ``dim``, after broadcasting."""
    x1, x2 = tensor(x1), tensor(x2)
    shape = np.broadcast_shapes(x1.shape, x2.shape)
    x1, x2 = ops.broadcast_to(x1, shape), ops.broadcast_to(x2, shape)
    dim = normalize_axis(dim, len(shape), "dim")
    u = x1 / clamp_min_value_only(norm(x1, dim), eps)
    v = x2 / clamp_min_value_only(norm(x2, dim), eps)
    return ops.sum_(u * v, dim)


OPS = {"cosine_similarity": cosine_similarity}
