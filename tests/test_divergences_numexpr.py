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
