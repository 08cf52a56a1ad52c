"""The engine's indexing primitives, each backward beside its forward: gathers (take_along_axis, index_select) and
the scatter-adds that are their adjoints (scatter_add, index_add).  A gather's backward is a scatter-add of the
cotangent into zeros and a scatter-add's backward (for ``src``) a gather of the cotangent, each written with these
same primitives under ``create_graph``, so gradients of gradients work.  Index arrays are plain int64 NumPy arrays:
they get no gradient.  Every primitive runs the reference's argument checks (reference/indexing.py)."""

from __future__ import annotations

import numpy as np

from impls.autograd.ops import _same_dtype, concatenate, getitem, reshape, tensor
from impls.autograd.tensor import Tensor, make
from reference import indexing as ref
from reference._checks import normalize_axis


def _zeros_like(x: Tensor) -> Tensor:
    return Tensor(np.zeros_like(x.data))


def take_along_axis(x, indices, axis):
    """``x`` read at ``indices`` along ``axis`` (torch.gather)."""
    x = tensor(x)
    ref.take_along_axis.validate(x.data, indices, axis)
    axis = normalize_axis(axis, x.ndim)
    where = ref.along_coordinates(indices, axis)

    def back(g, cg):
        if cg:
            return (scatter_add(_zeros_like(x), indices, g, axis),)
        return (ref.scatter_add_into(np.zeros_like(x.data), where, g),)

    return make(x.data[where], (x,), back, "take_along_axis", ())


def scatter_add(x, index, src, axis):
    """A copy of ``x`` with ``src`` added at ``index`` along ``axis``, repeats accumulating (Tensor.scatter_add)."""
    x, src = tensor(x), tensor(src)
    _same_dtype(x, src, "scatter_add")
    ref.scatter_add.validate(x.data, index, src.data, axis)
    axis = normalize_axis(axis, x.ndim)
    where = ref.along_coordinates(index, axis)

    def back(g, cg):
        return g, (take_along_axis(g, index, axis) if cg else g[where])

    return make(ref.scatter_add_into(x.data.copy(), where, src.data), (x, src), back, "scatter_add", ())


def index_select(x, index, axis):
    """The slices ``index`` picks along ``axis`` (torch.index_select)."""
    x = tensor(x)
    ref.index_select.validate(x.data, index, axis)
    axis = normalize_axis(axis, x.ndim)
    where = (slice(None),) * axis + (index,)

    def back(g, cg):
        if cg:
            zeros = _zeros_like(x)
            return (index_add(zeros, index, g, axis),)
        return (ref.scatter_add_into(np.zeros_like(x.data), where, g),)

    return make(x.data[where], (x,), back, "index_select", ())


def index_add(x, index, src, axis, alpha=1.0):
    """A copy of ``x`` with ``alpha * src``'s slices added at ``index`` along ``axis`` (torch.index_add)."""
    x, src = tensor(x), tensor(src)
    _same_dtype(x, src, "index_add")
    ref.index_add.validate(x.data, index, src.data, axis, alpha)
    axis = normalize_axis(axis, x.ndim)
    where = (slice(None),) * axis + (index,)
    scale = x.data.dtype.type(alpha)

    def back(g, cg):
        picked = index_select(g, index, axis) if cg else g[where]
        return g, (picked if alpha == 1 else picked * scale)

    scaled = src.data if alpha == 1 else src.data * scale
    return make(ref.scatter_add_into(x.data.copy(), where, scaled), (x, src), back, "index_add", ())


def embedding(weight, indices, padding_idx=None, scale_grad_by_freq=False):
    """The rows of ``weight`` that ``indices`` name (F.embedding); ``padding_idx``'s row gets no gradient."""
    weight = tensor(weight)
    ref.embedding.validate(weight.data, indices, padding_idx, scale_grad_by_freq)
    out = index_select(weight, indices.reshape(-1), 0)
    if padding_idx is None and not scale_grad_by_freq:
        return reshape(out, (*indices.shape, weight.shape[1]))
    # the row scaling (1/count, 0 at padding_idx) applied to the gradient only: out = w[i] with d/dw scaled
    scale = np.ones(weight.shape[0], dtype=weight.data.dtype)
    if scale_grad_by_freq:
        scale /= np.maximum(np.bincount(indices.reshape(-1), minlength=weight.shape[0]), 1).astype(scale.dtype)
    if padding_idx is not None:
        scale[padding_idx] = 0
    factor = scale[indices.reshape(-1)][:, None]
    return reshape(_scaled_gradient(out, factor), (*indices.shape, weight.shape[1]))


def _scaled_gradient(x: Tensor, factor: np.ndarray) -> Tensor:
    """``x`` unchanged, its gradient multiplied by the constant ``factor`` (broadcast)."""
    return make(x.data.copy(), (x,), lambda g, cg: (g * factor,), "scaled_gradient", ())


def pad(x, pad, mode="constant", value=None):
    """F.pad, composed of the engine's primitives, axis by axis: constant concatenates fills around a (cropping)
    slice, the other modes are an index_select of the positions each output reads (its backward, index_add,
    accumulates the edges that are read many times)."""
    x = tensor(x)
    ref.pad.validate(x.data, pad, mode, value)
    out = x
    for axis, before, after in ref._pad_pairs(x, pad):
        if mode != "constant":
            out = index_select(out, ref._source(out.data, axis, before, after, mode), axis)
            continue
        n = out.shape[axis]
        parts = [getitem(out, (slice(None),) * axis + (slice(max(-before, 0), n - max(-after, 0)),))]
        for size, where in ((before, 0), (after, len(parts) + 1)):
            if size > 0:
                shape = list(out.shape)
                shape[axis] = size
                parts.insert(where, Tensor(np.full(shape, 0.0 if value is None else value, dtype=x.data.dtype)))
        out = concatenate(*parts, axis=axis)
    return out


OPS = {"take_along_axis": take_along_axis, "scatter_add": scatter_add, "index_select": index_select,
       "index_add": index_add, "embedding": embedding, "pad": pad}  # fmt: skip
