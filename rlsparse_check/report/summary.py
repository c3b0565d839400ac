"""A claim's key figure in one line, for the terminal summary and the page's summary table.

A claim with one case shows that case's figure (with its interval where the interval's level is
known); a claim with several cases shows every case compactly (``sparsity: dpo 63.0%, grpo
33.4%``) or, beyond :data:`MAX_LISTED` cases, the range over the cases with the deciding case
named; the same figure in every case is said once.

An interval's level is read from the data (:func:`interval_level`): the interval's own ``level``
and ``kind`` keys, or keys beside it (``level``/``ci_level``, ``kind``/``ci_kind``); else the
statistics' ``test`` text where it states one (``95% t interval``, a TOST, two one-sided bounds
at level 0.95); otherwise no level is printed rather than a wrong one.
"""

from __future__ import annotations

import re
from typing import Any

from rlsparse_check.numbers import interval, reading, share_mode
from rlsparse_check.report.collect import key_figure

__all__ = [
    "MAX_LISTED",
    "case_figures",
    "interval_bounds",
    "interval_level",
    "figure_summary",
    "summary_line",
]

#: Cases listed one by one in a claim's key figure; more are shown as a range.
MAX_LISTED = 6

_LEVEL_IN_TEXT = re.compile(r"(\d+(?:\.\d+)?)% [^;]*?(?:interval|CI\b)", re.I)
_ONE_SIDED_BOUNDS = re.compile(r"one-sided bounds at level (0\.\d+)", re.I)
_BOUND_NAMES = (("lo", "hi"), ("low", "high"), ("lower", "upper"))


def interval_bounds(value: Any) -> tuple[float | None, float | None] | None:
    """``(lo, hi)`` of an interval given as ``[lo, hi]`` or as a dict with bounds, else None."""
    if isinstance(value, list | tuple) and len(value) == 2:
        return value[0], value[1]
    if isinstance(value, dict):
        if isinstance(value.get("bounds"), list | tuple) and len(value["bounds"]) == 2:
            return value["bounds"][0], value["bounds"][1]
        for lo, hi in _BOUND_NAMES:
            if lo in value or hi in value:
                return value.get(lo), value.get(hi)
    return None


def _percent_level(level: Any) -> str | None:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 100:
        return None
    value = level * 100 if level < 1 else level
    return f"{value:g}%"


def interval_level(
    interval_value: Any, around: dict[str, Any] | None = None, statistics: Any = None
) -> str | None:
    """The level of an interval as text (``"90%"``, ``"95% one-sided"``) or None when unknown.

    ``around``: the mapping holding the interval (sibling ``level``/``kind`` keys); ``statistics``:
    the entry's statistics, whose ``test`` text may state the level."""
    own = interval_value if isinstance(interval_value, dict) else {}
    around = around or {}
    level = own.get("level", around.get("ci_level", around.get("level")))
    kind = own.get("kind", around.get("ci_kind", around.get("kind")))
    text = _percent_level(level)
    if text is None and isinstance(statistics, dict):
        test = str(statistics.get("test") or "")
        stated = _LEVEL_IN_TEXT.search(test)
        bounds = _ONE_SIDED_BOUNDS.search(test)
        if stated:
            text = f"{float(stated.group(1)):g}%"
        elif bounds:  # two one-sided bounds at level L make a 2L - 1 two-sided interval
            text = _percent_level(round(2 * float(bounds.group(1)) - 1, 6))
        elif "tost" in test.lower():
            text = "90%"
    if text and isinstance(kind, str) and kind and kind != "two-sided":
        text += f" {kind}"
    return text


def _figure_interval(entry: dict[str, Any], name: str) -> str:
    raw = (entry.get("measured") or {}).get(name)
    if not isinstance(raw, dict):
        return ""
    bounds = interval_bounds(raw.get("ci"))
    if bounds is None or bounds == (None, None):
        return ""
    level = interval_level(raw.get("ci"), raw, entry.get("statistics"))
    span = interval(*bounds, name, share_mode(name))
    return f" ({level} CI {span})" if level else f" (interval {span})"


def case_figures(claim: dict[str, Any]) -> list[tuple[str, str, float, dict[str, Any]]]:
    """``(case, figure name, value, entry)`` of every case with a key figure, in report order;
    the claim's own figure (under its decisive case's name) when no case has one."""
    cases = [c for c in claim.get("cases") or [] if isinstance(c, dict)]
    found = []
    for case in cases:
        figure = key_figure(case)
        if figure:
            found.append((str(case.get("case") or ""), *figure, case))
    own = key_figure(claim)
    if not found and own:
        found.append((str(claim.get("decisive_case") or ""), *own, claim))
    return found


def _label(name: str) -> str:
    return name.replace("_", " ")


def figure_summary(claim: dict[str, Any], *, with_interval: bool = True) -> str:
    """The claim's key figure over its cases in one line (see the module doc); ``-`` if none."""
    figures = case_figures(claim)
    if not figures:
        return "-"
    if len(figures) == 1:
        _, name, value, entry = figures[0]
        tail = _figure_interval(entry, name) if with_interval else ""
        return f"{_label(name)} {reading(value, name)}{tail}"
    names = list(dict.fromkeys(name for _, name, _, _ in figures))
    texts = [reading(value, name) for _, name, value, _ in figures]
    if len(names) > 1:
        return "; ".join(
            f"{case}: {_label(name)} {text}"
            for (case, name, _, _), text in zip(figures, texts, strict=True)
        )
    name = names[0]
    if len(set(texts)) == 1:
        return f"{_label(name)} {texts[0]} in all {len(figures)} cases"
    if len(figures) <= MAX_LISTED:
        listed = ", ".join(
            f"{case} {text}" for (case, _, _, _), text in zip(figures, texts, strict=True)
        )
        return f"{_label(name)}: {listed}"
    values = [value for _, _, value, _ in figures]
    decisive = str(claim.get("decisive_case") or "")
    deciding = [
        text for (case, _, _, _), text in zip(figures, texts, strict=True) if case == decisive
    ]
    span = f"{reading(min(values), name)} to {reading(max(values), name)}"
    named = f" (deciding: {decisive} {deciding[0]})" if deciding else ""
    return f"{_label(name)} {span} over {len(figures)} cases{named}"


def summary_line(claim: dict[str, Any]) -> str:
    """One terminal line: id, verdict, key figure over the cases vs the published figure."""
    paper = (claim.get("paper") or {}).get("summary", "")
    tail = f" vs paper {paper}" if paper else ""
    figure = figure_summary(claim)
    measured = "no key figure" if figure == "-" else figure
    return f"{claim['id']:<4} {claim['verdict']:<15} {measured}{tail}"
