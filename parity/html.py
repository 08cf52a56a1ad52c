"""``report.html``: one self-contained page rendered from the same dict as ``report.json``.

No network at all: the CSS and JavaScript (``parity/assets/``) are inlined, the PNG plots embedded as data
URIs, and the data the page's script needs is a JSON literal in the page.  The first screen answers "what
disagrees, where, by how much" (root causes, the checks closest to their tolerance) and "which backend is
fastest at my size" (a finder over the benchmark ladder).  Below it: the matrix, filterable by backend,
device, dtype and check kind, with columns where every check was skipped hidden (their reasons one click
away) and every cell opening its checks' messages and reproduce lines; the optimizer and loop tables; every
failure by root cause; divergences, subnormals and skips; the speed tables and plots; the machine's facts.

Static parts are rendered here; the tables that filters change are built by ``assets/report.js`` from the
model :func:`page_model` returns.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from parity.findings import (
    Cause,
    closest_to_limit,
    fastest_by_dtype,
    format_ulp,
    group_causes,
    plural,
    reason_counts,
    reproduce_line,
    subnormal_records,
    verdict,
)
from parity.matrix import (
    OUTSIDE_CELLS,
    Summary,
    _column_order,
    column_key,
    entry_order,
    format_excess,
    split_column,
)
from parity.speed import (
    PEER,
    SLOW_RATIO,
    bandwidth_fractions,
    column,
    copy_bandwidth,
    format_ratio,
    format_seconds,
    ladder_records,
    largest_rungs,
    speed_ratios,
    workload_rows,
)

# (id, title, entry kinds, one row per variant)
TABLES = (
    ("matrix", "Ops, layers and losses", ("op", "layer", "loss"), False),
    ("optimizers", "Optimizers", ("optimizer",), True),
    ("loops", "Training loops", ("loop",), True),
)
DETAIL_FIELDS = (
    "outcome",
    "check",
    "variant",
    "reason",
    "message",
    "nodeid",
    "max_excess",
    "max_ulp",
    "max_abs",
    "max_rel",
    "flushed_to_zero",
    "subnormals_differ",
    "divergence",
)

e = html.escape


# ---------------------------------------------------------------- the model the script renders
def _table_of(record: dict) -> tuple[str, str] | None:
    """(table id, row name) of a cell record, or None for records outside the matrix."""
    for table, _, kinds, per_variant in TABLES:
        if record.get("kind") in kinds:
            variant = (record.get("variant") or "").lstrip("-")
            row = f"{record['op']} · {variant}" if per_variant and variant else record["op"]
            return table, row
    return None


def _needs_detail(record: dict) -> bool:
    return (
        record["outcome"] not in ("passed", "skipped")
        or bool(record.get("flushed_to_zero") or record.get("subnormals_differ"))
        or record.get("divergence") is not None
    )


def _divergence_state(record: dict) -> int:
    """0: none declared; 1: declared and observed here; 2: declared but the reference's value was observed."""
    divergence = record.get("divergence")
    if not isinstance(divergence, dict):
        return 1 if record["outcome"] == "xfailed" else 0
    return 2 if divergence.get("observed") == "reference" else 1


@dataclass
class _Cell:
    """One (table, row, column, check kind) of the page: the matrix's Summary, plus what the page adds."""

    summary: Summary = field(default_factory=Summary)
    details: list[int] = field(default_factory=list)
    divergence: int = 0


def _cell_json(key: tuple, cell: _Cell, reason_ids: dict[str, int]) -> dict:
    """The compact form the script reads (t, r, c, k: where; s: status; o: outcome counts; e, u: allowance used and
    worst ULP; f, n: subnormal flags; g: failure tag; v: divergence state; why, d: reasons and details)."""
    table, row, column, check = key
    s = cell.summary
    out = {"t": table, "r": row, "c": column, "k": check, "s": s.status, "o": s.counts, "d": cell.details}
    out["why"] = [reason_ids.setdefault(reason, len(reason_ids)) for reason in s.reasons]
    measured = {"e": s.max_excess, "u": s.max_ulp}  # 0 is a measurement
    flags = {"f": s.flushed_to_zero, "n": s.subnormals_differ, "g": s.tag, "v": cell.divergence}  # 0 is no flag
    return out | {k: v for k, v in measured.items() if v is not None} | {k: v for k, v in flags.items() if v}


