"""GPU facts: where no GPU is usable every GPU device says why; on a GPU, what TF32 changes.

The matrix's GPU cells (device ``cuda``) carry the ``gpu`` marker and skip with the backend's reason
when :meth:`Backend.device_problem` gives one; these tests check the reasons themselves.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from impls import BackendUnavailable, load_backend
from parity.checks import compare_forward
from parity.compare import Context, Mismatch
from reference import get_spec

GPU_BACKENDS = ("torch", "cupy", "numba_cuda")


def _no_nvidia_driver() -> bool:
    """Ground truth independent of every framework: the NVIDIA driver's device nodes."""
    return not Path("/dev/nvidiactl").exists() and not any(Path("/dev").glob("nvidia[0-9]*"))


def _loaded(name):
    try:
        return load_backend(name)
    except BackendUnavailable as error:
        pytest.skip(f"{name} cannot load here: {error}")


@pytest.mark.cpu
@pytest.mark.parametrize("name", GPU_BACKENDS)
@pytest.mark.skipif(not _no_nvidia_driver(), reason="this machine has an NVIDIA driver")
def test_without_a_gpu_the_cuda_device_reports_why(name):
    backend = _loaded(name)
    problem = backend.device_problem("cuda")
    assert problem, f"{name} claims a usable CUDA device on a machine without an NVIDIA driver"
    with pytest.raises(BackendUnavailable, match="."):
        backend.asarray(np.ones(3), "float32", "cuda")


@pytest.mark.cpu
def test_numba_under_the_simulator_is_not_a_gpu():
    """``numba.cuda.is_available()`` is True under the simulator; the backend must still refuse ``cuda``."""
    import subprocess
    import sys

    pytest.importorskip("numba")
    code = (
        "from impls import load_backend; b = load_backend('numba_cuda'); "
        "print(repr(b.device_problem('cuda'))); print(repr(b.device_problem('cudasim')))"
    )
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    cuda_problem, cudasim_problem = out.stdout.splitlines()
    assert "simulator" in cuda_problem and cudasim_problem == "None"


# ------------------------------------------------------------------ on a GPU
def _torch_cuda():
    backend = _loaded("torch")
    problem = backend.device_problem("cuda")
    if problem:
        pytest.skip(problem)
    return backend


@pytest.mark.gpu
def test_tf32_is_off_for_correctness_and_on_changes_float32_matmul():
    """With TF32 off, a 1024^2 float32 matmul on CUDA passes the catalog's float32 tolerance; with TF32 on
    (10 mantissa bits per operand) it fails it on GPUs that have TF32 (compute capability 8.0, Ampere, and
    later); earlier GPUs ignore the switch and still pass.  The backend restores TF32 off afterwards."""
    from impls.torch_backend import set_tf32

    backend = _torch_cuda()
    has_tf32 = backend.torch.cuda.get_device_capability(0) >= (8, 0)
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal((1024, 1024)) for _ in range(2)]
    spec = get_spec("matmul")

    def check(label):
        context = Context("matmul", "torch", "cuda", "float32", "forward", label)
        return compare_forward(backend, spec, inputs, {}, dtype="float32", device="cuda", context=context)

    check("TF32 off")
    try:
        set_tf32(backend.torch, True)
        if has_tf32:
            with pytest.raises(Mismatch, match="TF32 on"):
                check("TF32 on")
        else:
            check("TF32 on, on a GPU without TF32")
    finally:
        set_tf32(backend.torch, False)
    check("TF32 off again")  # restored
