"""The activation family's primitives (:mod:`reference.activations`), each backward beside its forward.

One primitive per activation: the forward on raw arrays (without overflow, with the limits at +-inf), the derivative
on raw arrays for first-order gradients and composed of the engine's ops under ``create_graph`` (``cg``), so that
it is differentiable again (there the plain formulas, without the limits at +-inf).
"""

from __future__ import annotations

import numpy as np

from impls.autograd.ops import _const, _sigmoid_data, make, quiet, sigmoid, softplus, tanh, tensor, where_mask
from impls.autograd.tensor import Tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
TWO_SQRT_2_OVER_PI = 2.0 * np.sqrt(2.0 / np.pi)
CUBIC = 0.044715


def _limits(x, value, at_minus_inf, at_plus_inf):
    return np.where(x == -np.inf, at_minus_inf, np.where(x == np.inf, at_plus_inf, value)).astype(x.dtype)


def _primitive(name, forward, derivative, composed):
    """An elementwise op: ``forward(data)``, ``derivative(data)`` on raw arrays, ``composed(x)`` of engine ops."""

    def op(x, *params):
        x = tensor(x)
        data = x.data

        def back(g, cg):
            return (g * composed(x, *params),) if cg else (g * derivative(data, *params),)

        with np.errstate(all="ignore"):
            return make(forward(data, *params), (x,), quiet(back), name, (0,))

    op.__name__ = name
    op.__doc__ = f"Elementwise {name}."
    return op


def _silu_d(d):
    s = _sigmoid_data(d)
    return _limits(d, s * (1.0 + d * (1.0 - s)), 0.0, 1.0)


silu = _primitive(
    "silu",
    lambda d: _limits(d, d * _sigmoid_data(d), -0.0, np.inf),
    _silu_d,
    lambda x: sigmoid(x) * (1.0 + x * (1.0 - sigmoid(x))),
)


def _elu_forward(d, alpha, scale=1.0):
    a, s = _const(alpha, Tensor(d)), _const(scale, Tensor(d))
    return s * np.where(d > 0, d, a * np.expm1(d))


def _elu_d(d, alpha, scale=1.0):
    # the left slope where x <= 0 (alpha at 0), the right one elsewhere, NaN included: torch's elu_backward
    return (scale * np.where(d <= 0, alpha * np.exp(d), 1.0)).astype(d.dtype)


def _elu_composed(x, alpha, scale=1.0):
    from impls.autograd.ops import exp

    left = x.data <= 0
    return where_mask(left, exp(x) * (alpha * scale), Tensor(np.full(x.shape, scale, dtype=x.dtype)))


elu = _primitive("elu", _elu_forward, _elu_d, _elu_composed)
selu = _primitive(
    "selu",
    lambda d: _elu_forward(d, SELU_ALPHA, SELU_SCALE),
    lambda d: _elu_d(d, SELU_ALPHA, SELU_SCALE),
    lambda x: _elu_composed(x, SELU_ALPHA, SELU_SCALE),
)


def _hardtanh_mask(d, low, high):
    # torch's hardtanh_backward: 0 at and beyond the bounds, g elsewhere (NaN included); a constant mask
    return np.where((d <= low) | (d >= high), 0.0, 1.0).astype(d.dtype)


hardtanh = _primitive(
    "hardtanh",
    lambda d, low, high: np.where(d < low, low, np.where(d > high, high, d)).astype(d.dtype),
    _hardtanh_mask,
    lambda x, low, high: Tensor(_hardtanh_mask(x.data, low, high)),
)
log_sigmoid = _primitive(
    "log_sigmoid",
    lambda d: (np.minimum(d, 0.0) - np.log1p(np.exp(-np.abs(d)))).astype(d.dtype),
    lambda d: _sigmoid_data(-d),
    lambda x: sigmoid(-x),
)


def _mish_d(d):
    t = np.tanh(np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d))))
    return _limits(d, t + d * (1.0 - t * t) * _sigmoid_data(d), 0.0, 1.0)


def _mish_composed(x):
    t = tanh(softplus(x))
    return t + x * (1.0 - t * t) * sigmoid(x)


mish = _primitive(
    "mish",
    lambda d: _limits(d, d * np.tanh(np.maximum(d, 0.0) + np.log1p(np.exp(-np.abs(d)))), -0.0, np.inf),
    _mish_d,
    _mish_composed,
)


def _two_u(v):
    return TWO_SQRT_2_OVER_PI * (v + CUBIC * v * v * v)


def _gelu_tanh_d(d):
    two_u = _two_u(d)
    slope = TWO_SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * d * d)
    inner = _sigmoid_data(two_u) + d * _sigmoid_data(two_u) * _sigmoid_data(-two_u) * slope
    return np.where(np.abs(d) > 1e3, np.where(d > 0, 1.0, 0.0), inner).astype(d.dtype)


def _gelu_tanh_composed(x):
    s = sigmoid(_two_u(x))
    return s + x * s * (1.0 - s) * (TWO_SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * x * x))


gelu_tanh = _primitive(
    "gelu_tanh",
    lambda d: _limits(d, d * _sigmoid_data(_two_u(d)), -0.0, np.inf),  # 0.5 x (1 + tanh(u)) = x sigmoid(2u)
    _gelu_tanh_d,
    _gelu_tanh_composed,
)

OPS = {
    "silu": silu,
    "elu": lambda x, alpha: elu(x, alpha),
    "selu": selu,
    "hardtanh": lambda x, min_val, max_val: hardtanh(x, min_val, max_val),
    "log_sigmoid": log_sigmoid,
    "mish": mish,
    "gelu_tanh": gelu_tanh,
}
