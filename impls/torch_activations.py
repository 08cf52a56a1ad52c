"""torch's mappings for the activation family (:mod:`reference.catalog_activations`), and where torch differs.

Merged into the torch backend's op table by ``**activation_ops(torch)``; no torch import here (the backend passes it).
"""

from __future__ import annotations

import math

from impls.declare import Divergence, fact_is, version

NAN, INF = math.nan, math.inf


def activation_ops(torch) -> dict:
    """The family's ops as torch.nn.functional calls with the reference's argument names."""
    F = torch.nn.functional
    return {
        "silu": F.silu,
        "elu": lambda x, alpha: F.elu(x, alpha),
        "selu": F.selu,
        "hardtanh": lambda x, min_val, max_val: F.hardtanh(x, min_val, max_val),
        "log_sigmoid": F.logsigmoid,
        "mish": F.mish,
        "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    }


def _literal_at_infinities(entry: str, formula: str) -> tuple:
    """torch evaluates ``formula`` literally: NaN at -inf (-inf * 0) and NaN gradients at both infinities (measured
    in float64, float32, float16 and bfloat16 on the CPU, torch 2.13)."""
    reason = f"torch evaluates {formula} literally: -inf * 0 = NaN at -inf, and NaN gradients at +-inf (inf * 0)"
    return (
        Divergence(entry, reason, check="special", variant="infinite", returns=[NAN, INF], grads=([NAN, NAN],)),
        Divergence(entry, reason, check="branches"),
    )


VECTORISED = (fact_is("torch.cpu_capability", "AVX2"), version("torch", "==2.13.*"))


def _vectorised_nan_grad(entry: str, params_note: str, grads: list) -> Divergence:
    return Divergence(
        entry,
        f"torch's vectorised CPU backward of {entry} (from 8 float64 elements on AVX2) gives {params_note} at NaN, "
        "its scalar loop (fewer elements, the kink special) the right branch's slope: measured with torch 2.13",
        check="special",
        variant="nan-grad-long",
        dtype="float64",
        device="cpu",
        when=VECTORISED,
        returns=[NAN] * 8,
        grads=(grads,),
        inputs=_nan_in_eight,
    )


def _nan_in_eight(inputs, params) -> bool:
    import numpy as np

    (x,) = inputs
    return x.size >= 8 and bool(np.isnan(x).any())


DECLARATIONS = (
    _vectorised_nan_grad("elu", "NaN", [NAN] * 8),
    _vectorised_nan_grad("selu", "NaN", [NAN] * 8),
    _vectorised_nan_grad("hardtanh", "0", [0.0] * 8),
    *_literal_at_infinities("silu", "x * sigmoid(x)"),
    *_literal_at_infinities("mish", "x * tanh(softplus(x))"),
    *_literal_at_infinities("gelu_tanh", "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))"),
)
