"""Aggregate check records into the agreement matrix and render it.

Rows are catalog entries, columns ``backend/device/dtype``; a cell's status is
the worst outcome among its checks (fail > pass > known divergence > skip) and
it shows the worst ULP distance measured by the checks that ran.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from parity.checks import REFERENCE
from reference import CATALOG

RANK = {"failed": 4, "passed": 3, "xfailed": 2, "skipped": 1}
SYMBOL = {"failed": "FAIL", "passed": "ok", "xfailed": "div", "skipped": "skip"}


@dataclass
class Summary:
    """What one matrix cell saw."""

    status: str = "skipped"
    max_ulp: float = 0.0
    max_rel: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def add(self, record: dict) -> None:
        outcome = record["outcome"]
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        self.status = max(self.counts, key=lambda seen: RANK.get(seen, 0))
        if outcome in ("passed", "failed") and record.get("max_ulp") is not None:
            self.max_ulp = max(self.max_ulp, float(record["max_ulp"]))
            self.max_rel = max(self.max_rel, float(record["max_rel"]))
        if outcome != "passed" and record.get("reason") and record["reason"] not in self.reasons:
            self.reasons.append(record["reason"])

    def text(self, relative: bool = False) -> str:
        """``ok 3`` (worst ULP), or ``ok r=2e-09`` (worst relative error) when ``relative``."""
        if self.status in ("passed", "failed"):
            measure = f"r={self.max_rel:.0e}" if relative else format_ulp(self.max_ulp)
            return f"{SYMBOL[self.status]} {measure}"
        return SYMBOL.get(self.status, self.status)


def format_ulp(ulp: float) -> str:
    """Compact ULP count: 3, 812, 4e+05, inf."""
    if math.isinf(ulp):
        return "inf"
    return f"{ulp:.0f}" if ulp < 1e4 else f"{ulp:.0e}"


def column_key(record: dict) -> str:
    """``backend/device/dtype``, prefixed with ``machine:`` in merged reports."""
    prefix = f"{record['machine']}:" if record.get("machine") else ""
    return f"{prefix}{record['backend']}/{record['device']}/{record['dtype']}"


def _column_order(column: str) -> tuple:
    """reference first, then backends in registry order (numpy, the baseline, leads), CPU before GPU; in
    merged reports the machines' columns side by side for each backend/device/dtype."""
    from impls import BACKENDS

    machine, _, column = column.rpartition(":")
    backend, device, dtype = column.split("/")
    rank = list(BACKENDS).index(backend) if backend in BACKENDS else len(BACKENDS)
    return (backend != "reference", rank, backend, device != "cpu", device, dtype, machine)


@dataclass
class Matrix:
    """Summaries keyed by (row, column)."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Summary]

    def cell(self, row: str, column: str) -> Summary | None:
        return self.cells.get((row, column))

    def text(self, row: str, column: str, missing: str = "-") -> str:
        """A cell's text; the reference column (finite-difference checks) reports relative error."""
        summary = self.cell(row, column)
        return summary.text(relative=column.startswith(f"{REFERENCE}/")) if summary else missing

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for summary in self.cells.values():
            for outcome, n in summary.counts.items():
                out[outcome] = out.get(outcome, 0) + n
        return out


def build_matrix(records: Iterable[dict], *, checks: Iterable[str] | None = None) -> Matrix:
    """Fold records (optionally only some check kinds) into a :class:`Matrix`."""
    wanted = set(checks) if checks is not None else None
    cells: dict[tuple[str, str], Summary] = {}
    for record in records:
        if wanted is not None and record["check"] not in wanted:
            continue
        cells.setdefault((record["op"], column_key(record)), Summary()).add(record)
    ops = {row for row, _ in cells}
    rows = [name for name in CATALOG if name in ops] + sorted(ops - set(CATALOG))
    columns = sorted({column for _, column in cells}, key=_column_order)
    return Matrix(rows, columns, cells)


def render_text(matrix: Matrix) -> str:
    """A fixed-width table for the terminal."""
    if not matrix.rows:
        return "(no parity checks ran)"
    width = max(len(r) for r in matrix.rows) + 2
    col_width = max(12, *(len(c) + 2 for c in matrix.columns))
    lines = ["".ljust(width) + "".join(c.rjust(col_width) for c in matrix.columns)]
    for row in matrix.rows:
        cells = [matrix.text(row, c).rjust(col_width) for c in matrix.columns]
        lines.append(row.ljust(width) + "".join(cells))
    return "\n".join(lines)


def render_markdown(matrix: Matrix) -> str:
    """A GitHub-flavoured markdown table; failing cells in bold."""
    if not matrix.rows:
        return "_no parity checks ran_\n"
    header = "| entry | " + " | ".join(f"`{c}`" for c in matrix.columns) + " |"
    lines = [header, "|---" * (len(matrix.columns) + 1) + "|"]
    for row in matrix.rows:
        texts = []
        for column in matrix.columns:
            summary = matrix.cell(row, column)
            text = matrix.text(row, column, missing="–")
            texts.append(f"**{text}**" if summary and summary.status == "failed" else text)
        lines.append(f"| {row} | " + " | ".join(texts) + " |")
    return "\n".join(lines) + "\n"
