"""Losses computed element by element and then reduced, with ``torch.nn.functional`` semantics (measured with
torch 2.13), and their VJPs with respect to the input: ``l1_loss``, ``smooth_l1_loss``, ``kl_div`` and
``binary_cross_entropy`` (on probabilities).  Targets and weights get no gradient (``nondiff``), as in
:mod:`reference.losses`, whose reductions and argument checks these reuse.
"""

from __future__ import annotations

import numpy as np

from reference._checks import broadcast_shapes, require_bool, require_float_array, require_real
from reference._op import reference_op, vjp_of
from reference.losses import _check_pair, _reduce, _reduce_grad

# torch's binary_cross_entropy_backward divides by max(x (1 - x), EPSILON) with EPSILON a C++ float 1e-12: as a
# double it is 9.999999960041972e-13, so the gradient at x = 0, t = 1 is -1.0000000039958e12 in float64 too
BCE_EPSILON = float(np.float32(1e-12))
LOG_FLOOR = -100.0  # torch clamps both logs of binary_cross_entropy at -100: a certain wrong answer costs 100


# ---------------------------------------------------------------- l1 and smooth l1
@reference_op(("input", "target"), _check_pair, nondiff=("target",))
def l1_loss(input, target, reduction="mean"):
    """|input - target|, reduced."""
    return _reduce(np.abs(input - target), reduction)


@vjp_of(l1_loss)
def l1_loss_vjp(g, input, target, reduction="mean"):
    # sign(0) = 0 at the kink (torch); sign(NaN) = NaN (torch's sgn gives 0 there: declared on the torch backend)
    return (np.sign(input - target) * _reduce_grad(g, input.shape, reduction, input.size),)


def _check_smooth_l1(input, target, reduction="mean", beta=1.0):
    _check_pair(input, target, reduction)
    require_real(beta, "beta", minimum=0.0)


@reference_op(("input", "target"), _check_smooth_l1, nondiff=("target",))
def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5 d**2 / beta where |d| < beta, |d| - beta / 2 elsewhere (d = input - target); beta = 0 is the l1 loss
    (torch calls l1_loss then, never dividing by 0).  Huber's loss divided by beta."""
    z = np.abs(input - target)
    if beta == 0:
        return _reduce(z, reduction)
    return _reduce(np.where(z < beta, 0.5 * z * z / beta, z - 0.5 * beta), reduction)


@vjp_of(smooth_l1_loss)
def smooth_l1_loss_vjp(g, input, target, reduction="mean", beta=1.0):
    d = input - target
    slope = np.sign(d) if beta == 0 else np.clip(d / beta, -1.0, 1.0)  # NaN stays NaN in both
    return (slope * _reduce_grad(g, input.shape, reduction, input.size),)


# ---------------------------------------------------------------- kl_div
KL_REDUCTIONS = ("none", "mean", "sum", "batchmean")


def _check_kl_div(input, target, reduction="mean", log_target=False):
    _check_pair(input, target, "mean")
    if reduction not in KL_REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(KL_REDUCTIONS)}, got {reduction!r}")
    require_bool(log_target, "log_target")


def _kl_divisor(input, reduction):
    """'batchmean' divides the sum by the batch size input.shape[0] (nothing for a 0-d input, as torch); 'mean'
    by the number of elements, which is what torch warns about: it is not the KL divergence per sample."""
    if reduction == "batchmean":
        return input.shape[0] if input.ndim else 1
    return input.size if reduction == "mean" else 1


@reference_op(("input", "target"), _check_kl_div, nondiff=("target",))
def kl_div(input, target, reduction="mean", log_target=False):
    """Pointwise KL divergence with ``input`` holding log-probabilities: target (log target - input), with
    xlogy(0, 0) = 0 (torch); with ``log_target`` the target holds log-probabilities too: exp(target) (target -
    input).  'batchmean' is the sum over the batch size, the mathematical KL divergence per sample."""
    if log_target:
        per = np.exp(target) * (target - input)
    else:
        per = np.where(target == 0, 0.0, target * np.log(target)) - target * input
    if reduction in ("none", "sum"):
        return _reduce(per, reduction)
    return np.sum(per) / _kl_divisor(input, reduction)


@vjp_of(kl_div)
def kl_div_vjp(g, input, target, reduction="mean", log_target=False):
    weight = np.exp(target) if log_target else target
    cotangent = g if reduction == "none" else np.broadcast_to(g / _kl_divisor(input, reduction), input.shape)
    return (-weight * cotangent,)


# ---------------------------------------------------------------- binary cross-entropy on probabilities
def _check_bce(input, target, weight=None, reduction="mean"):
    _check_pair(input, target, reduction)
    for name, values in (("input", input), ("target", target)):
        # array operations only, so that a device array is checked where it lives; NaN is outside too
        if bool((~((values >= 0) & (values <= 1))).any()):
            raise ValueError(f"{name} of binary_cross_entropy must hold probabilities in [0, 1] (torch raises too)")
    if weight is not None:
        require_float_array(weight, "weight")
        if broadcast_shapes(("input", tuple(input.shape)), ("weight", tuple(weight.shape))) != tuple(input.shape):
            raise ValueError(f"weight {tuple(weight.shape)} must broadcast to input {tuple(input.shape)}")


@reference_op(("input", "target", "weight?"), _check_bce, nondiff=("target", "weight"))
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [t log x + (1 - t) log(1 - x)] on probabilities x, each log clamped at -100 (torch), so x = 0 with
    t = 1 costs 100, not inf, and its gradient is finite; computed as torch does,
    (t - 1) max(log1p(-x), -100) - t max(log x, -100)."""
    loss = (target - 1.0) * np.maximum(np.log1p(-input), LOG_FLOOR) - target * np.maximum(np.log(input), LOG_FLOOR)
    return _reduce(loss if weight is None else loss * weight, reduction)


@vjp_of(binary_cross_entropy)
def binary_cross_entropy_vjp(g, input, target, weight=None, reduction="mean"):
    # torch's backward: (x - t) / max(x (1 - x), EPSILON) -- the derivative of the unclamped loss, its denominator
    # floored; it ignores the clamp of the forward, so at x = 0, t = 1 it is -1e12 where the clamped loss is flat
    d = (input - target) / np.maximum((1.0 - input) * input, BCE_EPSILON)
    d = d if weight is None else d * weight
    return (d * _reduce_grad(g, input.shape, reduction, input.size),)
