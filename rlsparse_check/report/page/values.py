"""Nested values of a report as small display trees: no Python repr ever reaches the page.

Every value a claim puts in ``measured``, ``statistics`` or ``paper`` (and the regime, runs and
provenance blocks) becomes a tree of nodes the template draws as tables; numbers in it read as
:mod:`rlsparse_check.numbers` says:

* ``{"t": "text", "text": str}``: a scalar or a short flat list;
* ``{"t": "pairs", "rows": [(label, node), ...]}``: a labelled list (a two-column table);
* ``{"t": "grid", "head": [column, ...], "rows": [(row label or "", [node, ...]), ...],
  "notes": [(label, text), ...], "labelled": bool}``: records (a list of dicts, or a dict of
  dicts) one per row with shared columns (a nested dict of numbers gives ``outer: inner``
  columns), or one per column when there are few records with many fields; a column with the
  same text in every row is said once in ``notes``.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import share_mode
from rlsparse_check.report.page.numbers import is_breakdown, label, list_text, plain_text, text_of

__all__ = ["node"]

_GRID_COLUMNS = 10
_TRANSPOSED_RECORDS = 6


def _text(text: str) -> dict[str, Any]:
    return {"t": "text", "text": text}


def _scalar_like(value: Any) -> bool:
    return not isinstance(value, dict | list | tuple)


def _flat_record(value: Any) -> bool:
    """A non-empty dict of scalars, flat lists of scalars or dicts of scalars (a grid record)."""
    if not isinstance(value, dict) or not value:
        return False
    for item in value.values():
        inner = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if not all(_scalar_like(x) for x in inner):
            return False
    return True


Column = tuple[str, str | None]  # (key, key inside a nested dict or None)


def _columns(records: list[dict[str, Any]]) -> list[Column]:
    columns: list[Column] = []
    for record in records:
        for key, value in record.items():
            inner = list(value) if isinstance(value, dict) and value else [None]
            columns += [(key, k) for k in inner if (key, k) not in columns]
    return columns


def _get(record: dict[str, Any], column: Column) -> Any:
    key, inner = column
    value = record.get(key)
    return value if inner is None else (value.get(inner) if isinstance(value, dict) else None)


def _cell(record: dict[str, Any], column: Column, mode: str | None) -> dict[str, Any]:
    key, inner = column
    if inner is None:
        return node(record.get(key), key, mode)
    return node(_get(record, column), inner, share_mode(key, mode), breakdown=True)


def _column_label(column: Column) -> str:
    key, inner = column
    return label(key) if inner is None else f"{label(key)}: {label(inner)}"


def _records_grid(rows: list[tuple[str, dict[str, Any]]], mode: str | None) -> dict | None:
    """Records as a grid: one row per record, or one column per record when there are few
    records and many fields; None when neither fits."""
    records = [record for _, record in rows]
    columns = _columns(records)
    notes = []
    if len(rows) > 1:
        for column in list(columns):
            values = [_get(record, column) for record in records]
            if isinstance(values[0], str) and all(v == values[0] for v in values):
                notes.append((_column_label(column), plain_text(values[0])))
                columns.remove(column)
    if len(columns) <= _GRID_COLUMNS:
        return {
            "t": "grid",
            "head": [_column_label(c) for c in columns],
            "rows": [(row, [_cell(record, c, mode) for c in columns]) for row, record in rows],
            "notes": notes,
            "labelled": any(row for row, _ in rows),
        }
    if len(rows) <= _TRANSPOSED_RECORDS:
        return {
            "t": "grid",
            "head": [row or str(i + 1) for i, (row, _) in enumerate(rows)],
            "rows": [
                (_column_label(c), [_cell(record, c, mode) for record in records]) for c in columns
            ],
            "notes": notes,
            "labelled": True,
        }
    return None


def node(
    value: Any, key: Any = "", share: str | None = None, breakdown: bool = False
) -> dict[str, Any]:
    """The display tree of ``value`` found under ``key`` (see the module doc); ``share``: the
    mode of the enclosing key, ``breakdown``: whether the enclosing mapping is a breakdown."""
    mode = share_mode(key, share, breakdown)
    if isinstance(value, dict):
        if not value:
            return _text("none")
        items = list(value.items())
        if len(items) > 1 and all(_flat_record(v) for v in value.values()):
            grid = _records_grid([(label(k), v) for k, v in items], mode)
            if grid is not None:
                return grid
        items.sort(key=lambda item: item[0] != "value")
        split = is_breakdown(value)
        return {"t": "pairs", "rows": [(label(k), node(v, k, mode, split)) for k, v in items]}
    if isinstance(value, list | tuple):
        value = list(value)
        text = list_text(key, value, mode)
        if text is not None:
            return _text(text)
        if all(_flat_record(v) for v in value):
            grid = _records_grid([("", v) for v in value], mode)
            if grid is not None:
                return grid
        return {
            "t": "pairs",
            "rows": [(str(i + 1), node(v, key, share, breakdown)) for i, v in enumerate(value)],
        }
    return _text(text_of(value, key, mode))
