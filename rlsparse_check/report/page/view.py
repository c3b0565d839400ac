"""What the page shows of one claim: the headline, the thresholds, the evidence tables, the cases.

Pure functions from a claim entry of report.json (see collect.py) to plain data the template
draws; values become display trees (:func:`~rlsparse_check.report.page.values.node`).

* The headline is the claim's ``headline`` (the decisive case's ``ClaimResult.headline``); where
  it is empty (older reports) a sentence is built from the verdict, the key figure with its
  interval and the paper's ``summary``.
* ``statistics["thresholds"]`` (a list of ``{"name", "value", "source": "paper"|"harness",
  "note"}``) is its own table with a source badge; an older report's single ``threshold`` number
  stays a row of the test table.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import reading, share_mode
from rlsparse_check.report.collect import key_figure
from rlsparse_check.report.page.numbers import format_value, label
from rlsparse_check.report.page.runs import RunIndex
from rlsparse_check.report.page.values import node

__all__ = [
    "STAT_LABELS",
    "VERDICT_WORDS",
    "headline",
    "key_text",
    "p_text",
    "thresholds",
    "claim_view",
]

VERDICT_WORDS = {
    "reproduced": "Reproduced",
    "not_reproduced": "Not reproduced",
    "inconclusive": "Inconclusive",
}

# statistics keys shown first, with their labels; other keys follow in their report order
STAT_LABELS = {
    "test": "test",
    "alternative": "alternative",
    "statistic": "statistic",
    "p": "p-value",
    "p_adjusted": "adjusted p-value",
    "correction": "correction",
    "alpha": "alpha",
    "n": "n",
    "ci": "95% interval",
    "effect": "effect size",
    "threshold": "threshold",
}
_SOURCES = {"paper": "paper", "harness": "harness"}


def _figure_text(entry: dict[str, Any]) -> str | None:
    figure = key_figure(entry)
    if not figure:
        return None
    name, value = figure
    measured = entry.get("measured") or {}
    raw = measured.get(name)
    text = f"{label(name)} {reading(value, name)}"
    interval = raw.get("ci") if isinstance(raw, dict) else None
    if isinstance(interval, list) and len(interval) == 2:
        text += f" (95% CI {format_value(interval, 'ci', share_mode(name))})"
    return text


def headline(claim: dict[str, Any]) -> str:
    """The claim's opening sentence: its own headline, or one built from verdict and figures."""
    text = str(claim.get("headline") or "").strip()
    if not text:
        decisive = [
            c for c in claim.get("cases") or [] if c.get("case") == claim.get("decisive_case")
        ]
        text = str((decisive[0].get("headline") if decisive else "") or "").strip()
    if text:
        return text
    verdict = VERDICT_WORDS.get(str(claim.get("verdict")), str(claim.get("verdict")))
    paper = str((claim.get("paper") or {}).get("summary") or "").strip()
    figure = _figure_text(claim)
    if figure:
        sentence = f"{verdict}: {figure}" + (f" against the paper's {paper}" if paper else "")
    else:
        sentence = verdict + (f"; the paper reports {paper}" if paper else "")
    return sentence.rstrip(".") + "."


def key_text(entry: dict[str, Any]) -> str:
    figure = key_figure(entry)
    return f"{label(figure[0])} = {reading(figure[1], figure[0])}" if figure else "-"


def p_text(entry: dict[str, Any]) -> str:
    stats = entry.get("statistics") or {}
    p = stats.get("p_adjusted", stats.get("p"))
    return reading(p, "p") if isinstance(p, int | float) and not isinstance(p, bool) else "-"


def thresholds(statistics: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the thresholds table: name, value, source (``paper``/``harness``/``unstated``),
    note. Empty when ``statistics`` has no list of threshold records."""
    entries = statistics.get("thresholds")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return []
    rows = []
    for entry in entries:
        name = str(entry.get("name", "?"))
        rows.append(
            {
                "name": name,
                "value": node(entry.get("value"), name),
                "source": _SOURCES.get(str(entry.get("source")), "unstated"),
                "note": str(entry.get("note") or ""),
            }
        )
    return rows


def _rows(
    mapping: dict[str, Any], first: dict[str, str] | None = None, skip: tuple[str, ...] = ()
) -> list[tuple[str, dict[str, Any]]]:
    """(label, node) rows of a dict: ``first`` keys in their order and labels, then the rest."""
    first = first or {}
    keys = [k for k in first if k in mapping] + [k for k in mapping if k not in first]
    return [(first.get(k, label(k)), node(mapping[k], k)) for k in keys if k not in skip]


def _measured_rows(entry: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Measured figures, the key figure first and labelled as such; the "key" pointer hidden."""
    measured = dict(entry.get("measured") or {})
    key = measured.pop("key", None)
    first = {key: f"{label(key)} (key figure)"} if isinstance(key, str) and key in measured else {}
    return _rows(measured, first)


def claim_view(claim: dict[str, Any], runs: RunIndex) -> dict[str, Any]:
    """Everything the template needs of one claim, except its figures."""
    statistics = claim.get("statistics") or {}
    limits = thresholds(statistics)
    cases = claim.get("cases") or []
    return {
        "id": claim.get("id", "?"),
        "title": claim.get("title", ""),
        "verdict": claim.get("verdict", "inconclusive"),
        "reason": claim.get("reason", ""),
        "decisive_case": claim.get("decisive_case", ""),
        "case_count": len(cases),
        "headline": headline(claim),
        "key_text": key_text(claim),
        "p_text": p_text(claim),
        "paper_summary": (claim.get("paper") or {}).get("summary", "-"),
        "paper_rows": _rows(claim.get("paper") or {}, {"summary": "published figure"}),
        "measured_rows": _measured_rows(claim),
        "stat_rows": _rows(statistics, STAT_LABELS, skip=("thresholds",) if limits else ()),
        "thresholds": limits,
        "case_rows": [
            {
                "case": c.get("case", "?"),
                "verdict": c.get("verdict", "inconclusive"),
                "key": key_text(c),
                "p": p_text(c),
                "reason": c.get("reason", ""),
                "runs": runs.refs(c.get("runs") or []),
            }
            for c in cases
        ],
        "runs": runs.refs(claim.get("runs") or []),
    }
