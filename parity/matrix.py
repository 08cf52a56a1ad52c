"""Aggregate check records into the agreement matrix and render it for the terminal.

Rows are catalog entries, columns ``backend/device/dtype`` (``machine:backend/device/dtype`` in reports
merged from several machines, grouped by machine); a cell's status is the worst outcome among its checks
(crashed > failed > passed > known divergence > skip) and its headline is the share of the allowance its
worst element used (``ok 0.31``: 31 % of ``atol + rtol * |expected|``; a pass is at most 1).  Records of
tests outside the catalog's cells (kind ``test``) have no place in the matrix; the report lists them on
their own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from reference import ENTRY_GROUPS

RANK = {"crashed": 5, "failed": 4, "passed": 3, "xfailed": 2, "skipped": 1}
SYMBOL = {"crashed": "CRASH", "failed": "FAIL", "passed": "ok", "xfailed": "div", "skipped": "skip"}
MEASURED = ("passed", "failed")
OUTSIDE_CELLS = "test"  # the kind of records from tests that are not catalog cells
# failures whose size is not an error: a short tag says what failed instead (parity.compare's messages, and
# pytest's for a declared divergence that did not happen)
FAILURE_TAGS = (
    ("[XPASS(strict)]", "xpass"),
    ("NaN mask differs", "NaN"),
    ("inf positions or signs differ", "inf"),
    ("sign of zero differs", "±0"),
    (" differs from the expected ", "shape/dtype"),
    ("not a numpy.ndarray", "type"),
)


def failure_tag(reason: str | None) -> str:
    """``xpass``, ``NaN``, ``inf``, ``±0``, ``shape/dtype`` or ``type`` when a failure is not a size, else ''."""
    return next((tag for needle, tag in FAILURE_TAGS if needle in (reason or "")), "")


def _max(current: float | None, value) -> float | None:
    if value is None:
        return current
    return float(value) if current is None else max(current, float(value))


@dataclass
class Summary:
    """What one matrix cell saw: its status, the worst measurements of its checks, and their reasons."""

    status: str = "skipped"
    max_excess: float | None = None
    max_ulp: float | None = None
    max_rel: float | None = None
    flushed_to_zero: int = 0
    subnormals_differ: int = 0
    tag: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    def add(self, record: dict) -> None:
        outcome = record["outcome"]
        self.counts[outcome] = self.counts.get(outcome, 0) + 1
        self.status = max(self.counts, key=lambda seen: RANK.get(seen, 0))
        if outcome in MEASURED:
            self.max_excess = _max(self.max_excess, record.get("max_excess"))
            self.max_ulp = _max(self.max_ulp, record.get("max_ulp"))
            self.max_rel = _max(self.max_rel, record.get("max_rel"))
            self.flushed_to_zero += record.get("flushed_to_zero") or 0
            self.subnormals_differ += record.get("subnormals_differ") or 0
        if outcome == "failed":
            self.tag = self.tag or failure_tag(record.get("reason"))
        if outcome != "passed" and record.get("reason") and record["reason"] not in self.reasons:
            self.reasons.append(record["reason"])

    @property
    def flag(self) -> str:
        """``ftz`` when a subnormal truth came back as zero, ``sub`` when a subnormal differed otherwise."""
        return "ftz" if self.flushed_to_zero else "sub" if self.subnormals_differ else ""

    def text(self) -> str:
        """``ok 0.31`` (allowance used), ``FAIL 12``, ``FAIL NaN`` (see :func:`failure_tag`), ``CRASH``, ``div``,
        ``skip``; then ``ftz``/``sub`` flags."""
        symbol = SYMBOL.get(self.status, self.status)
        if self.status not in MEASURED:
            return symbol
        measure = format_excess(self.max_excess) if self.max_excess is not None else ""
        parts = [symbol, self.tag if self.status == "failed" and self.tag else measure, self.flag]
        return " ".join(p for p in parts if p)


def format_excess(excess: float) -> str:
    """Compact share of the allowance: 0, <0.01, 0.31, 1.00, 12, 3e+05, inf."""
    if math.isinf(excess):
        return "inf"
    if excess == 0:
        return "0"
    if excess < 0.01:
        return "<0.01"
    return f"{excess:.2f}" if excess < 10 else f"{excess:.0f}" if excess < 1e4 else f"{excess:.0e}"


def column_key(record: dict) -> str:
    """``backend/device/dtype``, prefixed with ``machine:`` in reports merged from several machines."""
    prefix = f"{record['machine']}:" if record.get("machine") else ""
    return f"{prefix}{record['backend']}/{record['device']}/{record['dtype']}"


def split_column(column: str) -> tuple[str, str, str, str]:
    """(machine or '', backend, device, dtype) of a column key."""
    machine, _, base = column.rpartition(":")
    backend, device, dtype = base.split("/")
    return machine, backend, device, dtype


def _column_order(column: str) -> tuple:
    """By machine, then reference first, then backends in registry order (numpy, the baseline, leads), CPU
    before GPU."""
    from impls import BACKENDS

    machine, backend, device, dtype = split_column(column)
    rank = list(BACKENDS).index(backend) if backend in BACKENDS else len(BACKENDS)
    return (machine, backend != "reference", rank, backend, device != "cpu", device, dtype)


def entry_order(names: Iterable[str]) -> list[str]:
    """Catalog order (ops, then layers, losses, optimizers, loops); unknown names last, sorted."""
    names = set(names)
    catalog = [name for group in ENTRY_GROUPS.values() for name in group]
    return [n for n in catalog if n in names] + sorted(names - set(catalog))


@dataclass
class Matrix:
    """Summaries keyed by (row, column)."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Summary]

    def cell(self, row: str, column: str) -> Summary | None:
        return self.cells.get((row, column))

    def text(self, row: str, column: str, missing: str = "-") -> str:
        summary = self.cell(row, column)
        return summary.text() if summary else missing

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for summary in self.cells.values():
            for outcome, n in summary.counts.items():
                out[outcome] = out.get(outcome, 0) + n
        return out

    def skipped_columns(self) -> list[str]:
        """Columns where every check that exists was skipped (e.g. GPU columns on a machine without one)."""
        return [
            c
            for c in self.columns
            if all(s.status == "skipped" for (_, column), s in self.cells.items() if column == c)
        ]


