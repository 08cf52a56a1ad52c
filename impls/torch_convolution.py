"""torch's conv1d and conv_transpose2d with the catalog's argument names (merged into the torch backend's op
table)."""

from __future__ import annotations


def convolution_ops(torch) -> dict:
    """conv1d and conv_transpose2d from ``torch.nn.functional`` (the catalog's parameter names are torch's)."""
    return {"conv1d": torch.nn.functional.conv1d, "conv_transpose2d": torch.nn.functional.conv_transpose2d}
