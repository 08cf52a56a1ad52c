"""Every backend's array plumbing: ``asarray`` and ``to_numpy`` copy, so the reference's arrays and the
backend's never alias (a check that mutates one side must not change the other)."""

import numpy as np
import pytest


@pytest.mark.cpu
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_parity_asarray_never_aliases_its_input(selected_backend, dtype):
    x = np.arange(4.0)
    arr = selected_backend.asarray(x, dtype, selected_backend.host_device)
    x[0] = 99.0
    assert selected_backend.to_numpy(arr)[0] == 0.0


@pytest.mark.cpu
def test_parity_to_numpy_never_aliases_the_backend_array(selected_backend):
    arr = selected_backend.asarray(np.arange(4.0), "float64", selected_backend.host_device)
    out = selected_backend.to_numpy(arr)
    out[0] = 99.0
    assert selected_backend.to_numpy(arr)[0] == 0.0
