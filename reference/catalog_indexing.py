"""Catalog entries of the indexing family (:mod:`reference.indexing`): gathers and accumulating scatters.

Conventions every entry here shares:

* index inputs are int64 arrays in ``[0, size)`` (torch's rule; a negative or too large index is a ``ValueError``
  naming the argument, from the reference and every backend adapter, which run the same validation) and get no
  gradient; the cases' indices come from the ``index_second`` sampler (parity.inputs): they address x's shortest
  axis in full and repeat whenever the index is longer than it;
* gathers move values without arithmetic (NaN, inf and -0.0 come through) and their VJPs scatter-add the
  cotangent, so a repeated index accumulates its cotangents; scatters add, so a repeated index accumulates its
  values, in an order the backend picks: on a GPU torch's scatter_add/index_add are atomic adds whose order
  changes from run to run, so float32 sums there are not reproducible bit for bit (torch's documentation,
  "Reproducibility"); the allowance below covers every order.

Which backends disagree: none on values; torch refuses a negative index where NumPy's ``take`` counts it from the
end (the reference follows torch); torch.index_select also accepts int32 indices, which the reference refuses
(the audit declares it).
"""

from __future__ import annotations

import math

import numpy as np

from reference import indexing
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
MOVES_VALUES = "moves values without arithmetic: NaN, inf and -0.0 come through unchanged"


def _scatter_terms(coordinates_of):
    """The accumulation allowance of a scatter-add: every output element is x plus the src elements sent to it, a
    sum of ``1 + (most repeats)`` terms whose magnitude is ``|x| + scatter_add(|src|)``.  The bound
    (ceil(log2 n) + 2) u M is Higham's for pairwise sums; for sums in *any* order (GPU atomics) the bound is
    (n - 1) u M, which it covers for n <= 5: the cases repeat an index at most 4 times."""

    def terms(inputs, params):
        x, index, src = inputs
        axis = params["axis"] % x.ndim
        coordinates = coordinates_of(index, axis)
        scale = abs(params.get("alpha", 1.0))
        magnitude = indexing.scatter_add_into(np.abs(x), coordinates, scale * np.abs(src))
        counts = indexing.scatter_add_into(np.zeros(x.shape), coordinates, np.ones(src.shape))
        return 1 + int(counts.max(initial=0.0)), magnitude

    return terms


def _selection(index, axis):
    return (slice(None),) * axis + (index,)


def _linear_in(inputs: str) -> dict:
    """An entry linear in its float inputs: the VJP is a sum of cotangent terms (``products_vjp``), and central
    differences are exact at any step."""
    return {
        "products_vjp": True,
        "fd_step": 1.0,
        "fd_step_reason": f"linear in {inputs}: central differences are exact at any step",
    }


TAKE_ALONG_AXIS = OpSpec(
    "take_along_axis",
    indexing.take_along_axis,
    "indexing",
    (
        Case(((5, 3), (5, 4)), {"axis": 1}),
        Case(((2, 4), (3, 4)), {"axis": 0}),
        Case(((6,), (8,)), {"axis": -1}),
        Case(((4, 3, 2), (4, 3, 5)), {"axis": 2}),
        Case(((5, 3), (2, 4)), {"axis": -1}),
        Case(((4, 3), (4, 0)), {"axis": 1}),
    ),
    domain="index_second",
    **_linear_in("x"),
    specials=(
        Special(
            "ieee",
            ([[NAN, -0.0, INF]], [[2, 1, 0, 1]]),
            [[INF, -0.0, NAN, -0.0]],
            params={"axis": 1},
            signed_zero=True,
            note=MOVES_VALUES,
        ),
        Special(
            "repeated-grad",
            ([1.0, 2.0, 3.0], [0, 0, 2, 0]),
            [1.0, 1.0, 3.0, 1.0],
            params={"axis": 0},
            cotangent=[1.0, 2.0, 3.0, 4.0],
            grads=([7.0, 0.0, 3.0],),
            note="a gather's gradient scatter-adds the cotangent: x[0], read three times, gets 1 + 2 + 4",
        ),
    ),
    notes="torch.gather(x, axis, indices); np.take_along_axis where indices has x's shape off axis (NumPy "
    "broadcasts it, torch reads a smaller one's leading part: the reference follows torch and refuses broadcasting)",
)

