"""Optimizer updates with ``torch.optim`` semantics, as pure functions over NumPy arrays.

``step(param, grad, state, **hyper) -> (new_param, new_state)``: nothing is modified in place and the
state is an explicit dict ({} before the first step), so a trajectory is a fold over gradients.
The order of operations follows torch's single-tensor implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from reference._checks import require_bool, require_float_array, require_real, require_same_dtype


def _check(param, grad, lr, maximize):
    """Validate the common arguments; the gradient to descend (negated under ``maximize``, first of all, as torch)."""
    require_float_array(param, "param")
    require_float_array(grad, "grad")
    require_same_dtype((param, grad), ("param", "grad"))
    if tuple(grad.shape) != tuple(param.shape):
        raise ValueError(f"grad {tuple(grad.shape)} must have param's shape {tuple(param.shape)}")
    require_real(lr, "lr", minimum=0.0)
    return -grad if require_bool(maximize, "maximize") else grad


def _betas(betas):
    if not (isinstance(betas, tuple) and len(betas) == 2):
        raise TypeError(f"betas must be a pair of floats, got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= require_real(b, f"betas[{i}]") < 1.0:
            raise ValueError(f"betas[{i}] must be in [0, 1), got {b}")
    return betas


def sgd(param, grad, state, *, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0, maximize=False):
    """torch.optim.SGD: v = mu v + (1 - dampening) g (v = g on the first step); p -= lr v
    (nesterov: p -= lr (g + mu v)).  The Sutskever form v = mu v + lr g differs once lr changes.
    ``maximize`` ascends: g is negated before anything else (torch)."""
    grad = _check(param, grad, lr, maximize)
    momentum, dampening = require_real(momentum, "momentum", minimum=0.0), require_real(dampening, "dampening")
    if require_bool(nesterov, "nesterov") and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    d = grad + require_real(weight_decay, "weight_decay", minimum=0.0) * param if weight_decay else grad
    state = dict(state)
    if momentum:
        buf = state.get("momentum_buffer")
        buf = d.copy() if buf is None else momentum * buf + (1.0 - dampening) * d
        state["momentum_buffer"] = buf
        d = d + momentum * buf if nesterov else buf
    return param - lr * d, state


def _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled, maximize):
    grad = _check(param, grad, lr, maximize)
    beta1, beta2 = _betas(betas)
    require_real(eps, "eps", minimum=0.0)
    weight_decay = require_real(weight_decay, "weight_decay", minimum=0.0)
    require_bool(amsgrad, "amsgrad")
    state = dict(state)
    step = state.get("step", 0) + 1
    if weight_decay and decoupled:
        param = param * (1.0 - lr * weight_decay)
    elif weight_decay:
        grad = grad + weight_decay * param
    m = state.get("exp_avg", np.zeros_like(param))
    v = state.get("exp_avg_sq", np.zeros_like(param))
    m = m + (1.0 - beta1) * (grad - m)  # torch: exp_avg.lerp_(grad, 1 - beta1)
    v = v * beta2 + (1.0 - beta2) * grad * grad
    bias1, bias2_sqrt = 1.0 - beta1**step, (1.0 - beta2**step) ** 0.5
    second = v
    if amsgrad:
        second = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(param)), v)
        state["max_exp_avg_sq"] = second
    denom = np.sqrt(second) / bias2_sqrt + eps  # eps is added to sqrt(v-hat), not inside it
    state.update(step=step, exp_avg=m, exp_avg_sq=v)
    return param - (lr / bias1) * m / denom, state


def adam(param, grad, state, *, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False):
    """torch.optim.Adam: weight_decay is an L2 term added to the gradient before the moments."""
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled=False, maximize=maximize)


def adamw(param, grad, state, *, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
    """torch.optim.AdamW: decoupled decay p *= 1 - lr * weight_decay, outside the moments."""
    return _adam(param, grad, state, lr, betas, eps, weight_decay, amsgrad, decoupled=True, maximize=maximize)


def rmsprop(
    param, grad, state, *, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False
):
    """torch.optim.RMSprop: eps added after the square root; centered subtracts the mean gradient squared."""
    grad = _check(param, grad, lr, maximize)
    alpha = require_real(alpha, "alpha", minimum=0.0)
    momentum = require_real(momentum, "momentum", minimum=0.0)
    weight_decay = require_real(weight_decay, "weight_decay", minimum=0.0)
    require_bool(centered, "centered")
    state = dict(state)
    if weight_decay:
        grad = grad + weight_decay * param
    square_avg = state.get("square_avg", np.zeros_like(param)) * alpha + (1.0 - alpha) * grad * grad
    state["square_avg"] = square_avg
    if centered:
        grad_avg = state.get("grad_avg", np.zeros_like(param)) * alpha + (1.0 - alpha) * grad
        state["grad_avg"] = grad_avg
        avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
    else:
        avg = np.sqrt(square_avg) + eps
    if momentum > 0:
        buf = state.get("momentum_buffer", np.zeros_like(param)) * momentum + grad / avg
        state["momentum_buffer"] = buf
        return param - lr * buf, state
    return param - lr * grad / avg, state


def adagrad(
    param,
    grad,
    state,
    *,
    lr,
    lr_decay=0.0,
    weight_decay=0.0,
    initial_accumulator_value=0.0,
    eps=1e-10,
    maximize=False,
):
    """torch.optim.Adagrad (its single-tensor form): step k (from 1) uses clr = lr / (1 + (k - 1) lr_decay),
    sum += g * g (starting at ``initial_accumulator_value``), p -= clr * g / (sqrt(sum) + eps), with eps added
    after the root; weight_decay is L2 (g += wd p) and ``maximize`` negates g first of all."""
    grad = _check(param, grad, lr, maximize)
    lr_decay = require_real(lr_decay, "lr_decay", minimum=0.0)
    weight_decay = require_real(weight_decay, "weight_decay", minimum=0.0)
    initial = require_real(initial_accumulator_value, "initial_accumulator_value", minimum=0.0)
    require_real(eps, "eps", minimum=0.0)
    state = dict(state)
    step = state.get("step", 0) + 1
    if weight_decay:
        grad = grad + weight_decay * param
    clr = lr / (1.0 + (step - 1) * lr_decay)  # Python floats, as torch (its step counter is read as a float)
    accumulated = state["sum"] if "sum" in state else np.full_like(param, initial)
    accumulated = accumulated + grad * grad
    state.update(step=step, sum=accumulated)
    return param - clr * (grad / (np.sqrt(accumulated) + eps)), state


OPTIMIZERS: dict[str, Callable] = {"sgd": sgd, "adam": adam, "adamw": adamw, "rmsprop": rmsprop, "adagrad": adagrad}


def trajectory(name: str, param0: np.ndarray, grads: Sequence[np.ndarray], lrs: Sequence[float], hyper: dict):
    """Parameters after each step (``len(grads)`` arrays) for the given gradients and per-step lrs."""
    step = OPTIMIZERS[name]
    param, state, out = param0, {}, []
    for grad, lr in zip(grads, lrs):
        param, state = step(param, grad, state, lr=lr, **hyper)
        out.append(param)
    return out
