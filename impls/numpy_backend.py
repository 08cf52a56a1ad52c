"""The NumPy backend: the reference itself run through the backend interface.

It is the baseline column of the matrix (its float32 results show what the
reference algorithm loses in float32) and the peer for speed ratios.
"""

from __future__ import annotations

import numpy as np

from impls.base import Backend, HostArrays, ReferenceBodies
from reference import optim


class NumpyBackend(ReferenceBodies, HostArrays, Backend):
    """NumPy arrays on the CPU; forward and VJPs from :mod:`reference`."""

    name = "numpy"
    devices = ("cpu",)
    dtypes = ("float16", "float32", "float64")

    def implemented_ops(self):
        from reference import CATALOG

        return set(CATALOG)

    def _forward(self, spec, inputs, params):
        return spec.forward(*inputs, **params)

    def _vjp(self, spec, inputs, params, cotangent):
        return spec.vjp(cotangent, *inputs, **params)

    def run_optimizer(self, name, param0, grads, lrs, hyper, dtype, device):
        cast = [np.asarray(g, dtype=dtype) for g in grads]
        return optim.trajectory(name, np.asarray(param0, dtype=dtype), cast, lrs, hyper)
