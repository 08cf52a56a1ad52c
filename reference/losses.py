"""Losses with ``torch.nn.functional`` semantics, and their VJPs with respect to the input.

Targets, class weights and ``pos_weight`` get no gradient (``nondiff``).  Class indices are int64.
"""

from __future__ import annotations

import numpy as np

from reference._checks import (
    FLOAT_DTYPE_NAMES,
    dtype_name,
    require_float_array,
    require_int,
    require_ndim,
    require_real,
    require_same_dtype,
)
from reference._op import reference_op, vjp_of
from reference.elementwise import _sigmoid
from reference.reductions import _log_softmax

REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


def _reduce_grad(g, shape, reduction, count):
    """Cotangent of :func:`_reduce`, broadcast back to the per-element loss of ``shape``."""
    if reduction == "none":
        return g
    return np.broadcast_to(g / count if reduction == "mean" else g, shape)


def _check_pair(input, target, reduction="mean", **_):
    require_float_array(input, "input")
    require_float_array(target, "target")
    require_same_dtype((input, target), ("input", "target"))
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"input {tuple(input.shape)} and target {tuple(target.shape)} must have the same shape: a broadcasting "
            "target is not supported (torch broadcasts it with a warning; parity never broadcasts silently)"
        )
    _check_reduction(reduction)


# ---------------------------------------------------------------- regression
@reference_op(("input", "target"), _check_pair, nondiff=("target",))
def mse_loss(input, target, reduction="mean"):
    """(input - target)**2, reduced."""
    d = input - target
    return _reduce(d * d, reduction)


@vjp_of(mse_loss)
def mse_loss_vjp(g, input, target, reduction="mean"):
    return (2.0 * (input - target) * _reduce_grad(g, input.shape, reduction, input.size),)


def _check_huber(input, target, reduction="mean", delta=1.0):
    _check_pair(input, target, reduction)
    require_real(delta, "delta", minimum=0.0, exclusive=True)