def page_model(data: dict) -> dict:
    """Columns, rows per table, and one aggregate per (table, row, column, check kind), with the details of
    every record worth opening (not passed and not skipped, flagged, or a declared divergence)."""
    records = [r for r in data["records"] if r.get("kind") != OUTSIDE_CELLS]
    columns = sorted({column_key(r) for r in records}, key=_column_order)
    index = {c: i for i, c in enumerate(columns)}
    details: list[dict] = []
    cells: dict[tuple, _Cell] = {}
    rows: dict[str, dict[str, None]] = {table: {} for table, *_ in TABLES}
    for r in records:
        where = _table_of(r)
        if where is None:
            continue
        table, row = where
        rows[table].setdefault(row, None)
        cell = cells.setdefault((table, row, index[column_key(r)], r["check"]), _Cell())
        cell.summary.add(r)
        cell.divergence = max(cell.divergence, _divergence_state(r))
        if _needs_detail(r):
            cell.details.append(len(details))
            details.append({**{f: r.get(f) for f in DETAIL_FIELDS}, "reproduce": reproduce_line(r)})
    reason_ids: dict[str, int] = {}
    ordered_rows = {table: _row_order(list(names)) for table, names in rows.items()}
    return {
        "columns": [dict(zip(("machine", "backend", "device", "dtype"), split_column(c)), key=c) for c in columns],
        "tables": [{"id": t, "title": title, "rows": ordered_rows[t]} for t, title, *_ in TABLES if ordered_rows[t]],
        "cells": [_cell_json(key, cell, reason_ids) for key, cell in cells.items()],
        "details": details,
        "reasons": list(reason_ids),
        "ladder": [
            [b["entry"], b["axis"], b["size"], b["dtype"], _finder_label(b), b["median_s"]]
            for b in ladder_records(data["benchmarks"])
        ],
        "peer": f"{PEER}/cpu",
    }


def _finder_label(benchmark: dict) -> str:
    """``backend/device``, with ``+transfer`` for host-to-device-to-host timings."""
    return f"{benchmark['backend']}/{benchmark['device']}" + (
        "+transfer" if benchmark.get("variant") == "transfer" else ""
    )


def _row_order(rows: list[str]) -> list[str]:
    by_entry: dict[str, list[str]] = {}
    for row in rows:
        by_entry.setdefault(row.split(" · ")[0], []).append(row)
    return [row for entry in entry_order(by_entry) for row in sorted(by_entry[entry])]


# ---------------------------------------------------------------- static parts
def _columns_text(columns: list[str], limit: int = 4) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f" and {len(columns) - limit} more" if len(columns) > limit else "")


def _cause_item(cause: Cause, open_: bool = False) -> str:
    info = cause.as_dict()
    if not info["columns"]:  # tests outside the matrix: their node ids say where
        return _outside_item(cause, info)
    where = _columns_text(info["columns"])
    used = f" · worst {info['worst_excess']:.3g}× the allowance" if (info["worst_excess"] or 0) > 1 else ""
    cases = f" · {', '.join(info['variants'][:5])}" if info["variants"] and info["columns"] else ""
    return (
        f'<details class="cause {e(cause.outcome)}"{" open" if open_ else ""}><summary>'
        f'<span class="badge {e(cause.outcome)}">{"CRASH" if cause.outcome == "crashed" else "FAIL"}</span> '
        f"<b>{e(cause.entry)}</b> <code>{e(cause.check)}</code> — {plural(len(cause.records), 'check')} on {e(where)}"
        f"{e(cases)}{e(used)}<div class=reason>{e(info['reason'])}</div></summary>"
        f"<pre class=message>{e(info['message'])}</pre>"
        f'<div>reproduce: <code class="reproduce">{e(info["reproduce"])}</code></div></details>'
    )


