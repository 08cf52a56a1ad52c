"""``report.md`` and ``report.json`` from the records a ``parity run`` collected."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from importlib import metadata
from pathlib import Path

from impls.base import GPU_DEVICES
from parity.machine import describe
from parity.matrix import build_matrix, render_markdown
from parity.speed import render_speed

LIBRARIES = ("numpy", "torch", "numba", "numexpr", "cupy-cuda12x", "cupy-cuda13x", "hypothesis", "pytest")
VALUE_CHECKS = ("forward", "special", "property")
GRADIENT_CHECKS = ("vjp", "vjp_fd", "vjp_fd_full")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(records: list[dict], benchmarks: list[dict] = (), facts: dict | None = None) -> dict:
    """CPU, cores, Python, library versions, what the run said about GPUs, and the machine's dispatch facts
    (:func:`parity.machine.run_facts`: CPU flags, NumPy SIMD, torch's CPU capability and oneDNN ISA, ...)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    # why no GPU cell ran: device problems, not the per-op "does not support" reasons
    gpu_reasons = sorted(
        {
            r["reason"]
            for r in records
            if r["device"] in GPU_DEVICES and r["outcome"] == "skipped" and " does not support " not in r["reason"]
        }
    )
    gpu_ran = sorted(
        {f"{r['backend']}/{r['device']}" for r in records if r["device"] in GPU_DEVICES and r["outcome"] != "skipped"}
    )
    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "libraries": versions,
        "facts": facts or {},
        "gpu": {
            "ran": gpu_ran,
            "skipped_because": gpu_reasons,
            "names": sorted({b["device_name"] for b in benchmarks if b.get("device_name") and b["device"] != "cpu"}),
        },
    }


def _unique(records, outcome):
    seen: dict[str, list[str]] = {}
    for r in records:
        if r["outcome"] == outcome:
            reason = (r["reason"] or "(no reason given)").removeprefix("known divergence: ")
            seen.setdefault(reason, []).append(r["nodeid"])
    return seen


def render_report(records: list[dict], machine: dict, *, command: str, exit_code: int, benchmarks=(), plots=()) -> str:
    """The markdown report: machine, totals, the value and gradient matrices, divergences, failures, skips."""
    values = build_matrix(records, checks=VALUE_CHECKS)
    grads = build_matrix(records, checks=GRADIENT_CHECKS)
    totals = build_matrix(records).totals()
    libs = ", ".join(f"{k} {v}" for k, v in machine["libraries"].items())
    lines = [
        "# parity report",
        "",
        f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC} by `{command}` (exit code {exit_code}).",
        "",
        f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, {machine['platform']}",
        f"- **Python** {machine['python']}; {libs}",
        f"- **GPU**: {', '.join(machine['gpu']['ran']) or 'none used'}"
        + (f" ({', '.join(machine['gpu']['names'])})" if machine["gpu"]["names"] else "")
        + (
            f" — skipped because: {'; '.join(machine['gpu']['skipped_because'])}"
            if machine["gpu"]["skipped_because"]
            else ""
        ),
        f"- **Dispatch**: {describe(machine['facts'])}" if machine.get("facts") else "- **Dispatch**: not recorded",
        "- **Checks**: " + ", ".join(f"{n} {k}" for k, n in sorted(totals.items())),
        "",
        "Cells: `ok N` — every check passed, worst error N ULP (distance to the correctly rounded float64 truth;",
        "near zero a tiny absolute error is many ULP, see max_abs in report.json); `FAIL N` — a check failed;",
        "`div` — a declared, pinned divergence (strict xfail); `skip` — not run here (reasons below).",
        "The `reference` column checks the reference VJPs against finite differences: `ok r=…` is the worst",
        "relative difference.",
        "",
        "## Values (forward, special values, hypothesis properties)",
        "",
        render_markdown(values),
        "## Gradients (backend VJP vs reference VJP; reference VJP vs finite differences)",
        "",
        render_markdown(grads),
    ]
    lines += render_speed(list(benchmarks))
    if plots:
        lines += ["## Plots", ""]
        lines += [f"![{p.stem}](plots/{p.name})" for p in plots if p.name == "ulp.png"]
        lines += [
            "",
            "Time against size: "
            + ", ".join(f"[{p.stem[5:]}](plots/{p.name})" for p in plots if p.stem.startswith("time_")),
            "",
        ]
    for title, outcome in (("Failures", "failed"), ("Known divergences", "xfailed"), ("Skipped", "skipped")):
        grouped = _unique(records, outcome)
        if not grouped:
            continue
        lines += [f"## {title}", ""]
        for reason, nodeids in sorted(grouped.items(), key=lambda kv: -len(kv[1])):
            example = f" — e.g. `{nodeids[0]}`" if outcome == "failed" else ""
            lines.append(f"- {reason} ({len(nodeids)} check{'s' if len(nodeids) > 1 else ''}){example}")
        lines.append("")
    return "\n".join(lines) + "\n"


