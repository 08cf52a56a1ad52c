"""Backends checked against the reference, looked up by name.

``BACKENDS`` maps the built-in names to ``"module:Class"``; nothing is imported until a backend is
asked for.  Other distributions add backends without a fork through the entry-point group
``parity.backends`` (name -> ``module:Class``), and anywhere a backend name is accepted a
``module:Class`` path works too (that is how the meta-tests plant bugs).  However a backend was loaded,
it is known by one name, its class's ``name``: in cells, records, reports and reproduce lines.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points

from impls.base import Backend, BackendUnavailable, UnsupportedOp

ENTRY_POINT_GROUP = "parity.backends"

BACKENDS: dict[str, str] = {
    "numpy": "impls.numpy_backend:NumpyBackend",
    "torch": "impls.torch_backend:TorchBackend",
    "autograd": "impls.autograd_backend:AutogradBackend",
    "numexpr": "impls.numexpr_backend:NumexprBackend",
    "numba": "impls.numba_backend:NumbaBackend",
    "numba_cuda": "impls.numba_cuda_backend:NumbaCudaBackend",
    "cupy": "impls.cupy_backend:CupyBackend",
    "jax": "impls.jax_backend:JaxBackend",
    "jax_jit": "impls.jax_backend:JaxJitBackend",
}

# backends loaded by a module:Class path in this process: their name -> the path (for reproduce lines)
_BY_PATH: dict[str, str] = {}


@functools.cache
def installed_backends() -> dict[str, str]:
    """Backends other distributions install: the ``parity.backends`` entry points, name -> ``module:Class``."""
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in BACKENDS}


def known_backends() -> dict[str, str]:
    """Every backend a name finds in a fresh process: the built-in ones, then the installed ones."""
    return {**BACKENDS, **installed_backends()}


def backend_class(name: str) -> type[Backend]:
    """The class for a built-in or installed name, a name loaded by path earlier in this process, or a
    ``module:Class`` path (imports the module, not the framework)."""
    target = known_backends().get(name) or _BY_PATH.get(name, name)
    if ":" not in target:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(known_backends())} (or give module:Class)")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise TypeError(f"{target} is not a parity Backend subclass")
    if name == target and cls.name not in known_backends():
        _BY_PATH[cls.name] = target
    return cls


def reproducible_name(name: str) -> str:
    """How ``parity check`` in a fresh process finds backend ``name``: the name itself when it is built in or
    installed, else the ``module:Class`` path it was loaded by."""
    return name if name in known_backends() else _BY_PATH.get(name, name)


def load_backend(name: str) -> Backend:
    """A ready backend instance; :class:`BackendUnavailable` (with the reason) if it cannot load."""
    return backend_class(name)()


__all__ = [
    "BACKENDS",
    "ENTRY_POINT_GROUP",
    "Backend",
    "BackendUnavailable",
    "UnsupportedOp",
    "backend_class",
    "installed_backends",
    "known_backends",
    "load_backend",
    "reproducible_name",
]
