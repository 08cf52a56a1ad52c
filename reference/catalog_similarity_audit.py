"""Audit plan for :mod:`reference.catalog_similarity` (``parity audit``): broadcasting pairs of shapes, every
``dim`` (negative too), eps of 0, tiny and large (norms clamped or not), zero vectors, the special values."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from impls.declare import Divergence
from reference.audit_kit import AuditPlan, Config, arrays, cotangent_seeds, shapes, values
from reference.catalog import CATALOG
from reference.similarity import vector_norm


@st.composite
def _cosine_similarity(draw):
    shape = draw(shapes(min_dims=1, max_dims=3))
    other = tuple(1 if draw(st.integers(0, 3)) == 0 else n for n in shape[draw(st.integers(0, len(shape) - 1)) :])
    first, second = (shape, other) if draw(st.booleans()) else (other, shape)
    elements = st.one_of(values(bound=1e3), st.just(0.0))
    params = {
        "dim": draw(st.integers(-len(shape), len(shape) - 1)),
        "eps": draw(st.one_of(st.just(1e-8), st.sampled_from([0.0, 1e-300, 0.5, 10.0]), st.floats(0.0, 5.0))),
    }
    return Config((draw(arrays(first, elements)), draw(arrays(second, elements))), params, draw(cotangent_seeds()))


def _unclamped_zero_norm(inputs, params):
    if params["eps"] != 0:
        return False
    dim = params["dim"]
    return any(bool((vector_norm(x, dim) == 0).any()) for x in np.broadcast_arrays(*inputs))


ZERO_NORM = Divergence(
    "cosine_similarity",
    "with eps = 0 a zero (or underflowed) norm is not clamped: the gradient divides by 0 and adds infinite terms, "
    "whose grouping decides between +-inf and NaN; neither side is more right",
    check="vjp",
    inputs=_unclamped_zero_norm,
)

PLANS: dict[str, AuditPlan] = {
    "cosine_similarity": AuditPlan(
        _cosine_similarity,
        declarations=(ZERO_NORM,),
        signed_zero=any(s.signed_zero for s in CATALOG["cosine_similarity"].specials),
    )
}
