"""Run pytest in a subprocess on the project's own suite, returning output and JSON records."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_pytest(tmp_path: Path, *args: str, cwd: Path = ROOT) -> tuple[int, str, list[dict]]:
    """``python -m pytest ARGS --parity-json`` in ``cwd`` (the repository root); (exit code, output, records)."""
    out = tmp_path / "records.json"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--parity-json", str(out), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    records = json.loads(out.read_text())["records"] if out.exists() else []
    return proc.returncode, proc.stdout + proc.stderr, records


def record(op="exp", backend="numpy", device="cpu", dtype="float64", outcome="passed", **fields) -> dict:
    """A hand-made check record, as the plugin writes them (measurement fields default to a clean pass)."""
    check = fields.pop("check", "forward")
    kind = fields.pop("kind", "op")
    variant = fields.pop("variant", "4x7")
    measured = outcome in ("passed", "failed")
    return {
        "op": op,
        "kind": kind,
        "check": check,
        "variant": variant,
        "backend": backend,
        "device": device,
        "dtype": dtype,
        "outcome": outcome,
        "reason": "",
        "message": None,
        "nodeid": f"tests/suite/test_forward.py::test_{check}[{op}-{variant}-{backend}-{device}-{dtype}]",
        "duration": 0.01,
        "max_abs": 1e-9 if measured else None,
        "max_rel": 1e-9 if measured else None,
        "max_ulp": 2.0 if measured else None,
        "worst_index": [0] if measured else None,
        "max_excess": 0.25 if measured else None,
        "flushed_to_zero": 0 if measured else None,
        "subnormals_differ": 0 if measured else None,
        **fields,
    }


def mismatch_reason(op, backend, dtype, abs_error):
    return (
        f"{op} [forward] on {backend}/cpu/{dtype}: 3 of 28 element(s) outside rtol=1.3e-06, atol=1e-05; worst "
        f"element at index (1, 2): actual {1 + abs_error!r}, expected 1.0 (abs error {abs_error:.3g}, 4 ULP)"
    )


def sample_records() -> list[dict]:
    """A small run with every kind of outcome: passes, one bug failing on two dtypes, a crash, a divergence,
    a flush-to-zero, a column skipped throughout (no GPU), an optimizer, a loop and a failing test outside
    the matrix."""
    gpu = "torch.cuda.is_available() is False (no usable CUDA device)"
    bad = "planted-sigmoid-vjp"
    records = [
        record(op, backend, device, dtype, check=check)
        for op in ("exp", "sigmoid", "matmul")
        for backend, device in (("numpy", "cpu"), ("torch", "cpu"), (bad, "cpu"))
        for dtype in ("float32", "float64")
        for check in ("forward", "vjp")
        if not (backend == bad and op == "sigmoid" and check == "vjp")
    ]
    for dtype, err in (("float32", 0.5), ("float64", 0.25)):
        records.append(
            record(
                "sigmoid",
                bad,
                "cpu",
                dtype,
                "failed",
                check="vjp",
                max_excess=3e4,
                max_ulp=1e12,
                reason=mismatch_reason("sigmoid", bad, dtype, err),
                message=mismatch_reason("sigmoid", bad, dtype, err)
                + "\nreproduce: parity check sigmoid --check vjp --case 0 --backend x",
                reproduce=f"parity check sigmoid --check vjp --case 0 --backend {bad} --dtype {dtype}",
            )
        )
    records += [
        record(op, "torch", "cuda", dtype, "skipped", reason=gpu) for op in ("exp", "sigmoid") for dtype in ("float32",)
    ]
    records += [
        record(
            "exp",
            "planted-crash",
            "cpu",
            "float64",
            "crashed",
            reason="RuntimeError: planted: the exp kernel crashed",
            message="RuntimeError: planted: the exp kernel crashed\n  at tests/meta/planted.py:140 in bad_forward",
        ),
        record(
            "sum",
            "torch",
            "cpu",
            "float64",
            "xfailed",
            check="special",
            variant="neg-zeros",
            reason="known divergence: torch.sum starts its accumulator at +0.0",
            divergence={"reason": "torch.sum starts at +0.0", "when": None, "holds": True, "observed": "divergent"},
        ),
        record(
            "gelu",
            "torch",
            "cpu",
            "float32",
            "passed",
            check="special",
            variant="plus-inf",
            divergence={
                "reason": "gelu(+inf) is NaN under AVX-512",
                "when": "avx512",
                "holds": False,
                "observed": "reference",
            },
        ),
        record("exp", "numpy", "cpu", "float32", "passed", check="special", variant="tiny", flushed_to_zero=1),
        record("sgd", "torch", "cpu", "float32", check="trajectory", kind="optimizer", variant="3x4", max_excess=0.9),
        record("poly", "torch", "cpu", "float64", check="train", kind="loop", variant="-grad=manual"),
        {
            "op": "tests/test_divergences.py",
            "kind": "test",
            "check": "test",
            "variant": "test_torch_gelu_at_infinity",
            "backend": None,
            "device": None,
            "dtype": None,
            "outcome": "failed",
            "reason": "assert tensor(nan) == inf",
            "message": "AssertionError: assert tensor(nan) == inf",
            "nodeid": "tests/test_divergences.py::test_torch_gelu_at_infinity",
            "reproduce": "pytest tests/test_divergences.py::test_torch_gelu_at_infinity",
            "duration": 0.1,
            "max_abs": None,
            "max_rel": None,
            "max_ulp": None,
            "worst_index": None,
            "max_excess": None,
            "flushed_to_zero": None,
            "subnormals_differ": None,
        },
    ]
    return records