def _outside_item(cause: Cause, info: dict) -> str:
    tests = "; ".join(info["nodeids"][:3]) + (" …" if len(info["nodeids"]) > 3 else "")
    return (
        f'<details class="cause {e(cause.outcome)}"><summary>'
        f'<span class="badge {e(cause.outcome)}">{"CRASH" if cause.outcome == "crashed" else "FAIL"}</span> '
        f"<b>{e(tests)}</b><div class=reason>{e(info['reason'])}</div></summary>"
        f"<pre class=message>{e(info['message'])}</pre>"
        f'<div>reproduce: <code class="reproduce">{e(info["reproduce"])}</code></div></details>'
    )


def _verdict_chips(totals: dict[str, int], records: list[dict]) -> str:
    order = ("crashed", "failed", "passed", "xfailed", "skipped")
    names = {"xfailed": "divergences"}
    outside = sum(r.get("kind") == OUTSIDE_CELLS for r in records)
    chips = [f'<span class="chip {k}">{totals[k]} {names.get(k, k)}</span>' for k in order if totals.get(k)]
    chips += [f'<span class="chip">{n} {e(k)}</span>' for k, n in totals.items() if k not in order]
    if outside:
        chips.append(f'<span class="chip failed">{plural(outside, "failing test")} outside the matrix</span>')
    return "".join(chips)


def _by_backend(records: list[dict]) -> str:
    """Where: per backend and device that ran something, its checks by outcome and the most allowance used."""
    rows: dict[str, Counter] = {}
    used: dict[str, float] = {}
    for r in records:
        if r.get("backend") and r["outcome"] != "skipped":
            where = f"{r['backend']}/{r['device']}"
            rows.setdefault(where, Counter())[r["outcome"]] += 1
            if r["outcome"] == "passed" and r.get("max_excess") is not None:
                used[where] = max(used.get(where, 0.0), r["max_excess"])
    if not rows:
        return ""
    cells = "".join(
        f"<tr><td>{e(where)}</td><td class=num>{sum(n.values())}</td>"
        + "".join(f'<td class="num{" bad" if k in ("failed", "crashed") and n[k] else ""}">{n[k]}</td>'
                  for k in ("failed", "crashed", "xfailed"))
        + f"<td class=num>{format_excess(used[where]) if where in used else '–'}</td></tr>"
        for where, n in sorted(rows.items(), key=lambda kv: _column_order(kv[0] + "/x"))
    )  # fmt: skip
    return (
        "<h3>Where</h3><table class=small><tr><th>backend/device<th>ran<th>failed<th>crashed<th>divergences"
        f'<th title="the most of its allowance a passing check used">most used</tr>{cells}</table>'
    )


def _disagrees(records: list[dict]) -> str:
    causes = group_causes(r for r in records if r.get("kind") != OUTSIDE_CELLS)
    outside = group_causes(r for r in records if r.get("kind") == OUTSIDE_CELLS)
    parts = ["<h2>What disagrees</h2>"]
    if causes or outside:
        shown = (causes + outside)[:5]
        parts += [_cause_item(c) for c in shown]
        more = len(causes) + len(outside) - len(shown)
        if more:
            parts.append(f'<p><a href="#problems">{more} more root cause(s)</a></p>')
    else:
        ran = sum(r["outcome"] == "passed" for r in records)
        parts.append(f'<p class="good">Nothing: every one of the {ran} checks that ran is within its tolerance.</p>')
    closest = closest_to_limit(records, 5)
    if closest:
        rows = "".join(
            f"<tr><td>{e(r['op'])}</td><td>{e(r['check'])}</td><td>{e(column_key(r))}</td>"
            f'<td class="num">{format_excess(r["max_excess"])}</td><td class="num">{format_ulp(r)}</td></tr>'
            for r in closest
        )
        parts.append(
            "<h3>Closest to the tolerance</h3><table class=small><tr><th>entry<th>check<th>column"
            f'<th title="share of atol + rtol·|expected| (+ accumulation) the worst element used">used'
            f'<th title="over elements with |expected| at least the smallest normal × 2^mantissa bits">worst ULP</tr>'
            f"{rows}</table>"
        )
    parts.append(_by_backend(records))
    return "".join(parts)


