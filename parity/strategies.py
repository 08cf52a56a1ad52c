"""Hypothesis strategies for catalog entries, built on ``hypothesis.extra.numpy``.

``op_inputs(spec, dtype)`` draws ``(inputs, params)``: arrays whose values are
exactly representable in ``dtype`` (returned as float64), in shapes that cover
0-d, size-1, empty and broadcasting, with parameters drawn per category; subnormals are drawn like any value.
Forward checks only: the bounds keep values finite-ish, not away from kinks.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from parity.inputs import round_to, sample
from reference.floats import round_values  # (#16)
from reference.spec import OpSpec

SUBNORMAL = 5e-324  # as a lower bound: the dtype's smallest subnormal (subnormals are values)

BOUNDS = {
    "real": (-30.0, 30.0),
    "condition": (-30.0, 30.0),  # where's x and y (its bool condition is drawn apart)
    "positive": (SUBNORMAL, 1e3),
    "unit": (-1.0, 1.0),
    "nonzero": (-1e3, 1e3),
    "above_minus_one": (-0.999, 1e3),
    "distinct_pair": (-30.0, 30.0),
    "no_ties": (-30.0, 30.0),
    "nonzero_denominator": (-30.0, 30.0),
    "unit_interval": (-1.0, 1.0),
    "above_one": (1.0, 1e3),
    "between_steps": (-30.0, 30.0),
}
PAIR_BOUNDS = {
    "pow": ((SUBNORMAL, 1e2), (-5.0, 5.0)),
    "quotient_between_steps": ((-30.0, 30.0), (-30.0, 30.0)),
    "log_argument": ((-30.0, 30.0), (SUBNORMAL, 1e3)),
}
PARAMS = {"negative_slope": st.floats(0.0, 1.0), "beta": st.floats(0.25, 4.0)}


# The strategy builders are cached: a strategy built once is validated once (hypothesis validates each new
# strategy object on first draw, rebuilt per example, that was a quarter of the property tests' time).
@functools.cache
def _elements(dtype: str, bounds):
    low, high = (float(np.dtype(dtype).type(b)) for b in bounds)  # hypothesis wants representable bounds
    if bounds[0] == SUBNORMAL:
        low = float(np.finfo(dtype).smallest_subnormal)
    # subnormals are drawn wherever the bounds admit them (hypothesis' default)
    return st.floats(low, high, width=np.dtype(dtype).itemsize * 8)


@functools.lru_cache(maxsize=4096)
def _array(dtype: str, shape, bounds):
    if dtype == "bfloat16":  # (#16) hypothesis has no bfloat16: float32 draws rounded to it
        return _bfloat16_array(shape, bounds)
    return hnp.arrays(dtype, shape, elements=_elements(dtype, bounds)).map(lambda a: a.astype(np.float64))


def _bfloat16_array(shape, bounds):
    """float32 draws within bounds pulled in by one bfloat16 ulp (2**-7 relative), rounded to bfloat16: rounding
    moves a value by at most half an ulp, so the bfloat16 values stay within the domain's bounds."""
    low, high = (b - abs(b) * 2.0**-7 * np.sign(b - m) for b, m in zip(bounds, (sum(bounds) / 2,) * 2))
    return _array("float32", shape, (low, high)).map(lambda a: round_values(a, "bfloat16"))


def _arrays(draw, spec: OpSpec, dtype: str, shapes):
    pair = PAIR_BOUNDS.get(spec.domain)
    bounds = pair if pair else [BOUNDS[spec.domain]] * len(shapes)
    return tuple(draw(_array(dtype, tuple(shape), tuple(b))) for shape, b in zip(shapes, bounds))


@functools.cache
def _shape(min_dims=0, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=min_side, max_side=6)


def _axis_param(draw, ndim: int):
    choices = [st.none(), hnp.valid_tuple_axes(ndim)]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    return draw(st.one_of(*choices))


def _slice_for(draw, size: int):
    bound = st.one_of(st.none(), st.integers(-size - 2, size + 2))
    step = st.one_of(st.none(), st.integers(-3, 3).filter(bool))
    return slice(draw(bound), draw(bound), draw(step))


_BUILT: dict[tuple[int, str], tuple[OpSpec, st.SearchStrategy]] = {}


def op_inputs(spec: OpSpec, dtype: str) -> st.SearchStrategy:
    """``(inputs, params)`` for ``spec`` with values representable in ``dtype`` (one strategy object per spec and
    dtype, kept with its spec, so that hypothesis validates it once)."""
    key = (id(spec), dtype)
    if key not in _BUILT or _BUILT[key][0] is not spec:
        _BUILT[key] = (spec, _op_inputs(spec, dtype))
    return _BUILT[key][1]


