"""The public API for backends written outside parity: everything a backend needs, from one module.

docs/backend-api.md is the contract (arrays, calling conventions, gradients, optimizers, loops, devices,
synchronisation, declarations, facts) with a worked example.  A backend built only on this module keeps
working when parity's internals change; ``impls/`` and ``reference/`` are not part of the API.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from impls import ENTRY_POINT_GROUP
from impls.base import GPU_DEVICES, INDEX_DTYPES, Backend, BackendUnavailable, HostArrays, UnsupportedOp
from impls.declare import Condition, Divergence, Unsupported, at_least, below, fact_is, version
from reference.floats import numpy_dtype, to_numpy_dtype

__all__ = [
    "ENTRY_POINT_GROUP",
    "GPU_DEVICES",
    "INDEX_DTYPES",
    "Backend",
    "BackendUnavailable",
    "Condition",
    "Divergence",
    "HostArrays",
    "Unsupported",
    "UnsupportedOp",
    "at_least",
    "below",
    "entries",
    "entry_kind",
    "fact_is",
    "numpy_dtype",
    "signature",
    "to_numpy_dtype",
    "version",
]


def entries(kind: str | Sequence[str] | None = None) -> list[str]:
    """The names of the catalog's entries, in catalog order; ``kind`` (``"op"``, ``"layer"``, ``"loss"``,
    ``"optimizer"``, ``"loop"``, or several) keeps only those."""
    from reference import ENTRY_GROUPS

    kinds = None if kind is None else {kind} if isinstance(kind, str) else set(kind)
    return [
        name for group in ENTRY_GROUPS.values() for name, spec in group.items() if kinds is None or spec.kind in kinds
    ]


def entry_kind(name: str) -> str:
    """``"op"``, ``"layer"``, ``"loss"``, ``"optimizer"`` or ``"loop"``."""
    from reference import get_entry

    return get_entry(name).kind


def signature(name: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """``(arrays, params)`` of op, layer or loss ``name``: what ``Backend._forward(spec, inputs, params)`` gets.
    ``inputs`` holds the arrays in the order of ``arrays`` (``"name?"``: optional, None when not given;
    ``"*name"``: any number of them); ``params`` holds every parameter, its default bound when the caller
    gave none.  Optimizers take the keyword arguments of their torch.optim namesake; loops are run by parity."""
    from reference import get_spec

    spec = get_spec(name)
    arrays = {a.strip("*?") for a in spec.arg_names}
    params = {
        p.name: (None if p.default is inspect.Parameter.empty else p.default)
        for p in inspect.signature(spec.forward).parameters.values()
        if p.name not in arrays
    }
    return spec.arg_names, params
