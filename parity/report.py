"""The reports of a ``parity run``: ``report.json`` (the complete record), and from the same data the short
``report.md`` (verdict, problems by root cause) and the self-contained ``report.html`` (:mod:`parity.html`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
from importlib import metadata
from pathlib import Path

from impls.base import GPU_DEVICES
from parity.findings import (
    Cause,
    closest_to_limit,
    fastest_by_dtype,
    format_ulp,
    group_causes,
    plural,
    reason_counts,
    subnormal_records,
    verdict,
)
from parity.html import render_html
from parity.machine import describe
from parity.matrix import OUTSIDE_CELLS, build_matrix, column_key, format_excess, render_markdown
from parity.speed import format_ratio, largest_rungs, render_verdict, verdict_rows

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
    """CPU, cores, Python, library versions, what the run said about GPUs (no framework imports), and the
    machine's facts when given (report.html shows them as a table)."""
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


def report_data(
    records: list[dict], *, command: str, exit_code: int, benchmarks=(), plots=(), facts: dict | None = None
) -> dict:
    """Everything a report shows: ``report.json``'s content, from which report.md and report.html render."""
    benchmarks = list(benchmarks)
    return {
        "generated": dt.datetime.now(dt.timezone.utc).isoformat(),
        "command": command,
        "exit_code": exit_code,
        "machine": machine_info(records, benchmarks, facts),
        "totals": build_matrix(records).totals(),
        "records": records,
        "benchmarks": benchmarks,
        "speed_verdict": verdict_rows(benchmarks),
        "plots": [str(p) for p in plots],
    }


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _machine_lines(machine: dict) -> list[str]:
    libs = ", ".join(f"{k} {v}" for k, v in machine.get("libraries", {}).items())
    gpu = machine.get("gpu", {})
    return [
        f"- **Machine**: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('platform')}",
        f"- **Python** {machine.get('python')}; {libs}",
        f"- **GPU**: {', '.join(gpu.get('ran', [])) or 'none used'}"
        + (f" ({', '.join(gpu['names'])})" if gpu.get("names") else "")
        + (f" — skipped because: {'; '.join(gpu['skipped_because'])}" if gpu.get("skipped_because") else ""),
        f"- **Dispatch**: {describe(machine['facts'])}" if machine.get("facts") else "- **Dispatch**: not recorded",
        *_half_lines(machine.get("facts") or {}),
    ]


def _half_lines(facts: dict) -> list[str]:
    """The half types: what each backend accumulated their sums in (measured), and the dtypes backends lack."""
    accumulated = [f"{k.removesuffix('.accumulates.' + k.rsplit('.', 1)[-1])} {k.rsplit('.', 1)[-1]}: {v}"
                   for k, v in sorted(facts.items()) if ".accumulates." in k]  # fmt: skip
    lacking = [f"{k.replace('.lacks.', ' has no ')} ({v})" for k, v in sorted(facts.items()) if ".lacks." in k]
    lines = [f"- **Half-type sums accumulated in** (measured): {'; '.join(accumulated)}"] if accumulated else []
    return lines + ([f"- **Dtypes not offered**: {'; '.join(lacking)}"] if lacking else [])


def _cause_title(cause: Cause) -> str:
    """Where a cause shows: its entry, check and columns, or (outside the matrix) its tests' node ids."""
    if not cause.columns:
        return ", ".join(_code(r["nodeid"]) for r in cause.records) + f" ({cause.outcome})"
    cases = f"; variants {', '.join(cause.variants[:6])}" if cause.variants else ""
    used = f"; worst {cause.worst_excess:.3g}x the allowance" if (cause.worst_excess or 0) > 1 else ""
    where = ", ".join(cause.columns)
    return f"**{cause.entry}** {_code(cause.check)} — {plural(len(cause.records), 'check')} on {where}{cases}{used}"


