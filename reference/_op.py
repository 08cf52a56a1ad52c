"""The decorators that turn a NumPy function into a reference op.

A reference op is a forward function with two attributes:

``forward.validate(*inputs, **params)``
    the argument checks, written against ``.shape``/``.ndim``/``.dtype`` only,
    so that backend adapters run exactly the same checks;
``forward.vjp(g, *inputs, **params)``
    the hand-derived vector-Jacobian product: one gradient per input.

Both the forward and the VJP refuse anything but ``numpy.ndarray`` inputs,
preserve the input dtype (a float32 call returns float32; the float64 "truth"
is obtained by calling them on float64 arrays) and treat NaN, inf and signed
zero as ordinary IEEE values, so NumPy's floating-point warnings are silenced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from reference._checks import dtype_name, require_cotangent


def input_names(arg_names: Sequence[str], count: int) -> tuple[str, ...]:
    """Argument names for ``count`` inputs; ``("*arrays",)`` names a variadic op's inputs."""
    if tuple(arg_names) == ("*arrays",):
        return tuple(f"arrays[{i}]" for i in range(count))
    return tuple(arg_names)


def _require_ndarrays(inputs, names) -> None:
    if len(inputs) != len(names):
        raise TypeError(f"expected {len(names)} array argument(s) ({', '.join(names)}), got {len(inputs)}")
    for x, name in zip(inputs, names):
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")


def reference_op(arg_names: Sequence[str], validate: Callable[..., None]):
    """Decorate a NumPy forward: check inputs, run ``validate``, return an ndarray of the input dtype."""

    def decorate(fn):
        @functools.wraps(fn)
        def forward(*inputs, **params):
            _require_ndarrays(inputs, input_names(arg_names, len(inputs)))
            validate(*inputs, **params)
            with np.errstate(all="ignore"):
                out = fn(*inputs, **params)
            return np.asarray(out, dtype=inputs[0].dtype)

        forward.validate = validate
        forward.arg_names = tuple(arg_names)
        return forward

    return decorate


def vjp_of(forward):
    """Decorate a hand-written VJP and attach it to ``forward`` as ``forward.vjp``.

    The wrapper validates the inputs (by running the forward, whose output
    shape the cotangent must match) and returns a tuple of ndarrays, one per
    input, each with that input's shape and dtype.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def vjp(g, *inputs, **params):
            out = forward(*inputs, **params)
            if not isinstance(g, np.ndarray):
                raise TypeError(f"grad_output must be a numpy.ndarray, got {type(g).__name__}")
            require_cotangent(g, out.shape, dtype_name(inputs[0]))
            with np.errstate(all="ignore"):
                grads = fn(g, *inputs, **params)
            return tuple(np.asarray(np.broadcast_to(gr, x.shape), dtype=x.dtype).copy() for gr, x in zip(grads, inputs))

        forward.vjp = vjp
        return vjp

    return decorate


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
