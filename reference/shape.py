"""Shape ops: transpose/permute, reshape, concatenate, slicing.  They move values without arithmetic,
so their outputs must match bit for bit, NaN payload aside, signed zeros included."""

from __future__ import annotations

import builtins
import itertools
import math

import numpy as np

from reference._checks import (
    normalize_axis,
    require_float_array,
    require_int,
    require_same_dtype,
)
from reference._op import input_names, reference_op, vjp_of


def _check_transpose(x, axes=None) -> None:
    require_float_array(x, "x")
    if axes is None:
        return
    if not isinstance(axes, tuple):
        raise TypeError(f"axes must be None or a tuple of ints, got {type(axes).__name__}")
    normalized = sorted(normalize_axis(a, x.ndim, "axes") for a in axes)
    if normalized != list(range(x.ndim)):
        raise ValueError(f"axes={axes} is not a permutation of the {x.ndim} axes of x")


def _perm(x, axes):
    return tuple(range(x.ndim))[::-1] if axes is None else tuple(a % x.ndim for a in axes)


@reference_op(("x",), _check_transpose)
def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None), as ``torch.permute``."""
    return np.transpose(x, _perm(x, axes)).copy()


@vjp_of(transpose)
def transpose_vjp(g, x, axes=None):
    return (np.transpose(g, tuple(int(i) for i in np.argsort(_perm(x, axes)))),)


def _check_reshape(x, shape) -> None:
    require_float_array(x, "x")
    if not isinstance(shape, tuple):
        raise TypeError(f"shape must be a tuple of ints, got {type(shape).__name__}")
    dims = [require_int(n, "shape") for n in shape]
    if dims.count(-1) > 1 or any(n < -1 for n in dims):
        raise ValueError(f"shape={shape}: only one -1 is allowed and no other negative size")
    known = math.prod(n for n in dims if n != -1)
    size = math.prod(x.shape)
    fits = size % known == 0 if -1 in dims and known else known == size
    if not fits:
        raise ValueError(f"cannot reshape x of shape {tuple(x.shape)} ({size} elements) to shape={shape}")


@reference_op(("x",), _check_reshape)
def reshape(x, shape):
    """Same elements, new shape (C order); one -1 is inferred."""
    return np.reshape(x, shape).copy()


@vjp_of(reshape)
def reshape_vjp(g, x, shape):
    return (np.reshape(g, x.shape),)


def _check_concatenate(*arrays, axis=0) -> None:
    if not arrays:
        raise ValueError("arrays must hold at least one array")
    names = input_names(("*arrays",), len(arrays))
    for x, name in zip(arrays, names):
        require_float_array(x, name)
    require_same_dtype(arrays, names)
    first = arrays[0]
    if first.ndim == 0:
        raise ValueError("arrays[0] is 0-d: zero-dimensional arrays cannot be concatenated")
    axis = normalize_axis(axis, first.ndim)
    for x, name in zip(arrays[1:], names[1:]):
        same = x.ndim == first.ndim and all(x.shape[i] == first.shape[i] for i in range(first.ndim) if i != axis)
        if not same:
            raise ValueError(
                f"{name} has shape {tuple(x.shape)}, incompatible with arrays[0] {tuple(first.shape)} "
                f"outside axis {axis}"
            )


@reference_op(("*arrays",), _check_concatenate)
def concatenate(*arrays, axis=0):
    """Join arrays along an existing axis (``torch.cat``)."""
    return np.concatenate(arrays, axis=axis)


@vjp_of(concatenate)
def concatenate_vjp(g, *arrays, axis=0):
    bounds = list(itertools.accumulate(x.shape[axis] for x in arrays))[:-1]
    return tuple(np.split(g, bounds, axis=axis))


def _check_index(x, index) -> None:
    require_float_array(x, "x")
    if not isinstance(index, tuple):
        raise TypeError(f"index must be a tuple of slices and ints, got {type(index).__name__}")
    if len(index) > x.ndim:
        raise ValueError(f"index has {len(index)} entries but x has only {x.ndim} dimension(s)")
    for dim, item in enumerate(index):
        if isinstance(item, builtins.slice):  # this module's ``slice`` is the op
            for part in (item.start, item.stop, item.step):
                if part is not None:
                    require_int(part, "index")
            if item.step == 0:
                raise ValueError(f"index[{dim}] has step 0")
        else:
            position = require_int(item, "index")
            if not -x.shape[dim] <= position < x.shape[dim]:
                raise ValueError(f"index[{dim}]={position} is out of range for a dimension of size {x.shape[dim]}")


@reference_op(("x",), _check_index)
def slice(x, index):  # noqa: A001 - the op's name
    """Basic indexing ``x[index]`` with slices (any step, negative too) and ints."""
    return x[index].copy()


@vjp_of(slice)
def slice_vjp(g, x, index):
    grad = np.zeros_like(x)
    grad[index] = g  # basic indexing never repeats a position, so assignment is exact
    return (grad,)
