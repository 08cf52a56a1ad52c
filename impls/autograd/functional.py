"""Layers and losses for the autograd engine, composed of its primitives wherever possible, so the
engine (not a hand-written VJP) differentiates them: linear, batch/layer norm, dropout and every loss
are compositions; conv2d is an im2col primitive followed by matmuls; the pools are primitives whose
local gradients reuse the reference's window bookkeeping."""

from __future__ import annotations

import math

import numpy as np

from impls.autograd import ops
from impls.autograd.ops import Tensor, make, tensor
from reference import layers as ref_layers
from reference import losses as ref_losses


def _first_order_only(name):
    def back(g, cg):
        raise NotImplementedError(f"second-order gradients through {name} are not implemented")

    return back


# ---------------------------------------------------------------- layers
def linear(x, weight, bias=None):
    """x @ weight.T + bias: one BLAS call on a transposed view of the weight (no copy of it), its gradients
    g @ weight and g.T @ x; composed of the engine's ops under ``create_graph`` (second order)."""
    x, weight = tensor(x), tensor(weight)
    if x.dtype != weight.dtype:
        ops._same_dtype(x, weight, "linear")
    data = x.data @ weight.data.T

    n_rows = math.prod(x.shape[:-1])  # explicit: a -1 cannot be inferred with 0 in- or out-features

    def back(g, cg):
        if cg:
            rows, inputs = ops.reshape(g, (n_rows, g.shape[-1])), ops.reshape(x, (n_rows, x.shape[-1]))
            return ops.matmul(g, weight), ops.matmul(ops.transpose(rows), inputs)
        rows = g.reshape(n_rows, g.shape[-1])
        return g @ weight.data, rows.T @ x.data.reshape(n_rows, x.shape[-1])

    out = make(data, (x, weight), back, "linear")
    return out if bias is None else out + bias


def _im2col(x: Tensor, weight_shape, stride, padding, dilation, groups):
    """(N, OH, OW, KH, KW, C) patches of x (a primitive: its adjoint is col2im)."""
    geometry = ref_layers._conv_setup(x.data, np.empty(weight_shape, dtype=x.dtype), stride, padding, dilation, groups)
    kernel, stride_, dilation_, pads, out_hw, padded, cols = geometry

    def back(g, cg):
        if cg:
            raise NotImplementedError("second-order gradients through conv2d are not implemented")
        gx = ref_layers._col2im(g, padded, kernel, stride_, dilation_).transpose(0, 3, 1, 2)
        return (np.ascontiguousarray(ref_layers._crop(gx, pads)),)

    return make(cols, (x,), back, "im2col", ()), out_hw


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """im2col, then one matmul per group, as the reference."""
    x, weight = tensor(x), tensor(weight)
    cols, out_hw = _im2col(x, weight.shape, stride, padding, dilation, groups)
    n, (o, cg, kh, kw) = x.shape[0], weight.shape
    og = o // groups
    outs = []
    for g in range(groups):
        patches = ops.reshape(cols[..., g * cg : (g + 1) * cg], (n * out_hw[0] * out_hw[1], kh * kw * cg))
        filters = ops.reshape(ops.transpose(weight[g * og : (g + 1) * og], (2, 3, 1, 0)), (kh * kw * cg, og))
        outs.append(ops.reshape(ops.matmul(patches, filters), (n, *out_hw, og)))
    out = outs[0] if groups == 1 else ops.concatenate(*outs, axis=-1)
    if bias is not None:
        out = out + bias
    return ops.transpose(out, (0, 3, 1, 2))


def _reference_primitive(name, forward, x: Tensor, **params):
    """A primitive whose local gradient is the reference VJP (pooling: pure window bookkeeping)."""
    out = forward(x.data, **params)
    return make(
        out,
        (x,),
        lambda g, cg: forward.vjp(g, x.data, **params) if not cg else _first_order_only(name)(g, cg),
        name,
        (),
    )


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Max pooling; a tied window sends its gradient to the first maximum."""
    return _reference_primitive(
        "max_pool2d",
        ref_layers.max_pool2d,
        tensor(x),
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
    """Average pooling (count_include_pad and divisor_override as torch)."""
    return _reference_primitive(
        "avg_pool2d",
        ref_layers.avg_pool2d,
        tensor(x),
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        divisor_override=divisor_override,
    )


def _channel(v, ndim):
    return ops.reshape(v, (1, -1, *([1] * (ndim - 2))))


def _normalise(x, axes, eps):
    centred = x - ops.mean(x, axes, keepdims=True)
    variance = ops.mean(centred * centred, axes, keepdims=True)
    return centred / ops.sqrt(variance + eps)


def batch_norm(x, weight=None, bias=None, eps=1e-5):
    """Training mode: batch mean and biased batch variance, composed of primitives."""
    x = tensor(x)
    out = _normalise(x, (0, *range(2, x.ndim)), eps)
    out = out if weight is None else out * _channel(weight, x.ndim)
    return out if bias is None else out + _channel(bias, x.ndim)


def batch_norm_eval(x, running_mean, running_var, weight=None, bias=None, eps=1e-5):
    """Eval mode: the running statistics (constants)."""
    x = tensor(x)
    mean, var = _channel(ops.tensor(running_mean).detach(), x.ndim), _channel(ops.tensor(running_var).detach(), x.ndim)
    out = (x - mean) / ops.sqrt(var + eps)
    out = out if weight is None else out * _channel(weight, x.ndim)
    return out if bias is None else out + _channel(bias, x.ndim)


def layer_norm(x, weight=None, bias=None, *, normalized_shape, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dims."""
    x = tensor(x)
    out = _normalise(x, tuple(range(x.ndim - len(normalized_shape), x.ndim)), eps)
    out = out if weight is None else out * weight
    return out if bias is None else out + bias


