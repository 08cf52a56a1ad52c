"""Catalog entries for layers (kind "layer") and losses (kind "loss")."""

from __future__ import annotations

import math

import numpy as np

from reference import layers, losses
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
BILINEAR = "bilinear in (input, weight): the second-order term cancels in central differences, so any step is exact"


def _conv_terms(inputs, params):
    x, w, *_ = inputs
    kw = {k: v for k, v in params.items()}
    magnitude = layers.conv2d(np.abs(x), np.abs(w), None, **kw)
    return w.shape[1] * w.shape[2] * w.shape[3], magnitude


def _linear_terms(inputs, params):
    x, w, *_ = inputs
    return x.shape[-1], np.abs(x) @ np.abs(w).T


def _batch_norm_terms(inputs, params):
    x, *rest = inputs
    axes = (0, *range(2, x.ndim))
    scale = np.abs(x - x.mean(axis=axes, keepdims=True)) + np.abs(x.mean(axis=axes, keepdims=True))
    w = rest[0] if rest and rest[0] is not None else None
    weight = 1.0 if w is None else np.abs(w).reshape(1, -1, *([1] * (x.ndim - 2)))
    return x.size // max(x.shape[1], 1), 4.0 * scale / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5) * weight


def _layer_norm_terms(inputs, params):
    x, *rest = inputs
    k = len(params["normalized_shape"])
    axes = tuple(range(x.ndim - k, x.ndim))
    scale = np.abs(x - x.mean(axis=axes, keepdims=True)) + np.abs(x.mean(axis=axes, keepdims=True))
    w = rest[0] if rest and rest[0] is not None else 1.0
    return math.prod(x.shape[-k:]), 4.0 * scale / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5) * np.abs(w)


def _mean_loss_terms(inputs, params):
    # a 'mean'/'sum' reduction sums every per-element loss: bound by the sum of their magnitudes
    x, t, *_ = inputs
    terms = np.abs(x) + np.abs(t)
    per = terms * terms + terms
    total = per.sum() / (x.size if params.get("reduction", "mean") == "mean" else 1)
    return (1 if params.get("reduction") == "none" else x.size), per if params.get("reduction") == "none" else total


def _ce_terms(inputs, params):
    x = inputs[0]
    c = x.shape[1] if x.ndim >= 2 else x.shape[0]
    lse = np.abs(x).max(initial=0.0) + math.log(max(c, 1)) + 1.0
    count = x.size // max(c, 1)
    return count * c, (lse * count * 4.0) / (count if params.get("reduction", "mean") == "mean" else 1)


