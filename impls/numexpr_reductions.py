"""NumExpr's std, nansum and nanmean (#14): single-axis reductions of one expression each, applied axis by
axis (``NumexprBackend.reduce``), with their gradients; and why prod and vector_norm are not expressible.

Entries: ``reference/catalog_reductions.py``.
"""

from __future__ import annotations

import math

from reference._checks import normalize_axes

OPS = ("std", "nansum", "nanmean")
UNSUPPORTED = {
    "prod": "the gradient is the product of the other elements, which needs prefix and suffix (cumulative) "
    "products: numexpr has no cumulative operation, and prod / x is 0/0 at a zero",
    "cumsum": "numexpr has no cumulative (scan) operation: only elementwise expressions and whole-axis reductions",
    "cumprod": "numexpr has no cumulative (scan) operation: only elementwise expressions and whole-axis reductions",
    **dict.fromkeys(
        ("max_dim", "min_dim", "median", "sort", "topk", "argmax", "argmin", "argsort", "topk_indices"),
        "needs the index of an element (an argmax, a sort): numexpr computes values, never positions",
    ),
    "vector_norm": "the inf-norm and the 2-norm's rescaling need a NaN-propagating max, and numexpr's max() "
    "reduction skips NaN (see the max entry's declared divergence)",
}


def _kept(x, axes, g, keepdims):
    return g if keepdims else g.reshape([1 if i in axes else n for i, n in enumerate(x.shape)])


def _numbers(ne, x, axes):
    """How many elements of each slice are not NaN (keeping dims)."""
    return ne.reduce("sum", ne.evaluate("where(x != x, zero, one)", x.dtype, x=x), axes, True)


def _std_parts(ne, x, axes, correction):
    count = math.prod(x.shape[a] for a in axes)
    mean = ne.evaluate("s / n", x.dtype, s=ne.reduce("sum", x, axes, True), n=count)
    squares = ne.reduce("sum", ne.evaluate("(x - m) * (x - m)", x.dtype, x=x, m=mean), axes, True)
    dof = max(count - correction, 0)
    return mean, ne.evaluate("sqrt(s / d)", x.dtype, s=squares, d=dof), dof


def forward(ne, name, x, params):
    """The value of entry ``name`` on ``x`` (``ne`` is the loaded NumexprBackend)."""
    axes = normalize_axes(params.get("axis"), x.ndim)
    keep = params.get("keepdims", False)
    if name == "std":
        out = _std_parts(ne, x, axes, params["correction"])[1]
    else:
        out = ne.reduce("sum", ne.evaluate("where(x != x, zero, x)", x.dtype, x=x), axes, True)
        if name == "nanmean":
            out = ne.evaluate("s / c", x.dtype, s=out, c=_numbers(ne, x, axes))
    return out if keep else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])


def gradient(ne, name, x, params, g):
    """The gradient of ``<g, name(x)>`` with respect to ``x``."""
    axes = normalize_axes(params.get("axis"), x.ndim)
    g = _kept(x, axes, g, params.get("keepdims", False))
    if name == "std":
        mean, s, dof = _std_parts(ne, x, axes, params["correction"])
        # 0 where std == 0 (torch masks the 0/0 there, and so does the reference)
        return ne.evaluate("where(s == zero, zero, g * (x - m) / (d * s))", x.dtype, g=g, x=x, m=mean, s=s, d=dof)
    if name == "nansum":
        return ne.evaluate("where(x != x, zero, g)", x.dtype, g=g, x=x)
    # nanmean: g / count at the numbers, 0 at a NaN -- (g / 0) * 0 = NaN for an all-NaN slice, as the reference
    return ne.evaluate("g / c * where(x != x, zero, one)", x.dtype, g=g, c=_numbers(ne, x, axes), x=x)
