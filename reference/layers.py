"""Layers in functional form with ``torch.nn.functional`` names and conventions (NCHW), and their VJPs
with respect to the input and every parameter.  Vectorised: sliding windows and einsum; the only
Python loops run over kernel offsets (e.g. 9 for a 3x3 kernel), never over pixels."""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from reference import _xp
from reference._checks import (
    require_bool,
    require_float_array,
    require_int,
    require_ndim,
    require_real,
    require_same_dtype,
)
from reference._op import reference_op, vjp_of


# ---------------------------------------------------------------- argument helpers
def pair(value, name: str) -> tuple[int, int]:
    """An int, or a tuple or list of one or two ints (torch's forms), as ``(height, width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 2):
            raise ValueError(f"{name} must be an int or a tuple of one or two ints, got {value}")
        h, w = (value[0], value[0]) if len(value) == 1 else value
        return require_int(h, name), require_int(w, name)
    v = require_int(value, name)
    return v, v


def _positive_pair(value, name):
    out = pair(value, name)
    if min(out) < 1:
        raise ValueError(f"{name} must be positive, got {value}")
    return out


def require_vectors(x, length: int, what: str, **arrays) -> None:
    """Each named array (None allowed) must be a float vector of ``length`` with x's dtype."""
    for name, v in arrays.items():
        if v is None:
            continue
        require_float_array(v, name)
        require_same_dtype((x, v), ("x", name))
        if tuple(v.shape) != (length,):
            raise ValueError(f"{name} must have shape ({length},) for {what}, got {tuple(v.shape)}")


def _check_nchw(x, weight=None, name="x"):
    require_float_array(x, name)
    if x.ndim == 3:
        raise ValueError(
            f"{name} must have 4 dimensions (N, C, H, W), got shape {tuple(x.shape)}: an unbatched (C, H, W) input "
            f"is not supported (torch accepts it); add the batch dimension, {name}[None]"
        )
    require_ndim(x, name, exactly=4)
    if weight is not None:
        require_float_array(weight, "weight")
        require_same_dtype((x, weight), (name, "weight"))


def conv_padding(padding, kernel, dilation, stride) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))``.  ``'same'`` pads the extra row/column of an even
    kernel at the bottom/right, as torch does, and requires stride 1."""
    if isinstance(padding, str) and padding == "valid":
        return (0, 0), (0, 0)
    if isinstance(padding, str) and padding == "same":
        if stride != (1, 1):
            raise ValueError("padding='same' requires stride=1")
        out = []
        for k, d in zip(kernel, dilation):
            total = d * (k - 1)
            out.append((total // 2, total - total // 2))
        return tuple(out)
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    return (ph, ph), (pw, pw)


def _windows(xp, kernel, stride, dilation, out_hw):
    """(N, C, OH, OW, KH, KW) view of the padded input's receptive fields."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    view = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw][:, :, : out_hw[0], : out_hw[1]]


