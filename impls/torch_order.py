"""torch's max(x, dim), min(x, dim), median(x, dim) (their values) and sort(stable=True) with the reference's
arguments (#14).  Entries: ``reference/catalog_order.py``.  torch is passed in, never imported here."""

from __future__ import annotations


def order_ops(torch) -> dict:
    """The entries of ``reference/catalog_order.py`` as torch calls."""
    return {
        "max_dim": lambda x, axis, keepdims: torch.max(x, dim=axis, keepdim=keepdims).values,
        "min_dim": lambda x, axis, keepdims: torch.min(x, dim=axis, keepdim=keepdims).values,
        "median": lambda x, axis, keepdims: torch.median(x, dim=axis, keepdim=keepdims).values,
        "sort": lambda x, axis: torch.sort(x, dim=axis, stable=True).values,
    }
