"""Resampling layers with ``torch.nn.functional``'s semantics (NCHW), and their VJPs: adaptive average pooling
(torch's uneven windows) and interpolation to a given output size (``mode="nearest"`` and ``mode="bilinear"`` with
and without ``align_corners``).

Every one is separable: a map along the height and one along the width, each a gather (or window sum) whose
adjoint is a scatter-add.  The source indices and weights are torch's, including their rounding: nearest computes
``floor(dst * (in / out))`` in float32 (ATen's ``nearest_neighbor_compute_source_index`` takes a ``float`` scale,
whatever the tensor's dtype), bilinear computes its source coordinates in the computation type (float64 for
float64, float32 otherwise).  Python loops run over output rows and columns of the pooling windows only."""

from __future__ import annotations

import numpy as np

from reference import _xp
from reference._checks import require_bool, require_int
from reference._op import reference_op, vjp_of
from reference.layers import _check_nchw


# ---------------------------------------------------------------- argument helpers
def output_size(value, x, name="output_size", allow_none=False) -> tuple[int, int]:
    """An int or a pair of ints (``None`` keeping the input's size where ``allow_none``) as ``(OH, OW)``."""
    items = list(value) if isinstance(value, (tuple, list)) else [value, value]
    if len(items) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value}")
    sizes = []
    for item, size in zip(items, x.shape[2:]):
        if item is None and allow_none:
            sizes.append(size)
            continue
        item = require_int(item, name)
        if item < 1:
            raise ValueError(f"{name} must be positive, got {value}")
        sizes.append(item)
    return sizes[0], sizes[1]


def _check_resampled(x, size, name, allow_none=False):
    _check_nchw(x)
    if min(x.shape[1:]) < 1:
        raise ValueError(f"x must have non-zero channels, height and width (torch's rule), got {tuple(x.shape)}")
    return output_size(size, x, name, allow_none)


def _on_device(values, like, dtype=None):
    """Host-computed indices or weights as ``like``'s array type: through a list, since CuPy refuses a host array
    in a device computation (and indexes with device arrays)."""
    host = np.asarray(values, dtype=dtype)
    return np.asarray(host.tolist(), dtype=host.dtype, like=like)


def _take(x, index, axis):
    """``x`` read at ``index`` along ``axis`` (2 or 3)."""
    return x[:, :, index] if axis == 2 else x[..., index]


def _scatter(shape, like, index, values, axis):
    """The adjoint of :func:`_take`: zeros of ``shape`` with ``values`` added at ``index`` along ``axis``
    (repeated indices accumulating)."""
    where = (slice(None),) * axis + (index,)
    return _xp.scatter_add(np.zeros(shape, dtype=values.dtype, like=like), where, values)


def _shape_along(x, axis, n):
    return tuple(n if a == axis else s for a, s in enumerate(x.shape))


