"""The ``parity`` command."""

import json

import pytest

from impls import BACKENDS
from parity.cli import main
from reference.spec import KINDS

pytestmark = pytest.mark.selftest


def test_list_json_shows_every_entry_and_every_known_backend(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(e["kind"] == "op" for e in data["ops"]) >= 30
    assert {e["kind"] for e in data["ops"]} >= {"op", "layer", "loss", "optimizer"}
    for entry in data["ops"]:
        assert entry["kind"] in KINDS
        assert entry["has_vjp"] == (entry["kind"] in ("op", "layer", "loss"))
        assert set(entry["backends"]) == set(BACKENDS)
        assert all(v == "supported" or len(v) > 10 for v in entry["backends"].values())
    assert all(e["backends"]["torch"] == "supported" for e in data["ops"])


def test_list_table(capsys):
    assert main(["list"]) == 0
    assert "logsumexp" in capsys.readouterr().out


def test_check_reproduces_a_passing_cell(capsys):
    assert main(["check", "softmax", "--check", "vjp", "--case", "1", "--dtype", "float32"]) == 0
    assert "softmax-3x5x2-axis=1-numpy-cpu-float32 [vjp] passed" in capsys.readouterr().out


def test_check_reproduces_a_failing_cell(capsys):
    code = main(["check", "sigmoid", "--check", "vjp", "--backend", "tests.meta.planted:SigmoidVjpOffByTwo"])
    assert code == 1
    assert "worst element at index" in capsys.readouterr().out


def test_check_reference_finite_differences(capsys):
    assert main(["check", "matmul", "--check", "vjp_fd_full", "--backend", "reference", "--case", "2"]) == 0


def test_run_writes_report_and_json(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(
        [
            "run",
            "--quick",
            "--backend",
            "numpy",
            "--out",
            str(out),
            "--jobs",
            "1",
            "--bench",
            "none",
            "--",
            "-k",
            "exp and not expm1",
            "tests/test_forward.py",
            "tests/test_grads.py",
        ]
    )
    assert code == 0, capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert "## Values" in report and "`numpy/cpu/float32`" in report and "| exp |" in report
    data = json.loads((out / "report.json").read_text())
    assert data["exit_code"] == 0 and data["machine"]["cores"] >= 1
    assert {r["check"] for r in data["records"]} >= {"forward", "vjp", "vjp_fd"}


def test_run_with_benchmarks_writes_speed_tables_and_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "report"
    args = ["run", "--quick", "--backend", "numpy", "--backend", "autograd", "--out", str(out), "--jobs", "1"]
    args += ["--bench-filter", "(ladder and exp- and float32) or bandwidth", "--", "-k", "exp and not expm1"]
    args += ["tests/test_forward.py"]
    assert main(args) == 0, capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert "### Time against numpy" in report and "| exp (elements=1e+06) |" in report
    assert "### Memory-bound entries: achieved bandwidth" in report and "Copy bandwidth" in report
    data = json.loads((out / "report.json").read_text())
    timed = {(b["backend"], b["size"]) for b in data["benchmarks"] if b["kind"] == "ladder"}
    assert timed == {(name, n) for name in ("numpy", "autograd") for n in (100, 10_000, 1_000_000)}
    assert all(b["median_s"] > 0 and b["first_call_s"] > 0 for b in data["benchmarks"])
    for plot in ("plots/ulp.png", "plots/time_exp.png"):
        assert plot in data["plots"] and (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_refuses_a_loop_the_backend_declares_unsupported(capsys):
    pytest.importorskip("numexpr")
    assert main(["train", "poly", "--backend", "numexpr"]) == 2
    assert "numexpr cannot run poly: every training loop needs matrix products" in capsys.readouterr().err
