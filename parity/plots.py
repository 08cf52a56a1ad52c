"""PNG plots for the report: time against size per entry (log-log, crossovers against NumPy marked) and the
share of the allowance used per entry and backend (a heatmap).  matplotlib is imported only here, with the Agg
backend; without matplotlib the report says so instead of drawing.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

from parity.speed import PEER, column, ladder_records


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def crossovers(sizes_and_ratios: list[tuple[float, float]]) -> list[float]:
    """Sizes where time/NumPy's time crosses 1 (log-log interpolation between neighbouring rungs)."""
    points = sorted(sizes_and_ratios)
    out = []
    for (s0, r0), (s1, r1) in zip(points, points[1:]):
        l0, l1 = math.log(r0), math.log(r1)
        if l0 == 0.0:
            out.append(s0)
        elif l0 * l1 < 0:
            t = l0 / (l0 - l1)
            out.append(math.exp(math.log(s0) + t * (math.log(s1) - math.log(s0))))
    return out


def time_plots(benchmarks: list[dict], out_dir: Path) -> list[Path]:
    """One PNG per timed entry: median time against size, a line per backend/device(+transfer), one panel
    per dtype; an open circle where a line crosses NumPy's."""
    records = ladder_records(benchmarks)
    by_entry: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_entry[r["entry"]].append(r)
    if not by_entry:
        return []
    plt = _pyplot()
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for entry, rows in by_entry.items():
        dtypes = sorted({r["dtype"] for r in rows})
        fig, axes = plt.subplots(1, len(dtypes), figsize=(5.5 * len(dtypes), 4), squeeze=False)
        for ax, dtype in zip(axes[0], dtypes):
            lines: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for r in rows:
                if r["dtype"] == dtype:
                    lines[column(r).replace(f"/{dtype}", "")].append((r["size"], r["median_s"]))
            peer = dict(lines.get(f"{PEER}/cpu", []))
            for label, points in sorted(lines.items()):
                points.sort()
                (line,) = ax.loglog(
                    *zip(*points), marker=".", label=label, linewidth=2.2 if label == f"{PEER}/cpu" else 1.2
                )
                ratios = [(s, t / peer[s]) for s, t in points if s in peer and label != f"{PEER}/cpu"]
                for x in crossovers(ratios):
                    y = _interp(sorted(peer.items()), x)
                    ax.plot([x], [y], marker="o", markersize=9, fillstyle="none", color=line.get_color())
            ax.set_title(f"{entry}, {dtype}")
            ax.set_xlabel(rows[0]["axis"])
            ax.set_ylabel("median time (s)")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=7)
        fig.suptitle("○ = crosses numpy/cpu", fontsize=8, y=0.02)
        fig.tight_layout()
        path = out_dir / f"time_{entry}.png"
        fig.savefig(path, dpi=80)
        plt.close(fig)
        paths.append(path)
    return paths


def _interp(points: list[tuple[float, float]], x: float) -> float:
    """log-log interpolation of ``points`` at ``x`` (clamped to the ends)."""
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 <= x <= x1:
            t = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return math.exp(math.log(y0) + t * (math.log(y1) - math.log(y0)))
    return points[0][1] if x < points[0][0] else points[-1][1]


def allowance_heatmap(matrix, out_dir: Path) -> Path | None:
    """The share of its allowance each cell's worst element used, per entry (rows) and backend/device/dtype
    (columns): 0 to 1 for passing cells, red where a check failed or crashed, blank where nothing was measured
    (skips, declared divergences)."""
    columns = [c for c in matrix.columns if c not in matrix.skipped_columns()]
    if not matrix.rows or not columns:
        return None
    plt = _pyplot()
    import numpy as np

    grid = np.full((len(matrix.rows), len(columns)), np.nan)
    for i, row in enumerate(matrix.rows):
        for j, col in enumerate(columns):
            cell = matrix.cell(row, col)
            if cell is not None and cell.status in ("failed", "crashed"):
                grid[i, j] = 2.0  # beyond the colour scale: drawn in the "over" colour
            elif cell is not None and cell.status == "passed" and cell.max_excess is not None:
                grid[i, j] = cell.max_excess
    cmap = plt.get_cmap("viridis").with_extremes(over="red")
    # room for the rotated column labels below and the row labels to the left, whatever the number of cells
    labels_height = 0.07 * max(map(len, columns))
    labels_width = 0.07 * max(map(len, matrix.rows))
    size = (3.0 + labels_width + 0.45 * len(columns), 1.5 + labels_height + 0.22 * len(matrix.rows))
    fig, ax = plt.subplots(figsize=size)
    image = ax.imshow(grid, aspect="auto", cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks(range(len(columns)), columns, rotation=70, ha="right", fontsize=7)
    ax.set_yticks(range(len(matrix.rows)), matrix.rows, fontsize=7)
    ax.set_title("share of the allowance used (red: failed or crashed; blank: skipped or divergence)", fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.6, extend="max")
    fig.tight_layout()
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "allowance.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