INDEX_SELECT = OpSpec(
    "index_select",
    indexing.index_select,
    "indexing",
    (
        Case(((5, 3), (4,)), {"axis": 1}),
        Case(((2, 4), (5,)), {"axis": 0}),
        Case(((3, 2, 4), (3,)), {"axis": -2}),
        Case(((4,), (0,)), {"axis": 0}),
    ),
    domain="index_second",
    **_linear_in("x"),
    specials=(
        Special(
            "ieee",
            ([NAN, -0.0, INF], [1, 1, 0, 2]),
            [-0.0, -0.0, NAN, INF],
            params={"axis": 0},
            signed_zero=True,
            note=MOVES_VALUES,
        ),
        Special(
            "repeated-grad",
            ([[1.0, 2.0, 3.0]], [2, 2, 0]),
            [[3.0, 3.0, 1.0]],
            params={"axis": 1},
            cotangent=[[1.0, 2.0, 4.0]],
            grads=([[4.0, 0.0, 3.0]],),
            note="the column picked twice gets both cotangents, 1 + 2; the unpicked one 0",
        ),
    ),
    notes="torch.index_select(x, axis, index); np.take(x, index, axis) agrees for indices in [0, size) (its "
    "default mode='raise' also accepts negative ones, counting from the end, and modes 'wrap'/'clip' never raise)",
)

SCATTER_ADD = OpSpec(
    "scatter_add",
    indexing.scatter_add,
    "indexing",
    (
        Case(((5, 3), (5, 4), (5, 4)), {"axis": 1}),
        Case(((2, 4), (3, 4), (3, 4)), {"axis": 0}),
        Case(((6,), (8,), (8,)), {"axis": 0}),
        Case(((4, 3, 2), (2, 3, 3), (2, 3, 3)), {"axis": -1}),
    ),
    domain="index_second",
    accumulation=_scatter_terms(indexing.along_coordinates),
    **_linear_in("x and src"),
    specials=(
        Special(
            "repeated",
            ([0.5, 0.0, 0.0], [0, 0, 2, 0], [1.0, 2.0, 3.0, 4.0]),
            [7.5, 0.0, 3.0],
            params={"axis": 0},
            cotangent=[1.0, 2.0, 3.0],
            grads=([1.0, 2.0, 3.0], [1.0, 1.0, 3.0, 1.0]),
            note="every repeat of an index adds (0.5 + 1 + 2 + 4); src[p]'s gradient reads the cotangent where it went",
        ),
        Special(
            "ieee",
            ([-0.0, INF, 1.0, -0.0], [0, 1, 1, 2], [-0.0, -INF, 2.0, NAN]),
            [-0.0, NAN, NAN, -0.0],
            params={"axis": 0},
            signed_zero=True,
            note="-0 + -0 = -0; inf + -inf is NaN whatever else is added; NaN propagates; an untouched -0 stays",
        ),
    ),
    notes="Tensor.scatter_add(axis, index, src); index and src of one shape (torch accepts a larger src)",
)

