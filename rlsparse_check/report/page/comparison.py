"""Two reports side by side: verdicts and key figures that moved, as a terminal table and a page.

The rows are :func:`~rlsparse_check.report.compare.changes` of report A (before) to report B
(after): the same comparison the ``--baseline`` drift check makes, so ``rlsparse-check report
BASELINE.json --compare NEW.json`` shows what ``pytest claims/ --baseline BASELINE.json`` would
call drift in NEW, and every other claim beside it.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import number, points, reading, share_mode
from rlsparse_check.report.compare import Change, changes
from rlsparse_check.report.page.numbers import format_value, label
from rlsparse_check.report.page.view import headline, p_text

__all__ = ["figure_change", "status", "terminal_table", "differing_settings", "render_compare_html"]

_NOT_TESTED = "-"


def _figure(figure: tuple[str, float] | None) -> str:
    return _NOT_TESTED if figure is None else reading(figure[1], figure[0])


def figure_change(change: Change) -> str:
    """B minus A of the key figure, in its own reading (percentage points for shares)."""
    name = change.figure_name
    if name is None:
        return ""
    delta = change.figure_after[1] - change.figure_before[1]  # type: ignore[index]
    if delta == 0:
        return "0"
    if share_mode(name):
        return points(delta)
    return f"{delta:+.3g}"


def status(change: Change) -> str:
    """What changed, in words ("" when nothing beyond the tolerance did)."""
    if change.before is None:
        return "only in B"
    if change.after is None:
        return "only in A"
    parts = []
    if change.verdict_changed:
        parts.append("verdict")
    if change.figure_moved:
        parts.append("key figure")
    if change.figure_before and change.figure_after and change.figure_name is None:
        parts.append("key figure renamed")
    return " and ".join(parts) + (" changed" if parts else "")


def _verdict(verdict: str | None) -> str:
    return _NOT_TESTED if verdict is None else verdict.replace("_", " ")


def terminal_table(name_a: str, name_b: str, rows: list[Change], tolerance: float) -> str:
    """The comparison as a short fixed-width table and one summary line."""
    table = [("claim", "verdict A", "verdict B", "key figure", "A", "B", "B - A", "changed")]
    for change in rows:
        figure = change.figure_after or change.figure_before
        table.append(
            (
                change.claim_id,
                _verdict(change.verdict_before),
                _verdict(change.verdict_after),
                label(figure[0]) if figure else "",
                _figure(change.figure_before),
                _figure(change.figure_after),
                figure_change(change),
                status(change),
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [f"A: {name_a}", f"B: {name_b}"]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    verdicts = sum(c.verdict_changed for c in rows)
    figures = sum(c.figure_moved for c in rows)
    alone = sum(c.before is None or c.after is None for c in rows)
    lines.append(
        f"{sum(c.changed for c in rows)} of {len(rows)} claims changed: {verdicts} "
        f"verdict(s), {figures} key figure(s) beyond the tolerance "
        f"{number(tolerance)}, {alone} tested in one report only"
    )
    return "\n".join(lines)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def differing_settings(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(setting, A, B)`` for every option, version, commit or machine fact that differs."""

    def facts(report: dict[str, Any]) -> dict[str, Any]:
        provenance = {
            k: v
            for k, v in (report.get("provenance") or {}).items()
            if k not in ("hashes", "wall_times")
        }
        return {**_flat(report.get("settings") or {}, "option "), **_flat(provenance)}

    old, new = facts(a), facts(b)
    keys = list(old) + [k for k in new if k not in old]
    return [
        (
            label(k),
            format_value(old.get(k), k.rsplit(".", 1)[-1]),
            format_value(new.get(k), k.rsplit(".", 1)[-1]),
        )
        for k in keys
        if old.get(k) != new.get(k)
    ]


def render_compare_html(
    a: dict[str, Any], b: dict[str, Any], name_a: str, name_b: str, tolerance: float
) -> str:
    """The HTML page of the comparison of report A (before) and report B (after)."""
    from rlsparse_check.report.page.render import environment

    rows = changes(a["claims"], b["claims"], tolerance)
    claims = []
    for change in rows:
        figure = change.figure_after or change.figure_before
        claims.append(
            {
                "id": change.claim_id,
                "title": change.title,
                "status": status(change),
                "verdict_a": change.verdict_before,
                "verdict_b": change.verdict_after,
                "figure": label(figure[0]) if figure else "",
                "value_a": _figure(change.figure_before),
                "value_b": _figure(change.figure_after),
                "delta": figure_change(change),
                "p_a": p_text(change.before) if change.before else _NOT_TESTED,
                "p_b": p_text(change.after) if change.after else _NOT_TESTED,
                "headline_a": headline(change.before) if change.before else "not tested",
                "headline_b": headline(change.after) if change.after else "not tested",
            }
        )
    sides = [
        {
            "name": name,
            "summary": report.get("summary") or {},
            "finished": ((report.get("provenance") or {}).get("wall_times") or {}).get(
                "finished", ""
            ),
            "mode": report.get("mode") or "?",
        }
        for name, report in ((name_a, a), (name_b, b))
    ]
    return (
        environment()
        .get_template("compare.html.j2")
        .render(
            claims=claims,
            sides=sides,
            tolerance=tolerance,
            changed=sum(c.changed for c in rows),
            total=len(rows),
            settings=differing_settings(a, b),
        )
    )
