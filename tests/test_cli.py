"""The ``parity`` command."""

import json
from types import SimpleNamespace

import pytest

from impls import BACKENDS, known_backends
from parity.cli import main
from parity.train import compare_table
from reference import get_entry
from reference.spec import KINDS

pytestmark = pytest.mark.selftest


def test_list_json_shows_every_entry_and_every_known_backend(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(e["kind"] == "op" for e in data["ops"]) >= 30
    assert {e["kind"] for e in data["ops"]} >= {"op", "layer", "loss", "optimizer"}
    for entry in data["ops"]:
        assert entry["kind"] in KINDS
        gradient = entry["kind"] in ("op", "layer", "loss") and get_entry(entry["name"]).has_gradient
        assert entry["has_vjp"] == gradient  # not the integer ops, nor index-valued results (argmax, argsort)
        assert set(entry["backends"]) == set(known_backends())
        assert all(v == "supported" or len(v) > 10 for v in entry["backends"].values())
    assert all(e["backends"]["torch"] == "supported" for e in data["ops"])


def test_list_table_has_one_column_per_backend(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["entry", "kind", "category", *BACKENDS]  # numba_cuda and cupy apart
    logsumexp = next(line.split() for line in lines if line.startswith("logsumexp "))
    assert len(logsumexp) == 3 + len(BACKENDS) and set(logsumexp[3:]) <= {"yes", "no"}


def test_train_compare_table_keeps_its_columns_apart():
    run = SimpleNamespace(backend="cupy", device="emulated", grad="manual", seconds=2.0, final_loss=0.25)
    numpy = SimpleNamespace(backend="numpy", device="cpu", grad="manual", seconds=1.0, final_loss=0.5)
    header, *rows = compare_table([numpy, run], numpy).splitlines()
    assert header.split() == [
        "backend",
        "device",
        "grad",
        "seconds",
        "vs",
        "numpy",
        "final",
        "loss",
        "|loss",
        "-",
        "numpy|",
    ]
    assert "emulated  manual" in rows[1]
    assert rows[1].split() == ["cupy", "emulated", "manual", "2.000", "2.00x", "0.25", "0.25"]


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
            "tests/suite/test_forward.py",
            "tests/suite/test_grads.py",
        ]
    )
    assert code == 0, capsys.readouterr().out
    report = (out / "report.md").read_text()
    assert "**Every one of the" in report and "## Closest to the tolerance" in report
    assert '"key":"numpy/cpu/float32"' in (out / "report.html").read_text()
    data = json.loads((out / "report.json").read_text())
    assert data["exit_code"] == 0 and data["machine"]["cores"] >= 1
    assert {r["check"] for r in data["records"]} >= {"forward", "vjp", "vjp_fd"}


