"""Reports across machines and across runs: ``parity merge`` and ``parity diff``.

A check is identified by its node id (test, entry, variant, backend, device, dtype), which is the same on
every machine for the same commit.  ``merge`` puts several reports side by side, each labelled with its
machine (or dispatch level), and lists the checks whose verdict or error differs between them.  ``diff``
compares an old report with a new one and lists the regressions a CI job gates on:

* a check that now fails (or crashes) and did not before;
* a check whose error grew beyond the reference's own noise: the worst ULP distance grew by more than
  ``max(NOISE_ULP, the numpy column's worst ULP for that entry and dtype in the new run)`` (the rounding
  the reference algorithm itself shows in that dtype) and now uses more of its allowance;
* a declared divergence that appeared or vanished (the behaviour observed changed);
* a benchmark slower beyond its measured spread: the new median exceeds the old by more than
  ``SPREAD_FACTOR`` times the larger interquartile range *and* by more than ``MIN_SLOWDOWN``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

BAD = ("failed", "crashed")
NOISE_ULP = 4.0
SPREAD_FACTOR = 2.0
MIN_SLOWDOWN = 1.10


def load_report(path: str | Path) -> dict:
    """A report.json (or the directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    data = json.loads(path.read_text())
    if "records" not in data:
        raise ValueError(f"{path} is not a parity report.json (it has no 'records')")
    return data


def machine_label(report: dict, fallback: str) -> str:
    """A short label for a report's machine: the CPU's vendor word, its widest SIMD, and the dispatch knobs
    set (``AMD-avx2``, ``Intel-avx512+ATEN_CPU_CAPABILITY=avx2``); ``fallback`` when facts are missing."""
    facts = (report.get("machine") or {}).get("facts") or {}
    if not facts:
        return fallback
    model = str(facts.get("cpu.model") or "cpu")
    vendor = next((w for w in ("AMD", "Intel", "Apple", "ARM", "Graviton") if w.lower() in model.lower()), "")
    flags = facts.get("cpu.flags") or []
    simd = "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else flags[-1] if flags else "generic"
    knobs = [f"{k.removeprefix('env.')}={v}" for k, v in sorted(facts.items()) if k.startswith("env.") and v]
    gpu = facts.get("gpu.name")
    label = "-".join(p for p in (vendor or model.split()[0], simd) if p)
    return label + (f"+{gpu}" if gpu else "") + "".join(f"+{k}" for k in knobs if "THREADS" not in k)


def _unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def merge_reports(reports: list[dict], labels: list[str]) -> dict:
    """One report whose records and benchmarks carry the ``machine`` label of the report they came from."""
    labels = _unique_labels(labels)
    records, benchmarks, machines = [], [], {}
    for label, report in zip(labels, reports):
        records += [{**r, "machine": label} for r in report["records"]]
        benchmarks += [{**b, "machine": label} for b in report.get("benchmarks", [])]
        machines[label] = {**(report.get("machine") or {}), "command": report.get("command")}
    return {
        "command": "parity merge",
        "exit_code": max((r.get("exit_code") or 0) for r in reports),
        "machines": machines,
        "records": records,
        "benchmarks": benchmarks,
        "differences": differences(records),
    }


def _verdict(record: dict) -> tuple:
    divergence = record.get("divergence") or {}
    return record["outcome"], divergence.get("observed")


def differences(records: Iterable[dict]) -> list[dict]:
    """Checks whose outcome, observed divergence or worst ULP (beyond NOISE_ULP) differ between machines."""
    by_check: dict[str, dict[str, dict]] = {}
    for r in records:
        by_check.setdefault(r["nodeid"], {})[r.get("machine", "")] = r
    found = []
    for nodeid, per_machine in sorted(by_check.items()):
        if len(per_machine) < 2:
            continue
        verdicts = {m: _verdict(r) for m, r in per_machine.items()}
        ulps = {m: r.get("max_ulp") for m, r in per_machine.items() if r.get("max_ulp") is not None}
        spread = (max(ulps.values()) - min(ulps.values())) if len(ulps) > 1 else 0.0
        if len(set(verdicts.values())) > 1 or spread > NOISE_ULP:
            first = next(iter(per_machine.values()))
            found.append(
                {
                    "nodeid": nodeid,
                    "op": first.get("op"),
                    "check": first.get("check"),
                    "column": f"{first.get('backend')}/{first.get('device')}/{first.get('dtype')}",
                    "machines": {
                        m: {
                            "outcome": r["outcome"],
                            "max_ulp": r.get("max_ulp"),
                            "observed": (r.get("divergence") or {}).get("observed"),
                        }  # fmt: skip
                        for m, r in per_machine.items()
                    },
                }
            )
    return found


# ---------------------------------------------------------------- diff
@dataclass(frozen=True)
class Regression:
    """One thing that got worse between two reports."""

    kind: str  # "new failure", "error grew", "divergence changed", "slower"
    what: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.what} — {self.detail}"


