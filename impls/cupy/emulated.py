"""CuPy's array rules emulated on the host, so the CuPy backend's code runs on machines without a GPU.

The CuPy backend does not re-implement the reference: it runs the reference's own forward and VJP
bodies on device arrays, through NumPy's dispatch protocols (``__array_ufunc__``, NEP 13, and
``__array_function__``, NEP 18).  What can go wrong is then not arithmetic but protocol: a body that
converts to a host array, mixes a host array into a device computation, or calls a NumPy function or
argument CuPy does not have.  :class:`EmulatedArray` wraps a NumPy array and enforces exactly those
rules, looked up in the installed CuPy itself (its functions, their signatures, its ufunc methods,
its ``ndarray`` attributes), so a mistake fails on the CPU as it would on the GPU.

What it cannot show is CuPy's numerics (its kernels' rounding, its reductions' order): the values
come from NumPy.  Those are checked only on a real GPU (device ``cuda``).
"""

from __future__ import annotations

import functools
import inspect
import numbers

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin


class CupyRuleError(TypeError):
    """A computation did something CuPy would refuse."""


@functools.cache
def _cupy():
    import cupy

    return cupy


@functools.cache
def _cupy_function(module: str, name: str):
    """CuPy's counterpart of NumPy's ``module.name``, found the way ``cupy.ndarray.__array_function__`` does."""
    target = _cupy()
    for part in module.split(".")[1:]:
        target = getattr(target, part, None)
        if target is None:
            return None
    return getattr(target, name, None)


@functools.cache
def _signature(fn) -> inspect.Signature | None:
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):  # Cython functions and ufuncs: nothing to bind against
        return None


def _unwrap(value, what: str):
    """NumPy view of an argument tree; a bare host ndarray inside it is a :class:`CupyRuleError`."""
    if isinstance(value, EmulatedArray):
        return value._a
    if isinstance(value, np.ndarray):
        raise CupyRuleError(f"{what}: a host numpy.ndarray mixed into a CuPy computation (CuPy refuses it)")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, what) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, what) for k, v in value.items()}
    return value


def _wrap(value):
    """Device view of a result tree (NumPy scalars become 0-d arrays, as CuPy returns)."""
    if isinstance(value, np.ndarray):
        return EmulatedArray(value)
    if isinstance(value, np.generic):
        return EmulatedArray(np.asarray(value))
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # NumPy's named results (SVDResult, ...)
        return type(value)(*(_wrap(v) for v in value))
    if isinstance(value, (list, tuple)):
        return type(value)(_wrap(v) for v in value)
    return value


def _unwrap_index(key):
    """Indices may be device arrays, host arrays (CuPy copies them over), slices, ints, None, Ellipsis."""
    if isinstance(key, EmulatedArray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_unwrap_index(k) for k in key)
    return key


def cupy_loop(cupy_ufunc, operands) -> tuple[tuple[np.dtype, ...], np.dtype] | None:
    """The loop CuPy's ufunc picks for these operands: the first of its ``types`` (``"ee->e"``, ``"e->d"``, ...)
    whose inputs every array operand casts to safely (Python scalars adapt, as in CuPy), as (input dtypes,
    output dtype); None when the operands are not all arrays and scalars, or when it has a single output.
    This is what makes float16 honest on the emulated device: ``cupyx.scipy.special.erf`` has only
    ``e->d``, ``f->f`` and ``d->d``, so CuPy's erf of float16 is float64, whatever NumPy would do."""
    arrays = tuple(x.dtype if isinstance(x, np.ndarray) else None for x in operands)
    if not any(d is not None for d in arrays):
        return None
    return _loop_for(cupy_ufunc, arrays)


