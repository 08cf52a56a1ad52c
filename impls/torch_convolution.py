"""torch's conv1d with the catalog's argument names (merged into the torch backend's op table)."""

from __future__ import annotations


def convolution_ops(torch) -> dict:
    """conv1d from ``torch.nn.functional``."""
    return {"conv1d": torch.nn.functional.conv1d}
