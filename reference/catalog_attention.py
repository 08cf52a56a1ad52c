"""Catalog entries for attention (kind "layer"): ``scaled_dot_product_attention`` with no mask, a causal mask or an
additive float mask, and the same function with a boolean mask (its own entry, because the mask's dtype, not a
parameter, selects the meaning and each entry draws its inputs from one domain)."""

from __future__ import annotations

import math

import numpy as np

from reference import attention
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan


def _attention_terms(inputs, params):
    """Error bound of softmax(Q K^T s + M) V (Higham's for each product; see OpSpec.accumulation): each score
    carries (log2 E + 2) u (|Q| |K|^T |s| + |M|); the softmax turns an absolute score error d into at most 2 d P
    relative, so the output carries 2 max_row(score bound) P |V|; the exp and the sum over the S keys add
    (log2 S + 2) u P |V|.  Terms max(E, S), magnitude (2 max_row(|Q| |K|^T |s| + |M|) + 2) P |V|."""
    query, key, value, *rest = inputs
    mask = rest[0] if rest else None
    scale = attention.scale_of(query.shape[-1], params.get("scale"))
    scores = np.abs(query) @ np.abs(np.swapaxes(key, -1, -2)) * abs(scale)
    if mask is not None and not attention.is_boolean_mask(mask):
        scores = scores + np.where(np.isfinite(mask), np.abs(mask), 0.0)
    spread = np.max(scores, axis=-1, keepdims=True, initial=0.0)
    weights = attention.attention_weights(query, key, *rest, is_causal=params.get("is_causal", False),
                                          scale=params.get("scale"))  # fmt: skip
    return max(query.shape[-1], key.shape[-2], 1), (2.0 * spread + 2.0) * (weights @ np.abs(value))


ZEROS_ROW = "q = 0 makes every score 0: the weights are uniform over the keys a row may see"
FULLY_MASKED = (
    "a query row that may see no key attends to nothing: output and gradients 0 (torch >= 2.5's _safe_softmax; "
    "torch 2.13's math and fused CPU kernels agree); a plain softmax gives 0/0 = NaN, as torch did before 2.5"
)

