"""The pytest plugin end to end, in subprocesses: matrix, JSON, explicit backends, xdist."""

import os
import shutil
import subprocess
import sys

import pytest

from reference import CATALOG
from reference.floats import FORMATS
from tests.meta.helpers import ROOT, run_pytest
from tests.meta.planted import NoGpuHere

pytestmark = pytest.mark.selftest
PLANTED = "tests.meta.planted:SigmoidVjpOffByTwo"
CRASHING = "tests.meta.planted:CrashingExp"


def test_planted_bug_shows_in_the_matrix_and_the_json(tmp_path):
    code, output, records = run_pytest(
        tmp_path,
        "tests/suite/test_forward.py",
        "tests/suite/test_grads.py",
        "-k",
        "sigmoid",
        "--backend",
        "numpy",
        "--backend",
        PLANTED,
        "--device",
        "cpu",
    )
    assert code == 1, output
    sigmoid_row = next(line for line in output.splitlines() if line.startswith("sigmoid "))
    assert "FAIL" in sigmoid_row and "planted-sigmoid-vjp/cpu/float64" in output
    assert "worst element at index" in output and "ULP" in output
    failed = [r for r in records if r["outcome"] == "failed"]
    assert failed and {r["backend"] for r in failed} == {"planted-sigmoid-vjp"}
    # a factor of 2 is 2**(p - 1) ULP in a dtype of p significant bits (1024 in float16, 2**52 in float64)
    assert all(r["check"] == "vjp" and r["max_ulp"] >= 2.0 ** (FORMATS[r["dtype"]].precision - 2) for r in failed)
    assert any(r["backend"] == "numpy" and r["outcome"] == "passed" for r in records)


def test_named_backend_that_cannot_load_is_an_error(tmp_path):
    code, output, _ = run_pytest(tmp_path, "tests/suite/test_forward.py", "--backend", "tests.meta.planted:Unloadable")
    assert code == 4 and "cannot be loaded: planted: this framework is not installed" in output
    code, output, _ = run_pytest(tmp_path, "tests/suite/test_forward.py", "--backend", "tensorflow")
    assert code == 4 and "unknown backend 'tensorflow'" in output


def test_unavailable_device_is_a_skip_with_reason_unless_requested(tmp_path):
    # a backend of our own whose cuda device is never usable: the verdict cannot depend on this machine's GPU
    backend = ["--backend", "tests.meta.planted:NoGpuHere"]
    code, output, records = run_pytest(
        tmp_path, "tests/suite/test_forward.py", "-k", "exp-4x7 and not logsumexp", "-m", "gpu", *backend
    )
    assert code == 0, output
    assert len(records) == len(set(NoGpuHere.dtypes) & set(CATALOG["exp"].dtypes))  # one cuda cell per dtype
    assert all(r["device"] == "cuda" and r["outcome"] == "skipped" for r in records)
    assert all(r["reason"] == "planted: no usable GPU" for r in records)
    code, output, _ = run_pytest(tmp_path, "tests/suite/test_forward.py", "--device", "cuda", *backend)
    assert code == 4 and "--device cuda was requested" in output


def test_xdist_gives_the_same_records_as_a_serial_run(tmp_path):
    pytest.importorskip("xdist")
    # gelu's conditional divergence (judged from torch's facts) and matmul's accumulation allowance included; the
    # first case of each entry (--parity-quick: 418 cells, every special value kept) where all cases took 89 s here
    args = ["tests/suite/test_forward.py", "tests/suite/test_grads.py", "tests/suite/test_special_values.py", "-k"]
    args += ["exp- or matmul or gelu", "--backend", "numpy", "--backend", "torch", "--backend", "autograd"]
    args += ["--parity-quick"]
    serial_code, _, serial = run_pytest(tmp_path, *args)
    parallel_code, output, parallel = run_pytest(tmp_path, *args, "-n", "2")
    assert serial_code == parallel_code == 0, output
    key = lambda r: (r["nodeid"], r["outcome"], r["max_ulp"], r["max_excess"], r["divergence"])  # noqa: E731
    assert len(serial) > 100 and sorted(map(key, serial), key=str) == sorted(map(key, parallel), key=str)


