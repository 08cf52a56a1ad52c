"""torch's resampling layers under the catalog's names (reference/resampling.py): merged into the torch backend's
op table."""

from __future__ import annotations


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
