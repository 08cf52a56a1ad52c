"""Audit plans for :mod:`reference.catalog_convolution` (``parity audit``): conv1d with groups, strides, dilations,
'same', 'valid' and integer padding in every form torch accepts (an int, a 1-tuple), empty batches and channels,
lengths that do and do not fit the dilated kernel, unbatched inputs (torch accepts them, the reference refuses);
conv_transpose2d with groups, strides, dilations, padding and every output_padding torch allows (smaller than the
stride or the dilation), in every form of a 2-D size, empty batches."""

from __future__ import annotations

from hypothesis import strategies as st

from impls.declare import Unsupported
from reference.audit_kit import AuditPlan, Config, OracleBug, arrays, as_pair, cotangent_seeds, int_or_pair
from reference.catalog import CATALOG
from reference.catalog_nn_audit import ORACLE_BUGS


def _int_or_single(low, high):
    one = st.integers(low, high)
    return st.one_of(one, st.tuples(one), st.lists(one, min_size=1, max_size=1))


def _first(value):
    return value[0] if isinstance(value, (tuple, list)) else value


@st.composite
def _conv1d(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    per_group_in, per_group_out = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kernel, dilation = draw(st.integers(1, 3)), draw(_int_or_single(1, 2))
    padding = draw(st.one_of(st.sampled_from(["valid", "same"]), _int_or_single(0, 2)))
    pad = 0 if isinstance(padding, str) else _first(padding)
    need = max(1, _first(dilation) * (kernel - 1) + 1 - 2 * pad)
    x = draw(arrays((draw(st.integers(0, 2)), groups * per_group_in, draw(st.integers(max(1, need - 1), need + 4)))))
    if x.shape[0] == 1 and draw(st.integers(0, 9)) == 0:
        x = x[0]  # unbatched (C, L): torch accepts it, the reference refuses
    inputs = [x, draw(arrays((groups * per_group_out, per_group_in, kernel)))]
    if draw(st.booleans()):
        inputs.append(draw(arrays((groups * per_group_out,))))
    params = {"stride": draw(_int_or_single(1, 3)), "padding": padding, "dilation": dilation, "groups": groups}
    return Config(tuple(inputs), params, draw(cotangent_seeds()))


@st.composite
def _conv_transpose2d(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    per_group_in, per_group_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride, dilation, padding = draw(int_or_pair(1, 3)), draw(int_or_pair(1, 2)), draw(int_or_pair(0, 2))
    extra = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(as_pair(stride), as_pair(dilation))]
    output_padding = draw(st.sampled_from([tuple(extra), extra[0]])) if extra[0] == extra[1] else tuple(extra)
    smallest = [  # the input sizes whose output size is positive (and one less sometimes: both reject it)
        max(1, (2 * p - d * (k - 1) - e + s) // s)
        for p, d, k, e, s in zip(as_pair(padding), as_pair(dilation), kernel, extra, as_pair(stride))
    ]
    size = [draw(st.integers(low, low + 3)) for low in smallest]
    x = draw(arrays((draw(st.integers(0, 2)), groups * per_group_in, *size)))
    inputs = [x, draw(arrays((groups * per_group_in, per_group_out, *kernel)))]
    if draw(st.booleans()):
        inputs.append(draw(arrays((groups * per_group_out,))))
    params = {"stride": stride, "padding": padding, "output_padding": output_padding, "groups": groups}
    return Config(tuple(inputs), {**params, "dilation": dilation}, draw(cotangent_seeds()))


UNBATCHED = Unsupported(
    "conv1d",
    "an unbatched (C, L) input is not supported: parity's layers are batched throughout and never add an axis behind "
    "the caller's back (torch unsqueezes it)",
    inputs=lambda inputs, params: inputs[0].ndim == 2,
)
# conv2d's oracle bug, met through conv1d (torch runs conv1d as a 2-D convolution too)
NO_INPUT_CHANNELS = OracleBug(
    ORACLE_BUGS["conv2d"][0].reason,
    ORACLE_BUGS["conv2d"][0].test,
    lambda inputs, params: inputs[0].ndim == 3 and inputs[0].shape[1] == 0,
)

PLANS: dict[str, AuditPlan] = {
    "conv1d": AuditPlan(
        _conv1d,
        declarations=(UNBATCHED,),
        signed_zero=any(s.signed_zero for s in CATALOG["conv1d"].specials),
        oracle_bugs=(NO_INPUT_CHANNELS,),
    )
}


def _empty_batch_without_output(inputs, params) -> bool:
    from reference.convolution import _transpose_geometry

    x, weight = inputs[0], inputs[1]
    geometry = (params[k] for k in ("stride", "padding", "output_padding", "dilation"))
    out_hw = _transpose_geometry(x, weight, *geometry)[-1]
    return x.ndim == 4 and x.shape[0] == 0 and min(out_hw) < 1


EMPTY_OUTPUT = Unsupported(
    "conv_transpose2d",
    "an output size below 1 is not supported: torch refuses it too, except for an empty batch (it returns an empty "
    "tensor); the reference refuses it whatever the batch",
    inputs=_empty_batch_without_output,
)
PLANS["conv_transpose2d"] = AuditPlan(
    _conv_transpose2d,
    declarations=(EMPTY_OUTPUT,),
    signed_zero=any(s.signed_zero for s in CATALOG["conv_transpose2d"].specials),
)
