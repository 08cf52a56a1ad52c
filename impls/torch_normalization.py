"""torch's group and instance normalisation with the catalog's argument names (merged into the torch backend's
op table)."""

from __future__ import annotations


def normalization_ops(torch) -> dict:
    """group_norm and instance_norm (input statistics, no running ones) from ``torch.nn.functional``."""
    F = torch.nn.functional
    return {
        "group_norm": lambda x, weight=None, bias=None, *, num_groups, eps: F.group_norm(
            x, num_groups, weight, bias, eps
        ),
        "instance_norm": lambda x, weight=None, bias=None, *, eps: F.instance_norm(
            x, weight=weight, bias=bias, use_input_stats=True, eps=eps
        ),
    }
