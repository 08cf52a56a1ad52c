"""Indexing ops with torch semantics: gathers (take_along_axis = torch.gather, index_select = torch.index_select)
and scatters that accumulate (scatter_add = Tensor.scatter_add, index_add = torch.index_add), with hand-derived VJPs.

Index inputs are int64 (or int32) arrays and get no gradient (``nondiff``).  A gather's VJP is the matching
scatter-add of the cotangent into zeros and a scatter-add's VJP with respect to ``src`` is the matching gather of
the cotangent, so repeated indices accumulate in both directions.  Indices must lie in ``[0, size)``, as torch
requires (NumPy's ``take`` would also accept negative ones, counting from the end; torch raises): anything else is a
``ValueError`` naming the argument, checked with array operations only so that a device array is checked where it
lives.

The scatters accumulate with ``np.add.at`` (``ufunc.at``: unbuffered, so repeated indices add up, which fancy
assignment ``out[idx] += src`` would not); on CuPy arrays with ``cupyx.scatter_add``
(:func:`reference._xp.scatter_add`), atomic adds whose order is not fixed on a GPU.
"""

from __future__ import annotations

import numbers

import numpy as np

from reference import _xp
from reference._checks import (
    dtype_name,
    normalize_axis,
    require_bool,
    require_float_array,
    require_int,
    require_ndim,
    require_real,
    require_same_dtype,
)
from reference._op import no_gradient, reference_op, vjp_of

INDEX_DTYPES = ("int64", "int32")  # what torch's gather, scatter_add, index_select and index_add accept


# ---------------------------------------------------------------- validation shared by the ops (and every backend)
def require_indices(index, name: str) -> None:
    """``index`` must be an int64 or int32 array (torch's index dtypes; others are not supported)."""
    if not (hasattr(index, "shape") and hasattr(index, "dtype")):
        raise TypeError(f"{name} must be an array of int64 indices, got {type(index).__name__}")
    if dtype_name(index) not in INDEX_DTYPES:
        raise TypeError(f"{name} must hold int64 or int32 indices, got dtype {dtype_name(index)}: not supported")


def require_in_range(index, size: int, name: str, where: str) -> None:
    """Every element of ``index`` in ``[0, size)``; ``ValueError`` naming ``name`` and the first offender."""
    bad = (index < 0) | (index >= size)
    if bool(bad.any()):
        raise ValueError(
            f"{name} holds index {int(index[bad].reshape(-1)[0])} outside [0, {size}) {where}: an index out of range "
            "is not supported (torch raises; NumPy's take would count a negative one from the end)"
        )


def _check_along(x, index, axis, index_name="indices", src=None) -> int:
    """Checks of the gather/scatter pair along ``axis`` (torch.gather / Tensor.scatter_add): ``index`` has ``x``'s
    rank and, off ``axis``, no larger a size; returns the normalised axis."""
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=1)
    require_indices(index, index_name)
    axis = normalize_axis(axis, x.ndim)
    if index.ndim != x.ndim:
        raise ValueError(
            f"{index_name} must have x's {x.ndim} dimension(s), got shape {tuple(index.shape)} (broadcasting an "
            "index is not supported: torch.gather does not broadcast)"
        )
    if src is not None:
        require_float_array(src, "src")
        require_same_dtype((x, src), ("x", "src"))
        if tuple(src.shape) != tuple(index.shape):
            raise ValueError(
                f"src must have {index_name}'s shape {tuple(index.shape)}, got {tuple(src.shape)} (torch also "
                "accepts a larger src and reads its leading part: not supported)"
            )
    for d, (n, m) in enumerate(zip(index.shape, x.shape)):
        if d != axis and n > m:
            raise ValueError(f"{index_name} has size {n} in dimension {d}, larger than x's {m}")
    require_in_range(index, x.shape[axis], index_name, f"along axis {axis} of x {tuple(x.shape)}")
    return axis


def _check_selection(x, index, axis, src=None, alpha=None) -> int:
    """Checks of the index_select/index_add pair: a 1-D ``index`` into ``axis`` of ``x``."""
    require_float_array(x, "x")
    require_ndim(x, "x", at_least=1)
    require_indices(index, "index")
    require_ndim(index, "index", exactly=1)
    axis = normalize_axis(axis, x.ndim)
    if src is not None:
        require_float_array(src, "src")
        require_same_dtype((x, src), ("x", "src"))
        expected = tuple(x.shape[:axis]) + (index.shape[0],) + tuple(x.shape[axis + 1 :])
        if tuple(src.shape) != expected:
            raise ValueError(f"src must have shape {expected} (x's with len(index) along axis {axis}), "
                             f"got {tuple(src.shape)}")  # fmt: skip
    if alpha is not None:
        require_real(alpha, "alpha")
    require_in_range(index, x.shape[axis], "index", f"along axis {axis} of x {tuple(x.shape)}")
    return axis