INDEX_ADD = OpSpec(
    "index_add",
    indexing.index_add,
    "indexing",
    (
        Case(((5, 3), (4,), (5, 4)), {"axis": 1, "alpha": 1.0}),
        Case(((2, 4), (5,), (5, 4)), {"axis": 0, "alpha": -0.5}),
        Case(((2, 3, 4), (3,), (3, 3, 4)), {"axis": 0, "alpha": 2.0}),
    ),
    domain="index_second",
    accumulation=_scatter_terms(_selection),
    **_linear_in("x and src"),
    specials=(
        Special(
            "repeated",
            ([1.0, 1.0], [1, 1, 1], [1.0, 2.0, 4.0]),
            [1.0, 15.0],
            params={"axis": 0, "alpha": 2.0},
            cotangent=[1.0, 3.0],
            grads=([1.0, 3.0], [6.0, 6.0, 6.0]),
            note="1 + 2 (1 + 2 + 4); src's gradient is alpha times the cotangent it went to",
        ),
        Special(
            "ieee",
            ([-0.0, INF, -0.0], [0, 1, 1], [-0.0, -INF, 5.0]),
            [-0.0, NAN, -0.0],
            params={"axis": 0, "alpha": 1.0},
            signed_zero=True,
            note="-0 + -0 = -0; inf + -inf + 5 is NaN; the untouched -0 stays",
        ),
    ),
    notes="torch.index_add(x, axis, index, src, alpha=alpha): alpha * src is rounded before it is added",
)

EMBEDDING = OpSpec(
    "embedding",
    indexing.embedding,
    "indexing",
    (
        Case(((5, 3), (4, 2))),
        Case(((4, 6), (7,))),
        Case(((3, 2), ())),
        Case(((2, 4), (2, 0))),
    ),
    domain="embedding",
    kind="layer",  # torch.nn.Embedding: a layer, and counted as one (#15)
    **_linear_in("weight"),
    specials=(
        Special(
            "padding-and-repeats",
            ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0, 2, 0, 1]),
            [[1.0, 2.0], [5.0, 6.0], [1.0, 2.0], [3.0, 4.0]],
            params={"padding_idx": 0},
            cotangent=[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]],
            grads=([[0.0, 0.0], [4.0, 4.0], [2.0, 2.0]],),
            note="the padding row is read like any other but gets no gradient (1 + 3 would have gone there); row 2 "
            "gets 2, row 1 gets 4",
        ),
        Special(
            "scale-grad-by-freq",
            ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0, 2, 0, 1]),
            [[1.0, 2.0], [5.0, 6.0], [1.0, 2.0], [3.0, 4.0]],
            params={"scale_grad_by_freq": True},
            cotangent=[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [4.0, 4.0]],
            grads=([[2.0, 2.0], [4.0, 4.0], [2.0, 2.0]],),
            note="row 0, read twice, gets (1 + 3) / 2",
        ),
        Special(
            "ieee",
            ([[NAN, -0.0], [INF, 1.0]], [1, 0]),
            [[INF, 1.0], [NAN, -0.0]],
            signed_zero=True,
            note=MOVES_VALUES,
        ),
    ),
    kinks="padding_idx and scale_grad_by_freq make the gradient torch's convention, not the derivative (the padding "
    "row is read but gets none; a row read k times gets 1/k of its sum): finite differences would refute them, so "
    "the cases leave them out and the special values (every backend) and the audit (against torch) check them",
    notes="F.embedding(indices, weight, padding_idx, scale_grad_by_freq=...); max_norm (which renormalises weight in "
    "place) and sparse gradients are not part of the entry",
)

ONE_HOT = OpSpec(
    "one_hot",
    indexing.one_hot,
    "indexing",
    (Case(((4, 2),), {"num_classes": 5}), Case(((6,),), {"num_classes": -1}), Case(((),), {"num_classes": 3})),
    domain="class_labels",
    dtypes=("int64",),
    specials=(
        Special(
            "classes",
            ([2, 0, 2],),
            [[0, 0, 1], [1, 0, 0], [0, 0, 1]],
            params={"num_classes": 3},
            dtypes=("int64",),
            note="int64 result (torch's); a 1 at each index's class",
        ),
        Special(
            "inferred",
            ([[1], [0]],),
            [[[0, 1]], [[1, 0]]],
            dtypes=("int64",),
            note="num_classes=-1: max(indices) + 1 = 2 classes",
        ),
    ),
    notes="F.one_hot: int64 indices only, int64 result, no gradient; the int64 column compares it exactly",
)


