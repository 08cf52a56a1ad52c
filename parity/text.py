"""Plain-text tables for the command line."""

from __future__ import annotations


def format_columns(header: list[str], rows: list[list[str]], right=()) -> str:
    """A plain-text table whose columns are as wide as their widest cell, two spaces apart."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    right = set(right)
    return "\n".join(
        "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(line, widths))
        ).rstrip()
        for line in [header, *rows]
    )
