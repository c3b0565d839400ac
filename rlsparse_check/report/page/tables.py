"""Small tables of text cells that always have a header row, for the sections the page writes
itself (the regime's profile and invariance check): ``{"head": [...], "rows": [[...], ...]}``.

Cells are already read for display (:mod:`rlsparse_check.numbers`); the template draws the head
as ``<th>`` cells and the first cell of each row as the row's label.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import reading

__all__ = ["table", "across", "quantile_label"]


def table(head: list[str], rows: list[list[str]]) -> dict[str, Any] | None:
    """A table with a header row; None when there is no row (nothing to draw)."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    width = max(len(head), *(len(row) for row in rows))
    pad = lambda cells: list(cells) + [""] * (width - len(cells))  # noqa: E731
    return {"head": pad(head), "rows": [pad(row) for row in rows]}


def quantile_label(quantile: Any) -> str:
    """A quantile as a column heading: ``0.5`` -> ``50%`` (``0.999`` -> ``99.9%``)."""
    try:
        value = float(quantile)
    except (TypeError, ValueError):
        return str(quantile)
    return f"{value * 100:.4g}%" if 0 <= value <= 1 else str(quantile)


def across(
    corner: str, columns: list[Any], rows: list[tuple[str, list[Any], str]], *, heading=str
) -> dict[str, Any] | None:
    """One column per entry of ``columns`` (headed by ``heading(column)``), one row per
    ``(label, values, key)``; each value read under ``key``. Rows whose length does not match
    the columns are left out rather than misaligned."""
    body = [
        [name, *(reading(v, key) for v in values)]
        for name, values, key in rows
        if isinstance(values, list) and len(values) == len(columns)
    ]
    return table([corner, *(heading(c) for c in columns)], body)
