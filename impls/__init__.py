"""Backends checked against the reference, looked up by name.

``BACKENDS`` maps a name to ``"module:Class"``; nothing is imported until a
backend is asked for.  Anywhere a backend name is accepted, a ``module:Class``
path of your own backend works too (that is how the meta-tests plant bugs).
"""

from __future__ import annotations

import importlib

from impls.base import Backend, BackendUnavailable, UnsupportedOp

BACKENDS: dict[str, str] = {
    "numpy": "impls.numpy_backend:NumpyBackend",
    "torch": "impls.torch_backend:TorchBackend",
    "autograd": "impls.autograd_backend:AutogradBackend",
    "numexpr": "impls.numexpr_backend:NumexprBackend",
    "numba": "impls.numba_backend:NumbaBackend",
    "numba_cuda": "impls.numba_cuda_backend:NumbaCudaBackend",
    "cupy": "impls.cupy_backend:CupyBackend",
}


def backend_class(name: str) -> type[Backend]:
    """The class for a registered name or a ``module:Class`` path (imports the module, not the framework)."""
    target = BACKENDS.get(name, name)
    if ":" not in target:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)} (or give module:Class)")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError(f"{target} is not a parity Backend subclass")
    return cls


def load_backend(name: str) -> Backend:
    """A ready backend instance; :class:`BackendUnavailable` (with the reason) if it cannot load."""
    return backend_class(name)()


__all__ = ["BACKENDS", "Backend", "BackendUnavailable", "UnsupportedOp", "backend_class", "load_backend"]
