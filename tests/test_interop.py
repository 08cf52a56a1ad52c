"""Interop facts that bite people moving arrays between NumPy and torch, pinned as tests,
and the guarantee that parity's own ``asarray``/``to_numpy`` never alias memory."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def test_from_numpy_shares_memory():
    x = np.zeros(3)
    t = torch.from_numpy(x)
    x[0] = 7.0
    assert t[0].item() == 7.0


def test_tensor_numpy_shares_memory_on_cpu():
    t = torch.zeros(3, dtype=torch.float64)
    view = t.numpy()
    t[1] = 5.0
    assert view[1] == 5.0


def test_torch_tensor_copies():
    x = np.zeros(3)
    t = torch.tensor(x)
    x[0] = 7.0
    assert t[0].item() == 0.0


def test_as_tensor_shares_when_it_can():
    x = np.zeros(3)
    assert torch.as_tensor(x).data_ptr() == x.ctypes.data
    assert torch.as_tensor(x, dtype=torch.float32).data_ptr() != x.ctypes.data  # a cast must copy


def test_default_float_dtypes_differ():
    assert torch.tensor([1.2]).dtype == torch.float32
    assert np.array([1.2]).dtype == np.float64
    assert torch.from_numpy(np.array([1.2])).dtype == torch.float64  # from_numpy keeps NumPy's dtype


def test_numpy2_keeps_float32_with_python_scalars():
    # NEP 50: a Python float is "weak"; float32 + 3.0 stays float32 (NumPy 1.x gave float64 for arrays too).
    assert (np.float32(3) + 3.0).dtype == np.float32
    assert (torch.ones(1, dtype=torch.float32) + 3.0).dtype == torch.float32


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
