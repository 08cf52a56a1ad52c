"""The pointwise losses for the autograd engine: l1, smooth l1 and kl_div composed of the engine's primitives (so
second order works); binary_cross_entropy a primitive whose backward, beside its forward, is torch's formula
(x - t) / max(x (1 - x), eps), which is not the derivative of the clamped forward at the clamp."""

from __future__ import annotations

import numpy as np

from impls.autograd import ops
from impls.autograd.functional import _reduce
from impls.autograd.ops import Tensor, make, tensor
from reference import pointwise_losses as ref


def _difference(input, target) -> Tensor:
    return tensor(input) - ops.tensor(target).detach()


def l1_loss(input, target, reduction="mean"):
    """|input - target|, reduced (abs's gradient: sign, NaN at NaN)."""
    return _reduce(ops.abs(_difference(input, target)), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """With m = min(|d|, beta): 0.5 m^2 / beta + (|d| - m), which is 0.5 d^2 / beta inside and |d| - beta / 2
    outside, finite at infinite d (no branch of inf * 0); beta = 0 is the l1 loss (as torch)."""
    z = ops.abs(_difference(input, target))
    if beta == 0:
        return _reduce(z, reduction)
    m = ops.minimum(z, ops.tensor(np.asarray(beta, dtype=z.dtype)).detach())
    return _reduce(m * m * (0.5 / beta) + (z - m), reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """target (log target - input), or exp(target) (target - input) with ``log_target``; 'batchmean' divides the
    sum by the batch size."""
    x, t = tensor(input), ops.tensor(target).detach()
    if log_target:
        per = Tensor(np.exp(t.data)) * (t - x)
    else:
        with np.errstate(all="ignore"):
            entropy = np.where(t.data == 0, 0.0, t.data * np.log(t.data)).astype(x.dtype)
        per = Tensor(entropy) - t * x
    if reduction in ("none", "sum"):
        return _reduce(per, reduction)
    return ops.sum_(per) * (1.0 / ref._kl_divisor(x.data, reduction))


def _bce_slope(x, t, cg):
    """(x - t) / max(x (1 - x), eps): torch's backward, on arrays or (second order) on Tensors."""
    if not cg:
        return (x - t) / np.maximum((1.0 - x) * x, ref.BCE_EPSILON)
    return (x - t) / ops.maximum((1.0 - x) * x, Tensor(np.asarray(ref.BCE_EPSILON, dtype=x.dtype)))


def _bce_elements(x: Tensor, t: np.ndarray) -> Tensor:
    data = ref.binary_cross_entropy.__wrapped__(x.data, t, None, "none")
    return make(data, (x,), lambda g, cg: (g * _bce_slope(x if cg else x.data, t, cg),), "binary_cross_entropy")


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-[t log x + (1 - t) log(1 - x)] with both logs clamped at -100, weighted, reduced."""
    x = tensor(input)
    loss = _bce_elements(x, ops.tensor(target).data)
    if weight is not None:
        loss = loss * ops.tensor(weight).detach()
    return _reduce(loss, reduction)


OPS = {
    "l1_loss": l1_loss,
    "smooth_l1_loss": smooth_l1_loss,
    "kl_div": kl_div,
    "binary_cross_entropy": binary_cross_entropy,
}
