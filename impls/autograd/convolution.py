"""conv1d for the autograd engine: its conv2d (im2col primitive and matmuls) on a height of 1, as the reference."""

from __future__ import annotations

from impls.autograd import ops
from impls.autograd.functional import conv2d
from impls.autograd.ops import tensor
from reference.convolution import _as_2d


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over the last axis."""
    x, weight = tensor(x), tensor(weight)
    out = conv2d(
        ops.reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2])),
        ops.reshape(weight, (weight.shape[0], weight.shape[1], 1, weight.shape[2])),
        bias,
        groups=groups,
        **_as_2d(stride, padding, dilation),
    )
    return ops.reshape(out, (out.shape[0], out.shape[1], out.shape[3]))


OPS = {"conv1d": conv1d}
