"""Argument validation shared by the reference and every backend adapter.

The checks only look at ``.shape``, ``.ndim`` and ``.dtype`` so that they work
on NumPy arrays, torch tensors and CuPy arrays alike: a backend adapter runs
the very same validation as the reference, and users see the same message
whichever backend they call.  Every error names the offending argument.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence

FLOAT_DTYPE_NAMES = ("float16", "bfloat16", "float32", "float64")


def dtype_name(array_or_dtype) -> str:
    """Canonical dtype name (``"float32"``) for a NumPy/torch/CuPy array or dtype."""
    dtype = getattr(array_or_dtype, "dtype", array_or_dtype)
    return str(dtype).removeprefix("torch.")


def _is_array(x) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and hasattr(x, "ndim")


def require_float_array(x, name: str) -> None:
    """Raise ``TypeError`` unless ``x`` is an array of a floating dtype."""
    if not _is_array(x):
        raise TypeError(f"{name} must be an array, got {type(x).__name__}")
    if dtype_name(x) not in FLOAT_DTYPE_NAMES:
        raise TypeError(f"{name} must have a floating dtype, got {dtype_name(x)}")


def require_same_dtype(arrays: Sequence, names: Sequence[str]) -> None:
    """Raise ``TypeError`` when the arrays do not share one dtype (no silent promotion)."""
    first = dtype_name(arrays[0])
    for x, name in zip(arrays[1:], names[1:]):
        if dtype_name(x) != first:
            raise TypeError(
                f"{name} has dtype {dtype_name(x)} but {names[0]} has {first}; "
                "cast explicitly, parity never promotes silently"
            )


def require_ndim(x, name: str, *, exactly: int | None = None, at_least: int | None = None) -> None:
    """Raise ``ValueError`` when ``x`` has the wrong rank."""
    if exactly is not None and x.ndim != exactly:
        raise ValueError(f"{name} must have {exactly} dimension(s), got shape {tuple(x.shape)}")
    if at_least is not None and x.ndim < at_least:
        raise ValueError(f"{name} must have at least {at_least} dimension(s), got shape {tuple(x.shape)}")


def broadcast_shapes(*named_shapes: tuple[str, tuple[int, ...]]) -> tuple[int, ...]:
    """NumPy broadcasting of ``(name, shape)`` pairs; ``ValueError`` naming both sides."""
    result: list[int] = []
    ndim = max((len(s) for _, s in named_shapes), default=0)
    for axis in range(-ndim, 0):
        size, owner = 1, None
        for name, shape in named_shapes:
            if len(shape) < -axis or shape[axis] == 1:
                continue
            if size not in (1, shape[axis]):
                shapes = ", ".join(f"{n} {tuple(s)}" for n, s in named_shapes)
                raise ValueError(f"{owner} and {name} cannot be broadcast together: {shapes}")
            size, owner = shape[axis], name
        result.append(size)
    return tuple(result)


def require_int(value, name: str) -> int:
    """Return ``value`` as ``int``; ``TypeError`` for bools, floats and other non-integers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return operator.index(value)


def require_bool(value, name: str) -> bool:
    """Raise ``TypeError`` unless ``value`` is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def require_real(value, name: str, *, minimum: float | None = None, exclusive: bool = False) -> float:
    """Return ``value`` as ``float``; ``TypeError`` if not a real number, ``ValueError`` if below ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if value != value:
        raise ValueError(f"{name} must not be NaN")
    if minimum is not None and (value < minimum or (exclusive and value == minimum)):
        relation = ">" if exclusive else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
    return value


def normalize_axis(axis, ndim: int, name: str = "axis") -> int:
    """Return a non-negative axis for an array of rank ``ndim``, or raise naming ``name``."""
    axis = require_int(axis, name)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array of {ndim} dimension(s)")
    return axis % ndim


def normalize_axes(axis, ndim: int, name: str = "axis") -> tuple[int, ...]:
    """``None`` → every axis; an int or a tuple of ints → sorted, non-negative, unique axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple):
        axes = tuple(normalize_axis(a, ndim, name) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{name}={axis} repeats an axis")
        return tuple(sorted(axes))
    if isinstance(axis, list):
        raise TypeError(f"{name} must be None, an int or a tuple of ints, got list")
    return (normalize_axis(axis, ndim, name),)


def require_cotangent(g, output_shape: tuple[int, ...], dtype: str, name: str = "grad_output") -> None:
    """The upstream gradient of a VJP must have the output's shape and dtype."""
    require_float_array(g, name)
    if tuple(g.shape) != tuple(output_shape):
        raise ValueError(f"{name} must have the output's shape {tuple(output_shape)}, got {tuple(g.shape)}")
    if dtype_name(g) != dtype:
        raise TypeError(f"{name} has dtype {dtype_name(g)} but the inputs have {dtype}")