# ---------------------------------------------------------------- the index arithmetic
def along_coordinates(index, axis: int) -> tuple:
    """The full coordinates ``index`` addresses along ``axis``: position p of ``index`` points at p with its
    ``axis`` coordinate replaced by ``index[p]`` (what torch.gather reads and Tensor.scatter_add writes).  Built from
    ``np.arange(..., like=index)``, so that the coordinates live where ``index`` does."""
    coordinates = []
    for d, n in enumerate(index.shape):
        if d == axis:
            coordinates.append(index)
            continue
        shape = [1] * index.ndim
        shape[d] = n
        coordinates.append(np.arange(n, like=index).reshape(shape))
    return tuple(coordinates)


def _selection(index, axis: int) -> tuple:
    return (slice(None),) * axis + (index,)


def scatter_add_into(out, coordinates, values):
    """``out`` with ``values`` added at ``coordinates``, repeated coordinates accumulating (in place; returned)."""
    return _xp.scatter_add(out, coordinates, values)


# ---------------------------------------------------------------- gathers
def _check_take_along_axis(x, indices, axis):
    _check_along(x, indices, axis)


@reference_op(("x", "indices"), _check_take_along_axis, nondiff=("indices",))
def take_along_axis(x, indices, axis):
    """``out[p] = x[p with its axis coordinate replaced by indices[p]]``: torch.gather(x, axis, indices), and
    np.take_along_axis for an ``indices`` of x's shape off ``axis``."""
    return x[along_coordinates(indices, normalize_axis(axis, x.ndim))]


@vjp_of(take_along_axis)
def take_along_axis_vjp(g, x, indices, axis):
    # d out[p] / d x[q] = 1 where q is p's source: the cotangent scattered back, repeated sources adding up
    coordinates = along_coordinates(indices, normalize_axis(axis, x.ndim))
    return (scatter_add_into(np.zeros_like(x), coordinates, g),)


def _check_index_select(x, index, axis):
    _check_selection(x, index, axis)


@reference_op(("x", "index"), _check_index_select, nondiff=("index",))
def index_select(x, index, axis):
    """The slices ``index`` picks along ``axis``, in its order, repeats allowed: torch.index_select(x, axis, index),
    np.take(x, index, axis) for indices in range."""
    return x[_selection(index, normalize_axis(axis, x.ndim))]


@vjp_of(index_select)
def index_select_vjp(g, x, index, axis):
    return (scatter_add_into(np.zeros_like(x), _selection(index, normalize_axis(axis, x.ndim)), g),)


# ---------------------------------------------------------------- scatters that accumulate
def _check_scatter_add(x, index, src, axis):
    _check_along(x, index, axis, "index", src)


@reference_op(("x", "index", "src"), _check_scatter_add, nondiff=("index",))
def scatter_add(x, index, src, axis):
    """A copy of ``x`` with ``src[p]`` added at p's position with its axis coordinate replaced by ``index[p]``; every
    repeat adds: Tensor.scatter_add(axis, index, src)."""
    return scatter_add_into(x.copy(), along_coordinates(index, normalize_axis(axis, x.ndim)), src)


@vjp_of(scatter_add)
def scatter_add_vjp(g, x, index, src, axis):
    # out is x plus a sum of src elements: d/dx is the identity, d/dsrc[p] reads the cotangent where src[p] went
    return g, g[along_coordinates(index, normalize_axis(axis, x.ndim))]


def _check_index_add(x, index, src, axis, alpha=1.0):
    _check_selection(x, index, axis, src, alpha)


@reference_op(("x", "index", "src"), _check_index_add, nondiff=("index",))
def index_add(x, index, src, axis, alpha=1.0):
    """A copy of ``x`` with ``alpha * src``'s slices added to the slices ``index`` names along ``axis``, repeats
    accumulating: torch.index_add(x, axis, index, src, alpha=alpha)."""
    scaled = src if alpha == 1 else src * x.dtype.type(alpha)
    return scatter_add_into(x.copy(), _selection(index, normalize_axis(axis, x.ndim)), scaled)


@vjp_of(index_add)
def index_add_vjp(g, x, index, src, axis, alpha=1.0):
    picked = g[_selection(index, normalize_axis(axis, x.ndim))]
    return g, picked if alpha == 1 else picked * g.dtype.type(alpha)


