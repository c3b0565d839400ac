"""What the page shows of one claim: the headline, the thresholds, the evidence tables, the cases.

Pure functions from a claim entry of report.json (see :mod:`rlsparse_check.report.collect`) to
plain data the template draws; values become display trees
(:func:`~rlsparse_check.report.page.values.node`). A sentence that every case's reason ends with
is shown once for the claim (:func:`shared_tail`); an interval is labelled with the level the
data states (:func:`~rlsparse_check.report.summary.interval_level`), or with none.

* The headline is the claim's ``headline`` (the decisive case's ``ClaimResult.headline``); where
  it is empty (older reports) a sentence is built from the verdict, the key figure with its
  interval and the paper's ``summary``.
* ``statistics["thresholds"]`` (a list of ``{"name", "value", "source": "paper"|"harness",
  "note"}``) is its own table with a source badge; an older report's single ``threshold`` number
  stays a row of the test table.
"""

from __future__ import annotations

import re
from typing import Any

from rlsparse_check.numbers import reading, share_mode
from rlsparse_check.report.collect import key_figure
from rlsparse_check.report.page.numbers import label
from rlsparse_check.report.page.runs import RunIndex
from rlsparse_check.report.page.values import node
from rlsparse_check.report.summary import figure_summary, interval_level

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
    "ci": "interval",
    "effect": "effect size",
    "threshold": "threshold",
}
_SOURCES = {"paper": "paper", "harness": "harness"}


def _figure_text(entry: dict[str, Any]) -> str | None:
    text = figure_summary(entry)
    return None if text == "-" else text


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
    """One case's key figure: ``sparsity 63.0%``."""
    figure = key_figure(entry)
    return f"{label(figure[0])} {reading(figure[1], figure[0])}" if figure else "-"


_PART = re.compile(r"(^|;\s+)\[([^\]\[]{1,60})\] ")


def readable_reason(text: str) -> str:
    """A reason that joins the parts of a criterion as ``[part] verdict: why; [part] ...``
    written as ``part: verdict: why; part: ...``."""
    return _PART.sub(lambda m: f"{m.group(1)}{m.group(2)}: ", text)


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def shared_tail(reasons: list[str]) -> tuple[list[str], str]:
    """``reasons`` without the trailing sentences every one of them ends with, and those
    sentences once ("" when fewer than two reasons share any, or a reason would be left empty)."""
    if len(reasons) < 2:
        return reasons, ""
    split = [_SENTENCE_BREAK.split(r.strip()) for r in reasons]
    common = 0
    while all(len(s) > common + 1 for s in split) and len({s[-1 - common] for s in split}) == 1:
        common += 1
    if not common:
        return reasons, ""
    kept = [" ".join(s[: len(s) - common]) for s in split]
    return kept, " ".join(split[0][len(split[0]) - common :])


def _relabel(tree: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The display tree with every row or column labelled ``old`` labelled ``new``."""
    if tree.get("t") == "pairs":
        rows = [
            (new if lab == old else lab, _relabel(child, old, new)) for lab, child in tree["rows"]
        ]
        return {**tree, "rows": rows}
    if tree.get("t") == "grid":
        head = [new if h == old else h for h in tree["head"]]
        rows = [
            (new if lab == old else lab, [_relabel(c, old, new) for c in cells])
            for lab, cells in tree["rows"]
        ]
        return {**tree, "head": head, "rows": rows}
    return tree


def _level_label(level: str | None) -> str:
    return f"{level} CI" if level else "interval (level not stated)"


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
    statistics = entry.get("statistics") or {}
    rows = []
    for lab, tree in _rows(measured, first):
        name = next((k for k in measured if lab in (label(k), first.get(k))), None)
        raw = measured.get(name) if name is not None else None
        if isinstance(raw, dict) and "ci" in raw:
            # the test's stated level is that of the test's own interval: the key figure's
            tested = name == key or raw["ci"] == statistics.get("ci")
            level = interval_level(raw["ci"], raw, statistics if tested else None)
            tree = _relabel(tree, "ci", _level_label(level))
        rows.append((lab, tree))
    return rows


def _stat_rows(
    statistics: dict[str, Any], skip: tuple[str, ...], figure: tuple[str, float] | None = None
) -> list[tuple[str, Any]]:
    """The test's rows; the interval labelled with its level where the data states it."""
    level = interval_level(statistics.get("ci"), statistics, statistics)
    labels = STAT_LABELS | {"ci": _level_label(level)}
    rows = _rows(statistics, labels, skip=skip)
    if figure and share_mode(figure[0]):  # the test's interval and effect are of the key figure
        mode = share_mode(figure[0])
        own = {labels.get(k, label(k)): k for k in ("ci", "effect") if k in statistics}
        rows = [
            (lab, node(statistics[own[lab]], own[lab], mode) if lab in own else tree)
            for lab, tree in rows
        ]
    return rows


def claim_view(claim: dict[str, Any], runs: RunIndex) -> dict[str, Any]:
    """Everything the template needs of one claim, except its figures."""
    statistics = claim.get("statistics") or {}
    limits = thresholds(statistics)
    cases = claim.get("cases") or []
    reasons, shared = shared_tail([readable_reason(str(c.get("reason", ""))) for c in cases])
    why = readable_reason(str(claim.get("reason", "")))
    if shared and why.strip().endswith(shared):
        why = why.strip()[: -len(shared)].rstrip()
    return {
        "id": claim.get("id", "?"),
        "title": claim.get("title", ""),
        "verdict": claim.get("verdict", "inconclusive"),
        "reason": why,
        "shared_reason": shared,
        "decisive_case": claim.get("decisive_case", ""),
        "case_count": len(cases),
        "headline": headline(claim),
        "key_text": figure_summary(claim, with_interval=False),
        "p_text": p_text(claim),
        "paper_summary": (claim.get("paper") or {}).get("summary", "-"),
        "paper_rows": _rows(claim.get("paper") or {}, {"summary": "published figure"}),
        "measured_rows": _measured_rows(claim),
        "stat_rows": _stat_rows(statistics, ("thresholds",) if limits else (), key_figure(claim)),
        "thresholds": limits,
        "case_rows": [
            {
                "case": c.get("case", "?"),
                "verdict": c.get("verdict", "inconclusive"),
                "key": key_text(c),
                "p": p_text(c),
                "reason": reason,
                "runs": runs.refs(c.get("runs") or []),
            }
            for c, reason in zip(cases, reasons, strict=True)
        ],
        "runs": runs.refs(claim.get("runs") or []),
    }