ENTRIES = (
    OpSpec(
        "scaled_dot_product_attention",
        attention.scaled_dot_product_attention,
        "layer",
        (
            Case(((2, 3, 4), (2, 5, 4), (2, 5, 3))),
            Case(((1, 2, 4, 2), (1, 2, 3, 2), (1, 2, 3, 3)), {"is_causal": True}),
            Case(((2, 3, 2), (2, 4, 2), (2, 4, 1), (3, 4))),
            Case(((3, 2), (5, 2), (5, 4), (1, 5)), {"scale": 0.3}),
            Case(((2, 5, 3), (2, 3, 3), (2, 3, 2)), {"is_causal": True, "scale": -0.7}),
        ),
        kind="layer",
        accumulation=_attention_terms,
        specials=(
            Special(
                "causal",
                ([[0.0], [0.0], [0.0]], [[5.0], [6.0], [7.0]], [[1.0], [2.0], [4.0]]),
                [[1.0], [1.5], [7.0 / 3.0]],
                params={"is_causal": True},
                note=f"{ZEROS_ROW}; query i sees keys 0..i (top-left aligned, torch's tril(ones(L, S)))",
            ),
            Special(
                "causal-more-queries-than-keys",
                ([[0.0], [0.0], [0.0]], [[5.0], [6.0]], [[1.0], [3.0]]),
                [[1.0], [2.0], [2.0]],
                params={"is_causal": True},
                note="the causal mask is top-left aligned, not bottom-right: query 2 sees both keys",
            ),
            Special(
                "additive-minus-inf",
                ([[0.0], [0.0]], [[1.0], [2.0]], [[1.0], [3.0]], [[0.0, -INF], [0.0, math.log(3.0)]]),
                [[1.0], [2.5]],
                note="-inf masks a key; a finite additive mask shifts the weights (1 : 3 for log 3)",
            ),
            Special(
                "fully-masked-row",
                ([[0.0], [0.0]], [[1.0], [2.0]], [[1.0], [3.0]], [[0.0, 0.0], [-INF, -INF]]),
                [[2.0], [0.0]],
                cotangent=[[1.0], [1.0]],
                grads=([[0.5], [0.0]], [[0.0], [0.0]], [[0.5], [0.5]]),
                note=FULLY_MASKED,
            ),
            Special(
                "huge-scores",
                ([[100.0]], [[100.0], [-100.0]], [[1.0], [3.0]]),
                [[1.0]],
                params={"scale": 1.0},
                note="scores of +-1e4: the softmax is shifted by the row maximum, so nothing overflows",
            ),
            Special(
                "zero-scale",
                ([[1000.0]], [[1.0], [-1.0]], [[1.0], [3.0]]),
                [[2.0]],
                params={"scale": 0.0},
                note="scale=0 is a scale (uniform weights), not 'use the default' (torch tests `scale is None`)",
            ),
            Special(
                "plus-inf-mask",
                ([[0.0], [0.0]], [[1.0], [2.0]], [[1.0], [3.0]], [[INF, 0.0], [0.0, 0.0]]),
                [[NAN], [2.0]],
                note="+inf in an additive mask makes its row's softmax inf/inf = NaN; other rows are untouched",
            ),
            Special(
                "causal-masked-nan-key",
                ([[[[0.0], [0.0]]]], [[[[1.0], [NAN]]]], [[[[1.0], [3.0]]]]),
                [[[[NAN], [NAN]]]],
                params={"is_causal": True},
                cotangent=[[[[1.0], [1.0]]]],
                grads=([[[[NAN], [NAN]]]], [[[[NAN], [NAN]]]], [[[[NAN], [NAN]]]]),
                note="the causal mask adds -inf to the scores past the diagonal (torch's documented equivalent and "
                "math backend): query 0 cannot see the NaN key, and still its row is NaN",
            ),
            Special(
                "nan-query",
                ([[NAN], [0.0]], [[1.0], [2.0]], [[1.0], [3.0]]),
                [[NAN], [2.0]],
                note="a NaN query poisons its own row only",
            ),
        ),
        notes="the mask gets no gradient; leading (batch, head) dimensions must match exactly (no broadcasting, no "
        "grouped-query attention); no dropout (dropout_p would draw torch's own random mask)",
    ),
    OpSpec(
        "scaled_dot_product_attention_bool_mask",
        attention.scaled_dot_product_attention,
        "layer",
        (
            Case(((2, 3, 4), (2, 5, 4), (2, 5, 3), (2, 3, 5))),
            Case(((1, 2, 4, 2), (1, 2, 3, 2), (1, 2, 3, 3), (4, 3))),
            Case(((3, 2), (4, 2), (4, 5), (1, 4))),
        ),
        domain="attention_bool_mask",
        kind="layer",
        accumulation=_attention_terms,
        specials=(
            Special(
                "fully-masked-row",
                ([[0.0], [0.0]], [[1.0], [2.0]], [[1.0], [3.0]], np.array([[1, 1], [0, 0]])),
                [[2.0], [0.0]],
                cotangent=[[1.0], [1.0]],
                grads=([[0.5], [0.0]], [[0.0], [0.0]], [[0.5], [0.5]]),
                note=FULLY_MASKED,
            ),
            Special(
                "mask-is-where-to-attend",
                ([[0.0], [0.0]], [[1.0], [2.0]], [[1.0], [3.0]], np.array([[1, 0], [0, 1]])),
                [[1.0], [3.0]],
                note="True (1) marks a key the query may attend to (torch's convention; the inverse of "
                "nn.MultiheadAttention's key_padding_mask and of many other libraries)",
            ),
            Special(
                "masked-nan-key",
                ([[0.0], [0.0]], [[1.0], [NAN]], [[1.0], [3.0]], np.array([[1, 0], [1, 1]])),
                [[NAN], [NAN]],
                note="masking adds -inf to a score, it does not replace it (torch's documented equivalent and its "
                "math backend): a masked NaN key still makes its row NaN",
            ),
        ),
        notes="a boolean mask, carried as int64 0/1 by the harness (bool arrays are accepted as well); see "
        "scaled_dot_product_attention",
    ),
)