# ---------------------------------------------------------------- adaptive_avg_pool2d
def adaptive_windows(size: int, out: int) -> list[tuple[int, int]]:
    """torch's windows: ``[floor(i * size / out), ceil((i + 1) * size / out))`` for each output index ``i``
    (neighbouring windows overlap where ``out`` does not divide ``size``)."""
    return [((i * size) // out, -(-(i + 1) * size // out)) for i in range(out)]


def _check_adaptive_avg_pool2d(x, output_size):
    _check_resampled(x, output_size, "output_size", allow_none=True)


def _window_counts(x, out_hw, like):
    """Each output's window height (column vector) and width (row vector), as ``like``'s arrays of x's dtype."""
    (h_windows, w_windows) = (adaptive_windows(s, o) for s, o in zip(x.shape[2:], out_hw))
    heights = _on_device([[e - s] for s, e in h_windows], like, x.dtype)
    widths = _on_device([[e - s for s, e in w_windows]], like, x.dtype)
    return h_windows, w_windows, heights, widths


@reference_op(("x",), _check_adaptive_avg_pool2d)
def adaptive_avg_pool2d(x, output_size):
    """The mean of each of torch's uneven windows (:func:`adaptive_windows`), ``output_size`` an int or a pair
    (``None`` keeps that axis's size): the window's sum divided by its height, then by its width, as ATen's CPU
    kernel (``sum / kh / kw``)."""
    out_hw = _check_resampled(x, output_size, "output_size", allow_none=True)
    h_windows, w_windows, heights, widths = _window_counts(x, out_hw, x)
    rows = np.stack([x[:, :, s:e].sum(axis=2) for s, e in h_windows], axis=2)
    total = np.stack([rows[..., s:e].sum(axis=3) for s, e in w_windows], axis=3)
    return total / heights / widths


@vjp_of(adaptive_avg_pool2d)
def adaptive_avg_pool2d_vjp(g, x, output_size):
    out_hw = _check_resampled(x, output_size, "output_size", allow_none=True)
    h_windows, w_windows, heights, widths = _window_counts(x, out_hw, g)
    share = g / heights / widths  # each element of a window gets the window's cotangent over its size
    rows = np.zeros(_shape_along(share, 3, x.shape[3]), dtype=g.dtype, like=g)
    for j, (s, e) in enumerate(w_windows):
        rows[..., s:e] += share[..., j : j + 1]
    gx = np.zeros(x.shape, dtype=g.dtype, like=g)
    for i, (s, e) in enumerate(h_windows):
        gx[:, :, s:e] += rows[:, :, i : i + 1]
    return (gx,)


# ---------------------------------------------------------------- interpolate (nearest)
def nearest_indices(size: int, out: int) -> np.ndarray:
    """torch's ``mode="nearest"`` source indices: ``min(floor(dst * scale), size - 1)`` with ``scale = size /
    out`` and the product in float32 (ATen passes a ``float`` scale and calls ``floorf``); not "nearest-exact",
    which rounds ``(dst + 0.5) * scale - 0.5``."""
    scale = np.float32(size) / np.float32(out)
    return np.minimum(np.floor(np.arange(out, dtype=np.float32) * scale).astype(np.int64), size - 1)


def _check_interpolate_nearest(x, size):
    _check_resampled(x, size, "size")


def _nearest_maps(x, size, like):
    out_hw = _check_resampled(x, size, "size")
    return [_on_device(nearest_indices(s, o), like) for s, o in zip(x.shape[2:], out_hw)]


@reference_op(("x",), _check_interpolate_nearest)
def interpolate_nearest(x, size):
    """``F.interpolate(x, size=size, mode="nearest")``: each output pixel copies the input pixel at
    :func:`nearest_indices` along the height and the width."""
    rows, cols = _nearest_maps(x, size, x)
    return _take(_take(x, rows, 2), cols, 3)


@vjp_of(interpolate_nearest)
def interpolate_nearest_vjp(g, x, size):
    rows, cols = _nearest_maps(x, size, g)
    by_rows = _scatter(_shape_along(g, 3, x.shape[3]), g, cols, g, 3)
    return (_scatter(x.shape, g, rows, by_rows, 2),)


# ---------------------------------------------------------------- interpolate (bilinear)
def linear_taps(size: int, out: int, align_corners: bool, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """torch's linear interpolation along one axis: for each output index the two source indices ``i0 <= i1``
    (``i1 = i0`` at the last input) and the weight ``lam`` of ``i1`` (``1 - lam`` of ``i0``), in ``dtype``.

    ``align_corners``: ``src = dst * (size - 1) / (out - 1)`` (0 for ``out == 1``); otherwise ``src = (dst + 0.5) *
    size / out - 0.5``, clamped at 0 (ATen's ``area_pixel_compute_source_index``); ``i0 = min(floor(src), size - 1)``
    and ``lam = clip(src - i0, 0, 1)`` (``guard_index_and_lambda``).  An axis whose size does not change reads
    each input twice, ``x[i] * 1 + x[i] * 0`` (ATen's copy case: an inf there becomes NaN, a NaN stays put)."""
    t = np.dtype(dtype).type
    if size == out:  # ATen's compute_source_index_and_lambda: "scale_factor = 1, simply copy" (x * 1 + x * 0)
        same = np.arange(out)
        return same, same, np.zeros(out, dtype=dtype)
    if align_corners:
        scale = t(size - 1) / t(out - 1) if out > 1 else t(0)
        src = scale * np.arange(out, dtype=dtype)
    else:
        scale = t(size) / t(out)
        src = np.maximum(scale * (np.arange(out, dtype=dtype) + t(0.5)) - t(0.5), t(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    lam = np.clip(src - i0.astype(dtype), t(0), t(1))
    return i0, np.minimum(i0 + 1, size - 1), lam


def _check_interpolate_bilinear(x, size, align_corners=False):
    _check_resampled(x, size, "size")
    require_bool(align_corners, "align_corners")


def _bilinear_maps(x, size, align_corners, like):
    """Per axis (height, width): source indices i0, i1 and weights 1 - lam, lam as ``like``'s arrays, the weights
    in the computation type (float64 for float64 data, float32 otherwise: ATen's opmath type) and shaped to
    broadcast along their axis."""
    out_hw = _check_resampled(x, size, "size")
    compute = np.float64 if x.dtype == np.float64 else np.float32
    maps = []
    for axis, (n, o) in enumerate(zip(x.shape[2:], out_hw), start=2):
        i0, i1, lam = linear_taps(n, o, align_corners, compute)
        shape = (o, 1) if axis == 2 else (o,)
        weights = [_on_device((1 - lam).reshape(shape), like), _on_device(lam.reshape(shape), like)]
        maps.append((axis, [_on_device(i0, like), _on_device(i1, like)], weights))
    return maps


@reference_op(("x",), _check_interpolate_bilinear)
def interpolate_bilinear(x, size, align_corners=False):
    """``F.interpolate(x, size=size, mode="bilinear", align_corners=align_corners)``: along the width, then the
    height (ATen's order), each output is ``x[i0] * (1 - lam) + x[i1] * lam`` (:func:`linear_taps`), computed in
    float32 for float32 and half data (a zero weight times NaN or inf is NaN, as in torch)."""
    out = x.astype(np.float64 if x.dtype == np.float64 else np.float32)
    for axis, indices, weights in reversed(_bilinear_maps(x, size, align_corners, x)):
        out = _take(out, indices[0], axis) * weights[0] + _take(out, indices[1], axis) * weights[1]
    return out


@vjp_of(interpolate_bilinear)
def interpolate_bilinear_vjp(g, x, size, align_corners=False):
    grad = g.astype(np.float64 if x.dtype == np.float64 else np.float32)
    for axis, indices, weights in _bilinear_maps(x, size, align_corners, g):
        shape = _shape_along(grad, axis, x.shape[axis])
        grad = _scatter(shape, g, indices[0], grad * weights[0], axis) + _scatter(
            shape, g, indices[1], grad * weights[1], axis
        )
    return (grad,)
