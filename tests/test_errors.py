"""Bad input gets a clear ValueError/TypeError naming the argument, from the reference (this module) and
every backend (the same table through each backend's ``run``: tests/suite/test_contract.py).

Each case is (op, input shapes, input dtypes, params, error type, regex naming the argument).
"""

import numpy as np
import pytest

from reference import get_spec
from tests.suite.test_contract import BAD_INPUTS, IDS, _arrays


@pytest.mark.reference
@pytest.mark.parametrize(("op", "shapes", "dtypes", "params", "error", "match"), BAD_INPUTS, ids=IDS)
def test_reference_rejects(op, shapes, dtypes, params, error, match):
    with pytest.raises(error, match=match):
        get_spec(op).forward(*_arrays(shapes, dtypes), **params)


def test_running_statistics_need_two_values_per_channel():
    """torch raises here; dividing by n - 1 = 0 would store a NaN running variance."""
    from reference.layers import batch_norm_running_stats

    with pytest.raises(ValueError, match=r"\bx of shape \(1, 3\) has one value per channel"):
        batch_norm_running_stats(np.ones((1, 3)), np.zeros(3), np.ones(3))


def test_reference_vjp_rejects_a_cotangent_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(3,\)"):
        get_spec("sum").vjp(np.ones(4), np.ones((3, 4)), axis=1)


def test_reference_rejects_non_numpy_inputs():
    with pytest.raises(TypeError, match=r"\bx must be a numpy.ndarray, got list"):
        get_spec("exp").forward([1.0, 2.0])