def test_hypothesis_ci_profile_is_derandomized_under_ci():
    probe = "import parity.pytest_plugin, hypothesis; s = hypothesis.settings(); print(s.derandomize, s.deadline)"
    env = {**os.environ, "CI": "true"}
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "None"]


TMP_PATH_PROBE = """
import os, time
def test_writes_and_keeps(tmp_path):
    (tmp_path / "mine").write_text("x")
    print("ROOT", tmp_path.parent)
    time.sleep(1.5)
    assert (tmp_path / "mine").exists() and os.environ.get("FAIL") != "1"
"""


def test_concurrent_sessions_get_private_temporary_roots(tmp_path):
    """Sessions started together (tox -p, two terminals) each get a root of their own, removed when they pass
    and kept when they fail, so that no session prunes another's numbered directories."""
    (tmp_path / "test_probe.py").write_text(TMP_PATH_PROBE)
    command = [sys.executable, "-m", "pytest", "-p", "parity.pytest_plugin", "-p", "no:cacheprovider", "-s", "-q"]
    runs = [
        subprocess.Popen(
            [*command, "test_probe.py"],
            cwd=tmp_path,
            env={**os.environ, "FAIL": str(int(i == 2))},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for i in range(3)
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 1], outputs
    roots = [next(line.split()[-1] for line in out.splitlines() if line.startswith("ROOT")) for out in outputs]
    assert len(set(roots)) == 3 and all("parity-pytest-" in root for root in roots), roots
    assert [os.path.exists(root) for root in roots] == [False, False, True]  # the failed session's is kept
    shutil.rmtree(roots[2])


def test_a_planted_crash_is_a_crash_with_its_exception_not_a_small_failure(tmp_path):
    args = ["tests/suite/test_forward.py", "-k", "exp and not expm1", "--device", "cpu"]
    code, output, records = run_pytest(tmp_path, *args, "--backend", "numpy", "--backend", CRASHING)
    assert code == 1, output
    crashed = [r for r in records if r["backend"] == "planted-crash" and r["op"] == "exp"]
    assert crashed and all(r["outcome"] == "crashed" for r in crashed)
    assert all(r["reason"] == "RuntimeError: planted: the exp kernel crashed" for r in crashed)
    assert all("planted.py" in r["message"] and "in bad_forward" in r["message"] for r in crashed)
    assert all(r["max_excess"] is None for r in crashed)
    exp_row = next(line for line in output.splitlines() if line.startswith("exp "))
    assert "CRASH" in exp_row and "FAIL" not in exp_row and "ok" in exp_row
    assert {r["outcome"] for r in records if r["backend"] == "numpy"} == {"passed"}


OUTSIDE = """
import pytest

def test_assertion():
    assert 1 + 1 == 3, "arithmetic is off"

def test_crash():
    {}["missing"]

@pytest.mark.parametrize("n", [1, 2])
def test_passes(n):
    assert n
"""


def test_failures_outside_catalog_cells_get_records_with_a_reproduce_line(tmp_path):
    (tmp_path / "test_outside.py").write_text(OUTSIDE)
    code, output, records = run_pytest(tmp_path, "-p", "parity.pytest_plugin", "test_outside.py", cwd=tmp_path)
    assert code == 1, output
    assert "parity matrix" not in output  # no cells ran: no empty matrix either
    by_name = {r["variant"]: r for r in records}
    assert set(by_name) == {"test_assertion", "test_crash"}  # passing tests outside cells leave no record
    failed, crashed = by_name["test_assertion"], by_name["test_crash"]
    assert (failed["kind"], failed["op"], failed["outcome"]) == ("test", "test_outside.py", "failed")
    assert failed["reason"].startswith("arithmetic is off")
    assert (crashed["outcome"], crashed["reason"]) == ("crashed", "KeyError: 'missing'")
    assert crashed["reproduce"] == "pytest test_outside.py::test_crash"