def _fastest_summary(benchmarks: list[dict]) -> str:
    """Per dtype, which backend/device was fastest at each entry's largest size, and how often."""
    wins: dict[str, Counter] = {}
    for by_dtype in fastest_by_dtype(benchmarks).values():
        for dtype, (label, _) in by_dtype.items():
            wins.setdefault(dtype, Counter())[label] += 1
    if not wins:
        return "<p>No benchmarks in this run (<code>parity run --bench none</code>).</p>"
    lines = "".join(
        f"<li>{e(dtype)}: " + ", ".join(f"<b>{e(c)}</b> ({n})" for c, n in counts.most_common(3)) + "</li>"
        for dtype, counts in sorted(wins.items())
    )
    return f"<p>Fastest at each entry's largest size, how often:</p><ul class=wins>{lines}</ul>"


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _ratio_cell(ratio: float | None) -> str:
    if ratio is None:
        return '<span class="none">–</span>'
    tone = "fast" if ratio < 0.95 else "slow" if ratio > 1.05 else "even"
    return f'<span class="{tone}">{format_ratio(ratio)}</span>'


def _verdict_section(rows: list[dict]) -> str:
    """Our kernels against their peers: the count of cells more than SLOW_RATIO x slower, each with its reason."""
    counted = [r for r in rows if r["counted"]]
    slow = sorted((r for r in counted if r["slow"]), key=lambda r: -r["ratio"])
    table = [
        [e(f"{r['entry']} {r['dtype']}"), e(r["backend"]), format_ratio(r["ratio"]),
         e(f"{r['peer']} {format_seconds(r['peer_s'])}"), e(r["reason"] or "no measured reason recorded")]
        for r in slow
    ]  # fmt: skip
    return (
        f"<h3>Our kernels against their peers</h3><p>{len(slow)} of {len(counted)} counted cells are more than "
        f"{SLOW_RATIO:g}x slower than their peer (numba: the faster of numpy and torch; numexpr and autograd: numpy), "
        "each with its measured reason:</p>"
        + (_table(["entry, dtype", "backend", "time vs peer", "peer", "measured reason"], table) if table else "")
    )


def _speed_section(benchmarks: list[dict], verdict: list[dict]) -> str:
    if not benchmarks:
        return "<p>No benchmarks in this run.</p>"
    parts = [_verdict_section(verdict)] if verdict else []
    roof = copy_bandwidth(benchmarks)
    if roof:
        probe = ", ".join(f"{e(d)} {bw / 1e9:.1f} GB/s" for d, bw in sorted(roof.items()))
        parts.append(f"<p>Copy bandwidth (best <code>x * 1</code> probe per device, read + write): {probe}.</p>")
    ratios, rungs = speed_ratios(benchmarks), largest_rungs(benchmarks)
    if ratios:
        cols = sorted({c for _, c in ratios}, key=_speed_order)
        rows = [
            [f"{e(entry)} <small>({e(axis)}={size:g})</small>", *(_ratio_cell(ratios.get((entry, c))) for c in cols)]
            for entry, (size, axis) in rungs.items()
        ]
        parts += [
            "<h3>Time against numpy at the largest size (median; &lt; 1 is faster)</h3>",
            _table(["entry", *(e(c) for c in cols)], rows, "ratios"),
        ]
    fractions = bandwidth_fractions(benchmarks)
    if fractions:
        cols = sorted({c for _, c in fractions}, key=_speed_order)
        entries = list(dict.fromkeys(entry for entry, _ in fractions))
        rows = [[e(entry), *(_bandwidth(fractions.get((entry, c))) for c in cols)] for entry in entries]
        parts += [
            "<h3>Memory-bound entries: achieved bandwidth (share of the copy bandwidth)</h3>",
            _table(["entry", *(e(c) for c in cols)], rows, "ratios"),
        ]
    workloads = workload_rows(benchmarks)
    if workloads:
        rows = [
            [
                e(w["group"].removeprefix("workload: ")),
                e(column(w)),
                format_seconds(w["median_s"]),
                _ratio_cell(w["vs_numpy"]),
                format_seconds(w["first_call_s"]) if w.get("first_call_s") else "–",
                e(f"final loss {w['final_loss']:.10g} ({w['steps']} steps)") if "final_loss" in w else "",
            ]
            for w in sorted(workloads, key=lambda w: (w["group"], _speed_order(column(w))))
        ]
        parts += [
            "<h3>Workloads</h3>",
            _table(["workload", "backend/device/dtype", "median", "vs numpy", "first call", ""], rows),
        ]
    return "".join(parts)