def build_matrix(records: Iterable[dict], *, checks: Iterable[str] | None = None, kinds=None) -> Matrix:
    """Fold cell records (optionally only some check kinds, or entry kinds) into a :class:`Matrix`."""
    wanted = set(checks) if checks is not None else None
    wanted_kinds = set(kinds) if kinds is not None else None
    cells: dict[tuple[str, str], Summary] = {}
    for record in records:
        if record.get("kind") == OUTSIDE_CELLS or (wanted is not None and record["check"] not in wanted):
            continue
        if wanted_kinds is not None and record.get("kind") not in wanted_kinds:
            continue
        cells.setdefault((record["op"], column_key(record)), Summary()).add(record)
    rows = entry_order(row for row, _ in cells)
    columns = sorted({column for _, column in cells}, key=_column_order)
    return Matrix(rows, columns, cells)


def render_text(matrix: Matrix) -> str:
    """A fixed-width table for the terminal, without the columns where every check was skipped."""
    if not matrix.rows:
        return "(no parity checks ran)"
    skipped = matrix.skipped_columns()
    columns = [c for c in matrix.columns if c not in skipped]
    width = max(len(r) for r in matrix.rows) + 2
    col_width = max(12, *(len(c) + 2 for c in columns)) if columns else 12
    lines = ["".ljust(width) + "".join(c.rjust(col_width) for c in columns)]
    for row in matrix.rows:
        cells = [matrix.text(row, c).rjust(col_width) for c in columns]
        lines.append(row.ljust(width) + "".join(cells))
    if skipped:
        lines.append(f"(not shown: {len(skipped)} column(s) where every check was skipped: {', '.join(skipped)})")
    return "\n".join(lines)


def render_markdown(matrix: Matrix) -> str:
    """A GitHub-flavoured markdown table; failing and crashed cells in bold."""
    if not matrix.rows:
        return "_no parity checks ran_\n"
    header = "| entry | " + " | ".join(f"`{c}`" for c in matrix.columns) + " |"
    lines = [header, "|---" * (len(matrix.columns) + 1) + "|"]
    for row in matrix.rows:
        texts = []
        for column in matrix.columns:
            summary = matrix.cell(row, column)
            text = matrix.text(row, column, missing="–")
            texts.append(f"**{text}**" if summary and summary.status in ("failed", "crashed") else text)
        lines.append(f"| {row} | " + " | ".join(texts) + " |")
    return "\n".join(lines) + "\n"
