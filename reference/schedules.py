"""Learning-rate schedules and gradient clipping by global norm, with torch's semantics, as pure functions.

Schedules: the learning rate at step ``k`` is the value a torch scheduler holds after ``k`` calls of its ``step()``
(``k = 0`` right after construction), i.e. the rate the ``(k+1)``-th optimizer step uses.  They are written in
closed form; torch computes most of them recursively (each step multiplies the previous rate), which rounds
differently: tests/test_schedules.py compares the two step by step within a bound on that rounding.

* :func:`step_lr`: ``torch.optim.lr_scheduler.StepLR``, ``base_lr * gamma ** (k // step_size)``.
* :func:`warmup_cosine`: linear warmup then cosine decay, as ``SequentialLR([LinearLR(start_factor, 1.0,
  warmup_steps), CosineAnnealingLR(total_steps - warmup_steps, eta_min)], milestones=[warmup_steps])`` computes it
  (``start_factor > 0``; torch's LinearLR refuses 0), or as the usual ``LambdaLR`` (``start_factor = 0``: the rate
  at step 0 is 0).  Past ``total_steps`` the cosine goes on (torch's CosineAnnealingLR is periodic, not clamped).

Clipping: :func:`clip_grad_norm` is ``torch.nn.utils.clip_grad_norm_``: the norm of the per-tensor norms, the
coefficient ``max_norm / (total_norm + 1e-6)`` clamped to at most 1 (:func:`clip_coefficient`), every gradient
multiplied by it.  With a non-finite gradient torch 2.13 does not skip the step: an infinite element makes the
total norm inf and the coefficient 0, so finite elements become (signed) zeros and infinite ones NaN (inf * 0);
a NaN element makes the total norm and the coefficient NaN, so every gradient becomes NaN.  Only
``error_if_nonfinite=True`` refuses (torch: RuntimeError; here ValueError, before anything is scaled).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from reference._checks import require_bool, require_float_array, require_int, require_real

CLIP_EPS = 1e-6  # torch adds it to the total norm before dividing


def _require_step(step) -> int:
    step = require_int(step, "step")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    return step


def step_lr(step: int, *, base_lr: float, step_size: int, gamma: float = 0.1) -> float:
    """StepLR's rate after ``step`` scheduler steps: multiplied by ``gamma`` every ``step_size`` steps."""
    step = _require_step(step)
    base_lr = require_real(base_lr, "base_lr", minimum=0.0)
    step_size = require_int(step_size, "step_size")
    if step_size < 1:
        raise ValueError(f"step_size must be >= 1, got {step_size}")
    return base_lr * require_real(gamma, "gamma", minimum=0.0) ** (step // step_size)


def warmup_cosine(
    step: int,
    *,
    base_lr: float,
    warmup_steps: int,
    total_steps: int,
    start_factor: float = 0.0,
    eta_min: float = 0.0,
) -> float:
    """The rate after ``step`` scheduler steps: ``base_lr * (start_factor + (1 - start_factor) * k / warmup_steps)``
    for ``k < warmup_steps``, then ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T)) / 2`` with
    ``t = k - warmup_steps`` and ``T = total_steps - warmup_steps``: the rate is ``base_lr`` at the end of the
    warmup and ``eta_min`` at ``total_steps``."""
    step = _require_step(step)
    base_lr = require_real(base_lr, "base_lr", minimum=0.0)
    warmup_steps, total_steps = require_int(warmup_steps, "warmup_steps"), require_int(total_steps, "total_steps")
    if warmup_steps < 0 or total_steps <= warmup_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got warmup_steps={warmup_steps}, "
                         f"total_steps={total_steps}")  # fmt: skip
    if not 0.0 <= require_real(start_factor, "start_factor") <= 1.0:
        raise ValueError(f"start_factor must be in [0, 1], got {start_factor}")
    eta_min = require_real(eta_min, "eta_min", minimum=0.0)
    if step < warmup_steps:
        return base_lr * (start_factor + (1.0 - start_factor) * step / warmup_steps)
    t, period = step - warmup_steps, total_steps - warmup_steps
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * t / period)) / 2.0


SCHEDULES = {"step": step_lr, "warmup_cosine": warmup_cosine}


def schedule(name: str, steps: int, **config) -> list[float]:
    """The rates of the first ``steps`` optimizer steps under schedule ``name`` (see :data:`SCHEDULES`)."""
    if name not in SCHEDULES:
        raise ValueError(f"name must be one of {', '.join(SCHEDULES)}, got {name!r}")
    return [SCHEDULES[name](k, **config) for k in range(steps)]


def total_norm(norms, norm_type: float = 2.0) -> float:
    """The norm of the per-tensor norms (torch's ``vector_norm(stack(norms), norm_type)``), as a Python float:
    inf if any is inf, NaN if any is NaN (and none inf, for norm_type inf; for finite p a NaN wins)."""
    norms = np.asarray([float(n) for n in norms], dtype=np.float64)
    if norms.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(np.nan if np.isnan(norms).any() else np.max(norms))
    return float(np.sum(norms**norm_type) ** (1.0 / norm_type))


def clip_coefficient(norm: float, max_norm: float) -> float:
    """``min(max_norm / (norm + 1e-6), 1)`` with NaN kept (torch.clamp(max=1) propagates NaN)."""
    coefficient = max_norm / (norm + CLIP_EPS)
    return 1.0 if coefficient > 1.0 else coefficient


def _tensor_norm(g: np.ndarray, norm_type: float, name: str):
    """torch.linalg.vector_norm of one gradient, in its dtype: 0 for an empty one, whose infinity norm torch
    refuses (a maximum over nothing has no identity) and so does this."""
    if g.size == 0 and norm_type == math.inf:
        raise ValueError(f"{name} is empty: its infinity norm (a maximum over no elements) is undefined")
    if g.size == 0:
        return 0.0
    magnitude = np.abs(g)
    if norm_type == math.inf:
        return np.nan if np.isnan(magnitude).any() else np.max(magnitude)
    return np.sum(magnitude**norm_type) ** (1.0 / norm_type)


def clip_grad_norm(
    grads: Mapping[str, np.ndarray], max_norm: float, *, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> tuple[dict[str, np.ndarray], float]:
    """``torch.nn.utils.clip_grad_norm_`` on named gradients: (the scaled gradients, the total norm before
    scaling).  Nothing is modified in place.  See the module doc for inf and NaN gradients."""
    if not isinstance(grads, Mapping):
        raise TypeError(f"grads must be a mapping of names to arrays, got {type(grads).__name__}")
    for name, g in grads.items():
        require_float_array(g, f"grads[{name!r}]")
    max_norm = require_real(max_norm, "max_norm")
    norm_type = require_real(norm_type, "norm_type", minimum=0.0, exclusive=True)
    norm = total_norm([_tensor_norm(g, norm_type, f"grads[{name!r}]") for name, g in grads.items()], norm_type)
    if require_bool(error_if_nonfinite, "error_if_nonfinite") and not math.isfinite(norm):
        raise ValueError(f"the total norm of order {norm_type} of the gradients is {norm}, so they cannot be clipped "
                         "(error_if_nonfinite=True)")  # fmt: skip
    coefficient = clip_coefficient(norm, max_norm)
    with np.errstate(invalid="ignore"):  # inf * 0 is NaN, as in torch
        return {name: g * g.dtype.type(coefficient) for name, g in grads.items()}, norm
