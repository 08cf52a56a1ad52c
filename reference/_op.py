"""The decorators that turn a NumPy function into a reference op.

A reference op is a forward function with two attributes:

``forward.validate(*inputs, **params)``
    the argument checks, written against ``.shape``/``.ndim``/``.dtype`` only,
    so that backend adapters run exactly the same checks;
``forward.vjp(g, *inputs, **params)``
    the hand-derived vector-Jacobian product: one gradient per input.

Both the forward and the VJP refuse anything but ``numpy.ndarray`` inputs (and array types a
backend registers with :func:`reference._xp.register_array_type`: CuPy's),
preserve the input dtype (a float32 call returns float32; the float64 "truth"
is obtained by calling them on float64 arrays) and treat NaN, inf and signed
zero as ordinary IEEE values, so NumPy's floating-point warnings are silenced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from reference import _xp
from reference._checks import dtype_name, require_cotangent


def input_names(arg_names: Sequence[str], count: int) -> tuple[str, ...]:
    """Names of ``count`` array inputs.

    ``("*arrays",)`` names a variadic op's inputs ``arrays[0]``, ...; a trailing
    ``"bias?"`` marks an optional input.  Too few or too many inputs is a ``TypeError``.
    """
    if tuple(arg_names) == ("*arrays",):
        return tuple(f"arrays[{i}]" for i in range(count))
    names = tuple(n.rstrip("?") for n in arg_names)
    required = sum(not n.endswith("?") for n in arg_names)
    if not required <= count <= len(names):
        expected = f"{required} to {len(names)}" if required != len(names) else str(required)
        raise TypeError(f"expected {expected} array argument(s) ({', '.join(names)}), got {count}")
    return names[:count]


def differentiable(forward, inputs) -> tuple[bool, ...]:
    """For each input of ``forward``: does its VJP return a gradient for it?  (Not for ``None``.)"""
    names = input_names(forward.arg_names, len(inputs))
    return tuple(x is not None and name not in forward.nondiff for x, name in zip(inputs, names))


def optional_names(arg_names: Sequence[str]) -> frozenset[str]:
    """The inputs that may be ``None``."""
    return frozenset(n.rstrip("?") for n in arg_names if n.endswith("?"))


def _require_ndarrays(inputs, names, optional=frozenset()) -> None:
    for x, name in zip(inputs, names):
        if x is None and name in optional:
            continue
        if not _xp.is_array(x):
            raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")


def reference_op(
    arg_names: Sequence[str], validate: Callable[..., None], nondiff: Sequence[str] = (), result_dtype=None
):
    """Decorate a NumPy forward: check inputs, run ``validate``, return an ndarray of the first input's dtype
    (or ``result_dtype(*inputs)``'s: a comparison's bool, an integer division's float).

    ``nondiff`` names inputs that get no gradient (class indices, running statistics, masks, weights).
    """

    def decorate(fn):
        @functools.wraps(fn)
        def forward(*inputs, **params):
            _require_ndarrays(inputs, input_names(arg_names, len(inputs)), optional_names(arg_names))
            validate(*inputs, **params)
            with np.errstate(all="ignore"):
                out = fn(*inputs, **params)
            dtype = inputs[0].dtype if result_dtype is None else result_dtype(*inputs)
            return _xp.as_array_like(out, inputs[0], dtype)

        forward.validate = validate
        forward.arg_names = tuple(arg_names)
        forward.nondiff = frozenset(nondiff)
        return forward

    return decorate


def cotangent_dtype(inputs) -> str:
    """The dtype a cotangent must have: the first floating input's (where's bool condition comes first), else the
    first input's."""
    floats = [x for x in inputs if x is not None and dtype_name(x).startswith(("float", "bfloat"))]
    return dtype_name(floats[0] if floats else inputs[0])


def vjp_of(forward):
    """Decorate a hand-written VJP and attach it to ``forward`` as ``forward.vjp``.

    The wrapper validates the inputs (by running the forward, whose output
    shape the cotangent must match) and returns a tuple of ndarrays, one per
    differentiable input, each with that input's shape and dtype.
    """

    def decorate(fn):
        @functools.wraps(fn)
        def vjp(g, *inputs, **params):
            out = forward(*inputs, **params)
            if not _xp.is_array(g):
                raise TypeError(f"grad_output must be a numpy.ndarray, got {type(g).__name__}")
            require_cotangent(g, out.shape, cotangent_dtype(inputs))
            with np.errstate(all="ignore"):
                grads = fn(g, *inputs, **params)
            targets = [x for x, d in zip(inputs, differentiable(forward, inputs)) if d]
            if len(grads) != len(targets):
                raise AssertionError(f"{fn.__name__} returned {len(grads)} gradients for {len(targets)} inputs")
            return tuple(
                np.broadcast_to(_xp.as_array_like(gr, x, x.dtype), x.shape).copy() for gr, x in zip(grads, targets)
            )

        forward.vjp = vjp
        return vjp

    return decorate


def no_gradient(forward=None, *, reason: str = "its inputs are integers or bools"):
    """Give ``forward`` (every input ``nondiff``: integer and bool ops, index-valued results) a ``vjp`` that says
    there is none, and why.  Used bare (``@no_gradient``) or with the reason (``@no_gradient(reason=...)``)."""

    def attach(forward):
        def vjp(g, *inputs, **params):
            raise TypeError(f"{forward.__name__} has no gradient: {reason}")

        forward.vjp = vjp
        return forward

    return attach if forward is None else attach(forward)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that broadcasting added or stretched, giving ``shape``."""
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
