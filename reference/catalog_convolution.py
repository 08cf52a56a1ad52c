"""Catalog entries for conv1d and conv_transpose2d (kind "layer")."""

from __future__ import annotations

import math

import numpy as np

from reference import convolution
from reference.catalog_nn import BILINEAR
from reference.spec import Case, OpSpec, Special


def _conv1d_terms(inputs, params):
    # each output sums C_in / groups * k products: conv1d of |x| and |w| is that sum's magnitude (as conv2d's)
    x, w, *_ = inputs
    return w.shape[1] * w.shape[2], convolution.conv1d(np.abs(x), np.abs(w), None, **params)


def _conv_transpose2d_terms(inputs, params):
    # each output sums at most C_in / groups * kH * kW products x * w (fewer where windows do not overlap): the
    # transposed convolution of |x| and |w| is that sum's magnitude
    x, w, *_ = inputs
    terms = w.shape[0] // params.get("groups", 1) * w.shape[2] * w.shape[3]
    return terms, convolution.conv_transpose2d(np.abs(x), np.abs(w), None, **params)


ENTRIES = (
    OpSpec(
        "conv1d",
        convolution.conv1d,
        "layer",
        (
            Case(((2, 3, 7), (4, 3, 3), (4,))),
            Case(((2, 4, 9), (6, 2, 2)), {"stride": 2, "padding": 1, "groups": 2}),
            Case(((1, 3, 8), (5, 3, 2), (5,)), {"padding": "same", "dilation": 2}),
            Case(((2, 2, 6), (3, 2, 3), (3,)), {"padding": "valid", "stride": (2,)}),
        ),
        kind="layer",
        accumulation=_conv1d_terms,
        fd_step=1.0,
        fd_step_reason=BILINEAR,
        specials=(
            Special(
                "nan-window",
                ([[[math.nan, 1.0, 1.0, 1.0]]], [[[1.0, 1.0]]]),
                [[[math.nan, 2.0, 2.0]]],
                note="NaN reaches only the windows that contain it",
            ),
            Special(
                "same-even-kernel",
                ([[[1.0, 2.0, 3.0]]], [[[1.0, 10.0]]]),
                [[[21.0, 32.0, 3.0]]],
                params={"padding": "same"},
                note="an even kernel under 'same' pads the extra position on the right: [1 2 3 0] * [1 10]",
            ),
            Special(
                "groups",
                ([[[1.0, 2.0], [3.0, 4.0]]], [[[1.0]], [[10.0]]]),
                [[[1.0, 2.0], [30.0, 40.0]]],
                params={"groups": 2},
                note="with groups = channels each filter sees only its own channel",
            ),
        ),
        notes="conv2d on a height of 1 (reference/convolution.py)",
    ),
    OpSpec(
        "conv_transpose2d",
        convolution.conv_transpose2d,
        "layer",
        (
            Case(((2, 3, 3, 4), (3, 2, 2, 3), (2,))),
            Case(((1, 4, 3, 2), (4, 1, 3, 2), (2,)), {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2}),
            Case(((2, 2, 2, 3), (2, 2, 2, 2)), {"stride": (2, 3), "padding": (0, 1), "output_padding": (1, 2)}),
            Case(((1, 3, 3, 2), (3, 2, 2, 2), (2,)), {"dilation": 2, "output_padding": 1}),
        ),
        kind="layer",
        accumulation=_conv_transpose2d_terms,
        fd_step=1.0,
        fd_step_reason=BILINEAR,
        specials=(
            Special(
                "overlapping-windows",
                ([[[[1.0, 2.0]]]], [[[[1.0, 10.0]]]]),
                [[[[1.0, 12.0, 20.0]]]],
                cotangent=[[[[1.0, 2.0, 3.0]]]],
                grads=([[[[21.0, 32.0]]]], [[[[5.0, 8.0]]]]),
                note="each input pixel adds x * w into its own window, overlaps add: [1 10 0] + [0 2 20]; the "
                "x-gradient is the cross-correlation of the cotangent with w, the w-gradient that of the cotangent "
                "with x",
            ),
            Special(
                "output-padding",
                ([[[[2.0]]]], [[[[1.0, 3.0]]]]),
                [[[[2.0, 6.0, 0.0], [0.0, 0.0, 0.0]]]],
                params={"stride": 2, "output_padding": 1},
                note="output_padding adds a row at the bottom and a column at the right that no input reaches",
            ),
            Special(
                "padding-crops",
                ([[[[1.0, 2.0, 3.0]]]], [[[[1.0, 1.0, 1.0]]]]),
                [[[[3.0, 6.0, 5.0]]]],
                params={"padding": (0, 1)},
                note="padding removes rows and columns from the full result [1 3 6 5 3] (it pads conv2d's input, "
                "whose adjoint this is)",
            ),
            Special(
                "nan-window",
                ([[[[math.nan, 1.0, 1.0]]]], [[[[1.0, 1.0]]]]),
                [[[[math.nan, math.nan, 2.0, 1.0]]]],
                note="NaN reaches only the outputs in its own window",
            ),
        ),
        notes="F.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation): weight (C_in, "
        "C_out / groups, kH, kW); output_padding must be smaller than the stride or the dilation (torch's rule); "
        "the reference is conv2d's input gradient written with the same im2col/col2im helpers "
        "(reference/convolution.py)",
    ),
)