def test_run_with_benchmarks_writes_speed_tables_and_plots(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "report"
    args = ["run", "--quick", "--backend", "numpy", "--backend", "autograd", "--out", str(out), "--jobs", "1"]
    args += ["--bench-filter", "(ladder and exp- and float32) or bandwidth", "--", "-k", "exp and not expm1"]
    args += ["tests/suite/test_forward.py"]
    assert main(args) == 0, capsys.readouterr().out
    assert "| exp | elements=1e+06 | `" in (out / "report.md").read_text()
    page = (out / "report.html").read_text()
    assert "Time against numpy at the largest size" in page and "exp <small>(elements=1e+06)</small>" in page
    assert "achieved bandwidth" in page and "Copy bandwidth" in page
    data = json.loads((out / "report.json").read_text())
    timed = {(b["backend"], b["size"]) for b in data["benchmarks"] if b["kind"] == "ladder"}
    assert timed == {(name, n) for name in ("numpy", "autograd") for n in (100, 10_000, 1_000_000)}
    assert all(b["median_s"] > 0 and b["first_call_s"] > 0 for b in data["benchmarks"])
    processes = {
        name: {b["process"] for b in data["benchmarks"] if b["backend"] == name} for name in ("numpy", "autograd")
    }
    assert all(len(p) == 1 for p in processes.values()) and processes["numpy"] != processes["autograd"], processes
    assert page.count("data:image/png;base64,") == 1  # the allowance heatmap; time plots are drawn as SVG
    for plot in ("plots/allowance.png", "plots/time_exp.png"):
        assert plot in data["plots"] and (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_passes_when_a_backend_times_nothing(tmp_path, capsys):
    """Each backend's ladder runs in its own process: one whose cells all skip (here: the filter leaves numpy
    only bfloat16 cells, which it does not support) times nothing, which is not a failure of the run."""
    out = tmp_path / "report"
    args = ["run", "--quick", "--backend", "numpy", "--backend", "autograd", "--out", str(out), "--jobs", "1"]
    args += ["--bench-filter", "ladder and exp- and 1e+02 and (numpy-cpu-bfloat16 or autograd-cpu-float32)"]
    args += ["--", "-k", "exp and not expm1 and float32", "tests/suite/test_forward.py"]
    assert main(args) == 0, capsys.readouterr().out
    data = json.loads((out / "report.json").read_text())
    assert {b["backend"] for b in data["benchmarks"] if b["kind"] == "ladder"} == {"autograd"}


def test_train_refuses_a_loop_the_backend_declares_unsupported(capsys):
    pytest.importorskip("numexpr")
    assert main(["train", "poly", "--backend", "numexpr"]) == 2
    assert "numexpr cannot run poly: every training loop needs matrix products" in capsys.readouterr().err


def test_check_accepts_every_entry_kind_with_its_own_check(capsys):
    assert main(["check", "adam", "--case", "1", "--dtype", "float32"]) == 0
    assert "adam-3x4-weight_decay=0.1,amsgrad=True-numpy-cpu-float32 [trajectory] passed" in capsys.readouterr().out
    assert main(["check", "linreg", "--case", "0"]) == 0
    assert "[train] passed" in capsys.readouterr().out


def test_a_backend_loaded_by_path_is_named_by_its_label_and_reproduced_by_its_path(capsys):
    path = "tests.meta.planted:SigmoidVjpOffByTwo"
    assert main(["check", "sigmoid", "--check", "vjp", "--backend", path]) == 1
    out = capsys.readouterr().out
    assert "on planted-sigmoid-vjp/cpu/float64" in out  # the label, as in every record and report
    reproduce = next(line for line in out.splitlines() if line.startswith("reproduce: "))
    assert f"--backend {path} " in reproduce  # what a fresh process can load
    assert main(reproduce.removeprefix("reproduce: ").split()[1:]) == 1  # and it reruns the same failure


def test_list_includes_a_backend_given_by_path(capsys):
    assert main(["list", "--json", "--backend", "tests.meta.planted:MaxIgnoresNan"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "planted-max-nan" in data["backends"]
    assert all(e["backends"]["planted-max-nan"] == "supported" for e in data["ops"])


@pytest.mark.torch
def test_audit_prints_its_summary_and_exits_0_when_everything_is_explained(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "audit.json"
    assert main(["audit", "relu", "sum", "--max-examples", "15", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "relu: 15 configurations" in text and "| sum | 15 |" in text
    assert json.loads(out.read_text())["entries"]["relu"]["configurations"] == 15


def test_audit_refuses_an_entry_without_a_plan(capsys):
    assert main(["audit", "poly"]) == 2
    assert "no audit plan for poly" in capsys.readouterr().err


@pytest.mark.torch
def test_run_report_has_the_audit_section(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "report"
    args = ["run", "--quick", "--backend", "numpy", "--out", str(out), "--jobs", "1", "--bench", "none"]
    assert main([*args, "--", "-k", "exp and not expm1", "tests/test_audit.py"]) == 0, capsys.readouterr().out
    assert "## Audit: the reference against torch" in (out / "report.md").read_text()
    audit = json.loads((out / "report.json").read_text())["audit"]
    assert "exp" in audit["entries"] and audit["entries"]["exp"]["configurations"] > 0


def test_train_runs_a_classifier_under_autocast_with_loss_scaling(capsys):
    """``parity train mlp --amp float16 --loss-scale 2**24``: the scaled gradients overflow float16 for the first
    eight steps (tests/test_mixed_precision.py derives why), which the line reports."""
    args = ["train", "mlp", "--dtype", "float32", "--amp", "float16", "--loss-scale", str(2.0**24), "--steps", "10"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "amp=float16" in out and "8 step(s) skipped by the loss scaler [0, 1, 2, 3, 4, 5, 6, 7]" in out
    assert main(["train", "poly", "--amp", "bfloat16"]) == 2
    assert "--amp runs the classifiers" in capsys.readouterr().err