def _noise_ulp(records: list[dict]) -> dict[tuple, float]:
    """The numpy column's worst ULP per (entry, dtype): the reference algorithm's own rounding in that dtype."""
    noise: dict[tuple, float] = {}
    for r in records:
        if r.get("backend") == "numpy" and r.get("max_ulp") is not None and r["outcome"] == "passed":
            key = (r["op"], r["dtype"])
            noise[key] = max(noise.get(key, 0.0), float(r["max_ulp"]))
    return noise


def _check_regressions(old: list[dict], new: list[dict]) -> list[Regression]:
    before = {r["nodeid"]: r for r in old}
    noise = _noise_ulp(new)
    found = []
    for r in new:
        was = before.get(r["nodeid"])
        if was is None:
            if r["outcome"] in BAD:
                found.append(
                    Regression("new failure", r["nodeid"], f"{r['outcome']} (new check): {r.get('reason', '')}")
                )
            continue
        if r["outcome"] in BAD and was["outcome"] not in BAD:
            found.append(
                Regression("new failure", r["nodeid"], f"{was['outcome']} -> {r['outcome']}: {r.get('reason', '')}")
            )
            continue
        old_observed = (was.get("divergence") or {}).get("observed")
        new_observed = (r.get("divergence") or {}).get("observed")
        if old_observed != new_observed and (old_observed or new_observed):
            found.append(
                Regression(
                    "divergence changed",
                    r["nodeid"],
                    f"observed {old_observed or 'no declaration'} before, {new_observed or 'no declaration'} now",
                )
            )
        if was["outcome"] == r["outcome"] == "passed" and None not in (was.get("max_ulp"), r.get("max_ulp")):
            allowed = max(NOISE_ULP, noise.get((r["op"], r["dtype"]), 0.0))
            grew = float(r["max_ulp"]) - float(was["max_ulp"])
            used_more = (r.get("max_excess") is None or was.get("max_excess") is None) or (
                float(r["max_excess"]) > float(was["max_excess"])
            )
            if grew > allowed and used_more:
                found.append(
                    Regression(
                        "error grew",
                        r["nodeid"],
                        f"worst ULP {float(was['max_ulp']):.6g} -> {float(r['max_ulp']):.6g} "
                        f"(+{grew:.6g}; noise {allowed:.6g} ULP)",
                    )
                )
    return found


def _bench_key(b: dict) -> tuple:
    return (b.get("machine"), b.get("group"), b.get("name"))


def _bench_regressions(old: list[dict], new: list[dict]) -> list[Regression]:
    before = {_bench_key(b): b for b in old}
    found = []
    for b in new:
        was = before.get(_bench_key(b))
        if was is None or not was.get("median_s") or b.get("median_s") is None:
            continue
        spread = max(float(was.get("iqr_s") or 0.0), float(b.get("iqr_s") or 0.0))
        slower = b["median_s"] - was["median_s"]
        if slower > SPREAD_FACTOR * spread and b["median_s"] > MIN_SLOWDOWN * was["median_s"]:
            found.append(
                Regression(
                    "slower",
                    f"{b.get('group')} {b.get('name')}",
                    f"median {was['median_s'] * 1e3:.4g} ms -> {b['median_s'] * 1e3:.4g} ms "
                    f"({b['median_s'] / was['median_s']:.2f}x; spread {spread * 1e3:.3g} ms)",
                )
            )
    return found


def diff_reports(old: dict, new: dict) -> list[Regression]:
    """Every regression from ``old`` to ``new`` (see the module doc for the rules)."""
    return _check_regressions(old["records"], new["records"]) + _bench_regressions(
        old.get("benchmarks", []), new.get("benchmarks", [])
    )


def render_differences(merged: dict) -> list[str]:
    """Markdown: the machines, then the checks whose verdict differs between them."""
    lines = ["## Machines", "", "| label | CPU | facts that decide dispatch |", "|---|---|---|"]
    for label, machine in merged["machines"].items():
        facts = machine.get("facts") or {}
        decide = [f"{k} {v}" for k, v in facts.items() if re.match(r"(torch\.(cpu_capability|onednn_isa)|numpy\.simd$|"
                  r"env\.|gpu\.name)", k) and v]  # fmt: skip
        lines.append(f"| {label} | {facts.get('cpu.model', machine.get('cpu', '?'))} | {'; '.join(decide)} |")
    diffs = merged["differences"]
    lines += ["", f"## Checks that differ between machines ({len(diffs)})", ""]
    if not diffs:
        return [*lines, "_every check has the same verdict and worst ULP (within noise) on every machine_", ""]
    labels = list(merged["machines"])
    lines += ["| entry | check | column | " + " | ".join(labels) + " |", "|---" * (3 + len(labels)) + "|"]
    for d in diffs:
        cells = []
        for label in labels:
            m = d["machines"].get(label)
            if m is None:
                cells.append("–")
                continue
            ulp = "" if m["max_ulp"] is None else f" {float(m['max_ulp']):.3g} ulp"
            cells.append(f"{m['outcome']}{ulp}" + (f" ({m['observed']})" if m["observed"] else ""))
        lines.append(f"| {d['op']} | {d['check']} | {d['column']} | " + " | ".join(cells) + " |")
    return [*lines, ""]
