"""Group and instance normalisation for the autograd engine, composed of its primitives (reshape, mean, sqrt, the
arithmetic), as its batch and layer norm are, so the engine differentiates them (second order included)."""

from __future__ import annotations

import math

from impls.autograd import ops
from impls.autograd.functional import _channel, _normalise
from impls.autograd.ops import tensor


def _grouped(x, weight, bias, groups, eps):
    x = tensor(x)
    rest = math.prod(x.shape[1:]) // groups if groups else 0
    out = ops.reshape(_normalise(ops.reshape(x, (x.shape[0], groups, rest)), (2,), eps), x.shape)
    out = out if weight is None else out * _channel(weight, x.ndim)
    return out if bias is None else out + _channel(bias, x.ndim)


def group_norm(x, weight=None, bias=None, *, num_groups, eps=1e-5):
    """Normalise each sample's channels in ``num_groups`` groups, then scale and shift per channel."""
    return _grouped(x, weight, bias, num_groups, eps)


def instance_norm(x, weight=None, bias=None, *, eps=1e-5):
    """Normalise each sample's channel over its positions, then scale and shift per channel."""
    return _grouped(x, weight, bias, tensor(x).shape[1], eps)


OPS = {"group_norm": group_norm, "instance_norm": instance_norm}
