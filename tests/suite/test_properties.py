"""Hypothesis properties of every backend: the reference's results on generated shapes, axes and parameters."""

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from parity.checks import compare_forward  # noqa: E402
from parity.strategies import op_inputs  # noqa: E402

# float32/float64 columns: half the loaded profile's examples, at least 10 (ci 40: 20; dev 25: 12 -> 12; thorough:
# 500).  Why half: derandomized, every backend of an entry sees the same draws, so the matrix multiplies each
# example by ~6 backends x 2 dtypes; the reference itself is drawn at the full count by the audit (against torch)
# and by its own properties.  Halving kept the default test command within its 15 minutes as the catalog grew.
FULL_EXAMPLES = max(10, settings().max_examples // 2)
# the half columns: a quarter of the loaded profile's examples, at least 10 (dev 25 and ci 40: 10; thorough: 250)
HALF_EXAMPLES = max(10, settings().max_examples // 4)


@pytest.mark.parity(check="property", over="ops", dtypes=("float32", "float64"))
@settings(max_examples=FULL_EXAMPLES)
@given(data=st.data())
def test_backend_matches_reference_on_generated_inputs(cell, backend, record, data):
    _check_generated(cell, backend, record, data)


@pytest.mark.parity(check="property", over="ops", dtypes=("float16", "bfloat16"))
@settings(max_examples=HALF_EXAMPLES)
@given(data=st.data())
def test_backend_matches_reference_on_generated_inputs_in_half_types(cell, backend, record, data):
    """The half columns draw HALF_EXAMPLES examples, a quarter of the profile's: what hypothesis explores --
    shapes, axes, parameters -- runs the same backend code in every dtype, and the float32/float64 columns explore
    it at full strength; what the half types add is their rounding, which the seeded cases, the special values and
    the branches check at full strength in every half column."""
    _check_generated(cell, backend, record, data)


def _check_generated(cell, backend, record, data):
    inputs, params = data.draw(op_inputs(cell.spec, cell.dtype), label="inputs, params")
    # a configuration the backend declares it cannot run (e.g. torch's max_pool2d with a window of padding only)
    assume(backend.refusal_for(inputs, params, entry=cell.spec.name, check="property", dtype=cell.dtype) is None)
    record(
        compare_forward(
            backend,
            cell.spec,
            inputs,
            params,
            dtype=cell.dtype,
            device=cell.device,
            context=cell.context(f"params {params}"),
        )
    )
