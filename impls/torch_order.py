"""torch's max(x, dim), min(x, dim), median(x, dim) (their values), sort(stable=True), topk(sorted=True) (values
and indices), argmax, argmin and argsort(stable=True) with the reference's arguments (#14).  Entries:
``reference/catalog_order.py``.  torch is passed in, never imported here."""

from __future__ import annotations


def order_ops(torch) -> dict:
    """The entries of ``reference/catalog_order.py`` as torch calls."""
    return {
        "max_dim": lambda x, axis, keepdims: torch.max(x, dim=axis, keepdim=keepdims).values,
        "min_dim": lambda x, axis, keepdims: torch.min(x, dim=axis, keepdim=keepdims).values,
        "median": lambda x, axis, keepdims: torch.median(x, dim=axis, keepdim=keepdims).values,
        "sort": lambda x, axis: torch.sort(x, dim=axis, stable=True).values,
        "topk": lambda x, k, axis, largest: torch.topk(x, k, dim=axis, largest=largest, sorted=True).values,
        "topk_indices": lambda x, k, axis, largest: torch.topk(x, k, dim=axis, largest=largest, sorted=True).indices,
        "argmax": lambda x, axis, keepdims: torch.argmax(x, dim=axis, keepdim=keepdims),
        "argmin": lambda x, axis, keepdims: torch.argmin(x, dim=axis, keepdim=keepdims),
        "argsort": lambda x, axis: torch.argsort(x, dim=axis, stable=True),
    }