@functools.lru_cache(maxsize=4096)
def _loop_for(cupy_ufunc, arrays: tuple) -> tuple[tuple[np.dtype, ...], np.dtype] | None:
    """:func:`cupy_loop` for the operands' dtypes (None: a scalar), remembered: the search through ``types``
    was most of the emulated device's time per ufunc call."""
    for signature in getattr(cupy_ufunc, "types", ()):
        ins, _, outs = signature.partition("->")
        if len(ins) != len(arrays) or len(outs) != 1:
            continue
        try:
            loop = tuple(np.dtype(c) for c in ins)
        except TypeError:
            continue
        if all(d is None or np.can_cast(d, t, "safe") for d, t in zip(arrays, loop)):
            return loop, np.dtype(outs)
    return None


class EmulatedArray(NDArrayOperatorsMixin):
    """A NumPy array that behaves, protocol-wise, like a ``cupy.ndarray`` (see the module docstring)."""

    __slots__ = ("_a",)
    __array_priority__ = 100

    def __init__(self, array: np.ndarray):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"array must be a numpy.ndarray, got {type(array).__name__}")
        self._a = array

    # ------------------------------------------------------------ conversion, as CuPy allows it
    def __array__(self, dtype=None, copy=None):
        raise CupyRuleError(
            "implicit conversion of a device array to NumPy (CuPy refuses it; use the backend's to_numpy)"
        )

    def get(self) -> np.ndarray:
        """The host copy (``cupy.ndarray.get``)."""
        return self._a.copy()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __bool__(self):
        return bool(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    def __repr__(self):
        return f"EmulatedArray({self._a!r})"

    # ------------------------------------------------------------ attributes and methods
    # shape, ndim, dtype, strides, T, ... and methods: whatever cupy.ndarray also has, results on the device
    def __getattr__(self, name):
        if name.startswith("__") or not hasattr(_cupy().ndarray, name):
            raise AttributeError(f"cupy.ndarray has no attribute {name!r}")
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args, f"ndarray.{name}"), **_unwrap(kwargs, f"ndarray.{name}")))

        return method

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray):
            raise CupyRuleError("assigning a host numpy.ndarray into a device array")
        self._a[_unwrap_index(key)] = value._a if isinstance(value, EmulatedArray) else value

    # ------------------------------------------------------------ NumPy's dispatch protocols
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        cupy_ufunc = getattr(_cupy(), ufunc.__name__, None)
        if cupy_ufunc is None:
            raise CupyRuleError(f"CuPy has no ufunc {ufunc.__name__!r}")
        if method != "__call__" and not hasattr(cupy_ufunc, method):
            raise CupyRuleError(f"CuPy's {ufunc.__name__} has no method {method!r}")
        for x in inputs:
            if not isinstance(x, (EmulatedArray, numbers.Number, np.generic)):
                raise CupyRuleError(
                    f"{ufunc.__name__}: operand of type {type(x).__name__} (CuPy takes device arrays and scalars)"
                )
        raw = _unwrap(inputs, ufunc.__name__)
        kwargs = _unwrap(kwargs, ufunc.__name__)
        if method == "__call__" and "dtype" not in kwargs and "out" not in kwargs:
            loop = cupy_loop(cupy_ufunc, raw)
            if loop is not None:  # CuPy's own loop for these operands: its input casts and its output dtype
                ins, out = loop
                cast = [x.astype(t) if isinstance(x, np.ndarray) and x.dtype != t else x for x, t in zip(raw, ins)]
                return _wrap(np.asarray(ufunc(*cast, **kwargs)).astype(out, copy=False))
        return _wrap(getattr(ufunc, method)(*raw, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        name = f"{func.__module__}.{func.__name__}"
        cupy_func = _cupy_function(func.__module__, func.__name__)
        if cupy_func is None:
            raise CupyRuleError(f"CuPy has no {name}")
        signature = _signature(cupy_func)
        if signature is not None:
            try:
                signature.bind(*args, **kwargs)
            except TypeError as error:
                raise CupyRuleError(f"CuPy's {func.__name__} does not take these arguments: {error}") from None
        return _wrap(func(*_unwrap(args, name), **_unwrap(kwargs, name)))
