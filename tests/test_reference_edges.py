"""Reference values at float64 edges the audit found (parity audit): stated by hand, float64 only (the catalog's
special values run every dtype, and these inputs are subnormal or beyond float32's range)."""

import numpy as np
import pytest

from reference import get_spec

pytestmark = pytest.mark.reference


def test_div_gradient_at_a_subnormal_denominator():
    """d(x/y)/dy = -g x / y**2 is -0 at x = 0, however small y: -(g / y)(x / y) was inf * 0 = NaN."""
    gx, gy = get_spec("div").vjp(np.array([1.0, 1.0]), np.array([0.0, 1e-300]), np.array([5e-324, 1e-160]))
    assert gx.tolist() == [np.inf, 1e160] and np.signbit(gy[0]) and gy[0] == 0.0
    assert np.isclose(gy[1], -1e20, rtol=1e-15)
