"""Interop facts that bite people moving arrays between NumPy and torch, pinned as tests
(tests/test_arrays.py holds the guarantee that parity's own ``asarray``/``to_numpy`` never alias memory)."""

import numpy as np
import pytest

pytestmark = pytest.mark.torch
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
