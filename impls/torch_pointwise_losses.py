"""torch's pointwise losses with the catalog's argument names (merged into the torch backend's op table), and
where torch's gradients differ from the reference's."""

from __future__ import annotations

import math
import warnings

import numpy as np

from impls.declare import Divergence

NAN = math.nan


def pointwise_loss_ops(torch) -> dict:
    """l1_loss, smooth_l1_loss, kl_div and binary_cross_entropy from ``torch.nn.functional``."""
    F = torch.nn.functional

    def kl_div(input, target, *, reduction, log_target):
        with warnings.catch_warnings():  # the catalog asks for 'mean' on purpose (it is not the KL divergence)
            warnings.filterwarnings("ignore", message="reduction: 'mean' divides", category=UserWarning)
            return F.kl_div(input, target, reduction=reduction, log_target=log_target)

    return {
        "l1_loss": lambda input, target, *, reduction: F.l1_loss(input, target, reduction=reduction),
        "smooth_l1_loss": lambda input, target, *, reduction, beta: F.smooth_l1_loss(
            input, target, reduction=reduction, beta=beta
        ),
        "kl_div": kl_div,
        "binary_cross_entropy": lambda input, target, weight=None, *, reduction: F.binary_cross_entropy(
            input, target, weight, reduction=reduction
        ),
    }


def _nan_difference(inputs, params) -> bool:
    return bool(np.isnan(inputs[0] - inputs[1]).any())


SGN_OF_NAN = (
    "torch differentiates |input - target| with sgn, and sgn(NaN) = 0, so the gradient at a NaN difference is 0; "
    "the reference's sign propagates the NaN (as for abs)"
)

DECLARATIONS = (
    Divergence(
        "l1_loss",
        SGN_OF_NAN,
        check="special",
        variant="nan-grad",
        returns=[NAN, 2.0],
        grads=([0.0, 1.0],),
        inputs=_nan_difference,
    ),
    Divergence(
        "smooth_l1_loss",
        "with beta = 0 torch computes l1_loss, whose gradient at a NaN difference is sgn(NaN) = 0; the reference's "
        "sign(NaN) is NaN (with beta > 0 both give NaN)",
        check="special",
        variant="beta-zero-nan",
        returns=[NAN, 1.0],
        grads=([0.0, 1.0],),
        inputs=lambda inputs, params: params.get("beta") == 0 and _nan_difference(inputs, params),
    ),
)