def _cause_lines(causes: list[Cause]) -> list[str]:
    lines = []
    for i, cause in enumerate(causes, 1):
        lines += [
            f"{i}. {_cause_title(cause)}",
            f"   {_code(cause.example.get('reason') or '(no reason given)')}",
            f"   reproduce: {_code(cause.reproduce)}",
        ]
    return lines + [""]


def _problem_sections(records: list[dict]) -> list[str]:
    in_cells = [r for r in records if r.get("kind") != OUTSIDE_CELLS]
    causes = group_causes(in_cells)
    lines = []
    for title, outcome in (("Crashes", "crashed"), ("Failures", "failed")):
        chosen = [c for c in causes if c.outcome == outcome]
        if chosen:
            lines += [f"## {title}, by root cause", "", *_cause_lines(chosen)]
    outside = group_causes(r for r in records if r.get("kind") == OUTSIDE_CELLS)
    if outside:
        lines += ["## Failures outside the matrix", "", *_cause_lines(outside)]
    return lines


def _closest_lines(records: list[dict]) -> list[str]:
    closest = closest_to_limit(records)
    if not closest:
        return []
    rows = [
        f"| {r['op']} | {r['check']} | `{column_key(r)}` | {format_excess(r['max_excess'])} | {format_ulp(r)} |"
        for r in closest
    ]
    return [
        "## Closest to the tolerance",
        "",
        "Each check's headline is the share of its allowance (atol + rtol·|expected|, plus the accumulation",
        "allowance of sums) that its worst element used: a pass is at most 1, and the number ranks accuracy.",
        "ULP distances count only elements with |expected| ≥ the dtype's smallest normal × 2^mantissa bits.",
        "",
        "| entry | check | column | allowance used | worst ULP |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]


def _subnormal_lines(records: list[dict]) -> list[str]:
    flagged = subnormal_records(records)
    if not flagged:
        return []
    cells = sorted({(r["op"], column_key(r)) for r in flagged})
    ftz = sum(r.get("flushed_to_zero") or 0 for r in flagged)
    other = sum(r.get("subnormals_differ") or 0 for r in flagged)
    listed = ", ".join(f"{op} on `{col}`" for op, col in cells[:20]) + (" …" if len(cells) > 20 else "")
    return [
        "## Subnormals",
        "",
        f"{ftz} element(s) whose truth is a subnormal came back as zero (flush-to-zero), {other} other subnormal "
        f"difference(s), whether or not the tolerance passed them: {listed}.",
        "",
    ]


def _reason_lines(records: list[dict], title: str, outcome: str, limit: int) -> list[str]:
    grouped = reason_counts(records, outcome)
    if not grouped:
        return []
    lines = [f"## {title}", ""]
    lines += [f"- {reason} ({plural(len(rs), 'check')})" for reason, rs in grouped[:limit]]
    if len(grouped) > limit:
        lines.append(f"- … and {len(grouped) - limit} more reasons (report.html, report.json)")
    return lines + [""]


def _speed_lines(benchmarks: list[dict]) -> list[str]:
    fastest, rungs = fastest_by_dtype(benchmarks), largest_rungs(benchmarks)
    if not fastest:
        return ["## Speed", "", "_no benchmarks in this run_" if not benchmarks else "_no ladder timings_", ""]
    dtypes = sorted({dtype for by_dtype in fastest.values() for dtype in by_dtype})
    rows = [
        f"| {entry} | {axis}={size:g} | "
        + " | ".join(
            f"`{fastest[entry][d][0]}` {format_ratio(fastest[entry][d][1])}" if d in fastest[entry] else "–"
            for d in dtypes
        )
        + " |"
        for entry, (size, axis) in rungs.items()
        if entry in fastest
    ]
    return [
        "## Speed: the fastest backend per entry at its largest size",
        "",
        "Its median time against numpy's at the same size and dtype, measured in the same run (< 1 is faster);",
        "every column, the bandwidth and the workloads are in report.html.",
        "",
        "| entry | size | " + " | ".join(f"fastest, {d}" for d in dtypes) + " |",
        "|---|---|" + "---|" * len(dtypes),
        *rows,
        "",
        *render_verdict(verdict_rows(benchmarks), every_cell=False),
    ]


def render_report(data: dict) -> str:
    """The short markdown report: verdict, machine, problems by root cause, closest calls, divergences, skips,
    the fastest backend per entry."""
    records = data["records"]
    lines = [
        "# parity report",
        "",
        f"Generated {data['generated'][:16].replace('T', ' ')} UTC by `{data['command']}` "
        f"(exit code {data['exit_code']}). The matrix with its filters, every speed table and the plots are in "
        "**report.html**; every record is in **report.json**.",
        "",
        f"**{verdict(records)}**",
        "",
        *_machine_lines(data["machine"]),
        "- **Checks**: " + ", ".join(f"{n} {k}" for k, n in sorted(data["totals"].items())),
        "",
        *_problem_sections(records),
        *_closest_lines(records),
        *_subnormal_lines(records),
        *_reason_lines(records, "Known divergences (strict xfails)", "xfailed", 30),
        *_reason_lines(records, "Skipped, by reason", "skipped", 12),
        *_speed_lines(data["benchmarks"]),
    ]
    return "\n".join(lines) + "\n"


def draw_plots(records: list[dict], benchmarks: list[dict], out_dir: Path) -> tuple[list[Path], str | None]:
    """The PNGs under ``out_dir/plots`` (or none, and why, when matplotlib is missing)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        return [], f"no plots: matplotlib is not installed ({error}); pip install 'parity[report]'"
    from parity.plots import allowance_heatmap, time_plots

    heatmap = allowance_heatmap(build_matrix(records, checks=VALUE_CHECKS + GRADIENT_CHECKS), out_dir / "plots")
    return ([heatmap] if heatmap else []) + time_plots(benchmarks, out_dir / "plots"), None


def write_report(
    out_dir: Path,
    records: list[dict],
    *,
    command: str,
    exit_code: int,
    benchmarks: list[dict] = (),
    facts: dict | None = None,
) -> tuple[Path, Path, Path]:
    """Write ``report.md``, ``report.json``, ``report.html`` and ``plots/*.png`` into ``out_dir``; return the
    three reports' paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    benchmarks = list(benchmarks)
    plots, plot_problem = draw_plots(records, benchmarks, out_dir)
    relative = [p.relative_to(out_dir) for p in plots]
    data = report_data(
        records, command=command, exit_code=exit_code, benchmarks=benchmarks, plots=relative, facts=facts
    )
    md = out_dir / "report.md"
    # the audit section (parity.audit, issue #13): tests/test_audit.py keeps each entry's result in out_dir/audit
    from parity.audit import report_section

    data["audit"], audit_lines = report_section(out_dir / "audit")
    text = render_report(data) + "\n".join(audit_lines)
    md.write_text(text + (f"\n{plot_problem}\n" if plot_problem else ""))
    js = out_dir / "report.json"
    js.write_text(json.dumps(data, indent=1, default=str))
    page = out_dir / "report.html"
    page.write_text(render_html(data, out_dir), encoding="utf-8")
    return md, js, page


def render_merged(merged: dict) -> str:
    """report.md of ``parity merge``: the machines, the checks that differ between them, then the matrices
    with one column group per machine (columns ``machine:backend/device/dtype``)."""
    from parity.across import render_differences

    records = merged["records"]
    lines = ["# parity report: several machines", "", *render_differences(merged)]
    lines += ["## Values (forward, special values, hypothesis properties)", "",
              render_markdown(build_matrix(records, checks=VALUE_CHECKS)),
              "## Gradients", "", render_markdown(build_matrix(records, checks=GRADIENT_CHECKS))]  # fmt: skip
    return "\n".join(lines) + "\n"
