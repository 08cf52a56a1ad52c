"""Benchmark records (from pytest-benchmark's JSON) folded into the report's speed tables.

Every ratio is against NumPy measured in the same run (``parity run`` times each backend in its own
process, one after another), on the same machine, at the same size and dtype;
the bandwidth column divides the bytes a memory-bound entry (elementwise op, reduction) must move by its
median time and by the device's copy bandwidth (the best ``x * 1`` probe on that device in the same run).
The verdict (:func:`verdict_rows`, :func:`render_verdict`) reads the cells of the backends parity writes
against their peers.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

PEER = "numpy"
# The speed verdict for the backends whose kernels parity writes: each is compared with the library a user
# would otherwise pick (numba with the faster of NumPy and torch; numexpr and our autograd engine, which build on
# NumPy's arrays, with NumPy).  A cell is read at the entry's largest rung, resident timings, medians, and only
# where the peer takes at least MIN_PEER_SECONDS, so that per-call overhead does not decide it.
OURS: dict[str, tuple[str, ...]] = {"numba": ("numpy", "torch"), "numexpr": ("numpy",), "autograd": ("numpy",)}
MIN_PEER_SECONDS = 20e-6
SLOW_RATIO = 1.5


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
    """(entry, column) -> (achieved bytes/s, fraction of the device's copy bandwidth) for the memory-bound
    entries (those whose records carry the bytes they must move: elementwise ops and reductions) at their
    largest rung (device-resident timings only)."""
    roof, rungs = copy_bandwidth(benchmarks), largest_rungs(benchmarks)
    out = {}
    for b in ladder_records(benchmarks):
        if b.get("bytes") and b.get("variant") == "resident" and b["size"] == rungs.get(b["entry"], (None,))[0]:
            achieved = b["bytes"] / b["median_s"]
            out[(b["entry"], column(b))] = (achieved, achieved / roof[b["device"]] if roof.get(b["device"]) else None)
    return out


def speed_notes(backend: str) -> dict[str, str]:
    """The backend's measured reasons for slow cells (its ``speed_notes`` class attribute), {} if it has none.
    Imports the backend's module, never its framework; the verdict asks only for parity's own backends
    (:data:`OURS`), so a module that does not import is an error here, never a verdict without its reasons."""
    from impls import backend_class

    return dict(getattr(backend_class(backend), "speed_notes", {}))


def verdict_rows(benchmarks: list[dict], notes: dict[str, dict[str, str]] | None = None) -> list[dict]:
    """One row per cell of ours (:data:`OURS`) at its entry's largest rung (resident timings): its median, the
    peer's (the fastest of its peers there, same entry, size and dtype), the ratio, the fraction of the copy
    bandwidth for memory-bound entries, whether the cell counts (peer >= :data:`MIN_PEER_SECONDS`), whether it
    is slow (counted and ratio > :data:`SLOW_RATIO`), and the backend's measured reason for the entry.
    ``notes``: backend -> entry -> reason; by default each backend's ``speed_notes``."""
    rungs, fractions = largest_rungs(benchmarks), bandwidth_fractions(benchmarks)
    resident = [b for b in ladder_records(benchmarks) if b.get("variant", "resident") == "resident"]
    times = {(b["backend"], b["device"], b["entry"], b["size"], b["dtype"]): b["median_s"] for b in resident}
    notes = {} if notes is None else notes
    rows = []
    for b in resident:
        if b["backend"] not in OURS or b["size"] != rungs.get(b["entry"], (None,))[0]:
            continue
        peers = [
            (times[key], peer)
            for peer in OURS[b["backend"]]
            if (key := (peer, "cpu", b["entry"], b["size"], b["dtype"])) in times
        ]
        if not peers:
            continue
        peer_s, peer = min(peers)
        ratio = b["median_s"] / peer_s
        counted = peer_s >= MIN_PEER_SECONDS
        if b["backend"] not in notes:
            notes[b["backend"]] = speed_notes(b["backend"])
        fraction = fractions.get((b["entry"], column(b)), (None, None))[1]
        rows.append(
            {
                "entry": b["entry"],
                "backend": b["backend"],
                "device": b["device"],
                "dtype": b["dtype"],
                "size": b["size"],
                "axis": b["axis"],
                "median_s": b["median_s"],
                "peer": peer,
                "peer_s": peer_s,
                "ratio": ratio,
                "bandwidth_fraction": fraction,
                "counted": counted,
                "slow": counted and ratio > SLOW_RATIO,
                "reason": notes[b["backend"]].get(b["entry"]),
            }
        )
    return sorted(rows, key=lambda r: (r["backend"], r["entry"], r["dtype"]))


def render_verdict(rows: list[dict], every_cell: bool = True) -> list[str]:
    """The verdict in markdown: how many cells of ours are slower than SLOW_RATIO x their peer, each of them with
    its measured reason, then (``every_cell``) every cell's ratio (and bandwidth fraction) per entry."""
    if not rows:
        return []
    counted = [r for r in rows if r["counted"]]
    slow = [r for r in counted if r["slow"]]
    peers = "; ".join(f"{ours}: {' or '.join(p)}" for ours, p in OURS.items())
    lines = [
        "### Verdict: our kernels against their peers",
        "",
        f"Peers ({peers}; the faster one per cell), at each entry's largest size, median, resident.",
        f"Counted where the peer takes at least {format_seconds(MIN_PEER_SECONDS)}: {len(counted)} of {len(rows)}"
        f" cells; **{len(slow)} more than {SLOW_RATIO:g}x slower than their peer**.",
        "",
    ]
    if slow:
        table = [
            [
                f"{r['entry']} {r['dtype']}",
                r["backend"],
                format_ratio(r["ratio"]),
                f"{r['peer']} {format_seconds(r['peer_s'])}",
                r["reason"] or "**no measured reason recorded**",
            ]
            for r in sorted(slow, key=lambda r: -r["ratio"])
        ]
        lines += [*_table(["entry, dtype", "backend", "time vs peer", "peer", "measured reason"], table), ""]
    if not every_cell:
        return lines
    columns = sorted({(r["backend"], r["dtype"]) for r in rows}, key=lambda c: (list(OURS).index(c[0]), c[1]))
    cells = {(r["entry"], r["backend"], r["dtype"]): r for r in rows}
    entries = list(dict.fromkeys(r["entry"] for r in sorted(rows, key=lambda r: _entry_order(r["entry"]))))
    lines += [
        "Every cell: time against its peer (`*` not counted: the peer is under "
        f"{format_seconds(MIN_PEER_SECONDS)}), and for memory-bound entries the fraction of the copy bandwidth.",
        "",
        *_table(
            ["entry", *(f"`{b}/{d}`" for b, d in columns)],
            [[e, *(_verdict_cell(cells.get((e, b, d))) for b, d in columns)] for e in entries],
        ),
        "",
    ]
    return lines


def _verdict_cell(row: dict | None) -> str:
    if row is None:
        return "–"
    text = format_ratio(row["ratio"]) + ("" if row["counted"] else "*")
    text = f"**{text}**" if row["slow"] else text
    return text + (f" ({row['bandwidth_fraction']:.0%} bw)" if row["bandwidth_fraction"] is not None else "")


def _entry_order(entry: str) -> int:
    from reference import CATALOG

    return list(CATALOG).index(entry) if entry in CATALOG else len(CATALOG)


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
    lines += render_verdict(verdict_rows(benchmarks))
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
            "### Memory-bound entries: achieved bandwidth, and its fraction of the device's copy bandwidth",
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


def main(argv: list[str] | None = None) -> int:
    """``python -m parity.speed BENCH.json``: the verdict of a pytest-benchmark JSON file (e.g. from a ladder run
    with ``--benchmark-json``), without running the matrix."""
    import sys

    paths = sys.argv[1:] if argv is None else argv
    if len(paths) != 1:
        print("usage: python -m parity.speed BENCH.json", file=sys.stderr)
        return 2
    print("\n".join(render_verdict(verdict_rows(load_benchmarks(Path(paths[0]))))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