def _scatter_windows(cols, padded_shape, kernel, stride, dilation):
    """Adjoint of :func:`_windows`: add every window element back to its padded-input position."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    out = np.zeros(padded_shape, dtype=cols.dtype, like=cols)
    oh, ow = cols.shape[2], cols.shape[3]
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += cols[
                ..., i, j
            ]
    return out


def _crop(xp, pads):
    (top, bottom), (left, right) = pads
    return xp[:, :, top : xp.shape[2] - bottom, left : xp.shape[3] - right]


# ---------------------------------------------------------------- linear
def _check_linear(x, weight, bias=None):
    require_float_array(x, "x")
    require_float_array(weight, "weight")
    require_ndim(x, "x", at_least=1)
    require_ndim(weight, "weight", exactly=2)
    require_same_dtype((x, weight), ("x", "weight"))
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(f"x has {x.shape[-1]} features but weight expects {weight.shape[1]} (weight {weight.shape})")
    require_vectors(x, weight.shape[0], f"weight's {weight.shape[0]} outputs", bias=bias)


@reference_op(("x", "weight", "bias?"), _check_linear)
def linear(x, weight, bias=None):
    """x @ weight.T + bias (``torch.nn.functional.linear``)."""
    out = x @ weight.T
    return out if bias is None else out + bias


@vjp_of(linear)
def linear_vjp(g, x, weight, bias=None):
    gx = g @ weight
    rows = math.prod(x.shape[:-1])  # not reshape(-1, ...): a size-0 feature axis leaves -1 undetermined
    g2, x2 = g.reshape(rows, g.shape[-1]), x.reshape(rows, x.shape[-1])
    grads = (gx, g2.T @ x2)
    return grads if bias is None else (*grads, g2.sum(axis=0))


# ---------------------------------------------------------------- conv2d
def _conv_geometry(x, weight, stride, padding, dilation, groups):
    stride, dilation = _positive_pair(stride, "stride"), _positive_pair(dilation, "dilation")
    kernel = tuple(weight.shape[2:])
    pads = conv_padding(padding, kernel, dilation, stride)
    out_hw = tuple(
        (size + sum(p) - d * (k - 1) - 1) // s + 1
        for size, p, d, k, s in zip(x.shape[2:], pads, dilation, kernel, stride)
    )
    return kernel, stride, dilation, pads, out_hw


def _check_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    _check_nchw(x, weight)
    require_ndim(weight, "weight", exactly=4)
    if weight.shape[0] == 0:
        raise ValueError(f"weight must have at least one filter (dimension 0), got shape {tuple(weight.shape)}")
    groups = require_int(groups, "groups")
    if groups < 1 or x.shape[1] % groups or weight.shape[0] % groups:
        raise ValueError(
            f"groups={groups} must divide x's {x.shape[1]} channels and weight's {weight.shape[0]} filters"
        )
    if weight.shape[1] * groups != x.shape[1]:
        raise ValueError(
            f"x has {x.shape[1]} channels but weight expects {weight.shape[1] * groups} "
            f"(weight {tuple(weight.shape)}, groups={groups})"
        )
    require_vectors(x, weight.shape[0], f"weight's {weight.shape[0]} filters", bias=bias)
    kernel, _, dilation, pads, out_hw = _conv_geometry(x, weight, stride, padding, dilation, groups)
    if min(out_hw) < 1:
        padded = tuple(s + sum(p) for s, p in zip(x.shape[2:], pads))
        extent = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
        raise ValueError(f"kernel extent {extent} is larger than the padded input {padded}")


def _im2col(xp_nhwc, kernel, stride, dilation, out_hw):
    """(N, OH, OW, KH, KW, C) receptive fields of an NHWC padded input, copied once from a strided view.

    NumPy's copy loop merges the (KW, C) axes when they are adjacent in memory (dilation 1), so the
    copy moves KW*C contiguous values at a time; the product that follows is a single BLAS GEMM.
    """
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    n, _, _, c = xp_nhwc.shape
    s_n, s_h, s_w, s_c = xp_nhwc.strides
    view = _xp.as_strided(
        xp_nhwc, shape=(n, oh, ow, kh, kw, c), strides=(s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c)
    )
    return view.copy(order="C")


def _col2im(gcols, padded_nhwc_shape, kernel, stride, dilation):
    """Adjoint of :func:`_im2col`: add every receptive-field element back to its input position."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    oh, ow = gcols.shape[1:3]
    out = np.zeros(padded_nhwc_shape, dtype=gcols.dtype, like=gcols)
    for i in range(kh):
        for j in range(kw):
            out[:, i * dh : i * dh + sh * (oh - 1) + 1 : sh, j * dw : j * dw + sw * (ow - 1) + 1 : sw, :] += gcols[
                :, :, :, i, j, :
            ]
    return out


def _conv_setup(x, weight, stride, padding, dilation, groups):
    kernel, stride, dilation, pads, out_hw = _conv_geometry(x, weight, stride, padding, dilation, groups)
    (top, bottom), (left, right) = pads
    xp = np.zeros((x.shape[0], x.shape[2] + top + bottom, x.shape[3] + left + right, x.shape[1]), dtype=x.dtype, like=x)
    xp[:, top : top + x.shape[2], left : left + x.shape[3], :] = x.transpose(0, 2, 3, 1)  # padded NHWC, one copy
    cols = _im2col(xp, kernel, stride, dilation, out_hw)
    return kernel, stride, dilation, pads, out_hw, xp.shape, cols


def _group_matrices(cols, weight, groups):
    """Per group: the (M, KH*KW*Cg) patch matrix and the (KH*KW*Cg, Og) filter matrix."""
    n, oh, ow, kh, kw, c = cols.shape
    cg, og = c // groups, weight.shape[0] // groups
    for g in range(groups):
        patches = cols[..., g * cg : (g + 1) * cg].reshape(n * oh * ow, kh * kw * cg)
        filters = weight[g * og : (g + 1) * og].transpose(2, 3, 1, 0).reshape(kh * kw * cg, og)
        yield g, patches, filters


