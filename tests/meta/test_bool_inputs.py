"""Bool inputs of a float entry (where's condition) reach every backend as bool arrays in every float column, get no
gradient, and a backward that forgets the mask is caught."""

import numpy as np
import pytest

from impls.numpy_backend import NumpyBackend
from parity.checks import _to_backend
from reference import get_spec
from tests.meta import planted
from tests.meta.test_planted_bugs import mismatches


@pytest.mark.parametrize("dtype", ["float16", "float32", "int32"])
def test_bool_inputs_travel_as_bool_and_indices_as_int64_in_float_columns(dtype):
    arrays = (np.array([True, False]), np.array([0.5, 1.5]), np.array([1, 2]))
    condition, x, index = _to_backend(NumpyBackend(), arrays, dtype, "cpu")
    expected = ("bool", dtype, "int64") if dtype != "int32" else ("int32", "int32", "int32")
    assert (str(condition.dtype), str(x.dtype), str(index.dtype)) == expected


def test_a_bfloat16_host_array_travels_as_a_float():
    """ml_dtypes' bfloat16 (what the benchmarks hand a backend) has dtype kind "V", not "f": it is still a float."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    torch_backend = pytest.importorskip("impls.torch_backend")
    pytest.importorskip("torch")
    host = np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)
    (x,) = _to_backend(torch_backend.TorchBackend(), [host], "bfloat16", "cpu")
    assert str(x.dtype) == "torch.bfloat16" and x.tolist() == [1.5, -2.0]


def test_the_condition_gets_no_gradient():
    spec = get_spec("where")
    inputs = (np.array([True, False]), np.zeros(2), np.ones(2))
    assert spec.differentiable(inputs) == (False, True, True)
    assert len(spec.vjp(np.ones(2), *inputs)) == 2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_where_gradient_without_its_mask_is_caught_on_every_case(dtype):
    assert len(mismatches(planted.WhereGradientToBoth(), "vjp", dtype)) == len(get_spec("where").cases)
