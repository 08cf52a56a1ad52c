"""Hypothesis properties of every backend: the reference's results on generated shapes, axes and parameters."""

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from parity.checks import compare_forward  # noqa: E402
from parity.strategies import op_inputs  # noqa: E402


@pytest.mark.parity(check="property", over="ops")
@given(data=st.data())
def test_backend_matches_reference_on_generated_inputs(cell, backend, record, data):
    inputs, params = data.draw(op_inputs(cell.spec, cell.dtype), label="inputs, params")
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
