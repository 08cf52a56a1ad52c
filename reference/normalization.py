"""Group and instance normalisation with ``torch.nn.functional`` semantics, and their VJPs with respect to the
input, the weight and the bias.  Both normalise with the *biased* variance of a group of values and then scale and
shift per channel, reusing the statistics and VJP pieces of :mod:`reference.layers` (batch and layer norm):
group_norm over each sample's (channels / groups, spatial...) block, instance_norm over each sample's and
channel's spatial values (group_norm with one group per channel; torch's instance_norm with its input statistics,
no running statistics)."""

from __future__ import annotations

import math

import numpy as np

from reference._checks import require_float_array, require_int, require_ndim, require_real
from reference._op import reference_op, vjp_of
from reference.layers import _affine, _affine_vjp, _batch_axes, _channel, _normalize_vjp, require_vectors


def _grouped_stats(x, groups, eps):
    """x as (N, groups, rest), its normalised form there, and 1/sqrt(var + eps) per (sample, group)."""
    grouped = x.reshape(x.shape[0], groups, math.prod(x.shape[1:]) // groups if groups else 0)
    mean = grouped.mean(axis=2, keepdims=True)
    inv = 1.0 / np.sqrt(((grouped - mean) ** 2).mean(axis=2, keepdims=True) + eps)
    return grouped, (grouped - mean) * inv, inv


def _normalize(x, weight, bias, groups, eps):
    _, xhat, _ = _grouped_stats(x, groups, eps)
    return _affine(xhat.reshape(x.shape), x, weight, bias)


def _normalize_grads(g, x, weight, bias, groups, eps):
    grouped, xhat, inv = _grouped_stats(x, groups, eps)
    gxhat = g if weight is None else g * _channel(weight, x)
    gx = _normalize_vjp(gxhat.reshape(grouped.shape), xhat, inv, (2,)).reshape(x.shape)
    return (gx, *_affine_vjp(g, xhat.reshape(x.shape), _batch_axes(x), weight, bias))


def _check_group_norm(x, weight=None, bias=None, *, num_groups, eps=1e-5):
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=2)
    groups = require_int(num_groups, "num_groups")
    if groups < 1 or x.shape[1] % groups:
        raise ValueError(f"num_groups={num_groups} must be positive and divide x's {x.shape[1]} channels")
    if x.shape[0] * x.shape[1] // groups * math.prod(x.shape[2:]) == 1:
        raise ValueError(
            f"x of shape {tuple(x.shape)} in {groups} group(s) gives torch's check (batch * channels / groups * "
            "spatial values) exactly 1, which it refuses ('more than 1 value per channel'); so does the reference"
        )
    require_vectors(x, x.shape[1], f"x's {x.shape[1]} channels", weight=weight, bias=bias)
    require_real(eps, "eps", minimum=0.0, exclusive=True)


@reference_op(("x", "weight?", "bias?"), _check_group_norm)
def group_norm(x, weight=None, bias=None, *, num_groups, eps=1e-5):
    """Normalise each sample's channels in ``num_groups`` groups (mean and biased variance over the group's
    channels and spatial positions), then scale and shift per channel."""
    return _normalize(x, weight, bias, num_groups, eps)


@vjp_of(group_norm)
def group_norm_vjp(g, x, weight=None, bias=None, *, num_groups, eps=1e-5):
    return _normalize_grads(g, x, weight, bias, num_groups, eps)


def _check_instance_norm(x, weight=None, bias=None, *, eps=1e-5):
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=3)
    if math.prod(x.shape[2:]) == 1:
        raise ValueError(
            f"x of shape {tuple(x.shape)} has one spatial value per channel: instance statistics need at least two "
            "(torch raises too; with none the output is simply empty)"
        )
    require_vectors(x, x.shape[1], f"x's {x.shape[1]} channels", weight=weight, bias=bias)
    require_real(eps, "eps", minimum=0.0, exclusive=True)


@reference_op(("x", "weight?", "bias?"), _check_instance_norm)
def instance_norm(x, weight=None, bias=None, *, eps=1e-5):
    """Normalise each sample's channel over its spatial positions (biased variance), then scale and shift per
    channel (torch's instance_norm with use_input_stats, no running statistics)."""
    return _normalize(x, weight, bias, x.shape[1], eps)


@vjp_of(instance_norm)
def instance_norm_vjp(g, x, weight=None, bias=None, *, eps=1e-5):
    return _normalize_grads(g, x, weight, bias, x.shape[1], eps)
