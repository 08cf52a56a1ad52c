"""Audit plans for :mod:`reference.catalog_normalization` (``parity audit``): every divisor of the channel count as
the number of groups (and a few that are not), 0-, 1- and many-valued groups, optional weight and bias, eps of any
size, the special values."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from impls.declare import Divergence
from reference.audit_kit import AuditPlan, Config, OracleBug, arrays, cotangent_seeds, shapes
from reference.catalog import CATALOG
from reference.catalog_nn_audit import INFINITE_WEIGHT, _eps, _maybe, _non_finite_weight


def _affine_inputs(draw, x):
    channels = (x.shape[1],)
    weight, bias = _maybe(draw, arrays(channels)), _maybe(draw, arrays(channels))
    inputs = (x, weight, bias)
    return inputs[: 3 if bias is not None else 2 if weight is not None else 1]


@st.composite
def _group_norm(draw):
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2)) + (1 if draw(st.integers(0, 9)) == 0 else 0)  # sometimes refused
    shape = (draw(st.integers(0, 3)), channels, *draw(shapes(max_dims=2, min_side=1, max_side=3)))
    x = draw(arrays(shape))
    return Config(_affine_inputs(draw, x), {"num_groups": groups, "eps": _eps(draw)}, draw(cotangent_seeds()))


@st.composite
def _instance_norm(draw):
    shape = (draw(st.integers(0, 3)), draw(st.integers(1, 3)), *draw(shapes(min_dims=1, max_dims=2, max_side=3)))
    x = draw(arrays(shape))
    return Config(_affine_inputs(draw, x), {"eps": _eps(draw)}, draw(cotangent_seeds()))


def _non_finite_affine(inputs, params):
    return any(p is not None and not np.isfinite(p).all() for p in inputs[1:])


FOLDED = (
    "torch folds the statistics and the affine parameters into x * a + (b - mean * a), a = w / sqrt(var + eps) "
    "(its group_norm kernel; instance_norm runs batch_norm's): an infinite weight or bias meets 0 * inf or inf - inf, "
    "NaN where (x - mean) / sqrt(var + eps) * w + b is +-inf"
)
BIAS_WITHOUT_WEIGHT_BACKWARD = OracleBug(
    "torch's group_norm backward with a bias and no weight raises 'tensor does not have a device' (any shape, "
    "measured with torch 2.13); with both, or neither, it works",
    "tests/test_divergences_nn.py::test_torch_group_norm_backward_fails_with_a_bias_and_no_weight",
    lambda inputs, params: len(inputs) == 3 and inputs[1] is None,
    check="vjp",
)

INSTANCES_WITHOUT_CHANNELS = OracleBug(
    "torch's instance_norm runs batch_norm over N * C channels with the weight and bias repeated N times: an empty "
    "batch with a weight or a bias raises IndexError (select(): index 0 out of range), batch_norm's bug with 0 "
    "channels, although every tensor has a valid empty shape",
    "tests/test_divergences.py::test_torch_batch_norm_without_channels_fails_with_a_weight_or_bias",
    lambda inputs, params: inputs[0].shape[0] * inputs[0].shape[1] == 0 and len(inputs) > 1,
)
ORACLE_BUGS = {"group_norm": (BIAS_WITHOUT_WEIGHT_BACKWARD,), "instance_norm": (INSTANCES_WITHOUT_CHANNELS,)}

_CONFIGS = {"group_norm": _group_norm, "instance_norm": _instance_norm}

PLANS: dict[str, AuditPlan] = {
    name: AuditPlan(
        configs,
        declarations=(
            Divergence(name, INFINITE_WEIGHT, check="vjp", inputs=_non_finite_weight),
            Divergence(name, FOLDED, check="forward", inputs=_non_finite_affine),
        ),
        signed_zero=any(s.signed_zero for s in CATALOG[name].specials),
        oracle_bugs=ORACLE_BUGS[name],
    )
    for name, configs in _CONFIGS.items()
}
