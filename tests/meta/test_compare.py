"""The comparison helper itself: every rule it enforces, on hand-made arrays."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from parity.compare import Context, Measurement, Mismatch, assert_close, ulp_distance, ulp_floor

CTX = Context("op", "backend", "cpu", "float32", "forward", reproduce="parity check op")


def close(actual, expected, dtype="float64", rtol=1e-7, atol=0.0, **kw):
    return assert_close(np.asarray(actual, dtype=dtype), expected, dtype=dtype, rtol=rtol, atol=atol, context=CTX, **kw)


def test_adjacent_floats_are_one_ulp_apart():
    one = np.float32(1.0)
    assert ulp_distance(np.array([one]), np.array([np.nextafter(one, np.float32(2))]), "float32")[0] == 1
    assert ulp_distance(np.array([5e-324]), np.array([-5e-324]), "float64")[0] == 2  # across zero
    assert ulp_distance(np.array([0.0]), np.array([-0.0]), "float64")[0] == 0


def test_ulp_distance_works_on_zero_dimensional_arrays():
    assert ulp_distance(np.array(1.0), np.array(np.nextafter(1.0, 2.0)), "float64").shape == ()


def test_measurement_reports_worst_element_and_ulp():
    m = close([1.0, 2.0 + 4e-16], [1.0, 2.0])
    assert m.worst_index == (1,) and m.max_ulp == 1 and m.max_abs == pytest.approx(4.44e-16)


def test_failure_names_everything():
    with pytest.raises(Mismatch) as info:
        close([1.0, 3.0, 2.0], [1.0, 2.0, 2.0])
    text = str(info.value)
    for fragment in (
        "op [forward] on backend/cpu/float32",
        "worst element at index (1,)",
        "actual 3.0",
        "expected 2.0",
        "max abs error 1",
        "max rel error 0.5",
        "ULP",
        "reproduce: parity check op",
    ):
        assert fragment in text
    assert info.value.measurement.max_abs == 1.0


@pytest.mark.parametrize(
    ("actual", "expected", "what"),
    [
        ([np.nan, 1.0], [1.0, 1.0], "NaN mask differs at index (0,)"),
        ([1.0, 1.0], [1.0, np.nan], "NaN mask differs at index (1,)"),
        ([np.inf], [-np.inf], "inf positions or signs differ"),
        ([np.inf], [1e300], "inf positions or signs differ"),
    ],
)
def test_nan_and_inf_must_match_exactly(actual, expected, what):
    with pytest.raises(Mismatch, match=what.replace("(", r"\(").replace(")", r"\)")):
        close(actual, expected)


def test_matching_nan_and_inf_pass():
    close([np.nan, np.inf, -np.inf, 1.0], [np.nan, np.inf, -np.inf, 1.0])


def test_float32_overflow_is_expected_where_the_truth_exceeds_float32():
    close(np.array([np.inf], dtype=np.float32), [1e39], dtype="float32", rtol=1.3e-6, atol=1e-5)
    with pytest.raises(Mismatch, match="inf positions"):
        close(np.array([np.inf], dtype=np.float32), [1e38], dtype="float32", rtol=1.3e-6, atol=1e-5)


def test_signed_zero_only_when_asked():
    close([0.0], [-0.0])
    with pytest.raises(Mismatch, match="sign of zero differs"):
        close([0.0], [-0.0], signed_zero=True)


def test_shape_and_dtype_come_first():
    with pytest.raises(Mismatch, match=r"shape \(3,\) differs from the expected \(1, 3\)"):
        close([1.0, 2.0, 3.0], [[1.0, 2.0, 3.0]])
    with pytest.raises(Mismatch, match="dtype float64 differs from the expected float32"):
        assert_close(np.ones(2), np.ones(2), dtype="float32", rtol=1e-6, atol=0, context=CTX)


def test_no_silent_broadcast():
    with pytest.raises(Mismatch, match="shape"):
        close([1.0], [1.0, 1.0])


def test_tolerance_is_atol_plus_rtol_times_expected():
    close([1.0 + 1e-7], [1.0], rtol=1e-7, atol=1e-12)
    with pytest.raises(Mismatch):
        close([1.0 + 3e-7], [1.0], rtol=1e-7, atol=1e-12)


def test_atol_may_be_an_array():
    close([1.5, 10.0], [1.0, 10.0], rtol=0.0, atol=np.array([0.5, 0.0]))
    with pytest.raises(Mismatch, match=r"index \(1,\)"):
        close([1.0, 10.5], [1.0, 10.0], rtol=0.0, atol=np.array([0.5, 0.0]))


def test_non_arrays_are_refused():
    with pytest.raises(Mismatch, match="not a numpy.ndarray"):
        assert_close([1.0], [1.0], dtype="float64", rtol=0, atol=0, context=CTX)


# ---------------------------------------------------------------- the headline: allowance used
def test_excess_is_the_fraction_of_the_allowance_the_worst_element_used():
    m = close([1.0 + 5e-8, 2.0], [1.0, 2.0], rtol=1e-7, atol=0.0)
    assert m.max_excess == pytest.approx(0.5, rel=1e-6) and m.worst_index == (0,)
    m = close([1.5, 10.0], [1.0, 10.0], rtol=0.0, atol=np.array([2.0, 0.0]))
    assert m.max_excess == 0.25


def test_a_failure_reports_how_many_allowances_it_used():
    with pytest.raises(Mismatch, match=r"3x the allowed error") as info:
        close([1.0 + 3e-7], [1.0], rtol=1e-7, atol=0.0)
    assert info.value.measurement.max_excess == pytest.approx(3.0, rel=1e-6)


def test_an_error_where_nothing_is_allowed_is_infinitely_bad():
    with pytest.raises(Mismatch) as info:
        close([1e-300], [0.0], rtol=1e-7, atol=0.0)
    assert info.value.measurement.max_excess == np.inf


def test_a_mask_failure_has_an_infinite_excess():
    with pytest.raises(Mismatch) as info:
        close([np.nan], [1.0])
    assert info.value.measurement.max_excess == np.inf


@given(
    hnp.arrays(np.float64, 5, elements=st.floats(-1e3, 1e3)),
    hnp.arrays(np.float64, 5, elements=st.floats(-1e-4, 1e-4)),
    st.sampled_from(["float32", "float64"]),
)
def test_a_comparison_either_fails_or_used_at_most_its_allowance(expected, noise, dtype):
    actual = (expected + noise).astype(dtype)
    try:
        m = close(actual, expected, dtype=dtype, rtol=1e-6, atol=1e-5)
    except Mismatch as error:
        assert error.measurement.max_excess > 1
    else:
        assert 0 <= m.max_excess <= 1


def test_near_zero_the_headline_stays_small_where_the_ulp_count_is_huge():
    """An output near zero that atol absorbs: thousands of ULP, a negligible share of the allowance."""
    m = close([1e-17], [1e-20], rtol=1e-7, atol=1e-7)
    assert m.max_excess < 1e-9 and m.max_ulp > 1e13


# ---------------------------------------------------------------- ULP only where it means something
def test_ulp_floor_is_the_smallest_normal_times_two_to_the_mantissa_bits():
    assert ulp_floor("float32") == np.finfo(np.float32).smallest_normal * 2.0**23
    assert ulp_floor("float64") == np.finfo(np.float64).smallest_normal * 2.0**52


def test_ulps_are_not_counted_below_the_floor():
    tiny = np.float32(1e-33)  # normal, but below float32's ULP floor (~9.9e-32)
    m = close(np.array([np.nextafter(tiny, np.float32(1))], dtype=np.float32), [tiny], dtype="float32", rtol=1e-6)
    assert m.max_ulp is None and m.max_excess > 0
    big = np.float32(1e-30)
    m = close(np.array([np.nextafter(tiny, 1), np.nextafter(big, 1)], np.float32), [tiny, big], "float32", 1e-6)
    assert m.max_ulp == 1


def test_worst_combines_measurements():
    a = Measurement(1.0, 0.1, None, (0,), 0.5, 1, 0)
    b = Measurement(0.5, 0.2, 3.0, (2,), 0.75, 0, 2)
    w = a.worst(b)
    assert (w.max_abs, w.max_rel, w.max_ulp, w.worst_index, w.max_excess) == (1.0, 0.2, 3.0, (2,), 0.75)
    assert (w.flushed_to_zero, w.subnormals_differ) == (1, 2)
    assert Measurement().worst(Measurement()).max_ulp is None


# ---------------------------------------------------------------- subnormals are flagged even when they pass
F32_SUB = float(np.float32(1e-40))  # a float32 subnormal


@pytest.mark.parametrize(
    ("actual", "expected", "dtype", "flags"),
    [
        ([0.0, 1.0], [F32_SUB, 1.0], "float32", (1, 0)),  # flushed to zero
        ([-0.0], [-F32_SUB], "float32", (1, 0)),
        ([0.0], [5e-324], "float64", (1, 0)),
        ([2 * F32_SUB], [F32_SUB], "float32", (0, 1)),  # a different subnormal
        ([1e-39], [1.2e-38], "float32", (0, 1)),  # a normal truth came back subnormal
        ([F32_SUB], [F32_SUB], "float32", (0, 0)),  # kept exactly
        ([1e-37, 0.0], [1e-37, 0.0], "float32", (0, 0)),  # normal values and true zeros
        ([0.0], [1e-50], "float32", (0, 0)),  # the truth rounds to zero in float32: nothing was lost
        ([0.0], [1e-36], "float32", (0, 0)),  # zero is not subnormal: a normal truth lost to zero is no subnormal event
    ],
)
def test_flush_to_zero_and_subnormal_differences_are_flagged_although_atol_passes_them(actual, expected, dtype, flags):
    m = close(np.asarray(actual, dtype=dtype), expected, dtype=dtype, rtol=1.3e-6, atol=1e-5)
    assert (m.flushed_to_zero, m.subnormals_differ) == flags
    assert m.max_excess < 1e-30


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_normal_values_that_differ_are_never_flagged_as_subnormal(dtype):
    """The flags' boundary in every float dtype: a normal truth and a normal result one ulp apart (at 1 and at the
    smallest normal itself) are not subnormal differences; one below the smallest normal is (a mutant that made
    every nonzero value "subnormal" passed the hand-picked rows above)."""
    info = np.finfo(dtype)
    one, tiny = np.asarray(1.0, dtype), np.asarray(info.smallest_normal, dtype)
    up = lambda x: np.nextafter(x, np.asarray(np.inf, dtype))  # noqa: E731
    normal = close([up(one), up(tiny)], [float(one), float(tiny)], dtype=dtype, rtol=float(info.eps) * 4, atol=0.0)
    assert (normal.flushed_to_zero, normal.subnormals_differ) == (0, 0)
    below = np.nextafter(tiny, np.asarray(0, dtype))
    flagged = close([tiny], [float(below)], dtype=dtype, rtol=float(info.eps) * 4, atol=float(tiny))
    assert (flagged.flushed_to_zero, flagged.subnormals_differ) == (0, 1)