def _speed_order(col: str) -> tuple:
    return (_column_order(col.removesuffix("+transfer")), col.endswith("+transfer"))


def _bandwidth(value) -> str:
    if value is None:
        return '<span class="none">–</span>'
    achieved, fraction = value
    return f"{achieved / 1e9:.1f} GB/s" + (f" ({fraction:.0%})" if fraction is not None else "")


def _plots_section(plots: list[str], out_dir: Path | None) -> str:
    """The allowance heatmap embedded; time against size is drawn by the finder (SVG, from the timings), and the
    per-entry PNGs stay beside the report in plots/."""
    if not plots or out_dir is None:
        return "<p>No plots in this run.</p>"
    heat = [p for p in plots if Path(p).stem == "allowance"]
    parts = [f'<figure><img alt="allowance used per cell" src="{_data_uri(out_dir / p)}"></figure>' for p in heat]
    times = [p for p in plots if Path(p).stem.startswith("time_")]
    if times:
        links = ", ".join(f'<a href="{e(p)}">{e(Path(p).stem[5:])}</a>' for p in times)
        parts.append(
            "<p>Time against size: the finder at the top draws any entry's; the same plots as PNG (crossovers "
            f"against numpy/cpu circled) are in <code>plots/</code> beside this page: {links}.</p>"
        )
    return "".join(parts)


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _facts(value) -> str:
    """A nested key/value table."""
    if isinstance(value, dict):
        rows = "".join(f"<tr><th>{e(str(k))}</th><td>{_facts(v)}</td></tr>" for k, v in value.items())
        return f'<table class="facts">{rows}</table>' if rows else "–"
    if isinstance(value, (list, tuple)):
        return ", ".join(_facts(v) for v in value) if value else "–"
    return e("–" if value is None else str(value))


def _divergence_section(records: list[dict]) -> str:
    grouped = reason_counts(records, "xfailed")
    declared = [r for r in records if isinstance(r.get("divergence"), dict)]
    parts = []
    if grouped:
        parts.append(
            "<ul>"
            + "".join(f"<li>{e(reason)} <small>({len(rs)} check(s))</small></li>" for reason, rs in grouped)
            + "</ul>"
        )
    if declared:
        rows = [
            [
                e(r["op"]),
                e(column_key(r)),
                e(r.get("variant") or ""),
                e(str(r["divergence"].get("reason", ""))),
                e(str(r["divergence"].get("when") or "always")),
                {True: "holds here", False: "does not hold here", None: "unknown here"}.get(
                    r["divergence"].get("holds"), "unknown here"
                ),
                {"divergent": "divergent", "reference": "as the reference"}.get(
                    r["divergence"].get("observed"), "not observed"
                ),
            ]
            for r in declared
        ]
        parts.append(_table(["entry", "column", "variant", "divergence", "when", "condition", "observed"], rows))
    return "".join(parts) or "<p>No declared divergence ran.</p>"


def _subnormal_section(records: list[dict]) -> str:
    flagged = subnormal_records(records)
    if not flagged:
        return "<p>No subnormal was flushed to zero or came back different.</p>"
    rows = [
        [
            e(r["op"]),
            e(r["check"]),
            e(column_key(r)),
            e(r.get("variant") or ""),
            str(r.get("flushed_to_zero") or 0),
            str(r.get("subnormals_differ") or 0),
            e(r["outcome"]),
        ]
        for r in flagged
    ]
    return _table(["entry", "check", "column", "variant", "flushed to zero", "other differences", "outcome"], rows)


def _skips_section(records: list[dict]) -> str:
    grouped = reason_counts(records, "skipped")
    if not grouped:
        return "<p>Nothing was skipped.</p>"
    items = "".join(f"<li>{e(reason)} <small>({len(rs)})</small></li>" for reason, rs in grouped)
    return f"<details><summary>{len(grouped)} reasons</summary><ul>{items}</ul></details>"


