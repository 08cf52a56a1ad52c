"""Layer timings: the NumPy reference against torch's CPU kernels, same inputs, same run.

Grouped by layer and size so the backends line up in pytest-benchmark's table; the goal for the
reference conv2d (N=32, C 16->32, 32x32, 3x3) is at most 3x torch's CPU conv2d.
"""

import numpy as np
import pytest

from impls import BackendUnavailable, load_backend
from reference import layers

CONV = {"x": (32, 16, 32, 32), "weight": (32, 16, 3, 3), "bias": (32,)}


def _inputs(dtype):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(CONV[k]).astype(dtype) for k in ("x", "weight", "bias")]


@pytest.fixture(params=["numpy", "torch"])
def backend(request):
    try:
        return load_backend(request.param)
    except BackendUnavailable as error:
        pytest.skip(str(error))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv2d_forward(benchmark, backend, dtype):
    benchmark.group = f"conv2d forward N=32 C16->32 32x32 3x3 {dtype}"
    args = [backend.asarray(a, dtype, "cpu") for a in _inputs(dtype)]
    out = benchmark(lambda: backend.run("conv2d", args, {"padding": 1}))
    assert tuple(out.shape) == (32, 32, 32, 32)


@pytest.mark.parametrize("dtype", ["float32"])
def test_conv2d_backward(benchmark, backend, dtype):
    benchmark.group = f"conv2d vjp N=32 C16->32 32x32 3x3 {dtype}"
    args = [backend.asarray(a, dtype, "cpu") for a in _inputs(dtype)]
    g = backend.asarray(np.ones((32, 32, 32, 32)), dtype, "cpu")
    grads = benchmark(lambda: backend.vjp("conv2d", args, {"padding": 1}, g))
    assert len(grads) == 3


def test_reference_conv2d_raw(benchmark):
    """The reference function itself, without the backend interface's validation."""
    benchmark.group = "conv2d forward N=32 C16->32 32x32 3x3 float32"
    x, w, b = _inputs("float32")
    out = benchmark(layers.conv2d, x, w, b, padding=1)
    assert out.shape == (32, 32, 32, 32)
