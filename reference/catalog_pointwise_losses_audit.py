"""Audit plans for :mod:`reference.catalog_pointwise_losses` (``parity audit``): every reduction ('batchmean'
included), beta of 0, tiny and large, log targets, probabilities at 0 and 1 exactly (the clamped logs), weights
that broadcast, empty and 0-d shapes, the special values; broadcasting targets (torch broadcasts them, the
reference refuses) and probabilities outside [0, 1] (both refuse)."""

from __future__ import annotations

from hypothesis import strategies as st

from impls.declare import Unsupported
from reference.audit_kit import AuditPlan, Config, arrays, cotangent_seeds, reductions, shapes, values
from reference.catalog import CATALOG
from reference.catalog_nn_audit import _broadcast_target, _regression
from reference.pointwise_losses import KL_REDUCTIONS

BROADCAST_TARGET = (
    "a broadcasting target is not supported: parity never broadcasts silently (torch warns and broadcasts)"
)
PROBABILITY = st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0, 0.5, 1e-300, 1.0 - 2**-53]))


@st.composite
def _smooth_l1(draw):
    config = draw(_regression())
    beta = draw(st.one_of(st.floats(0.0, 5.0), st.sampled_from([0.0, 0.0, 1e-300, 1.0, -1.0])))
    return Config(config.inputs, {**config.params, "beta": beta}, config.cotangent_seed)


@st.composite
def _kl_div(draw):
    shape = draw(shapes(max_dims=3))
    log_target = draw(st.booleans())
    target = draw(arrays(shape, values(bound=30.0) if log_target else st.one_of(PROBABILITY, values())))
    params = {"reduction": draw(st.sampled_from(KL_REDUCTIONS)), "log_target": log_target}
    return Config((draw(arrays(shape, values(bound=30.0))), target), params, draw(cotangent_seeds()))


@st.composite
def _binary_cross_entropy(draw):
    shape = draw(shapes(max_dims=3))
    x = draw(arrays(shape, PROBABILITY))
    if x.size and draw(st.integers(0, 9)) == 0:  # outside [0, 1]: both sides refuse
        x.flat[0] = draw(st.sampled_from([-0.5, 1.5, float("nan")]))
    inputs = [x, draw(arrays(shape, PROBABILITY))]
    if draw(st.booleans()):
        trailing = shape[len(shape) - draw(st.integers(0, len(shape))) :]
        weight_shape = tuple(1 if draw(st.booleans()) else n for n in trailing)
        inputs.append(draw(arrays(weight_shape, st.one_of(st.floats(0.0, 3.0), st.sampled_from([0.0, float("inf")])))))
    return Config(tuple(inputs), {"reduction": draw(reductions())}, draw(cotangent_seeds()))


def _refuses_broadcasting(name):
    return (Unsupported(name, BROADCAST_TARGET, inputs=_broadcast_target),)


_CONFIGS = {
    "l1_loss": _regression,
    "smooth_l1_loss": _smooth_l1,
    "kl_div": _kl_div,
    "binary_cross_entropy": _binary_cross_entropy,
}
DECLARED = {name: _refuses_broadcasting(name) for name in ("l1_loss", "smooth_l1_loss")}

PLANS: dict[str, AuditPlan] = {
    name: AuditPlan(
        configs,
        declarations=DECLARED.get(name, ()),
        signed_zero=any(s.signed_zero for s in CATALOG[name].specials),
    )
    for name, configs in _CONFIGS.items()
}