def draw_plots(records: list[dict], benchmarks: list[dict], out_dir: Path) -> tuple[list[Path], str | None]:
    """The PNGs under ``out_dir/plots`` (or none, and why, when matplotlib is missing)."""
    try:
        from parity.plots import time_plots, ulp_heatmap
    except ImportError as error:  # pragma: no cover - matplotlib is in the cpu and gpu extras
        return [], f"no plots: {error}"
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        return [], f"no plots: matplotlib is not installed ({error}); pip install 'parity[report]'"
    heatmap = ulp_heatmap(build_matrix(records, checks=VALUE_CHECKS), out_dir / "plots")
    return ([heatmap] if heatmap else []) + time_plots(benchmarks, out_dir / "plots"), None


def write_report(
    out_dir: Path,
    records: list[dict],
    *,
    command: str,
    exit_code: int,
    benchmarks: list[dict] = (),
    facts: dict | None = None,
) -> tuple[Path, Path]:
    """Write ``report.md``, ``report.json`` and ``plots/*.png`` into ``out_dir``; return the first two paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    benchmarks = list(benchmarks)
    machine = machine_info(records, benchmarks, facts)
    plots, plot_problem = draw_plots(records, benchmarks, out_dir)
    md = out_dir / "report.md"
    text = render_report(records, machine, command=command, exit_code=exit_code, benchmarks=benchmarks, plots=plots)
    # ---- the audit section (parity.audit, issue #13): tests/test_audit.py keeps each entry's result in out_dir/audit
    from parity.audit import report_section

    audit, audit_lines = report_section(out_dir / "audit")
    text += "\n".join(audit_lines)
    # ----
    md.write_text(text + (f"\n{plot_problem}\n" if plot_problem else ""))
    data = {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(),
        "command": command,
        "exit_code": exit_code,
        "machine": machine,
        "totals": build_matrix(records).totals(),
        "records": records,
        "benchmarks": benchmarks,
        "plots": [str(p.relative_to(out_dir)) for p in plots],
        "audit": audit,  # parity.audit (issue #13): configurations per entry, disagreements by class
    }
    js = out_dir / "report.json"
    js.write_text(json.dumps(data, indent=1, default=str))
    return md, js


def render_merged(merged: dict) -> str:
    """report.md of ``parity merge``: the machines, the checks that differ, then the matrices with one column
    group per machine (columns ``machine:backend/device/dtype``)."""
    from parity.across import render_differences

    records = merged["records"]
    lines = ["# parity report: several machines", "", *render_differences(merged)]
    lines += ["## Values (forward, special values, hypothesis properties)", "",
              render_markdown(build_matrix(records, checks=VALUE_CHECKS)),
              "## Gradients", "", render_markdown(build_matrix(records, checks=GRADIENT_CHECKS))]  # fmt: skip
    return "\n".join(lines) + "\n"