@reference_op(("input", "target"), _check_huber, nondiff=("target",))
def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d**2 where |d| <= delta, delta (|d| - delta/2) beyond."""
    d = np.abs(input - target)
    return _reduce(np.where(d <= delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


@vjp_of(huber_loss)
def huber_loss_vjp(g, input, target, reduction="mean", delta=1.0):
    return (np.clip(input - target, -delta, delta) * _reduce_grad(g, input.shape, reduction, input.size),)


# ---------------------------------------------------------------- classification
def _class_last(a):
    """(N, C, d...) -> (N, d..., C); (C,) stays."""
    return np.moveaxis(a, 1, -1) if a.ndim >= 2 else a


def _class_first(a, ndim):
    return np.moveaxis(a, -1, 1) if ndim >= 2 else a


def _check_indices(input, target, weight, ignore_index):
    n_classes = input.shape[1] if input.ndim >= 2 else input.shape[0]
    expected = tuple(input.shape[:1] + input.shape[2:]) if input.ndim >= 2 else ()
    if tuple(target.shape) != expected:
        raise ValueError(
            f"target of class indices must have shape {expected} for input {tuple(input.shape)}, "
            f"got {tuple(target.shape)}"
        )
    ignore_index = require_int(ignore_index, "ignore_index")
    # array operations only (no np.asarray), so that a CUDA tensor is checked where it lives
    bad = (target != ignore_index) & ((target < 0) | (target >= n_classes))
    if bool(bad.any()):
        raise ValueError(
            f"target holds class index {int(target[bad].reshape(-1)[0])} outside [0, {n_classes}) "
            f"(and not ignore_index={ignore_index})"
        )
    _check_class_weight(input, weight, n_classes)


def _check_class_weight(input, weight, n_classes):
    if weight is not None:
        require_float_array(weight, "weight")
        require_same_dtype((input, weight), ("input", "weight"))
        if tuple(weight.shape) != (n_classes,):
            raise ValueError(f"weight must have shape ({n_classes},), got {tuple(weight.shape)}")


def _target_kind(target):
    kind = dtype_name(target)
    if kind == "int64":
        return "indices"
    if kind in FLOAT_DTYPE_NAMES:
        return "probabilities"
    if kind.startswith(("int", "uint")):
        raise TypeError(f"target must hold int64 class indices, got dtype {kind}: other index dtypes are not supported")
    raise TypeError(f"target must hold int64 class indices or float probabilities, got dtype {kind}")


def _check_cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    require_float_array(input, "input")
    require_ndim(input, "input", at_least=1)
    _check_reduction(reduction)
    smoothing = require_real(label_smoothing, "label_smoothing", minimum=0.0)
    if smoothing > 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    if _target_kind(target) == "indices":
        _check_indices(input, target, weight, ignore_index)
        return
    require_same_dtype((input, target), ("input", "target"))
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"target probabilities must have input's shape {tuple(input.shape)}, got {tuple(target.shape)}"
        )
    if require_int(ignore_index, "ignore_index") >= 0:
        raise ValueError(
            f"ignore_index={ignore_index} is not supported with class-probability targets: no row has a class index "
            "to ignore (torch raises too; a negative ignore_index matches no class and is accepted)"
        )
    _check_class_weight(input, weight, input.shape[1] if input.ndim >= 2 else input.shape[0])


def _coefficients(input, target, weight, ignore_index, reduction, label_smoothing):
    """Per-element class coefficients a (loss_i = -Σ_c a_ic log_softmax_ic), the mean's divisor, and which rows
    are kept (None for probability targets, which keep every row).

    torch: with indices, (1 - ε) w[t] one_hot(t) + ε/C w, rows with t == ignore_index zeroed,
    'mean' dividing by Σ w[t] over kept rows; with probabilities, ((1 - ε) p + ε/C) w, 'mean'
    dividing by the number of rows.
    """
    logits = _class_last(input)
    n_classes = logits.shape[-1]
    w = np.ones_like(input, shape=(n_classes,)) if weight is None else weight
    eps = label_smoothing
    if _target_kind(target) == "probabilities":
        coeff = (_class_last(target) * (1.0 - eps) + eps / n_classes) * w
        return coeff, logits.size / n_classes, None
    t = target
    keep = t != ignore_index
    safe = np.where(keep, t, 0)
    onehot = (np.arange(n_classes, like=safe) == safe[..., None]) * w
    coeff = ((1.0 - eps) * onehot + eps / n_classes * w) * keep[..., None]
    return coeff, np.sum(np.where(keep, w[safe], 0.0)), keep


def _index_losses(log_probs, target, weight, ignore_index, label_smoothing):
    """Per-row losses for class-index targets, as torch forms them: -w[t] log p[t] gathered at the target (never
    a zero coefficient times every class, so a masked -inf class costs nothing), with label smoothing
    (1 - ε) of it plus ε/C times -Σ_c w_c log p_c; ignored rows are 0 whatever they hold."""
    keep = target != ignore_index
    safe = np.where(keep, target, 0)
    w = np.ones_like(log_probs, shape=log_probs.shape[-1:]) if weight is None else weight
    loss = -w[safe] * np.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]
    if label_smoothing:
        smooth = -np.sum(log_probs * w, axis=-1)
        loss = (1.0 - label_smoothing) * loss + label_smoothing / log_probs.shape[-1] * smooth
    return np.where(keep, loss, 0.0)


def _reduce_rows(per_row, reduction, divisor):
    return np.sum(per_row) / divisor if reduction == "mean" else _reduce(per_row, reduction)


def _row_cotangent(g, reduction, divisor, shape, keep):
    """The cotangent of each row's loss (the last axis of ``shape`` is the class axis): ignored rows get exactly 0,
    as in torch, which never touches them (not g / 0 times a zero coefficient, which is NaN)."""
    row_g = np.broadcast_to(g / divisor if reduction == "mean" else g, shape[:-1])
    return (row_g if keep is None else np.where(keep, row_g, 0.0))[..., None]


@reference_op(("input", "target", "weight?"), _check_cross_entropy, nondiff=("target", "weight"))
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy on logits (N, C, d...), target class indices (int64) or probabilities."""
    coeff, divisor, keep = _coefficients(input, target, weight, ignore_index, reduction, label_smoothing)
    log_probs = _log_softmax(_class_last(input), -1)
    if keep is None:  # probabilities: every class's term, as torch (a 0 probability times -inf is NaN there too)
        return _reduce_rows(-np.sum(coeff * log_probs, axis=-1), reduction, divisor)
    return _reduce_rows(_index_losses(log_probs, target, weight, ignore_index, label_smoothing), reduction, divisor)


