"""The reference's own accuracy: every float64 elementwise entry within its stated bound (reference/catalog_accuracy.py)
of the exact value (mpmath), across the whole float64 range, tails and subnormal inputs and outputs included.

Seeded points measure each entry (50 per hypothesis example of the profile: 2000 under ``ci``, 50000 under
``thorough``); hypothesis then looks for a worse point of its own choosing, subnormals and extremes included.
"""

import math

import numpy as np
import pytest

pytest.importorskip("mpmath")
pytest.importorskip("hypothesis")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from parity.accuracy import measure, sample_inputs, ulp_error  # noqa: E402
from parity.inputs import stable_seed  # noqa: E402
from reference import CATALOG, elementwise  # noqa: E402
from reference.catalog_accuracy import ULP_BOUNDS  # noqa: E402

pytestmark = pytest.mark.reference
ELEMENTWISE = [name for name, spec in CATALOG.items() if spec.category in ("unary", "binary")]
CASES = [(name, params) for name in ELEMENTWISE for params in ULP_BOUNDS[name].params]
IDS = [name + "".join(f"-{k}={v}" for k, v in params.items()) for name, params in CASES]
UNARY = [(name, params) for name, params in CASES if CATALOG[name].category == "unary"]


def test_every_elementwise_entry_states_its_bound():
    assert set(ULP_BOUNDS) == set(ELEMENTWISE)
    for bound in ULP_BOUNDS.values():
        assert bound.ulp >= 0 and len(bound.reason) > 20 and bound.params


@pytest.mark.parametrize(("name", "params"), CASES, ids=IDS)
def test_reference_is_within_its_ulp_bound_across_the_float64_range(name, params):
    points = 50 * settings.default.max_examples
    accuracy = measure(name, sample_inputs(name, points, stable_seed("accuracy", name)), params)
    assert accuracy.max_ulp <= ULP_BOUNDS[name].ulp, accuracy.line()


@pytest.mark.parametrize(("name", "params"), UNARY, ids=[i for i, c in zip(IDS, CASES) if c in UNARY])
@given(x=st.floats(allow_nan=False, allow_infinity=False))
def test_reference_is_within_its_ulp_bound_where_hypothesis_looks(name, params, x):
    accuracy = measure(name, (np.array([x]),), params)
    assert accuracy.max_ulp <= ULP_BOUNDS[name].ulp, accuracy.line()


@pytest.mark.parametrize(
    ("x", "exact"),
    [
        (-7.0, -8.958687807200846e-12),
        (-8.0, -4.976768459417427e-15),
        (-9.0, -1.0157295653584566e-18),
        (-20.0, -5.507248237212468e-88),
        (-37.5, -1.7270073785932332e-306),
    ],
)
def test_gelu_keeps_its_digits_in_the_negative_tail(x, exact):
    """x Phi(x) from mpmath (200 bits): 0.5 x (1 + erf(x / sqrt 2)) cancels there, to -0.0 from x = -9 on."""
    (got,) = elementwise.gelu(np.array([x]))
    assert math.isclose(got, exact, rel_tol=4e-16), (got, exact)


def test_ulp_error_counts_subnormal_spacing_and_overflow():
    import mpmath

    tiny = 5e-324
    assert ulp_error(2 * tiny, mpmath.mpf(tiny) * 2) == 0.0
    assert ulp_error(tiny, mpmath.mpf(tiny) * 2) == 1.0  # one subnormal spacing
    assert ulp_error(math.inf, mpmath.mpf(2) ** 1024) == 0.0 and ulp_error(1e308, mpmath.mpf(2) ** 1024) == math.inf
    assert ulp_error(math.nan, None) == 0.0 and ulp_error(0.0, None) == math.inf
    assert ulp_error(1.0 + 2**-52, mpmath.mpf(1)) == 1.0
