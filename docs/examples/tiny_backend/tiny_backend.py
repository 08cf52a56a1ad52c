"""A complete parity backend in one file: a few ops computed by its own NumPy code, with their gradients.

It uses only ``parity.api``.  Install it (``pip install .`` here: pyproject.toml registers it under the
``parity.backends`` entry point) and ``parity run --backend tiny`` checks it in any directory.
"""

from __future__ import annotations

import numpy as np

from parity.api import Backend, Divergence, HostArrays, entries

OPS = ("exp", "tanh", "sigmoid", "mul", "sum")


def _sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def _sum_vjp(g, x, axis=None, keepdims=False):
    if axis is None:
        axis = tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if not keepdims:
        g = np.expand_dims(g, tuple(a % x.ndim for a in axes))
    return (np.broadcast_to(g, x.shape).astype(x.dtype),)


def _sigmoid(x):
    e = np.exp(-np.abs(x))  # stable on both sides: never exp of a large positive number
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


class TinyBackend(HostArrays, Backend):
    """NumPy arrays; five ops by hand; everything else declared unsupported with the reason."""

    name = "tiny"  # the entry point's name must be the same
    devices = ("cpu",)
    dtypes = ("float32", "float64")
    unsupported = {
        entry: "tiny implements exp, tanh, sigmoid, mul and sum only" for entry in entries() if entry not in OPS
    }
    declarations = (
        Divergence(
            "sum",
            "np.sum starts at +0.0, so the sum of negative zeros is +0.0 (IEEE 754: -0.0)",
            check="special",
            variant="signed-zero",
            returns=0.0,
        ),
    )

    def implemented_ops(self):
        return set(OPS)

    def _forward(self, spec, inputs, params):
        with np.errstate(all="ignore"):  # NaN, inf and -0.0 are values
            if spec.name == "exp":
                return np.exp(inputs[0])
            if spec.name == "tanh":
                return np.tanh(inputs[0])
            if spec.name == "sigmoid":
                return _sigmoid(inputs[0])
            if spec.name == "mul":
                return inputs[0] * inputs[1]
            return _sum(inputs[0], **params)

    def _vjp(self, spec, inputs, params, g):
        with np.errstate(all="ignore"):
            x = inputs[0]
            if spec.name == "exp":
                return (g * np.exp(x),)
            if spec.name == "tanh":
                return (g * (1 - np.tanh(x) ** 2),)
            if spec.name == "sigmoid":
                s = _sigmoid(x)
                return (g * s * (1 - s),)
            if spec.name == "mul":
                y = inputs[1]
                return _unbroadcast(g * y, x.shape), _unbroadcast(g * x, y.shape)
            return _sum_vjp(g, x, **params)


def _unbroadcast(g, shape):
    """Sum a broadcast gradient back to an operand's shape."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g
