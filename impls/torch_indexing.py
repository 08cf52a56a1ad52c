"""torch's indexing ops under the catalog's names and argument order (reference/indexing.py): merged into the torch
backend's table.  The reference's validation runs first (Backend._prepare), so out-of-range indices are the
reference's ValueError, not torch's RuntimeError."""

from __future__ import annotations


def indexing_ops(torch) -> dict:
    """Catalog name -> a function of the catalog's inputs and parameters."""
    return {
        "take_along_axis": lambda x, indices, axis: torch.gather(x, axis, indices),
        "index_select": lambda x, index, axis: torch.index_select(x, axis, index),
        "scatter_add": lambda x, index, src, axis: torch.scatter_add(x, axis, index, src),
        "index_add": lambda x, index, src, axis, alpha: torch.index_add(x, axis, index, src, alpha=alpha),
        "embedding": lambda weight, indices, padding_idx, scale_grad_by_freq: torch.nn.functional.embedding(
            indices, weight, padding_idx, scale_grad_by_freq=scale_grad_by_freq
        ),
        "one_hot": lambda indices, num_classes: torch.nn.functional.one_hot(indices, num_classes),
        "pad": lambda x, pad, mode, value: torch.nn.functional.pad(x, pad, mode, value),
    }
