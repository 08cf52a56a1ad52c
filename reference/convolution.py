"""1-D convolution and 2-D transposed convolution, and their VJPs.

conv1d: ``torch.nn.functional.conv1d``'s semantics (NCL, weight (out, in / groups, k)), its VJP with respect to the
input, the weight and the bias: :func:`reference.layers.conv2d` (im2col and one product per group) on a height of
1, so the two share one implementation.  conv_transpose2d: the adjoint of conv2d in its input,
written with the same im2col/col2im helpers (col2im forward, im2col in the VJP)."""

from __future__ import annotations

import math

import numpy as np

from reference._checks import require_float_array, require_int, require_ndim
from reference._op import reference_op, vjp_of
from reference.layers import (
    _check_conv2d,
    _check_nchw,
    _col2im,
    _crop,
    _im2col,
    _positive_pair,
    conv2d,
    pair,
    require_vectors,
)


def _single(value, name):
    """An int, or a tuple or list of one int (torch's forms for a 1-D size)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"{name} must be an int or a tuple of one int, got {value}")
        value = value[0]
    return require_int(value, name)


def _as_2d(stride, padding, dilation):
    """The 1-D geometry as conv2d's on a height of 1."""
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    return {"stride": (1, _single(stride, "stride")), "padding": pad, "dilation": (1, _single(dilation, "dilation"))}


def _check_conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    require_float_array(x, "x")
    require_float_array(weight, "weight")
    if x.ndim == 2:
        raise ValueError(
            f"x must have 3 dimensions (N, C, L), got shape {tuple(x.shape)}: an unbatched (C, L) input is not "
            "supported (torch accepts it); add the batch dimension, x[None]"
        )
    require_ndim(x, "x", exactly=3)
    require_ndim(weight, "weight", exactly=3)
    _check_conv2d(x[:, :, None, :], weight[:, :, None, :], bias, groups=groups, **_as_2d(stride, padding, dilation))