@reference_op(("x", "weight", "bias?"), _check_conv2d)
def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation, NCHW, weight (out, in/groups, kh, kw), as ``torch.nn.functional.conv2d``."""
    *_, out_hw, _, cols = _conv_setup(x, weight, stride, padding, dilation, groups)
    n, og = x.shape[0], weight.shape[0] // groups
    products = [
        (patches @ filters).reshape(n, *out_hw, og) for _, patches, filters in _group_matrices(cols, weight, groups)
    ]
    out = products[0] if groups == 1 else np.concatenate(products, axis=-1)  # one GEMM result is the output
    if bias is not None:
        out += bias
    return out.transpose(0, 3, 1, 2)


@vjp_of(conv2d)
def conv2d_vjp(g, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    kernel, stride, dilation, pads, out_hw, padded, cols = _conv_setup(x, weight, stride, padding, dilation, groups)
    n, og = x.shape[0], weight.shape[0] // groups
    cg = x.shape[1] // groups
    g_nhwc = g.transpose(0, 2, 3, 1)
    gw = np.empty_like(weight)
    gcols = np.empty_like(cols)
    for k, patches, filters in _group_matrices(cols, weight, groups):
        gk = g_nhwc[..., k * og : (k + 1) * og].reshape(-1, og)
        gw[k * og : (k + 1) * og] = (patches.T @ gk).reshape(*kernel, cg, og).transpose(3, 2, 0, 1)
        gcols[..., k * cg : (k + 1) * cg] = (gk @ filters.T).reshape(n, *out_hw, *kernel, cg)
    gx = _col2im(gcols, padded, kernel, stride, dilation).transpose(0, 3, 1, 2)
    gx = _crop(gx, pads)
    return (gx, gw) if bias is None else (gx, gw, g.sum(axis=(0, 2, 3)))


# ---------------------------------------------------------------- pooling
def _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _positive_pair(kernel_size, "kernel_size")
    stride = kernel if stride is None else _positive_pair(stride, "stride")
    dilation = _positive_pair(dilation, "dilation")
    pad = pair(padding, "padding")
    if min(pad) < 0:
        raise ValueError(f"padding must be non-negative, got {padding}")
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise ValueError(f"padding={padding} must be at most half of kernel_size={kernel_size}")
    out_hw = []
    for size, p, d, k, s in zip(x.shape[2:], pad, dilation, kernel, stride):
        span = size + 2 * p - d * (k - 1) - 1
        n = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (n - 1) * s >= size + p:  # the last window must start inside the input or left padding
            n -= 1
        out_hw.append(n)
    if min(out_hw) < 1:
        raise ValueError(f"kernel_size={kernel_size} is larger than the padded input {x.shape[2:]} + {pad}")
    # pad the far side enough for every window (ceil_mode windows may run past the padding)
    pads = tuple(
        (p, max(p, (n - 1) * s + d * (k - 1) + 1 - size - p))
        for size, p, d, k, s, n in zip(x.shape[2:], pad, dilation, kernel, stride, out_hw)
    )
    return kernel, stride, dilation, pad, pads, tuple(out_hw)


def windows_without_input(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> bool:
    """Whether some pooling window holds only padding: dilation can step every tap of a window over the input
    (kernel 2, dilation 2, padding 1 on a 1-row input: taps at rows -1 and 1).  Its max is -inf, the max of
    nothing, and it has no element to send a gradient to."""
    kernel, stride, dilation, pad, _, out_hw = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    for size, p, d, k, s, n in zip(x.shape[2:], pad, dilation, kernel, stride, out_hw):
        taps = np.arange(n)[:, None] * s - p + d * np.arange(k)[None, :]
        if not np.all(np.any((taps >= 0) & (taps < size), axis=1)):
            return True
    return False


def _check_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, **flags):
    _check_nchw(x)
    require_bool(ceil_mode, "ceil_mode")
    for name, value in flags.items():
        require_bool(value, name)
    _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)


def _check_max_pool(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    _check_pool(x, kernel_size, stride, padding, dilation, ceil_mode)


def _max_pool_argmax(x, kernel_size, stride, padding, dilation, ceil_mode):
    """The padded input, its windows flattened, and the tap each window selects (torch's rule, below)."""
    kernel, stride, dilation, _, pads, out_hw = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode)
    xp = np.pad(x, ((0, 0), (0, 0), *pads), constant_values=-np.inf)
    taps = kernel[0] * kernel[1]  # not -1 in the reshapes: an empty batch leaves it undetermined
    flat = _windows(xp, kernel, stride, dilation, out_hw).reshape(*x.shape[:2], *out_hw, taps)
    real = np.zeros(xp.shape[2:], dtype=bool, like=x)
    real[pads[0][0] : pads[0][0] + x.shape[2], pads[1][0] : pads[1][0] + x.shape[3]] = True
    real = _windows(real[None, None], kernel, stride, dilation, out_hw).reshape(*out_hw, taps)
    # torch's CPU kernels (both memory formats, measured with torch 2.13) and its NCHW CUDA kernel (same source
    # rule) start at the window's first real element with the value -inf and move on at `v > best or isnan(v)`:
    # ties go to the first maximum, a window of -inf sends its gradient to its first real element (never into
    # the padding), and of several NaNs the *last* wins.
    nan = np.isnan(flat)
    best = np.max(np.where(real & ~nan, flat, -np.inf), axis=-1, keepdims=True)
    index = np.argmax(real & (flat == best), axis=-1)
    last_nan = flat.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    index = np.where(nan.any(axis=-1), last_nan, index)
    return xp, flat, index, (kernel, stride, dilation, pads, out_hw)


