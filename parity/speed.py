"""Benchmark records (from pytest-benchmark's JSON) folded into the report's speed tables.

Every ratio is against NumPy measured in the same run, on the same machine, at the same size and dtype;
the bandwidth column divides the bytes an elementwise op must move by its median time and by the
device's copy bandwidth (the best ``x * 1`` probe on that device in the same run).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

PEER = "numpy"


def load_benchmarks(path: Path) -> list[dict]:
    """Flat records: pytest-benchmark's ``extra_info`` plus the median/IQR/rounds of each benchmark."""
    if not path.exists():
        return []
    out = []
    for bench in json.loads(path.read_text()).get("benchmarks", []):
        stats = bench["stats"]
        out.append(
            {
                **bench.get("extra_info", {}),
                "group": bench["group"],
                "name": bench["name"],
                "median_s": stats["median"],
                "iqr_s": stats["iqr"],
                "min_s": stats["min"],
                "rounds": stats["rounds"],
            }
        )
    return out


def column(record: dict) -> str:
    """``backend/device/dtype``, with ``+transfer`` for host-to-device-to-host timings."""
    base = f"{record['backend']}/{record['device']}/{record['dtype']}"
    return base + ("+transfer" if record.get("variant") == "transfer" else "")


def ladder_records(benchmarks: list[dict]) -> list[dict]:
    return [b for b in benchmarks if b.get("kind") == "ladder"]


def largest_rungs(benchmarks: list[dict]) -> dict[str, tuple[int, str]]:
    """Per entry, the largest size NumPy was timed at (and the axis it counts), where ratios are read."""
    best: dict[str, tuple[int, str]] = {}
    for b in ladder_records(benchmarks):
        if b["backend"] == PEER and b["size"] > best.get(b["entry"], (-1, ""))[0]:
            best[b["entry"]] = (b["size"], b["axis"])
    return best


def _peer_times(benchmarks: list[dict]) -> dict[tuple, float]:
    return {
        (b["entry"], b["size"], b["dtype"]): b["median_s"] for b in ladder_records(benchmarks) if b["backend"] == PEER
    }


HALF_TYPES = ("float16", "bfloat16")


def half_ratios(benchmarks: list[dict]) -> dict[tuple[str, str], float]:
    """(entry, ``backend/device/half dtype``) -> its median time / the same backend and device's float32 time, at
    the largest size both were timed at: > 1 is a half type slower than float32 (common on CPUs without native
    half arithmetic, where every element is converted)."""
    times = {(b["entry"], b["backend"], b["device"], b["dtype"], b["size"]): b["median_s"]
             for b in ladder_records(benchmarks) if b.get("variant", "resident") == "resident"}  # fmt: skip
    best: dict[tuple[str, str], tuple[int, float]] = {}
    for (entry, backend, device, dtype, size), median in times.items():
        single = times.get((entry, backend, device, "float32", size))
        key = (entry, f"{backend}/{device}/{dtype}")
        if dtype in HALF_TYPES and single and size >= best.get(key, (-1, 0.0))[0]:
            best[key] = (size, median / single)
    return {key: ratio for key, (_, ratio) in best.items()}


def speed_ratios(benchmarks: list[dict]) -> dict[tuple[str, str], float]:
    """(entry, column) -> median time / NumPy's median time, at the entry's largest rung."""
    peer, rungs = _peer_times(benchmarks), largest_rungs(benchmarks)
    ratios = {}
    for b in ladder_records(benchmarks):
        size = rungs.get(b["entry"], (None,))[0]
        reference = peer.get((b["entry"], size, b["dtype"]))
        if b["size"] == size and reference:
            ratios[(b["entry"], column(b))] = b["median_s"] / reference
    return ratios


def copy_bandwidth(benchmarks: list[dict]) -> dict[str, float]:
    """Device -> best measured copy bandwidth in bytes/s."""
    best: dict[str, float] = defaultdict(float)
    for b in benchmarks:
        if b.get("kind") == "bandwidth":
            best[b["device"]] = max(best[b["device"]], b["bytes"] / b["median_s"])
    return dict(best)


def bandwidth_fractions(benchmarks: list[dict]) -> dict[tuple[str, str], tuple[float, float]]:
    """(entry, column) -> (achieved bytes/s, fraction of the device's copy bandwidth) for elementwise ops at
    their largest rung (device-resident timings only)."""
    roof, rungs = copy_bandwidth(benchmarks), largest_rungs(benchmarks)
    out = {}
    for b in ladder_records(benchmarks):
        if b.get("bytes") and b.get("variant") == "resident" and b["size"] == rungs.get(b["entry"], (None,))[0]:
            achieved = b["bytes"] / b["median_s"]
            out[(b["entry"], column(b))] = (achieved, achieved / roof[b["device"]] if roof.get(b["device"]) else None)
    return out


