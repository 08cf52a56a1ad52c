"""torch's resampling layers under the catalog's names (reference/resampling.py), merged into the torch backend's
op table, and their known differences from the reference."""

from __future__ import annotations

import math

from impls.declare import Divergence
from impls.torch_activations import VECTORISED


def resampling_ops(torch) -> dict:
    """adaptive_avg_pool2d, and F.interpolate to an output size in modes 'nearest' and 'bilinear'."""
    F = torch.nn.functional
    return {
        "adaptive_avg_pool2d": F.adaptive_avg_pool2d,
        "interpolate_nearest": lambda x, size: F.interpolate(x, size=size, mode="nearest"),
        "interpolate_bilinear": lambda x, size, align_corners: F.interpolate(
            x, size=size, mode="bilinear", align_corners=align_corners
        ),
    }


def _half_pixel_with_non_finite(inputs, params) -> bool:
    import numpy as np

    return not params.get("align_corners", False) and not bool(np.isfinite(inputs[0]).all())


DECLARATIONS = (
    Divergence(
        "interpolate_bilinear",
        "torch's AVX2 CPU kernel build contracts the half-pixel source index scale * (dst + 0.5) - 0.5 into a fused "
        "multiply-add: where the rounded product minus 0.5 is an integer and the exact one is not (1 pixel into 5: "
        "0.2 * 2.5 - 0.5), its weight of the next pixel is ~1e-17 instead of 0, so an inf there gives inf where the "
        "reference's inf * 0 gives NaN (measured with torch 2.13: ATEN_CPU_CAPABILITY=default agrees with the "
        "reference); finite values differ by far less than the tolerance",
        check="special",
        variant="inf-half-pixel",
        device="cpu",
        when=VECTORISED,
        returns=[[[[math.nan] * 5, [math.nan, math.nan, math.inf, math.inf, math.inf]]]],
        inputs=_half_pixel_with_non_finite,
    ),
)
