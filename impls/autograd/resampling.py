"""The resampling layers for the autograd engine: primitives whose local gradients are the reference's VJPs
(reference/resampling.py), as the engine's pools: pure index and window bookkeeping (a scatter-add of the cotangent
at the source indices, with the interpolation weights), first order only."""

from __future__ import annotations

from impls.autograd.functional import _reference_primitive
from impls.autograd.ops import tensor
from reference import resampling as ref


def adaptive_avg_pool2d(x, output_size):
    """The mean of each of torch's uneven windows."""
    return _reference_primitive("adaptive_avg_pool2d", ref.adaptive_avg_pool2d, tensor(x), output_size=output_size)


def interpolate_nearest(x, size):
    """F.interpolate(mode='nearest') to an output size."""
    return _reference_primitive("interpolate_nearest", ref.interpolate_nearest, tensor(x), size=size)


def interpolate_bilinear(x, size, align_corners=False):
    """F.interpolate(mode='bilinear') to an output size."""
    return _reference_primitive(
        "interpolate_bilinear", ref.interpolate_bilinear, tensor(x), size=size, align_corners=align_corners
    )


OPS = {
    "adaptive_avg_pool2d": adaptive_avg_pool2d,
    "interpolate_nearest": interpolate_nearest,
    "interpolate_bilinear": interpolate_bilinear,
}