# ---------------------------------------------------------------- embedding and one_hot
def _check_embedding(weight, indices, padding_idx=None, scale_grad_by_freq=False):
    require_float_array(weight, "weight")
    require_ndim(weight, "weight", exactly=2)
    require_indices(indices, "indices")
    require_bool(scale_grad_by_freq, "scale_grad_by_freq")
    rows = weight.shape[0]
    if padding_idx is not None:
        padding_idx = require_int(padding_idx, "padding_idx")
        if not -rows <= padding_idx < rows:
            raise ValueError(f"padding_idx={padding_idx} is out of range for weight with {rows} rows")
    require_in_range(indices, rows, "indices", f"(the rows of weight {tuple(weight.shape)})")


@reference_op(("weight", "indices"), _check_embedding, nondiff=("indices",))
def embedding(weight, indices, padding_idx=None, scale_grad_by_freq=False):
    """The rows of ``weight`` that ``indices`` name, shape ``indices.shape + (dim,)``: F.embedding(indices, weight,
    padding_idx, scale_grad_by_freq=...) -- weight first here, so that the result takes its dtype.  ``padding_idx``
    changes only the gradient (its row gets none); the forward reads that row like any other."""
    return weight[indices]


@vjp_of(embedding)
def embedding_vjp(g, weight, indices, padding_idx=None, scale_grad_by_freq=False):
    # a gather's VJP: the cotangent rows scatter-added onto the rows they came from (repeats accumulate); with
    # scale_grad_by_freq each row's sum is divided by how often it was read; padding_idx's row gets nothing
    grad = scatter_add_into(np.zeros_like(weight), (indices,), g)
    if scale_grad_by_freq:
        ones = np.ones_like(indices, dtype=weight.dtype)
        counts = scatter_add_into(np.zeros_like(weight, shape=weight.shape[:1]), (indices,), ones)
        grad = grad / np.maximum(counts, 1)[:, None]
    if padding_idx is not None:
        grad[padding_idx] = 0
    return (grad,)


def _check_one_hot(indices, num_classes=-1):
    if not (hasattr(indices, "shape") and hasattr(indices, "dtype")):
        raise TypeError(f"indices must be an array of int64 indices, got {type(indices).__name__}")
    if dtype_name(indices) != "int64":
        raise TypeError(f"indices must hold int64 indices (torch's one_hot takes no other), got {dtype_name(indices)}")
    num_classes = require_int(num_classes, "num_classes")
    if num_classes < -1:
        raise ValueError(f"num_classes must be -1 (inferred) or >= 0, got {num_classes}")
    if num_classes == -1 and indices.size == 0:
        raise ValueError("num_classes=-1 cannot be inferred from empty indices: pass num_classes")
    classes = _classes(indices, num_classes)
    require_in_range(indices, classes, "indices", f"(num_classes={num_classes})")


def _classes(indices, num_classes):
    return int(indices.max()) + 1 if num_classes == -1 else num_classes


@no_gradient
@reference_op(("indices",), _check_one_hot, nondiff=("indices",))
def one_hot(indices, num_classes=-1):
    """int64 array of shape ``indices.shape + (C,)``, 1 at each index's class and 0 elsewhere, C = num_classes, or
    max(indices) + 1 for -1: F.one_hot(indices, num_classes)."""
    classes = np.arange(_classes(indices, num_classes), like=indices)
    return (indices[..., None] == classes).astype(indices.dtype)


# ---------------------------------------------------------------- pad (F.pad)
PAD_MODES = ("constant", "reflect", "replicate", "circular")


