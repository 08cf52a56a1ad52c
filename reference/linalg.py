"""matmul (NumPy semantics: 1-D promotion, batched, broadcast batch dims) and outer."""

from __future__ import annotations

import numpy as np

from reference._checks import broadcast_shapes, require_float_array, require_ndim, require_same_dtype
from reference._op import reference_op, unbroadcast, vjp_of


def _check_matmul(a, b) -> None:
    require_float_array(a, "a")
    require_float_array(b, "b")
    require_same_dtype((a, b), ("a", "b"))
    require_ndim(a, "a", at_least=1)
    require_ndim(b, "b", at_least=1)
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != k_b:
        raise ValueError(
            f"a and b have mismatched inner dimensions: a.shape[-1] = {a.shape[-1]}, "
            f"b's contracted dimension = {k_b} (a {tuple(a.shape)}, b {tuple(b.shape)})"
        )
    if a.ndim > 2 or b.ndim > 2:
        broadcast_shapes(("a batch", tuple(a.shape[:-2])), ("b batch", tuple(b.shape[:-2])))


@reference_op(("a", "b"), _check_matmul)
def matmul(a, b):
    """a @ b with NumPy's rules (1-D operands are promoted, then the added axis removed)."""
    return np.matmul(a, b)


@vjp_of(matmul)
def matmul_vjp(g, a, b):
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2 if b.ndim > 1 else 0)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    ga = unbroadcast(np.matmul(g2, np.swapaxes(b2, -1, -2)), a2.shape)
    gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g2), b2.shape)
    return ga.reshape(a.shape), gb.reshape(b.shape)


def _check_outer(x, y) -> None:
    require_float_array(x, "x")
    require_float_array(y, "y")
    require_same_dtype((x, y), ("x", "y"))
    require_ndim(x, "x", exactly=1)
    require_ndim(y, "y", exactly=1)


@reference_op(("x", "y"), _check_outer)
def outer(x, y):
    """Outer product of two vectors: out[i, j] = x[i] * y[j]."""
    return np.multiply.outer(x, y)


@vjp_of(outer)
def outer_vjp(g, x, y):
    return g @ y, x @ g
