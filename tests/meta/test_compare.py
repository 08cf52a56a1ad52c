"""The comparison helper itself: every rule it enforces, on hand-made arrays."""

import numpy as np
import pytest

from parity.compare import Context, Mismatch, assert_close, ulp_distance

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