def _pad_pairs(x, pad) -> list[tuple[int, int, int]]:
    """(axis, before, after) per padded axis: ``pad`` names the last axis first, as F.pad's does."""
    return [(x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


def _check_pad(x, pad, mode="constant", value=None):
    require_float_array(x, "x")
    if not isinstance(pad, tuple) or len(pad) % 2:
        raise TypeError(f"pad must be a tuple of an even number of ints (last axis first), got {pad!r}")
    for p in pad:
        require_int(p, "pad")
    if len(pad) > 2 * x.ndim:
        raise ValueError(f"pad={pad} pads {len(pad) // 2} axes but x has {x.ndim} dimension(s)")
    if mode not in PAD_MODES:
        raise ValueError(f"mode must be one of {', '.join(PAD_MODES)}, got {mode!r}")
    if mode == "constant":
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise TypeError(f"value must be a real number (NaN and inf included) or None, got {type(value).__name__}")
        for axis, before, after in _pad_pairs(x, pad):
            n = x.shape[axis]
            if before < -n or after < -n or n + before + after < 0:
                raise ValueError(f"pad={pad} crops more than axis {axis} of x {tuple(x.shape)} holds")
        return
    _check_pad_by_mode(x, pad, mode, value)


def _check_pad_by_mode(x, pad, mode, value):
    """reflect, replicate, circular: torch's rules (an input of len(pad) / 2 + 1 or + 2 dimensions, non-empty)."""
    if value is not None:
        raise ValueError(f"value={value} is only for mode='constant' (torch refuses it with mode={mode!r})")
    padded = len(pad) // 2
    if not 1 <= padded <= 3 or x.ndim not in (padded + 1, padded + 2):
        raise ValueError(
            f"mode={mode!r} pads 1 to 3 trailing axes of an input with one or two leading (batch, channel) axes: "
            f"pad={pad} needs x of {padded + 1} or {padded + 2} dimensions, got {tuple(x.shape)}"
        )
    if mode != "circular" and 0 in x.shape[x.ndim - padded - 1 :]:
        raise ValueError(f"mode={mode!r} needs non-empty channel and padded axes, got x {tuple(x.shape)}")
    for axis, before, after in _pad_pairs(x, pad):
        n = x.shape[axis]
        if before < 0 or after < 0:
            raise ValueError(f"pad={pad}: negative padding (cropping) is not supported with mode={mode!r}")
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"pad={pad}: reflect padding must be smaller than axis {axis}'s size {n}")
        if mode == "circular" and max(before, after) > n:
            raise ValueError(f"pad={pad}: circular padding must be at most axis {axis}'s size {n}")


def _source(x, axis: int, before: int, after: int, mode: str):
    """For every output position along ``axis``, the input position it reads (reflect, replicate, circular), as an
    array where ``x`` lives."""
    n = x.shape[axis]
    i = np.arange(n + before + after, like=x) - before
    if mode == "reflect":  # mirror without repeating the edge: -1 -> 1, n -> n - 2
        i = np.abs(i)
        return np.where(i >= n, 2 * (n - 1) - i, i)
    if mode == "replicate":
        return np.clip(i, 0, n - 1)
    return np.remainder(i, n)  # circular


def _kept(n: int, before: int, after: int) -> tuple[slice, slice]:
    """constant mode: (the output slice that holds input, the input slice it holds) along one axis."""
    start = max(before, 0)
    return slice(start, start + n + min(before, 0) + min(after, 0)), slice(max(-before, 0), n - max(-after, 0))


def _along(axis: int, index) -> tuple:
    return (slice(None),) * axis + (index,)


@reference_op(("x",), _check_pad)
def pad(x, pad, mode="constant", value=None):
    """F.pad(x, pad, mode, value): ``pad`` = (before, after) for the last axis, then the one before, ...; constant
    fills with ``value`` (0 by default; negative pads crop), reflect mirrors without repeating the edge (pad < size),
    replicate repeats the edge, circular wraps around (pad <= size)."""
    out = x
    for axis, before, after in _pad_pairs(x, pad):
        if mode == "constant":
            shape = list(out.shape)
            shape[axis] += before + after
            filled = np.full_like(out, 0.0 if value is None else value, shape=tuple(shape))
            target, source = _kept(out.shape[axis], before, after)
            filled[_along(axis, target)] = out[_along(axis, source)]
            out = filled
        else:
            out = np.take(out, _source(out, axis, before, after, mode), axis=axis)
    return out


@vjp_of(pad)
def pad_vjp(g, x, pad, mode="constant", value=None):
    # undo the axes in reverse: constant keeps the cotangent where input was (the fill has no gradient); the other
    # modes scatter-add each output position's cotangent onto the input position it read (edges read many times)
    pairs = _pad_pairs(x, pad)
    shapes = [x.shape]
    for axis, before, after in pairs[:-1]:
        shape = list(shapes[-1])
        shape[axis] += before + after
        shapes.append(tuple(shape))
    for (axis, before, after), shape in zip(reversed(pairs), reversed(shapes)):
        grad = np.zeros_like(g, shape=shape)
        if mode == "constant":
            target, source = _kept(shape[axis], before, after)
            grad[_along(axis, source)] = g[_along(axis, target)]
        else:
            probe = np.zeros_like(g, shape=shape)  # _source only reads the axis' size and where arrays live
            scatter_add_into(grad, _along(axis, _source(probe, axis, before, after, mode)), g)
        g = grad
    return (g,)
