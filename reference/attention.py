"""Scaled dot-product attention with ``torch.nn.functional.scaled_dot_product_attention``'s semantics, and its VJP
with respect to the query, the key and the value.

``softmax(query @ key^T * scale + mask) @ value`` over the last two axes, with the leading (batch, head) axes
shared by all three inputs.  The mask is either

* boolean -- True where a query may attend to a key (torch's convention); the harness carries integer arrays as
  int64, so a 0/1 int64 array is accepted as the same boolean mask -- or
* additive -- a float array of the query's dtype added to the scores (-inf masks a key),

and broadcasts to the scores' shape ``(..., L, S)``; ``is_causal`` masks the keys after each query's position
(top-left aligned: query i sees keys 0..i, as torch's ``tril(ones(L, S))``).  The mask is a constant: it gets no
gradient.

A query whose every score is -inf (a fully masked row) attends to nothing: its output row and its gradients are 0.
That is torch's rule since 2.5 (``_safe_softmax`` in the math backend; the fused CPU flash kernel agrees, measured
with torch 2.13 in float64, float32, float16 and bfloat16 with and without autograd); a plain softmax would give
NaN (0/0), which is what torch returned before.
"""

from __future__ import annotations

import math

import numpy as np

from reference._checks import (
    broadcast_shapes,
    dtype_name,
    require_bool,
    require_float_array,
    require_ndim,
    require_real,
    require_same_dtype,
)
from reference._op import reference_op, vjp_of
from reference.reductions import _softmax


def is_boolean_mask(mask) -> bool:
    """A boolean attention mask (bool, or int64 holding 0/1), as opposed to an additive float mask."""
    return dtype_name(mask) in ("bool", "int64")


def _check_attention(query, key, value, attn_mask=None, *, is_causal=False, scale=None):
    for name, x in (("query", query), ("key", key), ("value", value)):
        require_float_array(x, name)
        require_ndim(x, name, at_least=2)
    require_same_dtype((query, key, value), ("query", "key", "value"))
    batch = tuple(query.shape[:-2])
    for name, x in (("key", key), ("value", value)):
        if x.ndim != query.ndim or tuple(x.shape[:-2]) != batch:
            raise ValueError(
                f"{name} {tuple(x.shape)} must have query's leading (batch, head) dimensions {batch}: broadcasting "
                "them, or grouped-query attention (enable_gqa), is not supported"
            )
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"key has {key.shape[-1]} features per position but query has {query.shape[-1]}")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(f"value has {value.shape[-2]} positions but key has {key.shape[-2]}")
    require_bool(is_causal, "is_causal")
    if scale is not None:
        require_real(scale, "scale")
    if attn_mask is None:
        return
    if is_causal:
        raise ValueError("attn_mask and is_causal=True cannot be combined (torch refuses both): pass one of them")
    _check_mask(query, attn_mask, (*batch, query.shape[-2], key.shape[-2]))


def _check_mask(query, mask, scores_shape):
    if is_boolean_mask(mask):
        if dtype_name(mask) == "int64" and bool(((mask != 0) & (mask != 1)).any()):
            raise ValueError("attn_mask of int64 holds a boolean mask: its values must be 0 or 1")
    else:
        require_float_array(mask, "attn_mask")
        require_same_dtype((query, mask), ("query", "attn_mask"))
    shape = broadcast_shapes(("attn_mask", tuple(mask.shape)), ("scores", scores_shape))
    if shape != scores_shape:
        raise ValueError(f"attn_mask {tuple(mask.shape)} must broadcast to the scores' shape {scores_shape}")


def scale_of(features: int, scale) -> float:
    """``scale``, by default 1/sqrt(features) (inf for no features, as torch)."""
    if scale is not None:
        return float(scale)
    return 1.0 / math.sqrt(features) if features else math.inf


def causal_allowed(queries: int, keys: int, like):
    """(L, S) booleans: query i may see keys 0..i (torch's tril(ones(L, S)), top-left aligned)."""
    return np.arange(keys, like=like)[None, :] <= np.arange(queries, like=like)[:, None]


def minus_inf_where_not(allowed, dtype):
    """The additive bias of a boolean mask: 0 where allowed, -inf elsewhere.  torch adds it to the scores (its
    documented equivalent, and its math backend), so a masked key whose score is NaN (a NaN key, or inf * 0) still
    makes its row NaN: masking adds -inf, it does not replace the score."""
    return np.where(allowed, 0.0, -np.inf).astype(dtype)


def _scores(query, key, attn_mask, is_causal, scale):
    """The masked scores (..., L, S)."""
    scores = query @ np.swapaxes(key, -1, -2)
    # torch multiplies query and key by sqrt(scale) before the product: with no features the scores are 0
    # whatever the scale (never 0 * inf)
    if query.shape[-1]:
        scores = scores * scale_of(query.shape[-1], scale)
    if is_causal:
        return scores + minus_inf_where_not(causal_allowed(query.shape[-2], key.shape[-2], query), scores.dtype)
    if attn_mask is None:
        return scores
    if is_boolean_mask(attn_mask):
        return scores + minus_inf_where_not(attn_mask != 0, scores.dtype)
    return scores + attn_mask


def safe_softmax(scores):
    """The softmax over the last axis, where a row whose every score is -inf is all 0 (torch's ``_safe_softmax``),
    not 0/0 = NaN."""
    masked_row = np.all(scores == -np.inf, axis=-1, keepdims=True)
    return np.where(masked_row, 0.0, _softmax(scores, -1))


def attention_weights(query, key, attn_mask=None, *, is_causal=False, scale=None):
    """The safe softmax of the masked scores over the keys."""
    return safe_softmax(_scores(query, key, attn_mask, is_causal, scale))


@reference_op(("query", "key", "value", "attn_mask?"), _check_attention, nondiff=("attn_mask",))
def scaled_dot_product_attention(query, key, value, attn_mask=None, *, is_causal=False, scale=None):
    """softmax(query @ key^T * scale + mask) @ value; ``scale`` defaults to 1/sqrt(features); a fully masked
    query row gives 0."""
    weights = attention_weights(query, key, attn_mask, is_causal=is_causal, scale=scale)
    return weights @ value


@vjp_of(scaled_dot_product_attention)
def scaled_dot_product_attention_vjp(g, query, key, value, attn_mask=None, *, is_causal=False, scale=None):
    # P = softmax(S), O = P V: dV = P^T g, dP = g V^T, dS = P (dP - Σ_s dP P) (0 where P is 0: masked keys, masked
    # rows), and S = Q K^T * scale: dQ = dS K * scale, dK = dS^T Q * scale
    if g.size == 0:  # no outputs (no queries or no value features): nothing depends on the inputs, not 0 * NaN
        return np.zeros_like(query), np.zeros_like(key), np.zeros_like(value)
    weights = attention_weights(query, key, attn_mask, is_causal=is_causal, scale=scale)
    gv = np.swapaxes(weights, -1, -2) @ g
    gp = g @ np.swapaxes(value, -1, -2)
    gs = weights * (gp - np.sum(gp * weights, axis=-1, keepdims=True))
    gs = gs * scale_of(query.shape[-1], scale)  # with no features the query and key gradients are empty anyway
    return gs @ key, np.swapaxes(gs, -1, -2) @ query, gv
