"""Audit plans for :mod:`reference.catalog_resampling` (``parity audit``): adaptive_avg_pool2d to output sizes that
do and do not divide the input (ints, pairs, ``None`` for an unchanged axis), and interpolation in modes nearest and
bilinear (both align_corners) to sizes above, below and equal to the input's, empty batches, single pixels."""

from __future__ import annotations

from hypothesis import strategies as st

from reference.audit_kit import AuditPlan, Config, arrays, cotangent_seeds


def _images(draw):
    shape = (draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 5)), draw(st.integers(1, 6)))
    return draw(arrays(shape))


def _sizes(allow_none=False):
    one = st.integers(1, 7)
    item = st.one_of(one, st.none()) if allow_none else one
    return st.one_of(one, st.tuples(item, item))


@st.composite
def _adaptive_avg_pool2d(draw):
    x = _images(draw)
    return Config((x,), {"output_size": draw(_sizes(allow_none=True))}, draw(cotangent_seeds()))


@st.composite
def _interpolate_nearest(draw):
    return Config((_images(draw),), {"size": draw(_sizes())}, draw(cotangent_seeds()))


@st.composite
def _interpolate_bilinear(draw):
    params = {"size": draw(_sizes()), "align_corners": draw(st.booleans())}
    return Config((_images(draw),), params, draw(cotangent_seeds()))


PLANS: dict[str, AuditPlan] = {
    "adaptive_avg_pool2d": AuditPlan(_adaptive_avg_pool2d),
    "interpolate_nearest": AuditPlan(_interpolate_nearest, signed_zero=True),
    "interpolate_bilinear": AuditPlan(_interpolate_bilinear),
}
