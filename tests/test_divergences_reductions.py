"""Pinned torch behaviours on the reductions #14 added (oracle bugs the audit found; the declared divergences are
data on the torch backend, impls/torch_reductions.py)."""

import math

import numpy as np
import pytest

from reference import get_spec

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:std\\(\\). degrees of freedom is <= 0:UserWarning")


def test_torch_std_gradient_ignores_the_clamp_of_its_forward():
    """An oracle bug the audit found, var's (tests/test_divergences.py) carried into std: with correction > N the
    forward divides by max(N - correction, 0) = 0 (std = inf), but over a dim the backward divides by
    N - correction = -1 and by 2 std = inf: a gradient of 0 for an infinite value.  Over every element torch gives
    NaN, as the reference does everywhere: (x - mean) / (0 * inf)."""
    rows = torch.tensor([[1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    out = torch.std(rows, dim=1, correction=3)
    out.sum().backward()
    assert out.item() == math.inf and rows.grad.tolist() == [[0.0, 0.0]]
    flat = torch.tensor([1.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.std(flat, correction=3).backward()
    assert np.isnan(flat.grad.numpy()).all()
    x = np.array([[1.0, 3.0]])
    assert get_spec("std").forward(x, axis=1, correction=3).tolist() == [math.inf]
    assert np.isnan(get_spec("std").vjp(np.array([1.0]), x, axis=1, correction=3)[0]).all()
