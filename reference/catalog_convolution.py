"""Catalog entry for conv1d (kind "layer")."""

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
)
