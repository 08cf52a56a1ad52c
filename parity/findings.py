"""What a report says first: failures grouped by root cause (each with one line that reproduces it), the
checks closest to their tolerance, subnormal flags, and the reasons for divergences and skips.

One bug usually fails many checks: every dtype, every device, often every case of an entry.  Records are
grouped by entry, check kind, outcome and the *shape* of their message: the first line with the names of
backends, devices and dtypes and every number taken out, so ``exp [forward] on torch/cpu/float32: 3 of 28
element(s) outside ...`` and the same on ``cupy/emulated/float64`` are one cause.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from parity.matrix import OUTSIDE_CELLS, column_key
from parity.speed import speed_ratios

PROBLEMS = ("crashed", "failed")
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])|\b(?:inf|nan)\b")


def reproduce_line(record: dict) -> str:
    """The record's own reproduce command when it has one, else the pytest node id."""
    return record.get("reproduce") or f"pytest {shlex.quote(record['nodeid'])}"


def message_shape(message: str, names: Iterable[str]) -> str:
    """``message`` with ``names`` (backends, devices, dtypes) replaced by ``*`` and numbers by ``#``."""
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        message = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", "*", message)
    return NUMBER.sub("#", message)


@dataclass
class Cause:
    """Records that share an entry, a check kind, an outcome and a message shape."""

    entry: str
    check: str
    outcome: str
    shape: str
    records: list[dict] = field(default_factory=list)

    @property
    def example(self) -> dict:
        return self.records[0]

    @property
    def reproduce(self) -> str:
        return reproduce_line(self.example)

    @property
    def columns(self) -> list[str]:
        """The backend/device/dtype columns it appears in (empty for tests outside the matrix)."""
        return sorted({column_key(r) for r in self.records if r.get("backend")})

    @property
    def variants(self) -> list[str]:
        return sorted({r["variant"] for r in self.records if r.get("variant")})

    @property
    def worst_excess(self) -> float | None:
        excesses = [r["max_excess"] for r in self.records if r.get("max_excess") is not None]
        return max(excesses) if excesses else None

    def as_dict(self) -> dict:
        return {
            "entry": self.entry,
            "check": self.check,
            "outcome": self.outcome,
            "shape": self.shape,
            "count": len(self.records),
            "columns": self.columns,
            "variants": self.variants,
            "worst_excess": self.worst_excess,
            "reason": self.example.get("reason") or "",
            "message": self.example.get("message") or self.example.get("reason") or "",
            "reproduce": self.reproduce,
            "nodeids": [r["nodeid"] for r in self.records],
        }


def group_causes(records: Iterable[dict], outcomes: Iterable[str] = PROBLEMS) -> list[Cause]:
    """Root causes of the records with one of ``outcomes``: crashes first, then the most widespread."""
    wanted = [r for r in records if r["outcome"] in set(outcomes)]
    names = {r.get(key) for r in wanted for key in ("backend", "device", "dtype", "machine")}
    causes: dict[tuple, Cause] = {}
    for r in sorted(wanted, key=lambda r: r["nodeid"]):
        shape = message_shape(r.get("reason") or "(no reason given)", names)
        key = (r["op"], r["check"], r["outcome"], shape)
        causes.setdefault(key, Cause(*key)).records.append(r)
    return sorted(causes.values(), key=lambda c: (c.outcome != "crashed", -len(c.records), c.entry, c.check))


def format_ulp(record: dict) -> str:
    """The worst ULP distance, or – where no element was large enough for ULPs to mean something."""
    return "–" if record.get("max_ulp") is None else f"{record['max_ulp']:.0f}"


def closest_to_limit(records: Iterable[dict], n: int = 10) -> list[dict]:
    """The ``n`` passing checks that used the most of their allowance, one per (entry, check, column)."""
    best: dict[tuple, dict] = {}
    for r in records:
        if r["outcome"] == "passed" and r.get("max_excess") is not None and r.get("backend"):
            key = (r["op"], r["check"], column_key(r))
            if key not in best or r["max_excess"] > best[key]["max_excess"]:
                best[key] = r
    return sorted(best.values(), key=lambda r: -r["max_excess"])[:n]


def subnormal_records(records: Iterable[dict]) -> list[dict]:
    """Checks that flushed a subnormal truth to zero or got a subnormal wrong (whatever their outcome)."""
    return [r for r in records if r.get("flushed_to_zero") or r.get("subnormals_differ")]


def reason_counts(records: Iterable[dict], outcome: str) -> list[tuple[str, list[dict]]]:
    """(reason, its records) for ``outcome`` (e.g. skipped, xfailed), the most frequent first."""
    seen: dict[str, list[dict]] = {}
    for r in records:
        if r["outcome"] == outcome:
            seen.setdefault((r.get("reason") or "(no reason given)").removeprefix("known divergence: "), []).append(r)
    return sorted(seen.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def verdict(records: list[dict]) -> str:
    """One sentence: how many root causes of crashes and failures, or that everything that ran agreed."""
    causes = group_causes(r for r in records if r.get("kind") != OUTSIDE_CELLS)
    outside = [r for r in records if r.get("kind") == OUTSIDE_CELLS]
    crashes = [c for c in causes if c.outcome == "crashed"]
    failures = [c for c in causes if c.outcome == "failed"]
    if not causes and not outside:
        ran = sum(r["outcome"] in ("passed", "xfailed") for r in records)
        return f"Every one of the {ran} checks that ran agreed within its tolerance (or its declared divergence)."
    parts = []
    if crashes:
        parts.append(f"{plural(len(crashes), 'crash')} ({plural(sum(len(c.records) for c in crashes), 'check')})")
    if failures:
        n = sum(len(c.records) for c in failures)
        parts.append(f"{plural(len(failures), 'root cause')} of failure ({plural(n, 'check')})")
    if outside:
        parts.append(f"{plural(len(outside), 'failing test')} outside the matrix")
    return "Found " + ", ".join(parts) + "."


def fastest_by_dtype(benchmarks: list[dict]) -> dict[str, dict[str, tuple[str, float]]]:
    """entry -> dtype -> (the fastest ``backend/device[+transfer]`` at the entry's largest size, its ratio
    against numpy)."""
    out: dict[str, dict[str, tuple[str, float]]] = {}
    for (entry, col), ratio in speed_ratios(benchmarks).items():
        backend, device, dtype = col.split("/")
        dtype, transfer = dtype.partition("+")[0], "+transfer" if dtype.endswith("+transfer") else ""
        best = out.setdefault(entry, {}).get(dtype)
        if best is None or ratio < best[1]:
            out[entry][dtype] = (f"{backend}/{device}{transfer}", ratio)
    return out
