"""torch's attention, with the catalog's argument names (merged into the torch backend's op table)."""

from __future__ import annotations

import math

import numpy as np

from impls.declare import Divergence, version

NAN = math.nan


def attention_ops(torch) -> dict:
    """``scaled_dot_product_attention`` for both of its catalog entries; a 0/1 int64 mask (the harness's carrier
    for a boolean mask) becomes a bool tensor, which torch reads as "may attend"."""
    F = torch.nn.functional

    def scaled_dot_product_attention(query, key, value, attn_mask=None, *, is_causal, scale):
        if attn_mask is not None and attn_mask.dtype == torch.int64:
            attn_mask = attn_mask != 0
        return F.scaled_dot_product_attention(query, key, value, attn_mask, is_causal=is_causal, scale=scale)

    return {
        "scaled_dot_product_attention": scaled_dot_product_attention,
        "scaled_dot_product_attention_bool_mask": scaled_dot_product_attention,
    }


def _causal_nan_past_the_diagonal(inputs, params) -> bool:
    """4-D inputs (torch's fused CPU kernels need them), is_causal, and a NaN score at a masked position (a NaN
    key, or inf * 0) in a row whose visible scores are not NaN."""
    query, key, *_ = inputs
    if query.ndim != 4 or not params.get("is_causal"):
        return False
    with np.errstate(all="ignore"):
        scores = query @ np.swapaxes(key, -1, -2)
    visible = np.tri(*scores.shape[-2:], dtype=bool)
    hidden_nan = np.any(np.isnan(scores) & ~visible, axis=-1)
    return bool(np.any(hidden_nan & ~np.any(np.isnan(scores) & visible, axis=-1)))


DECLARATIONS = (
    Divergence(
        "scaled_dot_product_attention",
        "under is_causal torch's fused CPU flash-attention kernel (chosen for 4-D inputs) skips the keys past a "
        "query's position instead of adding -inf to their scores, so a NaN score there (a NaN key, or inf * 0) "
        "does not reach the row, where its math backend and the reference give NaN; its backward is NaN there all "
        "the same (measured with torch 2.13 in every dtype)",
        check="special",
        variant="causal-masked-nan-key",
        device="cpu",
        when=(version("torch", "==2.13.*"),),
        returns=[[[[1.0], [NAN]]]],
        grads=([[[[NAN], [NAN]]]], [[[[NAN], [NAN]]]], [[[[NAN], [NAN]]]]),
        inputs=_causal_nan_past_the_diagonal,
    ),
)
