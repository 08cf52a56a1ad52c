"""Run the numba CUDA kernels under Numba's CUDA simulator, in a process of its own (the simulator
must be switched on before numba is imported)."""

import os
import re
import subprocess
import sys

import pytest

from tests.meta.helpers import ROOT

pytestmark = [pytest.mark.selftest, pytest.mark.slow]

# The simulator runs every CUDA thread as a Python thread computing with NumPy scalars; threads do not
# inherit NumPy's errstate, so IEEE results (inf * 0 = NaN, overflow to inf, 1/0 = inf) surface as RuntimeWarnings.
# On a GPU they are silent.  Only these three messages are ignored, only in the simulator's process.
SIMULATOR_WARNINGS = (
    "-W",
    "ignore:invalid value encountered:RuntimeWarning",
    "-W",
    "ignore:overflow encountered:RuntimeWarning",
    "-W",
    "ignore:divide by zero encountered:RuntimeWarning",
)


def test_cuda_kernels_pass_under_the_simulator():
    """The kernels' own tests in full, and the numba_cuda column's first case per entry with every special value
    (--parity-quick): 26 s here where the whole column took 313 s of the default test command.  The whole column
    is `tox -e cudasim`, which .ci/run runs."""
    pytest.importorskip("numba")
    env = {**os.environ, "NUMBA_ENABLE_CUDASIM": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "--no-parity-matrix",
            "-n",
            "2",
            *SIMULATOR_WARNINGS,
            "--backend",
            "numba_cuda",
            "--device",
            "cudasim",
            "--parity-quick",
            "tests/test_cuda_kernels.py",
            "tests/suite/test_forward.py",
            "tests/suite/test_grads.py",
            "tests/suite/test_special_values.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    passed = int(re.search(r"(\d+) passed", output).group(1))
    assert passed >= 100 and "failed" not in output.splitlines()[-1], output[-2000:]