@reference_op(("x",), _check_max_pool)
def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max over windows (padding is -inf and never selected); NaN propagates; ties resolve to the first element."""
    _, flat, index, _ = _max_pool_argmax(x, kernel_size, stride, padding, dilation, ceil_mode)
    return np.take_along_axis(flat, index[..., None], axis=-1)[..., 0]


@vjp_of(max_pool2d)
def max_pool2d_vjp(g, x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    # The whole gradient of a window goes to its one selected element (torch), not split among ties.
    xp, flat, index, (kernel, stride, dilation, pads, _) = _max_pool_argmax(
        x, kernel_size, stride, padding, dilation, ceil_mode
    )
    onehot = (np.arange(flat.shape[-1], like=index) == index[..., None]) * g[..., None]
    cols = onehot.reshape(*flat.shape[:4], *kernel)
    return (_crop(_scatter_windows(cols, xp.shape, kernel, stride, dilation), pads),)


def _check_avg_pool(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                    divisor_override=None):  # fmt: skip
    _check_pool(x, kernel_size, stride, padding, 1, ceil_mode, count_include_pad=count_include_pad)
    if divisor_override is not None and require_int(divisor_override, "divisor_override") == 0:
        raise ValueError("divisor_override must not be 0")


def _avg_divisor(x, kernel, stride, pad, pads, out_hw, count_include_pad, divisor_override=None):
    """Elements averaged by each window: the padded area it covers (torch's count_include_pad=True,
    never beyond the declared padding), or only the real input elements; ``divisor_override`` for every window."""
    if divisor_override is not None:
        return np.zeros(out_hw, like=x) + float(divisor_override)  # np.full(like=) passes device=, CuPy lacks it
    h, w = x.shape[2:]
    rows = np.zeros(h + sum(pads[0]), like=x)
    cols = np.zeros(w + sum(pads[1]), like=x)
    if count_include_pad:
        rows[: h + 2 * pad[0]], cols[: w + 2 * pad[1]] = 1, 1
    else:
        rows[pad[0] : pad[0] + h], cols[pad[1] : pad[1] + w] = 1, 1
    mask = np.multiply.outer(rows, cols)[None, None]
    return _windows(mask, kernel, stride, (1, 1), out_hw).sum(axis=(-1, -2))[0, 0]


@reference_op(("x",), _check_avg_pool)
def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Mean over windows; ``count_include_pad`` decides whether zero padding counts in the divisor, and
    ``divisor_override`` (a nonzero int) replaces the divisor of every window."""
    kernel, stride, _, pad, pads, out_hw = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    xp = np.pad(x, ((0, 0), (0, 0), *pads))
    total = _windows(xp, kernel, stride, (1, 1), out_hw).sum(axis=(-1, -2))
    return total / _avg_divisor(x, kernel, stride, pad, pads, out_hw, count_include_pad, divisor_override)


@vjp_of(avg_pool2d)
def avg_pool2d_vjp(
    g, x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None
):
    kernel, stride, _, pad, pads, out_hw = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode)
    share = g / _avg_divisor(x, kernel, stride, pad, pads, out_hw, count_include_pad, divisor_override)
    cols = np.broadcast_to(share[..., None, None], (*share.shape, *kernel))
    padded = (*x.shape[:2], x.shape[2] + sum(pads[0]), x.shape[3] + sum(pads[1]))
    return (_crop(_scatter_windows(cols, padded, kernel, stride, (1, 1)), pads),)