@vjp_of(cross_entropy)
def cross_entropy_vjp(g, input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    coeff, divisor, keep = _coefficients(input, target, weight, ignore_index, reduction, label_smoothing)
    logits = _class_last(input)
    p = np.exp(_log_softmax(logits, -1))
    row_g = _row_cotangent(g, reduction, divisor, logits.shape, keep)
    return (_class_first(row_g * (p * coeff.sum(axis=-1, keepdims=True) - coeff), input.ndim),)


def _check_nll(input, target, weight=None, ignore_index=-100, reduction="mean"):
    require_float_array(input, "input")
    require_ndim(input, "input", at_least=1)
    if _target_kind(target) != "indices":
        raise TypeError(f"nll_loss needs int64 class indices as target, got dtype {target.dtype}")
    _check_indices(input, target, weight, ignore_index)
    _check_reduction(reduction)


@reference_op(("input", "target", "weight?"), _check_nll, nondiff=("target", "weight"))
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """-w[t] input[t] (input holds log-probabilities); 'mean' divides by Σ w[t] over kept rows."""
    _, divisor, _ = _coefficients(input, target, weight, ignore_index, reduction, 0.0)
    return _reduce_rows(_index_losses(_class_last(input), target, weight, ignore_index, 0.0), reduction, divisor)


@vjp_of(nll_loss)
def nll_loss_vjp(g, input, target, weight=None, ignore_index=-100, reduction="mean"):
    coeff, divisor, keep = _coefficients(input, target, weight, ignore_index, reduction, 0.0)
    row_g = _row_cotangent(g, reduction, divisor, coeff.shape, keep)
    # only the target's entry of a kept row gets -w[t] g: every other entry is exactly 0 (torch never touches
    # them), even where the row's cotangent g / Σ w[t] is infinite (every target weight 0)
    target_entry = np.arange(coeff.shape[-1], like=coeff) == np.where(keep, target, -1)[..., None]
    return (_class_first(np.where(target_entry, -row_g * coeff, 0.0), input.ndim),)


def _check_bce(input, target, weight=None, pos_weight=None, reduction="mean"):
    _check_pair(input, target, reduction)
    from reference._checks import broadcast_shapes

    for name, w in (("weight", weight), ("pos_weight", pos_weight)):
        if w is not None:
            require_float_array(w, name)
            if broadcast_shapes(("input", tuple(input.shape)), (name, tuple(w.shape))) != tuple(input.shape):
                raise ValueError(f"{name} {tuple(w.shape)} must broadcast to input {tuple(input.shape)}")


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


@reference_op(("input", "target", "weight?", "pos_weight?"), _check_bce, nondiff=("target", "weight", "pos_weight"))
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """w [pos_weight t softplus(-x) + (1 - t) softplus(x)]: -log sigmoid without overflow.  A term whose
    coefficient is 0 contributes nothing (not 0 * inf = NaN): at x = -inf the loss is 0 for t = 0, +inf for t = 1."""
    pw = 1.0 if pos_weight is None else pos_weight
    positive, negative = pw * target, 1.0 - target
    loss = np.where(positive == 0, 0.0, positive * _softplus(-input)) + np.where(
        negative == 0, 0.0, negative * _softplus(input)
    )
    return _reduce(loss if weight is None else loss * weight, reduction)


@vjp_of(binary_cross_entropy_with_logits)
def binary_cross_entropy_with_logits_vjp(g, input, target, weight=None, pos_weight=None, reduction="mean"):
    pw = 1.0 if pos_weight is None else pos_weight
    s = _sigmoid(input)
    d = (1.0 - target) * s - pw * target * (1.0 - s)
    d = d if weight is None else d * weight
    return (d * _reduce_grad(g, input.shape, reduction, input.size),)
