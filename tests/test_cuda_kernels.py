"""The numba CUDA kernels directly: tiled matmul at sizes that are not multiples of the 16x16 tile and
at non-square shapes, the block reduction at sizes around the block width, softmax rows.

They need a CUDA device or the simulator: in an ordinary process they skip with the reason, and
tests/test_cudasim.py runs this file under NUMBA_ENABLE_CUDASIM=1 in a process of its own.
"""

import numpy as np
import pytest

from impls import BackendUnavailable, load_backend


@pytest.fixture(scope="module")
def cuda_backend():
    try:
        backend = load_backend("numba_cuda")
    except BackendUnavailable as error:
        pytest.skip(str(error))
    for device in ("cudasim", "cuda"):
        if backend.device_problem(device) is None:
            return backend, device
    pytest.skip(f"{backend.device_problem('cuda')}; {backend.device_problem('cudasim')}")


SHAPES = [(1, 1, 1), (16, 16, 16), (17, 33, 20), (31, 1, 47), (5, 40, 3), (33, 17, 16)]


@pytest.mark.parametrize(("m", "k", "n"), SHAPES, ids=lambda s: str(s))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tiled_matmul_handles_every_remainder_tile(cuda_backend, m, k, n, dtype):
    backend, device = cuda_backend
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = backend.to_numpy(
        backend.run("matmul", [backend.asarray(a, dtype, device), backend.asarray(b, dtype, device)])
    )
    tolerance = 1e-5 * k if dtype == "float32" else 1e-12 * k
    np.testing.assert_allclose(out, a.astype(np.float64) @ b.astype(np.float64), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("n", [1, 127, 128, 129, 300])
def test_block_reduction_at_sizes_around_the_block_width(cuda_backend, n):
    backend, device = cuda_backend
    x = np.random.default_rng(n).standard_normal((3, n))
    out = backend.to_numpy(backend.run("sum", [backend.asarray(x, "float64", device)], {"axis": 1}))
    np.testing.assert_allclose(out, x.sum(axis=1), rtol=1e-12, atol=1e-12)


def test_softmax_rows_are_stable_for_huge_logits(cuda_backend):
    backend, device = cuda_backend
    x = np.array([[1e4, -1e4, 0.0], [1000.0, 1000.0, 1000.0]])
    out = backend.to_numpy(backend.run("softmax", [backend.asarray(x, "float64", device)], {"axis": -1}))
    np.testing.assert_allclose(out, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12)
