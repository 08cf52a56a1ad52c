"""torch's cosine similarity with the catalog's argument names (merged into the torch backend's op table)."""

from __future__ import annotations


def similarity_ops(torch) -> dict:
    """cosine_similarity from ``torch.nn.functional``."""
    F = torch.nn.functional
    return {"cosine_similarity": lambda x1, x2, *, dim, eps: F.cosine_similarity(x1, x2, dim=dim, eps=eps)}
