"""Audit plans for :mod:`reference.catalog_attention` (``parity audit``): batch and head dimensions (none, one, two,
of size 0 and 1), no features, no keys, no queries, more queries than keys and fewer; the default scale, 0 and
negative scales; masks broadcast from fewer dimensions, with fully masked rows, -inf and +inf entries (additive) or
any pattern of 0/1 (boolean); the special values in the inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from reference.audit_kit import AuditPlan, Config, OracleBug, arrays, cotangent_seeds, mask_rows, values
from reference.catalog import CATALOG

ADDITIVE = st.one_of(values(), st.sampled_from([-np.inf, -np.inf, 0.0]))


def _qkv(draw):
    batch = tuple(draw(st.lists(st.integers(0, 2), max_size=2)))
    queries, keys = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    features, value_features = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    query = draw(arrays((*batch, queries, features)))
    key = draw(arrays((*batch, keys, features)))
    value = draw(arrays((*batch, keys, value_features)))
    return query, key, value, (*batch, queries, keys)


def _mask_shape(draw, scores_shape):
    """The scores' shape, or a shape broadcasting to it: fewer leading dimensions, size-1 sides."""
    drop = draw(st.integers(0, len(scores_shape) - 2))
    return tuple(1 if draw(st.integers(0, 3)) == 0 else n for n in scores_shape[drop:])


def _scale(draw):
    return draw(st.one_of(st.none(), st.none(), st.sampled_from([0.0, -0.5, 1.0]), st.floats(-3.0, 3.0)))


def _attention(boolean: bool):
    @st.composite
    def configs(draw):
        query, key, value, scores_shape = _qkv(draw)
        params = {"scale": _scale(draw), "is_causal": False}
        inputs = (query, key, value)
        kind = "mask" if boolean else draw(st.sampled_from(["none", "causal", "mask"]))
        if kind == "causal":
            params["is_causal"] = True
        elif kind == "mask":
            shape = _mask_shape(draw, scores_shape)
            if boolean:
                mask = draw(arrays(shape, st.sampled_from([0.0, 1.0, 1.0]))).astype(np.int64)
                mask = mask_rows(draw, mask, len(shape) - 1, 0) if len(shape) else mask
            else:
                mask = draw(arrays(shape, ADDITIVE))
                mask = mask_rows(draw, mask, len(shape) - 1) if len(shape) else mask
            inputs = (*inputs, mask)
        return Config(inputs, params, draw(cotangent_seeds()))

    return configs


def _no_keys_and_a_non_finite_query(inputs, params):
    query, key, *_ = inputs
    return key.shape[-2] == 0 and not np.isfinite(query).all()


NO_KEYS = OracleBug(
    "with no keys torch returns NaN in every query row as soon as one query element is inf or NaN, although every "
    "row attends to nothing (0, which it returns for finite queries)",
    "tests/test_divergences_nn.py::test_torch_attention_without_keys_is_nan_everywhere_when_a_query_is_not_finite",
    _no_keys_and_a_non_finite_query,
)

_CONFIGS = {
    "scaled_dot_product_attention": _attention(boolean=False),
    "scaled_dot_product_attention_bool_mask": _attention(boolean=True),
}

PLANS: dict[str, AuditPlan] = {
    name: AuditPlan(configs, signed_zero=any(s.signed_zero for s in CATALOG[name].specials), oracle_bugs=(NO_KEYS,))
    for name, configs in _CONFIGS.items()
}
