"""Audit plans for the indexing family (:mod:`reference.catalog_indexing`): every form torch accepts, size-0 and
size-1 shapes, special values, repeated indices, out-of-range and negative indices (both sides refuse them) and
other index dtypes, with the reference's deliberate differences from torch declared."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from impls.declare import Unsupported
from reference.audit_kit import AuditPlan, Config, arrays, cotangent_seeds, shapes, values


def _now_and_then(draw, every: int) -> bool:
    """True about once in ``every`` draws (hypothesis would pick the boundary of integers(0, n) far more often)."""
    return draw(st.sampled_from([False] * (every - 1) + [True]))


def _index_values(draw, shape, size: int) -> np.ndarray:
    """int64 indices in [0, size), now and then one out of range (size, or -1) or of another dtype."""
    count = int(np.prod(shape))
    picks = draw(st.lists(st.integers(0, max(size - 1, 0)), min_size=count, max_size=count))
    index = np.array(picks, dtype=np.int64).reshape(shape)
    if index.size and _now_and_then(draw, 10):  # out of range: both sides refuse
        index.flat[0] = draw(st.sampled_from([size, -1]))
    if _now_and_then(draw, 12):  # int32, which torch accepts too; uint8 and int16 both sides refuse
        index = index.astype(draw(st.sampled_from([np.int32, np.int32, np.uint8, np.int16])))
    return index


def _axis(draw, ndim: int) -> int:
    return draw(st.integers(-ndim, ndim - 1))


def _along(scatter: bool):
    """take_along_axis / scatter_add: an index of x's rank, no larger than x off the axis."""

    @st.composite
    def configs(draw):
        shape = draw(shapes(min_dims=1, max_dims=3))
        axis = _axis(draw, len(shape))
        index_shape = tuple(
            draw(st.integers(0, 4)) if d == axis % len(shape) else draw(st.integers(0, n)) for d, n in enumerate(shape)
        )
        x = draw(arrays(shape, values() if scatter else values(wide=True)))
        index = _index_values(draw, index_shape, shape[axis])
        inputs = (x, index, draw(arrays(index_shape))) if scatter else (x, index)
        return Config(inputs, {"axis": axis}, draw(cotangent_seeds()))

    return configs


def _selection(add: bool):
    """index_select / index_add: a 1-D index into one axis."""

    @st.composite
    def configs(draw):
        shape = draw(shapes(min_dims=1, max_dims=3))
        axis = _axis(draw, len(shape))
        index = _index_values(draw, (draw(st.integers(0, 5 if shape[axis] else 1)),), shape[axis])
        x = draw(arrays(shape, values() if add else values(wide=True)))
        if not add:
            return Config((x, index), {"axis": axis}, draw(cotangent_seeds()))
        src_shape = shape[: axis % len(shape)] + index.shape + shape[axis % len(shape) + 1 :]
        alpha = draw(st.one_of(st.just(1.0), st.floats(-3.0, 3.0), st.sampled_from([0.0, -1.0])))
        return Config((x, index, draw(arrays(src_shape))), {"axis": axis, "alpha": alpha}, draw(cotangent_seeds()))

    return configs


def _empty_x_with_indices(inputs, params):
    x, index = inputs[:2]
    return x.size == 0 and index.size > 0


def _unchecked_where_empty(name):
    return Unsupported(
        name,
        "an index out of range is refused whatever x holds; torch checks none when x has no elements (index_add "
        "into a (0, 3) x with index [0] returns x): an out-of-range index is not supported",
        inputs=_empty_x_with_indices,
    )


def _empty_index_of_another_dtype(inputs, params):
    index = inputs[1]
    return index.size == 0 and index.dtype not in (np.int64, np.int32)


def _dtype_unchecked_where_empty(name):
    return Unsupported(
        name,
        "indices of a dtype other than int64/int32 are refused even when there are none; torch.gather and "
        "scatter_add check the dtype only when the index has elements: such indices are not supported",
        inputs=_empty_index_of_another_dtype,
    )


DECLARED = {
    **{name: (_unchecked_where_empty(name),) for name in ("index_add", "index_select")},
    **{name: (_dtype_unchecked_where_empty(name),) for name in ("take_along_axis", "scatter_add")},
}

PLANS: dict[str, AuditPlan] = {
    name: AuditPlan(configs, declarations=DECLARED.get(name, ()), signed_zero=True)
    for name, configs in (
        ("take_along_axis", _along(scatter=False)),
        ("scatter_add", _along(scatter=True)),
        ("index_select", _selection(add=False)),
        ("index_add", _selection(add=True)),
    )
}


@st.composite
def _embedding(draw):
    rows, dim = (0 if _now_and_then(draw, 8) else draw(st.integers(1, 4))), draw(st.integers(0, 3))
    index_shape = draw(shapes(max_dims=2))
    indices = _index_values(draw, index_shape, rows)
    params = {"scale_grad_by_freq": draw(st.booleans())}
    if rows and draw(st.booleans()):
        wrong = _now_and_then(draw, 8)  # now and then out of range: both refuse
        params["padding_idx"] = draw(st.sampled_from([rows, -rows - 1]) if wrong else st.integers(-rows, rows - 1))
    weight = draw(arrays((rows, dim), values(wide=True)))
    return Config((weight, indices), params, draw(cotangent_seeds()))


PLANS["embedding"] = AuditPlan(_embedding, signed_zero=True)


@st.composite
def _pad(draw):
    mode = draw(st.sampled_from(["constant", "constant", "reflect", "replicate", "circular"]))
    if mode == "constant" or _now_and_then(draw, 8):
        shape = draw(shapes(min_dims=1, max_dims=4, max_side=4))
        pairs = draw(st.integers(1, min(len(shape), 3)))
    else:  # the other modes' inputs: 1 to 3 padded axes after one or two leading ones
        pairs = draw(st.integers(1, 3))
        shape = draw(shapes(min_dims=pairs + 1, max_dims=pairs + 2, min_side=int(not _now_and_then(draw, 8)),
                            max_side=4))  # fmt: skip
    low = -2 if mode == "constant" or _now_and_then(draw, 6) else 0  # cropping: constant only (declared below)
    pad = tuple(draw(st.integers(low, 4 if mode == "constant" else 3)) for _ in range(2 * pairs))
    value = draw(st.one_of(st.none(), values(wide=True))) if mode == "constant" or _now_and_then(draw, 8) else None
    x = draw(arrays(shape, values(wide=True)))
    return Config((x,), {"pad": pad, "mode": mode, "value": value}, draw(cotangent_seeds()))


def _crops_without_constant(inputs, params):
    return params["mode"] != "constant" and min(params["pad"]) < 0


PLANS["pad"] = AuditPlan(
    _pad,
    declarations=(
        Unsupported(
            "pad",
            "negative pads with reflect, replicate or circular (torch crops first, then pads the cropped input) are "
            "not supported",
            inputs=_crops_without_constant,
        ),
    ),
    signed_zero=True,
)
