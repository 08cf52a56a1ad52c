"""Known disagreements of NumExpr with NumPy (../shared/DIVERGENCES.md), pinned exactly; the numexpr
backend's declarations (NaN-skipping max/min, +0 sums) are judged in the matrix."""

import numpy as np
import pytest

pytestmark = pytest.mark.numexpr
ne = pytest.importorskip("numexpr")


def test_numexpr_promotes_float32_times_a_python_float_to_float64():
    # DIVERGENCES 9: the numexpr backend passes constants as typed variables to keep float32.
    x = np.ones(3, dtype=np.float32)
    assert ne.evaluate("x * 0.5").dtype == np.float64
    assert ne.evaluate("x * c", local_dict={"x": x, "c": np.float32(0.5)}).dtype == np.float32
    assert (x * 0.5).dtype == np.float32  # NumPy 2 (NEP 50) keeps float32


def test_numexpr_max_and_min_reductions_skip_nan():
    x = np.array([1.0, np.nan, 3.0])
    assert ne.evaluate("max(x)") == 3.0 and ne.evaluate("min(x)") == 1.0
    assert np.isnan(np.max(x))
    assert np.isnan(ne.evaluate("where(x > 2, x, 2)")).sum() == 0  # where() drops NaN too: x > 2 is False


def test_numexpr_integer_remainder_overflows_for_large_divisors():
    # numexpr computes x % y as ((x % y) + y) % y (interp_body.cpp, 2.14): the sum leaves int32 for divisors past
    # 2**30, so the result is not NumPy's; the numexpr backend computes x - (x // y) * y instead
    x = np.array([2**31 - 2, -(2**31 - 2)], dtype=np.int32)
    y = np.array([2**31 - 1, -(2**31 - 1)], dtype=np.int32)
    assert np.remainder(x, y).tolist() == [2**31 - 2, -(2**31 - 2)]
    arrays = {"x": x, "y": y}
    assert ne.evaluate("x % y", local_dict=arrays).tolist() != np.remainder(x, y).tolist()
    assert ne.evaluate("x - (x // y) * y", local_dict=arrays).tolist() == np.remainder(x, y).tolist()


def test_numexpr_integer_floor_division_by_zero_is_zero_and_abs_of_an_integer_is_float64():
    x, y = np.array([5, -5, 0, -7], dtype=np.int64), np.array([0, 0, 0, 2], dtype=np.int64)
    arrays = {"x": x, "y": y}
    assert ne.evaluate("x // y", local_dict=arrays).tolist() == [0, 0, 0, -4]  # floor; 0 for a zero divisor, as NumPy
    # the backend computes |x| as where(x < 0, -x, x), so int64 stays exact
    assert ne.evaluate("abs(x)", local_dict=arrays).dtype == np.float64
