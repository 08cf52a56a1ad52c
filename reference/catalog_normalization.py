"""Catalog entries for group_norm and instance_norm (kind "layer")."""

from __future__ import annotations

import math

import numpy as np

from reference import normalization
from reference.spec import Case, OpSpec, Special


def _grouped_terms(groups_of):
    """Rounding of (x - mean) / sqrt(var + eps) * w + b over each group of n values (as catalog_nn's batch and
    layer norm): the mean and variance are sums of n terms, each centred value is off by ~u (|x - mean| + |mean|),
    scaled by 1/sqrt(var + eps) and |w|."""

    def terms(inputs, params):
        x, *rest = inputs
        groups = groups_of(x, params)
        grouped = x.reshape(x.shape[0], groups, math.prod(x.shape[1:]) // groups)  # not -1: N may be 0
        mean = grouped.mean(axis=2, keepdims=True)
        scale = (np.abs(grouped - mean) + np.abs(mean)) / np.sqrt(grouped.var(axis=2, keepdims=True) + params["eps"])
        weight = rest[0] if rest and rest[0] is not None else np.ones(x.shape[1])
        channel = np.abs(weight).reshape(1, -1, *([1] * (x.ndim - 2)))
        return grouped.shape[2], 4.0 * scale.reshape(x.shape) * channel

    return terms


CONSTANT_GROUP = "a constant group has variance 0: x - mean = 0 and the output is the bias"

ENTRIES = (
    OpSpec(
        "group_norm",
        normalization.group_norm,
        "layer",
        (
            Case(((2, 6, 3), (6,), (6,)), {"num_groups": 3}),
            Case(((2, 4, 2, 3),), {"num_groups": 2, "eps": 1e-3}),
            Case(((3, 4), (4,), (4,)), {"num_groups": 1}),
            Case(((2, 3, 5), (3,), (3,)), {"num_groups": 3}),
        ),
        kind="layer",
        accumulation=_grouped_terms(lambda x, params: params["num_groups"]),
        specials=(
            Special(
                "constant-group",
                ([[1.0, 1.0, 2.0, 4.0]], [2.0, 2.0, 2.0, 2.0], [0.5, 0.5, 0.0, 0.0]),
                [[0.5, 0.5, -2.0 / math.sqrt(1.0 + 1e-5), 2.0 / math.sqrt(1.0 + 1e-5)]],
                params={"num_groups": 2},
                note=f"{CONSTANT_GROUP}; the second group (2, 4) has mean 3 and variance 1",
            ),
            Special(
                "one-group-is-layer-norm-over-channels",
                ([[[1.0, 3.0], [1.0, 3.0]]],),
                [[[-1.0 / math.sqrt(1.0 + 1e-5), 1.0 / math.sqrt(1.0 + 1e-5)]] * 2],
                params={"num_groups": 1},
                note="one group normalises each sample over all its channels and positions (mean 2, variance 1)",
            ),
            Special(
                "nan-stays-in-its-group",
                ([[math.nan, 1.0, 2.0, 4.0]],),
                [[math.nan, math.nan, -1.0 / math.sqrt(1.0 + 1e-5), 1.0 / math.sqrt(1.0 + 1e-5)]],
                params={"num_groups": 2},
                note="a NaN poisons its group's statistics, not the other groups'",
            ),
        ),
        notes="torch 2.13's backward fails with a bias and no weight (an oracle bug pinned in "
        "tests/test_divergences_nn.py), so the cases give both or neither",
    ),
    OpSpec(
        "instance_norm",
        normalization.instance_norm,
        "layer",
        (
            Case(((2, 3, 5), (3,), (3,))),
            Case(((2, 3, 2, 3),), {"eps": 1e-3}),
            Case(((1, 2, 3, 2, 2), (2,), (2,))),
        ),
        kind="layer",
        accumulation=_grouped_terms(lambda x, params: x.shape[1]),
        specials=(
            Special(
                "constant-channel",
                ([[[1.0, 1.0], [2.0, 4.0]]], [2.0, 2.0], [0.5, 0.0]),
                [[[0.5, 0.5], [-2.0 / math.sqrt(1.0 + 1e-5), 2.0 / math.sqrt(1.0 + 1e-5)]]],
                note=f"{CONSTANT_GROUP} (each sample's channel is its own group)",
            ),
            Special(
                "per-sample-statistics",
                ([[[0.0, 2.0]], [[10.0, 30.0]]],),
                [
                    [[-1.0 / math.sqrt(1.0 + 1e-5), 1.0 / math.sqrt(1.0 + 1e-5)]],
                    [[-10.0 / math.sqrt(100.0 + 1e-5), 10.0 / math.sqrt(100.0 + 1e-5)]],
                ],  # fmt: skip
                note="each sample is normalised by its own statistics, never the batch's (batch_norm's)",
            ),
        ),
        notes="input statistics only (torch's use_input_stats=True): no running statistics",
    ),
)