# ---------------------------------------------------------------- normalisation
def _check_batch_norm(x, weight=None, bias=None, eps=1e-5):
    require_float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must be (N, C) or (N, C, d1, ...), got shape {tuple(x.shape)}")
    _require_two_values_per_channel(x)
    require_vectors(x, x.shape[1], f"x's {x.shape[1]} channels", weight=weight, bias=bias)
    require_real(eps, "eps", minimum=0.0, exclusive=True)


def _require_two_values_per_channel(x):
    per_channel = math.prod(x.shape[:1] + x.shape[2:])  # torch counts them so, however many channels there are
    if per_channel < 2:
        values = "one value" if per_channel == 1 else "no values"
        raise ValueError(f"x of shape {tuple(x.shape)} has {values} per channel: batch statistics need at least two")


def _channel(v, x):
    """A per-channel vector shaped to broadcast against (N, C, ...)."""
    return v.reshape(1, -1, *([1] * (x.ndim - 2)))


def _batch_axes(x):
    return (0, *range(2, x.ndim))


def _normalize_vjp(gxhat, xhat, inv, axes):
    """Gradient through xhat = (x - mean) * inv with mean and (biased) variance over ``axes``."""
    mean_g = gxhat.mean(axis=axes, keepdims=True)
    return inv * (gxhat - mean_g - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))


def _affine_vjp(g, xhat, axes, weight, bias):
    """Gradients of ``xhat * weight + bias`` for the parameters that are present."""
    return tuple(grad for grad, p in (((g * xhat).sum(axis=axes), weight), (g.sum(axis=axes), bias)) if p is not None)


def _affine(xhat, x, weight, bias):
    out = xhat if weight is None else xhat * _channel(weight, x)
    return out if bias is None else out + _channel(bias, x)


@reference_op(("x", "weight?", "bias?"), _check_batch_norm)
def batch_norm(x, weight=None, bias=None, eps=1e-5):
    """Training-mode batch norm: normalise with the batch mean and *biased* batch variance per channel."""
    axes = _batch_axes(x)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return _affine((x - mean) / np.sqrt(var + eps), x, weight, bias)


@vjp_of(batch_norm)
def batch_norm_vjp(g, x, weight=None, bias=None, eps=1e-5):
    axes = _batch_axes(x)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - mean) * inv
    # the weight is constant over each channel's batch: it scales the centred cotangent after centring, as torch
    # does (before, an infinite weight would centre inf - inf = NaN)
    scale = inv if weight is None else inv * _channel(weight, x)
    return (_normalize_vjp(g, xhat, scale, axes), *_affine_vjp(g, xhat, axes, weight, bias))


def _check_batch_norm_eval(x, running_mean, running_var, weight=None, bias=None, eps=1e-5):
    _check_batch_norm_stats(x, running_mean, running_var)
    require_vectors(x, x.shape[1], f"x's {x.shape[1]} channels", weight=weight, bias=bias)
    require_real(eps, "eps", minimum=0.0, exclusive=True)


def _check_batch_norm_stats(x, running_mean, running_var, *_, **__):
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=2)
    for name, stat in (("running_mean", running_mean), ("running_var", running_var)):
        require_float_array(stat, name)
    require_vectors(x, x.shape[1], f"x's {x.shape[1]} channels", running_mean=running_mean, running_var=running_var)


@reference_op(
    ("x", "running_mean", "running_var", "weight?", "bias?"),
    _check_batch_norm_eval,
    nondiff=("running_mean", "running_var"),
)
def batch_norm_eval(x, running_mean, running_var, weight=None, bias=None, eps=1e-5):
    """Eval-mode batch norm: normalise with the running statistics."""
    xhat = (x - _channel(running_mean, x)) / np.sqrt(_channel(running_var, x) + eps)
    return _affine(xhat, x, weight, bias)


@vjp_of(batch_norm_eval)
def batch_norm_eval_vjp(g, x, running_mean, running_var, weight=None, bias=None, eps=1e-5):
    axes = _batch_axes(x)
    inv = 1.0 / np.sqrt(_channel(running_var, x) + eps)
    xhat = (x - _channel(running_mean, x)) * inv
    gx = g * inv * (1.0 if weight is None else _channel(weight, x))
    return (gx, *_affine_vjp(g, xhat, axes, weight, bias))


