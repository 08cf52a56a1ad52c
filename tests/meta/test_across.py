"""parity merge and parity diff on hand-made reports (exact answers), and on real runs of this commit."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from parity.across import diff_reports, machine_label, merge_reports
from parity.cli import main
from tests.meta.helpers import ROOT


def _record(nodeid, outcome="passed", ulp=1.0, *, op="exp", dtype="float32", backend="torch", observed=None):
    return {"nodeid": nodeid, "op": op, "check": "forward", "backend": backend, "device": "cpu", "dtype": dtype,
            "outcome": outcome, "reason": "" if outcome == "passed" else "boom", "max_ulp": ulp, "max_abs": 0.0,
            "divergence": None if observed is None else {"observed": observed, "holds": None}}  # fmt: skip


def _bench(median, iqr, name="test_ladder[exp]"):
    return {"group": "exp 1e6 float32", "name": name, "median_s": median, "iqr_s": iqr}


def _report(records, benchmarks=(), facts=None):
    return {"records": records, "benchmarks": list(benchmarks), "machine": {"facts": facts or {}}, "exit_code": 0}


OLD = _report(
    [
        _record("a"),
        _record("b"),
        _record("c", ulp=2.0),
        _record("d", observed="reference"),
        _record("n", ulp=3.0, backend="numpy"),
    ],  # fmt: skip
    [_bench(1.0e-3, 0.05e-3), _bench(2.0e-3, 0.5e-3, name="noisy")],
)


def test_the_same_report_has_no_regression():
    assert diff_reports(OLD, OLD) == []


def test_every_kind_of_regression_is_found():
    new = _report(
        [
            _record("a", "failed"),
            _record("b", ulp=4.0),
            _record("c", ulp=2000.0),
            _record("d", "xfailed", observed="divergent"),
            _record("n", ulp=3.0, backend="numpy"),
            _record("z", "crashed"),
        ],  # fmt: skip
        [_bench(1.3e-3, 0.05e-3), _bench(2.6e-3, 0.5e-3, name="noisy")],
    )
    found = {(r.kind, r.what) for r in diff_reports(OLD, new)}
    assert found == {
        ("new failure", "a"),
        ("new failure", "z"),  # a new check that fails
        ("error grew", "c"),  # +1998 ULP; b's +3 ULP is within the numpy column's own 3 ULP and the 4-ULP floor
        ("divergence changed", "d"),
        ("slower", "exp 1e6 float32 test_ladder[exp]"),  # +0.3 ms against a spread of 0.05 ms
    }  # the noisy benchmark is 30% slower too, but within twice its 0.5 ms spread


def test_merge_labels_every_record_and_lists_the_checks_that_differ():
    amd = _report([_record("a", ulp=1.0), _record("b", "passed")], facts={"cpu.model": "AMD EPYC", "cpu.flags":
                  ["avx2"]})  # fmt: skip
    intel = _report([_record("a", ulp=1.0), _record("b", "xfailed", observed="divergent")], facts={"cpu.model":
                    "Intel Xeon", "cpu.flags": ["avx2", "avx512f"], "env.ATEN_CPU_CAPABILITY": "avx2"})  # fmt: skip
    labels = [machine_label(amd, "x"), machine_label(intel, "y")]
    assert labels == ["AMD-avx2", "Intel-avx512+ATEN_CPU_CAPABILITY=avx2"]
    merged = merge_reports([amd, intel], labels)
    assert {r["machine"] for r in merged["records"]} == set(labels)
    assert [d["nodeid"] for d in merged["differences"]] == ["b"]
    assert merged["differences"][0]["machines"]["Intel-avx512+ATEN_CPU_CAPABILITY=avx2"]["observed"] == "divergent"


@pytest.mark.selftest
def test_reports_made_under_two_aten_levels_merge_side_by_side_and_diff_cleanly(tmp_path):
    """Two `parity run --quick` of this commit under ATEN_CPU_CAPABILITY=default and the machine's own level:
    merged side by side with their facts; diff between them and of a run with itself has no regression;
    a planted failure is a regression (exit 1)."""
    pytest.importorskip("torch")
    runs = {}
    for level in ("default", None):
        out = tmp_path / f"aten-{level}"
        env = {**os.environ, **({"ATEN_CPU_CAPABILITY": level} if level else {})}
        cmd = [sys.executable, "-m", "parity.cli", "run", "--quick", "--bench", "none", "--jobs", "1", "--out",
               str(out), "--backend", "numpy", "--backend", "torch", "--", "-k", "softmax or exp-",
               "tests/suite/test_forward.py"]  # fmt: skip
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
        runs[level] = out
    assert main(["merge", str(runs["default"]), str(runs[None]), "--out", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "report.json").read_text())
    facts = {label: m["facts"]["torch.cpu_capability"] for label, m in merged["machines"].items()}
    assert "DEFAULT" in facts.values() and len(facts) == 2, facts
    assert "ATEN_CPU_CAPABILITY=default" in next(iter(merged["machines"]))
    columns = {(r["machine"], r["backend"]) for r in merged["records"]}
    assert len(columns) == 4  # numpy and torch, once per level
    text = (tmp_path / "merged" / "report.md").read_text()
    assert "## Checks that differ between machines" in text and "torch.cpu_capability DEFAULT" in text
    assert main(["diff", str(runs[None]), str(runs[None])]) == 0
    assert main(["diff", str(runs["default"]), str(runs[None])]) == 0  # ULP-level changes are within noise
    planted = json.loads((runs[None] / "report.json").read_text())
    victim = next(r for r in planted["records"] if r["outcome"] == "passed")
    victim.update(outcome="failed", reason="planted")
    shutil.copytree(runs[None], tmp_path / "planted")
    (tmp_path / "planted" / "report.json").write_text(json.dumps(planted))
    assert main(["diff", str(runs[None]), str(tmp_path / "planted")]) == 1