def workload_rows(benchmarks: list[dict]) -> list[dict]:
    """Workload timings with their ratio against NumPy in the same group."""
    rows = [b for b in benchmarks if b.get("kind") == "workload"]
    peer = {b["group"]: b["median_s"] for b in rows if b["backend"] == PEER}
    return [{**b, "vs_numpy": b["median_s"] / peer[b["group"]] if b["group"] in peer else None} for b in rows]


def format_ratio(ratio: float) -> str:
    """0.0042x, 0.25x, 2.50x, 137x."""
    if ratio < 0.1:
        return f"{ratio:.2g}x"
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.0f}x"


def format_seconds(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|---" * len(header) + "|", *("| " + " | ".join(r) + " |" for r in rows)]


def render_speed(benchmarks: list[dict]) -> list[str]:
    """The markdown speed sections (empty when no benchmark ran)."""
    if not benchmarks:
        return ["## Speed", "", "_no benchmarks in this run (`parity run --bench none`)_", ""]
    lines = ["## Speed", ""]
    roof = copy_bandwidth(benchmarks)
    if roof:
        probe = ", ".join(f"{device} {bw / 1e9:.1f} GB/s" for device, bw in sorted(roof.items()))
        lines += [f"Copy bandwidth (best `x * 1` probe per device, read + write): {probe}.", ""]
    ratios, rungs = speed_ratios(benchmarks), largest_rungs(benchmarks)
    columns = sorted({c for _, c in ratios}, key=_column_order)
    if ratios:
        lines += [
            "### Time against numpy at the largest size (median; < 1 is faster than numpy)",
            "",
            *_table(
                ["entry", *(f"`{c}`" for c in columns)],
                [
                    [f"{entry} ({axis}={size:g})", *(_cell(ratios.get((entry, c))) for c in columns)]
                    for entry, (size, axis) in rungs.items()
                ],
            ),
            "",
        ]
    halves = half_ratios(benchmarks)
    if halves:
        cols = sorted({c for _, c in halves}, key=_column_order)
        entries = list(dict.fromkeys(e for e, _ in halves))
        lines += [
            "### The half types against float32 (same backend and device, largest size; > 1: the half type is slower)",
            "",
            *_table(
                ["entry", *(f"`{c}`" for c in cols)], [[e, *(_cell(halves.get((e, c))) for c in cols)] for e in entries]
            ),
            "",
        ]
    fractions = bandwidth_fractions(benchmarks)
    if fractions:
        cols = sorted({c for _, c in fractions}, key=_column_order)
        entries = list(dict.fromkeys(e for e, _ in fractions))
        lines += [
            "### Elementwise ops: achieved bandwidth, and its fraction of the device's copy bandwidth",
            "",
            *_table(
                ["entry", *(f"`{c}`" for c in cols)],
                [[e, *(_bw(fractions.get((e, c))) for c in cols)] for e in entries],
            ),
            "",
        ]
    rows = workload_rows(benchmarks)
    if rows:
        lines += ["### Workloads", ""]
        table = []
        for r in sorted(rows, key=lambda r: (r["group"], _column_order(column(r)))):
            extra = f"final loss {r['final_loss']:.10g} ({r['steps']} steps)" if "final_loss" in r else ""
            ratio = format_ratio(r["vs_numpy"]) if r["vs_numpy"] else "–"
            first = format_seconds(r["first_call_s"]) if r.get("first_call_s") else "–"
            table.append(
                [r["group"].removeprefix("workload: "), column(r), format_seconds(r["median_s"]), ratio, first, extra]
            )
        lines += [*_table(["workload", "backend/device/dtype", "median", "vs numpy", "first call", ""], table), ""]
    return lines


def _cell(ratio: float | None) -> str:
    return "–" if ratio is None else format_ratio(ratio)


def _bw(value) -> str:
    if value is None:
        return "–"
    achieved, fraction = value
    return f"{achieved / 1e9:.1f} GB/s" + (f" ({fraction:.0%})" if fraction is not None else "")


def _column_order(col: str) -> tuple:
    from parity.matrix import _column_order as order

    return (order(col.removesuffix("+transfer")), col.endswith("+transfer"))