def _pad_case(shape, pad, mode, value=None):
    return Case((shape,), {"pad": pad, "mode": mode, "value": value})


_ONE_TO_SIX = [[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]]
PAD = OpSpec(
    "pad",
    indexing.pad,
    "indexing",
    (
        _pad_case((3, 4), (1, 2), "constant"),
        _pad_case((2, 3, 5), (2, 1, 0, 1), "constant", -1.5),
        _pad_case((3, 5), (-1, 2), "constant", 0.5),
        _pad_case((0, 3), (1, 1), "constant"),
        _pad_case((2, 3, 4), (2, 3), "reflect"),
        _pad_case((1, 2, 3, 4), (1, 2, 2, 0), "reflect"),
        _pad_case((2, 3, 4), (3, 1), "replicate"),
        _pad_case((1, 2, 3, 5), (2, 0, 3, 1), "circular"),
    ),
    **_linear_in("x"),
    specials=(
        Special("reflect", ([[1.0, 2.0, 3.0]],), [[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]],
                params={"pad": (2, 1), "mode": "reflect"}, cotangent=_ONE_TO_SIX, grads=([[3.0, 12.0, 6.0]],),
                note="mirrors without repeating the edge; x[1], read three times, gets 2 + 4 + 6"),
        Special("replicate", ([[1.0, 2.0, 3.0]],), [[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]],
                params={"pad": (2, 1), "mode": "replicate"}, cotangent=_ONE_TO_SIX, grads=([[6.0, 4.0, 11.0]],),
                note="the edges are repeated and collect every cotangent they were copied to"),
        Special("circular", ([[1.0, 2.0, 3.0]],), [[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]],
                params={"pad": (2, 1), "mode": "circular"}, cotangent=_ONE_TO_SIX, grads=([[9.0, 5.0, 7.0]],),
                note="wraps around: output position -2 reads x[1], position 3 reads x[0]"),
        Special("constant-ieee", ([NAN, -0.0, INF],), [-0.0, NAN, -0.0, INF, -0.0],
                params={"pad": (1, 1), "mode": "constant", "value": -0.0}, signed_zero=True,
                cotangent=[1.0, 2.0, 3.0, 4.0, 5.0], grads=([2.0, 3.0, 4.0],),
                note="the fill is the value itself, -0.0 included, and has no gradient; x's values move as they are"),
        Special("crop", ([1.0, 2.0, 3.0, 4.0],), [2.0, 3.0, 4.0, 7.0, 7.0],
                params={"pad": (-1, 2), "mode": "constant", "value": 7.0}, cotangent=[1.0, 2.0, 3.0, 4.0, 5.0],
                grads=([0.0, 1.0, 2.0, 3.0],), note="a negative pad crops: the cropped element gets no gradient"),
    ),
    notes="F.pad(x, pad, mode, value): constant pads any trailing axes (negative pads crop); reflect, replicate and "
    "circular pad 1-3 trailing axes of an input with one or two leading axes, non-empty, reflect's pad < size and "
    "circular's <= size (torch's rules; NumPy's np.pad modes 'reflect', 'edge', 'wrap' allow any size by repeating). "
    "Negative pads with those modes crop first in torch: not supported here",
)  # fmt: skip

# every VJP is a sum of cotangent terms (a gather's where indices repeat), times alpha: products_vjp above
ENTRIES = (TAKE_ALONG_AXIS, INDEX_SELECT, SCATTER_ADD, INDEX_ADD, EMBEDDING, ONE_HOT, PAD)
NOT_AUDITED = {
    "one_hot": "an exact int64 result without gradients: checked against torch exactly in the int64 column; the "
    "audit's float64 comparison does not apply"
}
