"""Attention for the autograd engine: the safe softmax is a primitive (its backward beside its forward);
scaled_dot_product_attention is composed of it and the engine's matmul, so the engine differentiates it (second
order included)."""

from __future__ import annotations

import numpy as np

from impls.autograd import ops
from impls.autograd.ops import Tensor, make, tensor
from reference import attention as ref_attention


def safe_softmax(scores) -> Tensor:
    """Softmax over the last axis; a row of nothing but -inf gives 0 (torch's ``_safe_softmax``), and so does its
    gradient.  Backward: p (g - Σ g p)."""
    scores = tensor(scores)
    data = ref_attention.safe_softmax(scores.data)

    def back(g, cg):
        p = safe_softmax(scores) if cg else data
        return (p * (g - ops._sum(g * p, axis=-1, keepdims=True)),)

    return make(data, (scores,), back, "safe_softmax", ())


def scaled_dot_product_attention(query, key, value, attn_mask=None, *, is_causal=False, scale=None):
    """safe_softmax(query @ key^T * scale + mask) @ value, with the reference's mask rules (a 0/1 int64 or bool
    mask says where to attend; a float mask is added; neither gets a gradient)."""
    query, key, value = tensor(query), tensor(key), tensor(value)
    scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
    if query.shape[-1]:  # as torch: with no features the scores are 0 whatever the scale
        scores = scores * ref_attention.scale_of(query.shape[-1], scale)
    # a boolean mask is added as a constant bias of 0 and -inf, as in the reference (and torch)
    if is_causal:
        allowed = ref_attention.causal_allowed(query.shape[-2], key.shape[-2], None)
        scores = scores + Tensor(ref_attention.minus_inf_where_not(allowed, scores.dtype))
    elif attn_mask is not None and not isinstance(attn_mask, Tensor):
        scores = scores + Tensor(ref_attention.minus_inf_where_not(np.asarray(attn_mask) != 0, scores.dtype))
    elif attn_mask is not None:
        scores = scores + attn_mask.detach()
    return ops.matmul(safe_softmax(scores), value)


# the autograd backend's table: both catalog entries (additive and boolean masks) are the same function
OPS = {
    "scaled_dot_product_attention": scaled_dot_product_attention,
    "scaled_dot_product_attention_bool_mask": scaled_dot_product_attention,
}