@st.composite
def _op_inputs(draw, spec: OpSpec, dtype: str):
    base = dict(spec.cases[0].params)
    params = {k: draw(PARAMS[k]) if k in PARAMS else v for k, v in base.items()}
    category, name = spec.category, spec.name
    if category == "unary":
        shapes = [draw(_shape())]
    elif category == "binary":
        shapes = list(draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=5)).input_shapes)
    elif name in ("softmax", "log_softmax"):
        shapes = [draw(_shape(min_dims=1, min_side=1))]
        params = {"axis": draw(st.integers(-len(shapes[0]), len(shapes[0]) - 1))}
    elif category == "reduction":
        shapes = [draw(_shape(min_side=1))]
        params = {"axis": _axis_param(draw, len(shapes[0])), "keepdims": draw(st.booleans())}
        if name in ("var", "std"):
            params["correction"] = draw(st.sampled_from([0, 1]))
        if name == "vector_norm":
            params["ord"] = draw(st.sampled_from([1, 2, math.inf]))
    elif category in ("scan", "order"):  # (#14) cumsum, cumprod, max_dim, median, sort, argmax, topk: one axis, 0-d
        shapes = [draw(_shape(min_side=int(category == "order")))]  # a selection over nothing has no value
        params = {"axis": draw(st.integers(-max(len(shapes[0]), 1), max(len(shapes[0]), 1) - 1))}
        if name in ("max_dim", "min_dim", "median", "argmax", "argmin"):
            params["keepdims"] = draw(st.booleans())
        if name in ("topk", "topk_indices"):
            n = shapes[0][params["axis"]] if shapes[0] else 1
            params.update(k=draw(st.integers(int(not shapes[0]), n)), largest=draw(st.booleans()))  # 0-d: k=1
    elif name == "where":  # a bool condition broadcast with x and y
        condition, *shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=5)).input_shapes
        return (draw(hnp.arrays(np.bool_, condition)), *_arrays(draw, spec, dtype, shapes)), params
    elif name == "matmul":
        shapes = list(
            draw(
                hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, min_side=1, max_side=6)
            ).input_shapes
        )
    elif name == "outer":
        shapes = [(draw(st.integers(0, 6)),), (draw(st.integers(0, 6)),)]
    elif name == "transpose":
        shapes = [draw(_shape())]
        params = {"axes": draw(st.one_of(st.none(), st.permutations(range(len(shapes[0]))).map(tuple)))}
    elif name == "reshape":
        shape = draw(_shape())
        shapes = [shape]
        targets = [(-1,), tuple(reversed(shape)), (1, *shape), (math.prod(shape),)]
        params = {"shape": draw(st.sampled_from(targets))}
    elif name == "concatenate":
        shape = draw(_shape(min_dims=1))
        axis = draw(st.integers(0, len(shape) - 1))
        sizes = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))
        shapes = [shape[:axis] + (n,) + shape[axis + 1 :] for n in sizes]
        params = {"axis": draw(st.sampled_from([axis, axis - len(shape)]))}
    elif name == "slice":
        shape = draw(_shape(min_dims=1))
        depth = draw(st.integers(1, len(shape)))
        shapes = [shape]
        params = {"index": tuple(_slice_for(draw, n) for n in shape[:depth])}
    elif name in GEOMETRY:
        shapes, params = draw(GEOMETRY[name]())
    elif category in ("layer", "loss", "linalg", "indexing"):
        # shapes from the catalog's cases, values from the entry's seeded sampler with a drawn seed (the linalg
        # entries' samplers build matrices of bounded condition, which drawn elements would not be)
        case = draw(st.sampled_from(spec.cases))
        inputs = sample(spec.domain, case.shapes, draw(st.integers(0, 2**32 - 1)))
        return round_to(inputs, dtype), dict(case.params)
    else:
        raise NotImplementedError(f"no hypothesis strategy for catalog entry {name!r} ({category})")
    return _arrays(draw, spec, dtype, shapes), params


@st.composite
def _conv2d_geometry(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), st.tuples(st.integers(0, 2), st.integers(0, 2))))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad_total = (0, 0) if padding in ("valid", "same") else (2 * padding[0], 2 * padding[1])
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - pad_total[0]), 8))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - pad_total[1]), 8))
    bias = draw(st.booleans())
    shapes = [(draw(st.integers(1, 2)), c_in, h, w), (c_out, c_in // groups, kh, kw)] + ([(c_out,)] if bias else [])
    return shapes, {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}


def _pool_geometry(average: bool):
    @st.composite
    def strategy(draw):
        k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        params = {
            "kernel_size": k,
            "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            "padding": (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2))),
            "ceil_mode": draw(st.booleans()),
        }
        dilation = (1, 1)
        if average:
            params["count_include_pad"] = draw(st.booleans())
        else:
            dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
            params["dilation"] = dilation
        h = draw(st.integers(max(1, dilation[0] * (k[0] - 1) + 1 - 2 * params["padding"][0]), 8))
        w = draw(st.integers(max(1, dilation[1] * (k[1] - 1) + 1 - 2 * params["padding"][1]), 8))
        return [(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w)], params

    return strategy


GEOMETRY = {"conv2d": _conv2d_geometry, "max_pool2d": _pool_geometry(False), "avg_pool2d": _pool_geometry(True)}