def batch_norm_running_stats(x, running_mean, running_var, momentum=0.1):
    """The running statistics after one training step (torch): the *unbiased* batch variance is stored,
    ``new = (1 - momentum) * running + momentum * batch``."""
    _check_batch_norm_stats(x, running_mean, running_var)
    _require_two_values_per_channel(x)  # the unbiased variance divides by n - 1 (torch raises too)
    require_real(momentum, "momentum", minimum=0.0)
    axes = _batch_axes(x)
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    unbiased = ((x - _channel(mean, x)) ** 2).sum(axis=axes) / (n - 1)
    return (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * unbiased


def _check_layer_norm(x, weight=None, bias=None, *, normalized_shape, eps=1e-5):
    require_float_array(x, "x")
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"normalized_shape must be a tuple or list of ints, got {type(normalized_shape).__name__}")
    normalized_shape = tuple(require_int(n, "normalized_shape") for n in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or tuple(x.shape[x.ndim - k :]) != normalized_shape or x.ndim < k:
        raise ValueError(
            f"normalized_shape={normalized_shape} must match the trailing dimensions of x {tuple(x.shape)}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None:
            require_float_array(p, name)
            require_same_dtype((x, p), ("x", name))
            if tuple(p.shape) != normalized_shape:
                raise ValueError(f"{name} must have shape {normalized_shape}, got {tuple(p.shape)}")
    require_real(eps, "eps", minimum=0.0, exclusive=True)


def _ln_stats(x, k, eps):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return axes, (x - mean) / np.sqrt(var + eps), 1.0 / np.sqrt(var + eps)


@reference_op(("x", "weight?", "bias?"), _check_layer_norm)
def layer_norm(x, weight=None, bias=None, *, normalized_shape, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims (biased variance), then scale and shift."""
    _, xhat, _ = _ln_stats(x, len(normalized_shape), eps)
    out = xhat if weight is None else xhat * weight
    return out if bias is None else out + bias


@vjp_of(layer_norm)
def layer_norm_vjp(g, x, weight=None, bias=None, *, normalized_shape, eps=1e-5):
    axes, xhat, inv = _ln_stats(x, len(normalized_shape), eps)
    gxhat = g if weight is None else g * weight
    lead = tuple(range(x.ndim - len(normalized_shape)))
    return (_normalize_vjp(gxhat, xhat, inv, axes), *_affine_vjp(g, xhat, lead, weight, bias))


# ---------------------------------------------------------------- flatten, dropout
def _flatten_dims(x, start_dim, end_dim):
    ndim = max(x.ndim, 1)
    start, end = require_int(start_dim, "start_dim"), require_int(end_dim, "end_dim")
    for name, d in (("start_dim", start), ("end_dim", end)):
        if not -ndim <= d < ndim:
            raise ValueError(f"{name}={d} is out of range for x of {x.ndim} dimension(s)")
    start, end = start % ndim, end % ndim
    if start > end:
        raise ValueError(f"start_dim={start_dim} comes after end_dim={end_dim}")
    return start, end


def _check_flatten(x, start_dim=1, end_dim=-1):
    require_float_array(x, "x")
    _flatten_dims(x, start_dim, end_dim)


@reference_op(("x",), _check_flatten)
def flatten(x, start_dim=1, end_dim=-1):
    """Merge dims start_dim..end_dim into one (``torch.flatten``)."""
    if x.ndim == 0:
        return x.reshape(1)
    start, end = _flatten_dims(x, start_dim, end_dim)
    return (
        x.reshape(*x.shape[:start], -1, *x.shape[end + 1 :])
        if x.size
        else x.reshape(*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])
    )


@vjp_of(flatten)
def flatten_vjp(g, x, start_dim=1, end_dim=-1):
    return (g.reshape(x.shape),)


def _check_dropout(x, mask, p=0.5):
    require_float_array(x, "x")
    require_float_array(mask, "mask")
    if tuple(mask.shape) != tuple(x.shape):
        raise ValueError(f"mask must have x's shape {tuple(x.shape)}, got {tuple(mask.shape)}")
    p = require_real(p, "p", minimum=0.0)
    if p >= 1.0:
        raise ValueError(f"p must be < 1 (the kept values are scaled by 1/(1-p)), got {p}")


@reference_op(("x", "mask"), _check_dropout, nondiff=("mask",))
def dropout(x, mask, p=0.5):
    """Inverted dropout with an explicit 0/1 ``mask``: x * mask / (1 - p), deterministic."""
    return x * mask / (1.0 - p)


@vjp_of(dropout)
def dropout_vjp(g, x, mask, p=0.5):
    return (g * mask / (1.0 - p),)
