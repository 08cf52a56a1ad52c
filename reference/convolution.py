"""1-D convolution with ``torch.nn.functional.conv1d``'s semantics (NCL, weight (out, in / groups, k)), and its VJP
with respect to the input, the weight and the bias: :func:`reference.layers.conv2d` (im2col and one product per
group) on a height of 1, so the two share one implementation."""

from __future__ import annotations

from reference._checks import require_float_array, require_int, require_ndim
from reference._op import reference_op, vjp_of
from reference.layers import _check_conv2d, conv2d


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