@reference_op(("x", "weight", "bias?"), _check_conv1d)
def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation over the last axis (``padding`` an int, 'same' or 'valid')."""
    out = conv2d(x[:, :, None, :], weight[:, :, None, :], bias, groups=groups, **_as_2d(stride, padding, dilation))
    return out[:, :, 0, :]


@vjp_of(conv1d)
def conv1d_vjp(g, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    grads = conv2d.vjp(
        g[:, :, None, :], x[:, :, None, :], weight[:, :, None, :], bias, groups=groups,
        **_as_2d(stride, padding, dilation),
    )  # fmt: skip
    return (grads[0][:, :, 0, :], grads[1][:, :, 0, :], *grads[2:])


# ---------------------------------------------------------------- conv_transpose2d
def _transpose_geometry(x, weight, stride, padding, output_padding, dilation):
    """kernel, stride, dilation, padding, output_padding (pairs) and the output's (OH, OW):
    ``(H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1`` per axis."""
    stride, dilation = _positive_pair(stride, "stride"), _positive_pair(dilation, "dilation")
    pad, extra = pair(padding, "padding"), pair(output_padding, "output_padding")
    if min(pad) < 0 or min(extra) < 0:
        raise ValueError(f"padding and output_padding must be non-negative, got {padding} and {output_padding}")
    for e, s, d in zip(extra, stride, dilation):
        if e >= max(s, d):
            raise ValueError(
                f"output_padding={output_padding} must be smaller than stride {stride} or dilation {dilation} "
                "(torch's rule)"
            )
    kernel = tuple(weight.shape[2:])
    out_hw = tuple(
        (size - 1) * s - 2 * p + d * (k - 1) + e + 1
        for size, s, p, d, k, e in zip(x.shape[2:], stride, pad, dilation, kernel, extra)
    )
    return kernel, stride, dilation, pad, extra, out_hw


def _check_conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    _check_nchw(x, weight)
    require_ndim(weight, "weight", exactly=4)
    groups = require_int(groups, "groups")
    if groups < 1 or x.shape[1] % groups:
        raise ValueError(f"groups={groups} must be positive and divide x's {x.shape[1]} channels")
    if weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"weight must have x's {x.shape[1]} input channels in dimension 0 (layout (C_in, C_out / groups, kH, "
            f"kW)), got shape {tuple(weight.shape)}"
        )
    if weight.shape[1] == 0:
        raise ValueError(f"weight must have at least one output channel (dimension 1), got {tuple(weight.shape)}")
    require_vectors(x, weight.shape[1] * groups, f"the {weight.shape[1] * groups} output channels", bias=bias)
    *_, out_hw = _transpose_geometry(x, weight, stride, padding, output_padding, dilation)
    if min(out_hw) < 1:
        raise ValueError(
            f"padding={padding} leaves an output size {out_hw} that is not positive: not supported (torch refuses it "
            "too, except for an empty batch, where it returns an empty output)"
        )


def _transpose_as_conv(x, weight, stride, padding, output_padding, groups, dilation):
    """The conv2d whose input gradient conv_transpose2d is: the geometry of that conv2d's padded NHWC input."""
    kernel, stride, dilation, pad, _, out_hw = _transpose_geometry(x, weight, stride, padding, output_padding, dilation)
    pads = ((pad[0], pad[0]), (pad[1], pad[1]))
    padded = (x.shape[0], out_hw[0] + 2 * pad[0], out_hw[1] + 2 * pad[1], weight.shape[1] * groups)
    return kernel, stride, dilation, pads, padded


@reference_op(("x", "weight", "bias?"), _check_conv_transpose2d)
def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The adjoint of conv2d with respect to its input (``torch.nn.functional.conv_transpose2d``): NCHW, weight
    (C_in, C_out / groups, kH, kW); each input pixel adds ``x * weight`` into a kH x kW window of the output
    (one product per group, then col2im), ``padding`` crops the output and ``output_padding`` adds rows and
    columns at the bottom and right."""
    kernel, stride, dilation, pads, padded = _transpose_as_conv(
        x, weight, stride, padding, output_padding, groups, dilation
    )
    n, (h, w), (cin_g, cout_g) = x.shape[0], x.shape[2:], (x.shape[1] // groups, weight.shape[1])
    rows = x.transpose(0, 2, 3, 1)
    cols = np.empty((n, h, w, *kernel, cout_g * groups), dtype=x.dtype, like=x)
    for k in range(groups):
        filters = weight[k * cin_g : (k + 1) * cin_g].transpose(2, 3, 1, 0).reshape(-1, cin_g)
        product = rows[..., k * cin_g : (k + 1) * cin_g].reshape(-1, cin_g) @ filters.T
        cols[..., k * cout_g : (k + 1) * cout_g] = product.reshape(n, h, w, *kernel, cout_g)
    out = _crop(_col2im(cols, padded, kernel, stride, dilation).transpose(0, 3, 1, 2), pads)
    return out if bias is None else out + bias[:, None, None]


@vjp_of(conv_transpose2d)
def conv_transpose2d_vjp(g, x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    # <g, T(x, W)> = <conv2d(g, W), x>: the x-gradient is conv2d of g (its rows beyond x's, which output_padding
    # >= stride can leave, belong to no input pixel) and the W-gradient conv2d's weight gradient at input g and
    # cotangent x
    kernel, stride, dilation, pads, _ = _transpose_as_conv(x, weight, stride, padding, output_padding, groups, dilation)
    (top, _), (left, _) = pads
    n, (h, w), (cin_g, cout_g) = x.shape[0], x.shape[2:], (x.shape[1] // groups, weight.shape[1])
    gp = np.zeros((n, g.shape[2] + 2 * top, g.shape[3] + 2 * left, g.shape[1]), dtype=g.dtype, like=g)
    gp[:, top : top + g.shape[2], left : left + g.shape[3], :] = g.transpose(0, 2, 3, 1)
    cols = _im2col(gp, kernel, stride, dilation, (h, w))  # (N, H, W, kH, kW, C_out)
    rows = x.transpose(0, 2, 3, 1)
    gx, gw = np.empty_like(rows), np.empty_like(weight)
    for k in range(groups):
        patches = cols[..., k * cout_g : (k + 1) * cout_g].reshape(n * h * w, math.prod(kernel) * cout_g)
        filters = weight[k * cin_g : (k + 1) * cin_g].transpose(2, 3, 1, 0).reshape(-1, cin_g)
        xk = rows[..., k * cin_g : (k + 1) * cin_g].reshape(-1, cin_g)
        gx[..., k * cin_g : (k + 1) * cin_g] = (patches @ filters).reshape(n, h, w, cin_g)
        gw[k * cin_g : (k + 1) * cin_g] = (patches.T @ xk).reshape(*kernel, cout_g, cin_g).transpose(3, 2, 0, 1)
    gx = gx.transpose(0, 3, 1, 2)
    return (gx, gw) if bias is None else (gx, gw, g.sum(axis=(0, 2, 3)))
