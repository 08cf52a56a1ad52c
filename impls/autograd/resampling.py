"""The resampling layers for the autograd engine, composed of its primitives so that the engine (not the reference's
hand-written VJP) differentiates them: window sums of slices (getitem, sum, concatenate) for adaptive_avg_pool2d,
gathers along the height and the width (index_select, whose backward is index_add: repeated sources accumulate) for
the interpolations, with bilinear's weights as constants.  Only the source indices, windows and weights come from
reference/resampling.py: they are torch's conventions, not derivatives."""

from __future__ import annotations

import numpy as np

from impls.autograd import ops
from impls.autograd.indexing import index_select
from impls.autograd.ops import tensor
from reference import resampling as ref


def _window_sums(x, windows, axis):
    """Along ``axis``, the sum of each window ``[start, end)`` (keeping the axis, one entry per window)."""
    parts = [
        ops.sum_(ops.getitem(x, (slice(None),) * axis + (slice(start, end),)), axis=axis, keepdims=True)
        for start, end in windows
    ]
    return parts[0] if len(parts) == 1 else ops.concatenate(*parts, axis=axis)


def adaptive_avg_pool2d(x, output_size):
    """The mean of each of torch's uneven windows: the window's sum over its height, then over its width."""
    x = tensor(x)
    out_hw = ref.output_size(output_size, x.data, allow_none=True)
    rows, cols = (ref.adaptive_windows(n, o) for n, o in zip(x.shape[2:], out_hw))
    total = _window_sums(_window_sums(x, rows, 2), cols, 3)
    heights = np.array([[end - start] for start, end in rows], dtype=x.dtype)
    widths = np.array([[end - start for start, end in cols]], dtype=x.dtype)
    return total / heights / widths


def interpolate_nearest(x, size):
    """F.interpolate(mode='nearest') to an output size: a gather along the height, then along the width."""
    x = tensor(x)
    out_hw = ref.output_size(size, x.data, "size")
    rows, cols = (ref.nearest_indices(n, o) for n, o in zip(x.shape[2:], out_hw))
    return index_select(index_select(x, rows, 2), cols, 3)


def interpolate_bilinear(x, size, align_corners=False):
    """F.interpolate(mode='bilinear') to an output size: along the width, then the height, ``x[i0] * (1 - lam) +
    x[i1] * lam`` with torch's taps (computed in float64 for float64 data, float32 otherwise, then as x's dtype)."""
    x = tensor(x)
    out_hw = ref.output_size(size, x.data, "size")
    compute = np.float64 if x.dtype == np.float64 else np.float32
    out = x
    for axis in (3, 2):
        i0, i1, lam = ref.linear_taps(x.shape[axis], out_hw[axis - 2], align_corners, compute)
        shape = (lam.size, 1) if axis == 2 else (lam.size,)
        near, far = (1 - lam).astype(x.dtype).reshape(shape), lam.astype(x.dtype).reshape(shape)
        out = index_select(out, i0, axis) * near + index_select(out, i1, axis) * far
    return out


OPS = {
    "adaptive_avg_pool2d": adaptive_avg_pool2d,
    "interpolate_nearest": interpolate_nearest,
    "interpolate_bilinear": interpolate_bilinear,
}