LAYERS = [
    OpSpec(
        "linear",
        layers.linear,
        "layer",
        (Case(((5, 3), (4, 3), (4,))), Case(((2, 5, 3), (4, 3))), Case(((3,), (2, 3), (2,)))),
        kind="layer",
        accumulation=_linear_terms,
        fd_step=1.0,
        fd_step_reason=BILINEAR,
        specials=(
            Special("inf-times-zero", ([[INF, 1.0]], [[0.0, 1.0]], [0.0]), [[NAN]]),
            Special(
                "no-in-features",
                (np.zeros((3, 0)), np.zeros((2, 0)), [1.0, 2.0]),
                [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]],
                cotangent=[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],
                grads=(np.zeros((3, 0)), np.zeros((2, 0)), [9.0, 12.0]),
                note="an empty product: the output is the bias, the gradients of the empty inputs are empty",
            ),
            Special(
                "no-out-features",
                ([[1.0, 2.0]], np.zeros((0, 2))),
                np.zeros((1, 0)),
                cotangent=np.zeros((1, 0)),
                grads=([[0.0, 0.0]], np.zeros((0, 2))),
                note="no outputs: x's gradient is an empty sum, 0",
            ),
        ),
    ),
    OpSpec(
        "conv2d",
        layers.conv2d,
        "layer",
        (
            Case(((2, 3, 7, 6), (4, 3, 3, 3), (4,))),
            Case(((2, 4, 9, 8), (6, 2, 3, 2)), {"stride": 2, "padding": 1, "groups": 2}),
            Case(((1, 3, 8, 7), (5, 3, 2, 3), (5,)), {"padding": "same", "dilation": 2}),
            Case(((2, 2, 6, 5), (3, 2, 3, 1), (3,)), {"padding": "valid", "stride": (2, 1)}),
            Case(((1, 2, 5, 6), (3, 2, 2, 2)), {"padding": "same"}),
            Case(((2, 2, 6, 5), (3, 2, 2, 3), (3,)), {"stride": [2, 1], "padding": (1,), "dilation": [1]}),
        ),
        kind="layer",
        accumulation=_conv_terms,
        fd_step=1.0,
        fd_step_reason=BILINEAR,
        specials=(
            Special(
                "nan-window",
                ([[[[NAN, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]], [[[[1.0, 1.0], [1.0, 1.0]]]]),
                [[[[NAN, 4.0], [4.0, 4.0]]]],
                note="NaN reaches only the windows that contain it",
            ),
            Special(
                "same-even-kernel",
                ([[[[1.0, 2.0, 3.0]]]], [[[[1.0, 10.0]]]]),
                [[[[21.0, 32.0, 3.0]]]],
                params={"padding": "same"},
                note="an even kernel under 'same' pads the extra column on the right: [1 2 3 0] * [1 10]",
            ),
        ),
    ),
    OpSpec(
        "max_pool2d",
        layers.max_pool2d,
        "layer",
        (
            Case(((2, 3, 6, 7),), {"kernel_size": 2}),
            Case(((1, 2, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
            Case(((1, 2, 9, 8),), {"kernel_size": (2, 3), "stride": (1, 2), "dilation": 2}),
            Case(((2, 1, 7, 8),), {"kernel_size": [3], "stride": (2,), "padding": [1, 0]}),
        ),
        domain="no_ties",
        kind="layer",
        kinks="not differentiable at ties; sampled without ties, the first-element rule is pinned",
        specials=(
            Special(
                "ties",
                ([[[[1.0, 1.0], [1.0, 1.0]]]],),
                [[[[1.0]]]],
                params={"kernel_size": 2},
                cotangent=[[[[1.0]]]],
                grads=([[[[1.0, 0.0], [0.0, 0.0]]]],),
                note="the whole gradient goes to the first maximum of the window (torch.amax would split it)",
            ),
            Special(
                "nan",
                ([[[[1.0, NAN], [3.0, 2.0]]]],),
                [[[[NAN]]]],
                params={"kernel_size": 2},
                note="a NaN in the window propagates",
            ),
            Special(
                "padding-is-minus-inf",
                ([[[[-5.0, -6.0], [-7.0, -8.0]]]],),
                [[[[-5.0, -6.0], [-7.0, -8.0]]]],
                params={"kernel_size": 2, "stride": 2, "padding": 1},
                note="implicit padding never wins a max, even against negative values",
            ),
            Special(
                "minus-inf-window-at-padding",
                ([[[[-INF, -INF], [-INF, -INF]]]],),
                [[[[-INF, -INF, -INF], [-INF, -INF, -INF], [-INF, -INF, -INF]]]],
                params={"kernel_size": 2, "stride": 1, "padding": 1},
                cotangent=[[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]],
                grads=([[[[4.0, 2.0], [2.0, 1.0]]]],),
                note="a window whose real elements are all -inf sends its gradient to its first real element, never "
                "into the padding (torch): the top-left element is first in 4 windows",
            ),
            Special(
                "two-nans",
                ([[[[NAN, 1.0], [NAN, 2.0]]]],),
                [[[[NAN]]]],
                params={"kernel_size": 2},
                cotangent=[[[[1.0]]]],
                grads=([[[[0.0, 0.0], [1.0, 0.0]]]],),
                note="of several NaNs the last one in the window gets the gradient: torch's rule "
                "`v > best or isnan(v)` (its CPU kernels in both memory formats, and its NCHW CUDA kernel)",
            ),
        ),
    ),
    OpSpec(
        "avg_pool2d",
        layers.avg_pool2d,
        "layer",
        (
            Case(((2, 3, 6, 7),), {"kernel_size": 2}),
            Case(((1, 2, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}),
            Case(((1, 2, 7, 6),), {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}),
            Case(((1, 2, 5, 7),), {"kernel_size": 2, "stride": 2, "ceil_mode": True, "count_include_pad": False}),
            Case(((2, 1, 6, 7),), {"kernel_size": (2, 3), "padding": 1, "divisor_override": 4}),
        ),
        kind="layer",
        fd_step=1.0,
        fd_step_reason="linear in the input: central differences are exact",
        specials=(
            Special(
                "include-pad",
                ([[[[4.0, 4.0], [4.0, 4.0]]]],),
                [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]],
                params={"kernel_size": 2, "stride": 1, "padding": 1, "count_include_pad": True},
                note="torch's default: zero padding counts in the divisor (4 everywhere)",
            ),
            Special(
                "exclude-pad",
                ([[[[4.0, 4.0], [4.0, 4.0]]]],),
                [[[[4.0, 4.0, 4.0], [4.0, 4.0, 4.0], [4.0, 4.0, 4.0]]]],
                params={"kernel_size": 2, "stride": 1, "padding": 1, "count_include_pad": False},
                note="TensorFlow SAME / ONNX / Caffe2: only real elements count",
            ),
        ),
    ),
    OpSpec(
        "batch_norm",
        layers.batch_norm,
        "layer",
        (
            Case(((4, 3, 2, 5), (3,), (3,))),
            Case(((6, 4),)),
            Case(((3, 2, 7), (2,), (2,)), {"eps": 1e-3}),
            Case(((2, 3, 2, 3, 2), (3,), (3,))),
        ),
        kind="layer",
        accumulation=_batch_norm_terms,
        specials=(
            Special(
                "constant-channel",
                ([[1.0, 5.0], [1.0, 7.0]], [2.0, 2.0], [0.5, 0.5]),
                [[0.5, 0.5 - 2 / math.sqrt(1 + 1e-5)], [0.5, 0.5 + 2 / math.sqrt(1 + 1e-5)]],
                note="a constant channel has variance 0: (x - mean) = 0 and the output is the bias",
            ),
        ),
        notes="training mode (batch statistics); the running-statistics update is checked on its own",
    ),
    OpSpec(
        "batch_norm_eval",
        layers.batch_norm_eval,
        "layer",
        (Case(((4, 3, 2, 5), (3,), (3,), (3,), (3,))), Case(((5, 2), (2,), (2,)))),
        domain="batch_norm_eval",
        kind="layer",
        specials=(
            Special(
                "zero-var",
                ([[1.0, 2.0]], [1.0, 0.0], [0.0, 0.0]),
                [[0.0, 2.0 / math.sqrt(1e-5)]],
                note="eps keeps the division finite",
            ),
        ),
    ),
    OpSpec(
        "layer_norm",
        layers.layer_norm,
        "layer",
        (
            Case(((4, 6), (6,), (6,)), {"normalized_shape": (6,)}),
            Case(((2, 3, 5),), {"normalized_shape": (3, 5)}),
            Case(((2, 4, 3), (3,), (3,)), {"normalized_shape": (3,), "eps": 1e-3}),
        ),
        kind="layer",
        accumulation=_layer_norm_terms,
        specials=(
            Special(
                "constant-row",
                ([[3.0, 3.0, 3.0]], [1.0, 1.0, 1.0], [0.0, 1.0, 2.0]),
                [[0.0, 1.0, 2.0]],
                params={"normalized_shape": (3,)},
            ),
        ),
    ),
    OpSpec(
        "flatten",
        layers.flatten,
        "layer",
        (
            Case(((2, 3, 4),)),
            Case(((2, 3, 4, 5),), {"start_dim": 0, "end_dim": 2}),
            Case(((3, 1, 2),), {"start_dim": -2}),
        ),
        kind="layer",
        fd_step=1.0,
        fd_step_reason="moves values: central differences are exact",
        specials=(Special("ieee", ([[[NAN, -0.0], [INF, 1.0]]],), [[NAN, -0.0, INF, 1.0]], signed_zero=True),),
    ),
    OpSpec(
        "dropout",
        layers.dropout,
        "layer",
        (Case(((4, 7), (4, 7)), {"p": 0.3}), Case(((2, 3, 5), (2, 3, 5)), {"p": 0.5})),
        domain="dropout",
        kind="layer",
        fd_step=1.0,
        fd_step_reason="linear in x: central differences are exact",
        specials=(
            Special(
                "kept-nan",
                ([NAN, 1.0, 2.0], [1.0, 0.0, 1.0]),
                [NAN, 0.0, 4.0],
                params={"p": 0.5},
                note="kept values are scaled by 1/(1-p); a dropped finite value is 0",
            ),
        ),
    ),
]

LOSSES = [
    OpSpec(
        "mse_loss",
        losses.mse_loss,
        "loss",
        (
            Case(((4, 5), (4, 5))),
            Case(((6,), (6,)), {"reduction": "sum"}),
            Case(((3, 2), (3, 2)), {"reduction": "none"}),
        ),
        kind="loss",
        accumulation=_mean_loss_terms,
        specials=(
            Special("inf-and-nan", ([INF, 1.0], [0.0, NAN]), NAN, note="mean of [inf, NaN] is NaN"),
            Special("inf", ([INF, 1.0], [0.0, 1.0]), [INF, 0.0], params={"reduction": "none"}),
        ),
    ),
    OpSpec(
        "huber_loss",
        losses.huber_loss,
        "loss",
        (
            Case(((4, 5), (4, 5))),
            Case(((6,), (6,)), {"reduction": "sum", "delta": 0.5}),
            Case(((3, 2), (3, 2)), {"reduction": "none", "delta": 2.0}),
        ),
        kind="loss",
        accumulation=_mean_loss_terms,
        kinks="C1 at |d| = delta (the second derivative jumps); finite differences stay exact to O(eps)",
        specials=(
            Special(
                "branches",
                ([0.5, 3.0, -3.0], [0.0, 0.0, 0.0]),
                [0.125, 2.5, 2.5],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0, 1.0],
                grads=([0.5, 1.0, -1.0],),
            ),
        ),
    ),
    OpSpec(
        "cross_entropy",
        losses.cross_entropy,
        "loss",
        (
            Case(((5, 4), (5,))),
            Case(((5, 4), (5,), (4,)), {"label_smoothing": 0.2}),
            Case(((3, 4, 2, 3), (3, 2, 3), (4,)), {"reduction": "sum"}),
            Case(((6, 3), (6,)), {"reduction": "none", "label_smoothing": 0.1}),
            Case(((4,), ())),
        ),
        domain="class_indices",
        kind="loss",
        accumulation=_ce_terms,
        specials=(
            Special(
                "huge-logits",
                ([[1e4, -1e4], [1e4, -1e4]], np.array([0, 1])),
                1e4,
                note="stable: losses 0 and 2e4, mean 1e4",
            ),
            Special(
                "all-ignored",
                ([[1.0, 2.0]], np.array([-100])),
                NAN,
                cotangent=1.0,
                grads=([[0.0, 0.0]],),
                note="'mean' over no kept rows is 0/0; an ignored row's gradient is 0 (torch never touches it)",
            ),
            Special(
                "masked-class",
                ([[0.0, -INF, 0.0]], np.array([0])),
                math.log(2.0),
                cotangent=1.0,
                grads=([[-0.5, 0.0, 0.5]],),
                note="a masked (-inf) class that is not the target costs nothing: -log(1/2), not 0 * -inf = NaN",
            ),
            Special(
                "ignored-row-with-minus-inf",
                ([[0.0, -INF], [0.0, 0.0]], np.array([-100, 1])),
                math.log(2.0),
                cotangent=1.0,
                grads=([[0.0, 0.0], [0.5, -0.5]],),
                note="an ignored row counts for nothing whatever it holds",
            ),
            Special(
                "weighted-mean",
                ([[0.0, 0.0], [0.0, 0.0]], np.array([0, 1]), [1.0, 3.0]),
                math.log(2.0),
                note="mean divides by the sum of target weights (1 + 3), not by N: (log2 + 3 log2) / 4",
            ),
            Special(
                "smoothing",
                ([[0.0, 0.0, 0.0]], np.array([0])),
                math.log(3.0),
                params={"label_smoothing": 0.3},
                note="uniform logits: every class has -log p = log 3, whatever the smoothing",
            ),
        ),
    ),
    OpSpec(
        "cross_entropy_probs",
        losses.cross_entropy,
        "loss",
        (
            Case(((5, 4), (5, 4))),
            Case(((5, 4), (5, 4), (4,)), {"label_smoothing": 0.2}),
            Case(((3, 4, 2), (3, 4, 2)), {"reduction": "none"}),
        ),
        domain="class_probabilities",
        kind="loss",
        accumulation=_ce_terms,
        specials=(Special("huge-logits", ([[1e4, -1e4]], [[0.25, 0.75]]), 0.75 * 2e4),),
        notes="cross_entropy with class-probability targets: 'mean' divides by N, never by weights",
    ),
    OpSpec(
        "nll_loss",
        losses.nll_loss,
        "loss",
        (Case(((5, 4), (5,))), Case(((5, 4), (5,), (4,))), Case(((3, 4, 2), (3, 2)), {"reduction": "none"})),
        domain="class_indices",
        kind="loss",
        fd_step=1.0,
        fd_step_reason="linear in the input: exact",
        specials=(
            Special(
                "all-ignored",
                ([[-1.0, -2.0]], np.array([-100])),
                NAN,
                cotangent=1.0,
                grads=([[0.0, 0.0]],),
                note="'mean' over no kept rows is 0/0; an ignored row's gradient is 0 (torch never touches it)",
            ),
            Special(
                "minus-inf-log-prob",
                ([[-1.0, -INF], [-2.0, -3.0]], np.array([0, 1])),
                2.0,
                cotangent=1.0,
                grads=([[-0.5, 0.0], [0.0, -0.5]],),
                note="log p = -inf in a class that is not the target costs nothing: (1 + 3) / 2, not 0 * -inf = NaN",
            ),
            Special("weighted-mean", ([[-1.0, -2.0], [-3.0, -4.0]], np.array([0, 1]), [1.0, 3.0]), 13.0 / 4.0),
        ),
    ),
    OpSpec(
        "binary_cross_entropy_with_logits",
        losses.binary_cross_entropy_with_logits,
        "loss",
        (
            Case(((4, 3), (4, 3))),
            Case(((4, 3), (4, 3), (4, 3), (3,)), {"reduction": "sum"}),
            Case(((5,), (5,), None, (5,)), {"reduction": "none"}),
        ),
        domain="binary_targets",
        kind="loss",
        accumulation=_mean_loss_terms,
        specials=(
            Special(
                "huge-logits",
                ([1000.0, -1000.0], [0.0, 1.0]),
                1000.0,
                note="log(1 + e**1000) must not overflow: both losses are 1000",
            ),
            Special("pos-weight", ([0.0], [1.0], None, [3.0]), 3.0 * math.log(2.0)),
            Special(
                "infinite-logits",
                ([-INF, -INF, INF, INF], [0.0, 1.0, 0.0, 1.0]),
                [0.0, INF, INF, 0.0],
                params={"reduction": "none"},
                cotangent=[1.0, 1.0, 1.0, 1.0],
                grads=([0.0, -1.0, 1.0, 0.0],),
                note="-log(1 - sigmoid(-inf)) = 0, -log sigmoid(-inf) = inf: a term with coefficient 0 costs nothing",
            ),
        ),
    ),
]
