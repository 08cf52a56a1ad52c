"""conv1d and conv_transpose2d for the autograd engine.

conv1d: its conv2d (im2col primitive and matmuls) on a height of 1, as the reference.  conv_transpose2d: one matmul
per group (the engine differentiates them) followed by a col2im primitive, whose backward is im2col of the
cotangent: the adjoint pair conv2d uses, the other way round."""

from __future__ import annotations

import numpy as np

from impls.autograd import ops
from impls.autograd.functional import conv2d
from impls.autograd.ops import make, tensor
from reference import layers as ref_layers
from reference.convolution import _as_2d, _transpose_as_conv


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


def _col2im(cols, geometry, in_hw):
    """(N, C_out, OH, OW) from (N, H, W, kH, kW, C_out) window contributions: each added at its output position,
    the padding cropped (a primitive: its adjoint reads the padded cotangent's windows, im2col)."""
    kernel, stride, dilation, pads, padded = geometry
    (top, _), (left, _) = pads
    out = ref_layers._crop(ref_layers._col2im(cols.data, padded, kernel, stride, dilation).transpose(0, 3, 1, 2), pads)

    def back(g, cg):
        if cg:
            raise NotImplementedError("second-order gradients through conv_transpose2d are not implemented")
        gp = np.zeros(padded, dtype=g.dtype)
        gp[:, top : top + g.shape[2], left : left + g.shape[3], :] = g.transpose(0, 2, 3, 1)
        return (ref_layers._im2col(gp, kernel, stride, dilation, in_hw),)

    return make(np.ascontiguousarray(out), (cols,), back, "col2im", ())


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d in its input (F.conv_transpose2d; weight (C_in, C_out / groups, kH, kW))."""
    x, weight = tensor(x), tensor(weight)
    geometry = _transpose_as_conv(x.data, weight.data, stride, padding, output_padding, groups, dilation)
    kernel = geometry[0]
    n, (h, w), (cin_g, cout_g) = x.shape[0], x.shape[2:], (x.shape[1] // groups, weight.shape[1])
    rows = ops.transpose(x, (0, 2, 3, 1))
    parts = []
    for k in range(groups):
        filters = ops.reshape(ops.transpose(weight[k * cin_g : (k + 1) * cin_g], (2, 3, 1, 0)), (-1, cin_g))
        xk = ops.reshape(rows[..., k * cin_g : (k + 1) * cin_g], (n * h * w, cin_g))
        parts.append(ops.reshape(ops.matmul(xk, ops.transpose(filters)), (n, h, w, *kernel, cout_g)))
    cols = parts[0] if groups == 1 else ops.concatenate(*parts, axis=-1)
    out = _col2im(cols, geometry, (h, w))
    return out if bias is None else out + ops.reshape(tensor(bias), (1, -1, 1, 1))


OPS = {"conv1d": conv1d, "conv_transpose2d": conv_transpose2d}
