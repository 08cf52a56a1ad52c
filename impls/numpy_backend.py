"""The NumPy backend: the reference itself run through the backend interface.

It is the baseline column of the matrix (its float32 results show what the
reference algorithm loses in float32) and the peer for speed ratios.
"""

from __future__ import annotations

import numpy as np

from impls.base import Backend, HostArrays, ReferenceBodies
from impls.declare import Divergence
from reference import optim

# NumPy's float16 arithmetic, which the reference bodies run on (numpy, cupy's emulated device, the autograd engine)
FLOAT16_DIVERGENCES = (
    Divergence(
        "sum",
        "NumPy reduces a strided axis of a float16 array row by row in float16 (a contiguous axis pairwise in a "
        "float32 accumulator): 4096 ones summed over axis 0 stop at 2048, where 2048 + 1 rounds back to 2048",
        check="special",
        variant="float16-long-rows",
        dtype="float16",
        returns=[2048.0, 2048.0],
    ),
    Divergence(
        "layer_norm",
        "the reference's layer_norm gradient in float16 arithmetic: over 3 elements with eps = 1e-3 the centred "
        "values and 1/sqrt(var + eps) each round in float16 and the VJP's two means of their products cancel, "
        "1.3x the allowance at one element (torch computes in float32 and passes)",
        check="vjp",
        variant=2,
        dtype="float16",
    ),
    *(
        Divergence(
            "scaled_dot_product_attention",
            "the reference's attention gradient in float16 arithmetic: the softmax backward P (dP - sum(dP P)) "
            "cancels over the keys after dP = g V^T has rounded in float16, and the key gradient sums those rounded "
            "rows again: 1.9x the allowance at one element of the causal cases (torch computes in float32 and passes)",
            check="vjp",
            variant=case,
            dtype="float16",
        )
        for case in (1, 4)
    ),
    Divergence(
        "mlp",
        "under float16 autocast NumPy's float16 kernels round every step and sum a strided axis (the batch axis of "
        "the bias gradients) one by one in float16 (the accumulation measured as 'float16 (sum-rows)'), where "
        "autocast's kernels compute in float32 and round once: after 60 steps fc1.weight is 3.8x the "
        "mixed-precision allowance away (bfloat16, which NumPy lacks and the loop emulates, passes)",
        check="train",
        variant=4,
        dtype="float32",
    ),
)


class NumpyBackend(ReferenceBodies, HostArrays, Backend):
    """NumPy arrays on the CPU; forward and VJPs from :mod:`reference`."""

    name = "numpy"
    devices = ("cpu",)
    declarations = FLOAT16_DIVERGENCES
    dtypes = ("float16", "float32", "float64", "int32", "int64", "bool")
    unsupported_dtypes = {
        "bfloat16": "NumPy has no bfloat16; ml_dtypes adds one (parity uses it to hold bfloat16 results), but the "
        "reference bodies would not compute in it: a Python float promotes it to float32 (bfloat16 x * 0.5 is "
        "float32), its reductions add one by one in bfloat16 (the sum of 4096 ones is 256) while its matmul "
        "accumulates in float32, and np.finfo rejects it (measured with ml_dtypes 0.6, NumPy 2.4)",
    }

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
