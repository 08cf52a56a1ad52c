"""Catalog entries for the resampling layers (kind "layer"): adaptive_avg_pool2d, interpolate_nearest and
interpolate_bilinear (reference/resampling.py).  All three are linear in their input, so central differences are
exact at any step."""

from __future__ import annotations

import math

import numpy as np

from reference import resampling
from reference.spec import Case, OpSpec, Special

INF, NAN = math.inf, math.nan
LINEAR = "linear in the input: central differences are exact at any step"


def _adaptive_terms(inputs, params):
    # each output sums its window (at most the largest window's area) and divides by its height and width
    (x,) = inputs
    out_hw = resampling.output_size(params["output_size"], x, allow_none=True)
    areas = [max(e - s for s, e in resampling.adaptive_windows(n, o)) for n, o in zip(x.shape[2:], out_hw)]
    return math.prod(areas), resampling.adaptive_avg_pool2d(np.abs(x), **params)


def _bilinear_terms(inputs, params):
    # each output is two weighted sums of two products (width, then height), weights in [0, 1]
    (x,) = inputs
    return 4, resampling.interpolate_bilinear(np.abs(x), **params)


ENTRIES = (
    OpSpec(
        "adaptive_avg_pool2d",
        resampling.adaptive_avg_pool2d,
        "layer",
        (
            Case(((2, 3, 5, 7),), {"output_size": (3, 4)}),
            Case(((1, 2, 4, 6),), {"output_size": 2}),
            Case(((1, 2, 3, 5),), {"output_size": (None, 3)}),
            Case(((1, 1, 2, 3),), {"output_size": (5, 4)}),
            Case(((0, 2, 4, 3),), {"output_size": (3, 2)}),
        ),
        kind="layer",
        accumulation=_adaptive_terms,
        fd_step=1.0,
        fd_step_reason=LINEAR,
        specials=(
            Special(
                "overlapping-windows",
                ([[[[1.0, 2.0, 3.0, 4.0, 5.0]]]],),
                [[[[1.5, 3.0, 4.5]]]],
                params={"output_size": (1, 3)},
                cotangent=[[[[2.0, 3.0, 4.0]]]],
                grads=([[[[1.0, 2.0, 1.0, 3.0, 2.0]]]],),
                note="5 columns into 3: torch's windows [0, 2), [1, 4), [3, 5) overlap at columns 1 and 3, which get "
                "a share of both windows' cotangents (2/2 + 3/3 and 3/3 + 4/2)",
            ),
            Special(
                "nan-window",
                ([[[[NAN, 2.0, 3.0, 4.0, 5.0]]]],),
                [[[[NAN, 3.0, 4.5]]]],
                params={"output_size": (1, 3)},
                note="NaN reaches only the windows that contain it",
            ),
            Special(
                "upsampling",
                ([[[[1.0, 2.0]]]],),
                [[[[1.0, 1.5, 2.0]]]],
                params={"output_size": (1, 3)},
                note="more outputs than inputs: the middle window [0, 2) averages both columns, the others copy one",
            ),
        ),
        notes="F.adaptive_avg_pool2d(x, output_size); windows [floor(i H / OH), ceil((i + 1) H / OH)) per axis, "
        "the mean as the window's sum divided by its height and then its width (ATen's CPU kernel); unbatched "
        "(C, H, W) inputs are refused, as for the other layers",
    ),
    OpSpec(
        "interpolate_nearest",
        resampling.interpolate_nearest,
        "layer",
        (
            Case(((2, 3, 3, 4),), {"size": (5, 7)}),
            Case(((1, 2, 5, 7),), {"size": (3, 4)}),
            Case(((1, 2, 3, 2),), {"size": 6}),
            Case(((0, 2, 2, 3),), {"size": (4, 3)}),
        ),
        kind="layer",
        fd_step=1.0,
        fd_step_reason=LINEAR,
        specials=(
            Special(
                "floor-not-round",
                ([[[[0.0, 1.0, 2.0]]]],),
                [[[[0.0, 0.0, 1.0, 2.0]]]],
                params={"size": (1, 4)},
                cotangent=[[[[1.0, 2.0, 3.0, 4.0]]]],
                grads=([[[[3.0, 3.0, 4.0]]]],),
                note="3 columns into 4: source floor(dst * 3/4) = 0, 0, 1, 2 (torch's 'nearest'; 'nearest-exact' "
                "would read 0, 1, 1, 2); column 0, read twice, gets 1 + 2",
            ),
            Special(
                "downsampling",
                ([[[[0.0, 1.0, 2.0, 3.0, 4.0]]]],),
                [[[[0.0, 2.0]]]],
                params={"size": (1, 2)},
                note="5 columns into 2: floor(dst * 5/2) = 0, 2; the other columns are never read",
            ),
            Special(
                "ieee",
                ([[[[NAN, -0.0]]]],),
                [[[[NAN, NAN, -0.0]]]],
                params={"size": (1, 3)},
                signed_zero=True,
                note="values are copied, not computed: NaN stays NaN and -0 stays -0",
            ),
        ),
        notes="F.interpolate(x, size=size, mode='nearest'): source index min(floor(dst * in / out), in - 1) with the "
        "scale and product in float32 (ATen's nearest_neighbor_compute_source_index); only an output size is "
        "taken (scale_factor, which changes the scale torch uses, is not part of the entry)",
    ),
    OpSpec(
        "interpolate_bilinear",
        resampling.interpolate_bilinear,
        "layer",
        (
            Case(((2, 3, 3, 4),), {"size": (5, 7), "align_corners": False}),
            Case(((1, 2, 5, 7),), {"size": (3, 4), "align_corners": True}),
            Case(((1, 2, 4, 3),), {"size": (2, 3), "align_corners": False}),
            Case(((1, 1, 3, 2),), {"size": (1, 5), "align_corners": True}),
            Case(((2, 1, 2, 3),), {"size": (1, 4), "align_corners": False}),
        ),
        kind="layer",
        accumulation=_bilinear_terms,
        fd_step=1.0,
        fd_step_reason=LINEAR,
        specials=(
            Special(
                "half-pixel-centres",
                ([[[[0.0, 4.0]]]],),
                [[[[0.0, 1.0, 3.0, 4.0]]]],
                params={"size": (1, 4), "align_corners": False},
                cotangent=[[[[1.0, 1.0, 1.0, 1.0]]]],
                grads=([[[[2.0, 2.0]]]],),
                note="align_corners=False: source (dst + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 "
                "(past the last pixel: its value)",
            ),
            Special(
                "align-corners",
                ([[[[0.0, 3.0]]]],),
                [[[[0.0, 1.0, 2.0, 3.0]]]],
                params={"size": (1, 4), "align_corners": True},
                note="align_corners=True: source dst * (2 - 1) / (4 - 1): the corner pixels are reproduced exactly",
            ),
            Special(
                "zero-weight-nan",
                ([[[[1.0, NAN]]]],),
                [[[[NAN, NAN, NAN]]]],
                params={"size": (1, 3), "align_corners": True},
                note="output 0 reads pixels 0 and 1 with weights 1 and 0, and 0 * NaN is NaN (torch multiplies too)",
            ),
            Special(
                "inf-half-pixel",
                ([[[[INF]]]],),
                [[[[NAN, NAN, NAN, NAN, NAN], [NAN, NAN, NAN, INF, INF]]]],
                params={"size": (2, 5), "align_corners": False},
                note="one pixel (inf) into 2 x 5: where a weight is 0 (row 0 and columns 0-2, whose source indices "
                "0.2 (dst + 0.5) - 0.5 are clamped at or round to 0), inf * 0 makes NaN; torch's AVX2 build computes "
                "column 2's index with a fused multiply-add, a weight of ~1e-17 there (impls/torch_resampling.py)",
            ),
            Special(
                "unchanged-axis",
                ([[[[NAN, 1.0]]]],),
                [[[[NAN, 1.0]]]],
                params={"size": (1, 2), "align_corners": False},
                note="an axis whose size does not change is ATen's copy case (each pixel with weight 1 and itself "
                "with weight 0): a NaN does not reach its neighbour",
            ),
        ),
        notes="F.interpolate(x, size=size, mode='bilinear', align_corners=...): separable, the width then the "
        "height, weights in float32 for float32 and half data (ATen's opmath type); only an output size is "
        "taken (scale_factor and antialias are not part of the entry)",
    ),
)
