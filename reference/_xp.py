"""The few operations the reference cannot reach through NumPy's dispatch protocols.

Reference bodies call NumPy functions and ufuncs; on an array type that implements
``__array_ufunc__``/``__array_function__`` (CuPy) those calls run on that type.  Array creation from a
shape alone dispatches through NumPy's ``like=`` argument (NEP 35), which the reference passes.  Two
kinds of call do not dispatch at all: ``as_strided`` (not an array function) and functions NumPy lacks
(``erf``).  They are written here as :func:`functools.singledispatch`
functions on the first array argument; NumPy's versions are the defaults and a backend registers its
own (see :mod:`impls.cupy_backend`).
"""

from __future__ import annotations

import builtins
import functools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided as _np_as_strided

# math.erf is the C library's erf: in glibc it is accurate to about one ulp of float64 (~1e-16
# relative), nine orders below the float64 rtol of 1e-7, so it is a sound "truth" for float32 and
# float64 comparisons.  NumPy has no erf.
_erf_float64 = np.vectorize(math.erf, otypes=[np.float64])


@functools.singledispatch
def erf(x):
    """The error function of ``x``, in ``x``'s dtype."""
    return _erf_float64(x).astype(x.dtype)


# math.erfc: accurate to a few ulp of its (relative) value all the way down its tail, where 1 - erf cancels
_erfc_float64 = np.vectorize(math.erfc, otypes=[np.float64])


@functools.singledispatch
def erfc(x):
    """The complementary error function 1 - erf(x) of ``x``, in ``x``'s dtype, without the cancellation."""
    return _erfc_float64(x).astype(x.dtype)


@functools.singledispatch
def as_strided(x, shape, strides):
    """A read-only strided view of ``x``."""
    return _np_as_strided(x, shape=shape, strides=strides, writeable=False)


# Array types besides numpy.ndarray that reference functions accept (registered by backends whose
# arrays implement NumPy's dispatch protocols).
_ARRAY_TYPES: list[type] = [np.ndarray]


def register_array_type(cls: type) -> None:
    """Let reference functions take ``cls`` arrays (they must implement NEP 13 and NEP 18)."""
    if cls not in _ARRAY_TYPES:
        _ARRAY_TYPES.append(cls)


def is_array(x) -> bool:
    """Is ``x`` an array the reference computes on?"""
    return isinstance(x, tuple(_ARRAY_TYPES))


def as_array_like(value, like, dtype):
    """``value`` (an array, or the NumPy/Python scalar a body may return) as ``like``'s array type at ``dtype``."""
    if isinstance(like, np.ndarray):
        return np.asarray(value, dtype=dtype)
    if isinstance(value, type(like)):
        return value.astype(dtype, copy=False)
    return np.asarray(value, dtype=dtype, like=like)


@functools.singledispatch
def sum_from_negative_zero(x, axes: tuple[int, ...], keepdims: bool):
    """Σ over ``axes`` starting from -0.0, IEEE 754's additive identity: a sum of -0.0s (or of nothing) is -0.0."""
    return np.sum(x, axis=axes, keepdims=keepdims, initial=-0.0)


def _sum_from_negative_zero_generic(x, axes, keepdims):
    # CuPy's sum has no ``initial``: sum, then restore the sign where every term is -0.0.
    total = np.sum(x, axis=axes, keepdims=keepdims)
    all_negative_zero = np.all(np.signbit(x) & (x == 0), axis=axes, keepdims=keepdims)
    return np.where(all_negative_zero, -0.0, total)


@functools.singledispatch
def max_at_least(x, axes: tuple[int, ...], floor: float):
    """max(``floor``, max over ``axes``), keeping dims; ``floor`` for empty slices; NaN propagates."""
    return np.max(x, axis=axes, keepdims=True, initial=floor)


def _max_at_least_generic(x, axes, floor):
    # CuPy's max has no ``initial``.
    if builtins.all(x.shape[a] for a in axes):
        return np.maximum(np.max(x, axis=axes, keepdims=True), floor)
    shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
    return np.full_like(x, floor, shape=shape)


def register_generic(cls: type) -> None:
    """Route :func:`sum_from_negative_zero` and :func:`max_at_least` on ``cls`` to protocol-only versions."""
    register_array_type(cls)
    sum_from_negative_zero.register(cls, _sum_from_negative_zero_generic)
    max_at_least.register(cls, _max_at_least_generic)


@functools.singledispatch
def scatter_add(out, index, values):
    """``out[index] += values`` with repeated indices accumulating, in place (``index``: anything ``__getitem__``
    takes, a tuple of index arrays and slices included).  NumPy's is ``np.add.at``; CuPy's ``cupyx.scatter_add``
    (registered by the CuPy backend), since ``cupy.add.at`` is not documented to take a tuple of index arrays."""
    np.add.at(out, index, values)
    return out