def _problems_section(records: list[dict]) -> str:
    causes = group_causes(r for r in records if r.get("kind") != OUTSIDE_CELLS)
    outside = group_causes(r for r in records if r.get("kind") == OUTSIDE_CELLS)
    parts = []
    for title, chosen in (
        ("Crashes", [c for c in causes if c.outcome == "crashed"]),
        ("Failures", [c for c in causes if c.outcome == "failed"]),
        ("Failures outside the matrix", outside),
    ):
        if chosen:
            heading = f"<h3>{title} ({plural(len(chosen), 'root cause')})</h3>"
            parts.append(heading + "".join(_cause_item(c) for c in chosen))
    return "".join(parts) or '<p class="good">No check failed or crashed.</p>'


def _asset(name: str) -> str:
    return resources.files("parity").joinpath("assets", name).read_text(encoding="utf-8")


def _strict(value):
    """``value`` with non-finite floats as the strings "Infinity", "-Infinity", "NaN" (strict JSON has none;
    the page's script turns them back into numbers)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: _strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict(v) for v in value]
    return value


def _script_json(value) -> str:
    """Strict JSON that is safe inside <script>: no "<" can close the element."""
    return json.dumps(_strict(value), allow_nan=False, separators=(",", ":"), default=str).replace("<", "\\u003c")


def render_html(data: dict, out_dir: Path | None = None) -> str:
    """The page; ``out_dir`` is where ``data["plots"]`` (relative paths) are read from to embed them."""
    records = data["records"]
    machine = data["machine"]
    model = page_model(data)
    summary_line = f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores · Python {machine.get('python')}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>parity report</title><style>{_asset("report.css")}</style></head>
<body>
<header><h1>parity report</h1><div class="chips">{_verdict_chips(data["totals"], records)}</div>
<p class="verdict">{e(verdict(records))}</p>
<p class="meta">{e(summary_line)} · generated {e(data["generated"][:16].replace("T", " "))} UTC by
<code>{e(data["command"])}</code> (exit code {data["exit_code"]})</p>
<nav><a href="#matrix">Matrix</a><a href="#optimizers">Optimizers</a><a href="#loops">Loops</a>
<a href="#problems">Failures</a><a href="#divergences">Divergences</a><a href="#subnormals">Subnormals</a>
<a href="#skips">Skips</a><a href="#speed">Speed</a><a href="#plots">Plots</a><a href="#machine">Machine</a></nav>
</header>
<main>
<section class="first">
<div class="panel" id="disagrees">{_disagrees(records)}</div>
<div class="panel" id="finder"><h2>Fastest at your size</h2>{_fastest_summary(data["benchmarks"])}
<div id="finder-controls"></div><div id="finder-result"></div></div>
</section>
<section id="filters-section"><h2>Matrix</h2>
<p class="help">Each cell: the worst outcome of its checks and the share of its allowance
(atol + rtol·|expected|, plus the accumulation allowance of sums) that the worst element used — a pass is at most 1.
<b>CRASH</b>: an exception that is not a failed comparison. <b>div</b>: a declared divergence (strict xfail);
† a declared divergence not observed here. <b>ftz</b>: a subnormal came back as zero; <b>sub</b>: a subnormal differed.
Click a cell for its checks, messages and reproduce lines.</p>
<div id="filters"></div></section>
<div id="tables"></div>
<section id="problems"><h2>Failures and crashes by root cause</h2>{_problems_section(records)}</section>
<section id="divergences"><h2>Known divergences</h2>{_divergence_section(records)}</section>
<section id="subnormals"><h2>Subnormals</h2>{_subnormal_section(records)}</section>
<section id="skips"><h2>Skipped, by reason</h2>{_skips_section(records)}</section>
<section id="speed"><h2>Speed</h2>{_speed_section(data["benchmarks"], data.get("speed_verdict", []))}</section>
<section id="plots"><h2>Plots</h2>{_plots_section(data.get("plots", []), out_dir)}</section>
<section id="machine"><h2>Machine</h2>{_facts(machine)}</section>
</main>
<dialog id="detail"><form method="dialog"><button class="close" aria-label="close">×</button></form>
<div id="detail-body"></div></dialog>
<script id="model" type="application/json">{_script_json(model)}</script>
<script>{_asset("report.js")}</script>
</body></html>
"""