def flatten(x, start_dim=1, end_dim=-1):
    """Merge dims start_dim..end_dim."""
    x = tensor(x)
    return ops.reshape(
        x, ref_layers.flatten(np.empty(x.shape, dtype=x.dtype), start_dim=start_dim, end_dim=end_dim).shape
    )


def dropout(x, mask, p=0.5):
    """x * mask / (1 - p) with an explicit mask (no gradient to the mask)."""
    return tensor(x) * (ops.tensor(mask).detach() * (1.0 / (1.0 - p)))


# ---------------------------------------------------------------- losses (compositions: second order works)
def _inverse(divisor) -> float:
    """1 / divisor, inf (hence NaN for 0/0) when every row is ignored, as torch."""
    with np.errstate(divide="ignore"):
        return float(np.divide(1.0, divisor))


def _reduce(loss, reduction):
    return ops.mean(loss) if reduction == "mean" else ops.sum_(loss) if reduction == "sum" else loss


def mse_loss(input, target, reduction="mean"):
    d = tensor(input) - ops.tensor(target).detach()
    return _reduce(d * d, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    d = tensor(input) - ops.tensor(target).detach()
    inside = np.abs(d.data) <= delta
    return _reduce(ops.where_mask(inside, 0.5 * d * d, delta * (ops.abs(d) - 0.5 * delta)), reduction)


def _data(v):
    return None if v is None else v.data if isinstance(v, Tensor) else np.asarray(v)


def _class_last(x: Tensor) -> Tensor:
    return ops.transpose(x, (0, *range(2, x.ndim), 1)) if x.ndim >= 2 else x


def _index_losses(log_probs: Tensor, target, weight, ignore_index, label_smoothing) -> Tensor:
    """Per-row losses for class-index targets, gathered at the targets of the kept rows only (as torch): a masked
    (-inf) class that is not the target, or an ignored row, never enters the graph."""
    n_classes = log_probs.shape[-1]
    flat = ops.reshape(log_probs, (-1, n_classes))
    t = np.reshape(target, -1)
    kept = np.flatnonzero(t != ignore_index)
    w = np.ones(n_classes, dtype=log_probs.dtype) if weight is None else weight.astype(log_probs.dtype)
    loss = -(ops.getitem(flat, (kept, t[kept])) * w[t[kept]])
    if label_smoothing:
        smooth = -ops.sum_(ops.getitem(flat, (kept,)) * w, -1)
        loss = loss * (1.0 - label_smoothing) + smooth * (label_smoothing / n_classes)
    return ops.reshape(ops.scatter_into_zeros(loss, t.shape, kept), np.shape(target))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """-Σ_c a_c log_softmax_c with the reference's class coefficients a (weights, smoothing, ignored rows)."""
    input = tensor(input)
    target_data = _data(target)
    coeff, divisor, keep = ref_losses._coefficients(
        input.data, target_data, _data(weight), ignore_index, reduction, label_smoothing
    )
    log_probs = ops.log_softmax(_class_last(input), -1)
    if keep is None:
        per_row = -ops.sum_(Tensor(coeff.astype(input.dtype)) * log_probs, -1)
    else:
        per_row = _index_losses(log_probs, target_data, _data(weight), ignore_index, label_smoothing)
    return ops.sum_(per_row) * _inverse(divisor) if reduction == "mean" else _reduce(per_row, reduction)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    input = tensor(input)
    _, divisor, _ = ref_losses._coefficients(input.data, _data(target), _data(weight), ignore_index, reduction, 0.0)
    per_row = _index_losses(_class_last(input), _data(target), _data(weight), ignore_index, 0.0)
    return ops.sum_(per_row) * _inverse(divisor) if reduction == "mean" else _reduce(per_row, reduction)


def _unless_zero(coefficient: Tensor, term: Tensor) -> Tensor:
    """coefficient * term, and 0 where the (constant) coefficient is 0 even if the term is infinite (the term is
    replaced by 0 there, and gets no gradient from there)."""
    zero = np.broadcast_to(coefficient.data == 0, np.broadcast_shapes(coefficient.shape, term.shape))
    if not zero.any():
        return term * coefficient
    keep = (~zero).astype(term.dtype)
    safe = make(np.where(zero, 0, term.data).astype(term.dtype), (term,), lambda g, cg: (g * keep,), "unless_zero", ())
    return safe * coefficient


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    x, t = tensor(input), ops.tensor(target).detach()
    coefficient = t if pos_weight is None else t * ops.tensor(pos_weight).detach()
    loss = _unless_zero(coefficient, ops.softplus(-x)) + _unless_zero(1.0 - t, ops.softplus(x))
    if weight is not None:
        loss = loss * ops.tensor(weight).detach()
    return _reduce(loss, reduction)
