"""Audit plans for the layers and losses of :mod:`reference.catalog_nn` (``parity audit``): every parameter
their signatures admit, in every form torch accepts, with empty and size-1 shapes, masked (-inf) rows and
windows, ties and NaN.  A meta-test fails when an entry has no plan (tests/meta/test_audit.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from impls.declare import Divergence, Unsupported
from reference.audit_kit import (
    INF,
    NAN,
    AuditPlan,
    Config,
    OracleBug,
    arrays,
    as_pair,
    cotangent_seeds,
    int_or_pair,
    mask_rows,
    reductions,
    shapes,
    values,
)
from reference.catalog import CATALOG
from reference.layers import windows_without_input

# pooling inputs: besides the usual values, runs of -inf (windows with nothing real but -inf) and repeats
POOL_VALUES = st.one_of(values(), st.sampled_from([-INF, -INF, 1.0, NAN]))
# logits: masked classes (-inf) are common
LOGITS = st.one_of(values(), st.just(-INF))


def _maybe(draw, strategy):
    return draw(st.one_of(st.none(), strategy))


def _unbatched(draw, x):
    """Now and then an unbatched (C, H, W) input, which torch accepts and the reference declares unsupported."""
    return x[0] if x.shape[0] == 1 and draw(st.integers(0, 9)) == 0 else x


def _spatial(draw, kernel, dilation, padding=(0, 0)):
    """H, W of an input that mostly fits the (dilated) kernel, and sometimes does not (both sides reject)."""
    need = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, padding)]
    return tuple(draw(st.integers(max(1, n - 1), n + 4)) for n in need)


# ---------------------------------------------------------------- layers
@st.composite
def _linear(draw):
    batch = draw(shapes(max_dims=2))
    fan_in, fan_out = draw(st.integers(0, 4)), draw(st.integers(0, 4))
    inputs = [draw(arrays(batch + (fan_in,))), draw(arrays((fan_out, fan_in)))]
    if draw(st.booleans()):
        inputs.append(draw(arrays((fan_out,))))
    return Config(tuple(inputs), {}, draw(cotangent_seeds()))


@st.composite
def _conv2d(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    per_group_in, per_group_out = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(int_or_pair(1, 3))
    dilation = draw(int_or_pair(1, 2))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), int_or_pair(0, 2)))
    pads = (0, 0) if isinstance(padding, str) else as_pair(padding)
    h, w = _spatial(draw, kernel, as_pair(dilation), pads)
    x = draw(arrays((draw(st.integers(0, 2)), groups * per_group_in, h, w)))
    inputs = [_unbatched(draw, x), draw(arrays((groups * per_group_out, per_group_in, *kernel)))]
    if draw(st.booleans()):
        inputs.append(draw(arrays((groups * per_group_out,))))
    params = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    return Config(tuple(inputs), params, draw(cotangent_seeds()))


def _pool(average: bool):
    @st.composite
    def configs(draw):
        kernel = draw(int_or_pair(1, 3))
        params = {
            "kernel_size": kernel,
            "stride": draw(st.one_of(st.none(), int_or_pair(1, 3))),
            "padding": draw(int_or_pair(0, 2)),
            "ceil_mode": draw(st.booleans()),
        }
        dilation = (1, 1)
        if average:
            params["count_include_pad"] = draw(st.booleans())
            params["divisor_override"] = draw(st.one_of(st.none(), st.none(), st.integers(-3, 5)))
        else:
            params["dilation"] = draw(int_or_pair(1, 2))
            dilation = as_pair(params["dilation"])
        h, w = _spatial(draw, as_pair(kernel), dilation, as_pair(params["padding"]))
        x = draw(arrays((draw(st.integers(0, 2)), draw(st.integers(1, 2)), h, w), POOL_VALUES))
        if x.size:
            x = mask_rows(draw, x, draw(st.sampled_from([2, 3])))
        return Config((_unbatched(draw, x),), params, draw(cotangent_seeds()))

    return configs


def _eps(draw):
    return draw(st.one_of(st.just(1e-5), st.floats(1e-8, 1e-1)))


@st.composite
def _batch_norm(draw):
    shape = (draw(st.integers(1, 3)), draw(st.integers(0, 3)), *draw(shapes(max_dims=3, min_side=1, max_side=3)))
    channels = (shape[1],)
    weight = _maybe(draw, arrays(channels))
    bias = _maybe(draw, arrays(channels))
    inputs = (draw(arrays(shape)), weight, bias)
    return Config(inputs[: 3 if bias is not None else 2 if weight is not None else 1], {"eps": _eps(draw)},
                  draw(cotangent_seeds()))  # fmt: skip


@st.composite
def _batch_norm_eval(draw):
    shape = (draw(st.integers(0, 3)), draw(st.integers(0, 3)), *draw(shapes(max_dims=3, min_side=1, max_side=3)))
    channels = (shape[1],)
    mean = draw(arrays(channels))
    var = draw(arrays(channels, st.one_of(st.floats(0.0, 1e3), st.sampled_from([0.0, -1.0, INF, NAN]))))
    weight = _maybe(draw, arrays(channels))
    bias = _maybe(draw, arrays(channels))
    inputs = (draw(arrays(shape)), mean, var, weight, bias)
    return Config(inputs[: 5 if bias is not None else 4 if weight is not None else 3], {"eps": _eps(draw)},
                  draw(cotangent_seeds()))  # fmt: skip


@st.composite
def _layer_norm(draw):
    shape = draw(shapes(min_dims=1, max_dims=4))
    k = draw(st.integers(1, len(shape)))
    normalized = tuple(shape[len(shape) - k :])
    weight = _maybe(draw, arrays(normalized))
    bias = _maybe(draw, arrays(normalized))
    inputs = (draw(arrays(shape)), weight, bias)
    params = {"normalized_shape": draw(st.sampled_from([normalized, list(normalized)])), "eps": _eps(draw)}
    return Config(inputs[: 3 if bias is not None else 2 if weight is not None else 1], params,
                  draw(cotangent_seeds()))  # fmt: skip


@st.composite
def _flatten(draw):
    shape = draw(shapes(max_dims=4))
    bound = max(len(shape), 1)
    params = {"start_dim": draw(st.integers(-bound, bound - 1)), "end_dim": draw(st.integers(-bound, bound - 1))}
    return Config((draw(arrays(shape, values(wide=True))),), params, draw(cotangent_seeds()))


@st.composite
def _dropout(draw):
    shape = draw(shapes(max_dims=3))
    mask = draw(arrays(shape, st.sampled_from([0.0, 1.0])))
    return Config((draw(arrays(shape, values(wide=True))), mask), {"p": draw(st.floats(0.0, 0.95))},
                  draw(cotangent_seeds()))  # fmt: skip


# ---------------------------------------------------------------- losses
@st.composite
def _regression(draw, huber: bool = False):
    shape = draw(shapes(max_dims=3))
    target_shape = shape
    if shape and draw(st.integers(0, 7)) == 0:  # a broadcasting target: torch broadcasts, the reference refuses
        target_shape = (1,) * draw(st.integers(0, 1)) + tuple(1 if i % 2 else n for i, n in enumerate(shape))
    params = {"reduction": draw(reductions())}
    if huber:
        params["delta"] = draw(st.one_of(st.floats(0.01, 5.0), st.sampled_from([1.0, 0.0, -1.0])))
    return Config((draw(arrays(shape)), draw(arrays(target_shape))), params, draw(cotangent_seeds()))


def _class_shapes(draw):
    """(input shape, target shape, classes): (C,) with a 0-d target, or (N, C, d...) with (N, d...)."""
    classes = draw(st.integers(1, 4))
    if draw(st.integers(0, 5)) == 0:
        return (classes,), (), classes
    batch = draw(st.integers(0, 3))
    extra = draw(shapes(max_dims=2, max_side=3))
    return (batch, classes, *extra), (batch, *extra), classes


def _class_indices(draw, shape, classes, ignore_index):
    choices = st.one_of(st.integers(0, classes - 1), st.just(ignore_index))
    target = np.array(draw(st.lists(choices, min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))))
    target = target.reshape(shape).astype(np.int64)
    if draw(st.integers(0, 15)) == 0:  # other index dtypes: int32 (both sides refuse), uint8 (torch accepts)
        target = target.astype(draw(st.sampled_from([np.int32, np.uint8])))
    if target.size and draw(st.integers(0, 15)) == 0:  # out of range: both sides refuse
        target.flat[0] = classes
    return target


def _weight(draw, classes):
    return _maybe(draw, arrays((classes,), st.one_of(st.floats(0.0, 3.0), st.sampled_from([0.0, 1.0]))))


def _classification(smoothing: bool):
    @st.composite
    def configs(draw):
        input_shape, target_shape, classes = _class_shapes(draw)
        x = draw(arrays(input_shape, LOGITS))
        x = mask_rows(draw, x, 1 if x.ndim > 1 else 0)
        ignore_index = draw(st.sampled_from([-100, -1, 0, 1]))
        params = {"ignore_index": ignore_index, "reduction": draw(reductions())}
        if smoothing:
            params["label_smoothing"] = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))
        inputs = [x, _class_indices(draw, target_shape, classes, ignore_index)]
        weight = _weight(draw, classes)
        if weight is not None:
            inputs.append(weight)
        return Config(tuple(inputs), params, draw(cotangent_seeds()))

    return configs


@st.composite
def _cross_entropy_probs(draw):
    input_shape, _, classes = _class_shapes(draw)
    x = mask_rows(draw, draw(arrays(input_shape, LOGITS)), 1 if len(input_shape) > 1 else 0)
    raw = draw(arrays(input_shape, st.one_of(st.floats(0.0, 1.0), st.just(0.0))))
    axis = 1 if len(input_shape) > 1 else 0
    total = raw.sum(axis=axis, keepdims=True)
    target = np.where(total > 0, raw / np.where(total > 0, total, 1.0), 1.0 / classes)
    params = {
        "ignore_index": draw(st.sampled_from([-100, -100, -1, 0])),
        "reduction": draw(reductions()),
        "label_smoothing": draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0))),
    }
    inputs = [x, target]
    weight = _weight(draw, classes)
    if weight is not None:
        inputs.append(weight)
    return Config(tuple(inputs), params, draw(cotangent_seeds()))


@st.composite
def _bce(draw):
    shape = draw(shapes(max_dims=3))
    x = draw(arrays(shape, values(wide=True)))
    target = draw(arrays(shape, st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 1.0]))))

    def broadcastable():
        trailing = shape[len(shape) - draw(st.integers(0, len(shape))) :]
        return draw(arrays(tuple(1 if draw(st.booleans()) else n for n in trailing), st.floats(0.0, 3.0)))

    weight = broadcastable() if draw(st.booleans()) else None
    pos_weight = broadcastable() if draw(st.booleans()) else None
    inputs = (x, target, weight, pos_weight) if pos_weight is not None else (x, target, weight)
    return Config(inputs if inputs[-1] is not None else inputs[:2], {"reduction": draw(reductions())},
                  draw(cotangent_seeds()))  # fmt: skip


# ---------------------------------------------------------------- the reference's deliberate differences
def _is_unbatched(inputs, params):
    return inputs[0] is not None and inputs[0].ndim == 3


def _broadcast_target(inputs, params):
    return inputs[0].shape != inputs[1].shape


def _index_dtype(inputs, params):
    return inputs[1].dtype != np.int64 and inputs[1].dtype.kind in "iu"


def _no_input_channels(inputs, params):
    return inputs[0].ndim == 4 and inputs[0].shape[1] == 0


def _affine_without_channels(inputs, params):
    return inputs[0].shape[1] == 0 and any(p is not None for p in inputs[1:])


AFFINE_WITHOUT_CHANNELS = (
    "torch's batch_norm with 0 channels raises IndexError (select(): index 0 out of range) as soon as a weight or "
    "a bias is given, although every tensor has a valid empty shape; the reference returns the empty output"
)


def _folding_makes_nan(training: bool):
    """Where torch's folded form x * a + (b - mean * a), a = w / sqrt(var + eps), is NaN and the reference's
    (x - mean) / sqrt(var + eps) * w + b is not (an infinite or underflowing a against an infinite x or mean)."""

    def covers(inputs, params):
        x, *rest = inputs
        if training:
            weight, bias = (list(rest) + [None, None])[:2]
            axes = (0, *range(2, x.ndim))
            mean, var = x.mean(axis=axes), x.var(axis=axes)
        else:
            mean, var, weight, bias = (list(rest) + [None, None])[:4]
        shape = (1, -1, *([1] * (x.ndim - 2)))
        w = np.ones(x.shape[1]) if weight is None else weight
        b = np.zeros(x.shape[1]) if bias is None else bias
        root = np.sqrt(var + params.get("eps", 1e-5))
        a = (w / root).reshape(shape)
        folded = x * a + (b.reshape(shape) - mean.reshape(shape) * a)
        unfolded = (x - mean.reshape(shape)) / root.reshape(shape) * w.reshape(shape) + b.reshape(shape)
        return bool(np.any(np.isnan(folded) & ~np.isnan(unfolded)))

    return covers


FOLDED = (
    "torch's batch_norm folds the statistics into x * a + (b - mean * a), a = w / sqrt(var + eps): an infinite "
    "or underflowing a (an infinite or subnormal weight) meets 0 * inf or inf - inf, NaN where "
    "(x - mean) / sqrt(var + eps) * w + b is +-inf or finite"
)
FOLDED_TEST = "tests/test_divergences.py::test_torch_batch_norm_with_an_infinite_weight"


def _near_overflow_logits(inputs, params):
    return bool(np.any(np.abs(inputs[0][np.isfinite(inputs[0])]) >= 2.0**1022))


def _window_of_padding(inputs, params):
    (x,) = inputs
    return x.ndim == 4 and windows_without_input(x, **params)


ORACLE_BUGS = {
    "max_pool2d": (
        OracleBug(
            "torch's max_pool2d gives a window that holds only padding (dilation stepping over the input) an index "
            "past the input, and its backward writes there: heap corruption ('double free or corruption', found by "
            "the thorough audit); parity's torch adapter refuses the geometry",
            "tests/test_divergences.py::test_torch_max_pool2d_indexes_past_the_input_for_a_window_of_padding",
            _window_of_padding,
        ),
    ),
    "binary_cross_entropy_with_logits": (
        OracleBug(
            "torch computes (1 - t) x + ((pos_weight - 1) t + 1) (log1p(exp(-|x|)) + max(-x, 0)): the second "
            "product overflows for |x| within a factor (pos_weight - 1) t + 1 of DBL_MAX where the loss itself "
            "does not",
            "tests/test_divergences.py::test_torch_bce_with_logits_overflows_before_its_loss_does",
            _near_overflow_logits,
        ),
    ),
    "batch_norm": (
        OracleBug(
            AFFINE_WITHOUT_CHANNELS,
            "tests/test_divergences.py::test_torch_batch_norm_without_channels_fails_with_a_weight_or_bias",
            _affine_without_channels,
        ),
        OracleBug(FOLDED, FOLDED_TEST, _folding_makes_nan(training=True)),
    ),
    "nll_loss": (
        OracleBug(
            "torch's nll_loss backward on a 4-D input that is not contiguous (a permuted, channels-last-like view) "
            "raises 'grad_input must be contiguous'",
            "tests/test_divergences.py::test_torch_nll_loss_backward_refuses_a_non_contiguous_4d_input",
            lambda inputs, params: inputs[0].ndim == 4 and not inputs[0].flags.c_contiguous,
            check="vjp",
        ),
    ),
    "batch_norm_eval": (
        OracleBug(
            AFFINE_WITHOUT_CHANNELS,
            "tests/test_divergences.py::test_torch_batch_norm_without_channels_fails_with_a_weight_or_bias",
            lambda inputs, params: inputs[0].shape[1] == 0 and any(p is not None for p in inputs[3:]),
        ),
        OracleBug(FOLDED, FOLDED_TEST, _folding_makes_nan(training=False)),
    ),
    "conv2d": (
        OracleBug(
            "torch's conv2d with 0 input channels returns 0 output channels (an empty tensor) instead of the "
            "out_channels of the weight, each the empty sum 0 plus the bias",
            "tests/test_divergences.py::test_torch_conv2d_without_input_channels_drops_the_output_channels",
            _no_input_channels,
        ),
    ),
}


def _non_finite_weight(inputs, params):
    return len(inputs) > 1 and inputs[1] is not None and not np.isfinite(inputs[1]).all()


INFINITE_WEIGHT = (
    "an infinite weight makes the gradient with respect to x a sum of infinite terms, whose grouping decides "
    "between +-inf and NaN: the reference centres g w first, torch otherwise; neither is more right"
)

UNBATCHED = (
    "an unbatched (C, H, W) input is not supported: parity's layers are NCHW throughout and never add an axis "
    "behind the caller's back (torch unsqueezes it)"
)
INDEX_DTYPE = "class indices must be int64 (torch also accepts uint8); other index dtypes are not supported"

DECLARED = {
    "conv2d": (Unsupported("conv2d", UNBATCHED, inputs=_is_unbatched),),
    "max_pool2d": (Unsupported("max_pool2d", UNBATCHED, inputs=_is_unbatched),),
    "avg_pool2d": (Unsupported("avg_pool2d", UNBATCHED, inputs=_is_unbatched),),
    "layer_norm": (Divergence("layer_norm", INFINITE_WEIGHT, check="vjp", inputs=_non_finite_weight),),
    "batch_norm": (Divergence("batch_norm", INFINITE_WEIGHT, check="vjp", inputs=_non_finite_weight),),
    "mse_loss": (
        Unsupported(
            "mse_loss",
            "a broadcasting target is not supported: parity never broadcasts silently (torch warns and broadcasts)",
            inputs=_broadcast_target,
        ),
    ),
    "huber_loss": (
        Unsupported(
            "huber_loss",
            "a broadcasting target is not supported: parity never broadcasts silently (torch warns and broadcasts)",
            inputs=_broadcast_target,
        ),
    ),
    "cross_entropy": (Unsupported("cross_entropy", INDEX_DTYPE, inputs=_index_dtype),),
    "nll_loss": (Unsupported("nll_loss", INDEX_DTYPE, inputs=_index_dtype),),
}


# ---------------------------------------------------------------- the registry
_CONFIGS = {
    "linear": _linear,
    "conv2d": _conv2d,
    "max_pool2d": _pool(average=False),
    "avg_pool2d": _pool(average=True),
    "batch_norm": _batch_norm,
    "batch_norm_eval": _batch_norm_eval,
    "layer_norm": _layer_norm,
    "flatten": _flatten,
    "dropout": _dropout,
    "mse_loss": _regression,
    "huber_loss": lambda: _regression(huber=True),
    "cross_entropy": _classification(smoothing=True),
    "cross_entropy_probs": _cross_entropy_probs,
    "nll_loss": _classification(smoothing=False),
    "binary_cross_entropy_with_logits": _bce,
}

PLANS: dict[str, AuditPlan] = {
    name: AuditPlan(
        configs,
        declarations=DECLARED.get(name, ()),
        signed_zero=any(s.signed_zero for s in CATALOG[name].specials),
        oracle_bugs=ORACLE_BUGS.get(name, ()),
    )
    for name, configs in _CONFIGS.items()
}
