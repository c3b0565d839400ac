"""From recorded claim results to the report document (pure functions, no pytest here).

A claim test records one :class:`~rlsparse_check.results.ClaimResult` per case. The report groups
the cases by claim id; the worst case decides the claim (:func:`~rlsparse_check.results.worst`),
and that decisive case lends the claim its ``measured``/``statistics`` figures and its reason.
Everything is sorted (claims by number, cases by name) so that the same results give the same
``claims`` list whatever order the tests ran in (``-n 0`` and ``-n 2`` agree).

Conventions a claim test follows so that summaries and drift checks can find its key figure:

* ``measured["key"]`` names the entry of ``measured`` that is the claim's key figure
  (e.g. ``"sparsity"``); that entry is a number, or a dict with a ``"value"``.
* ``paper["summary"]`` is the published figure in words (e.g. ``"68.5%-96.0% (tol 1e-5)"``).
* ``statistics`` uses the keys ``test``, ``statistic``, ``p``, ``p_adjusted``, ``correction``,
  ``alpha``, ``n``, ``ci``, ``effect`` where they apply.

report.json, schema 1::

    {"schema": 1, "tool": {"name", "version"}, "mode": "checkpoints"|"training",
     "settings": {...options...},
     "summary": {"reproduced": n, "not_reproduced": n, "inconclusive": n, "skipped": n,
                 "errors": n},
     "claims": [{"id", "title", "verdict", "headline", "reason", "decisive_case", "paper",
                 "measured", "statistics", "runs", "cases": [ClaimResult.to_json(), ...]}],
     "regime": {...optional, see report/page/regime.py...},
     "skipped": [{"id", "nodeid", "reason"}], "errors": [{"id", "nodeid", "message"}],
     "provenance": {...see provenance.py...}}
"""

from __future__ import annotations

import json
import re
from typing import Any

from rlsparse_check import __version__
from rlsparse_check.numbers import reading
from rlsparse_check.results import ClaimResult, Verdict, worst

__all__ = [
    "SCHEMA",
    "aggregate",
    "claim_order",
    "key_figure",
    "build_report",
    "group_skips",
    "format_number",
]

SCHEMA = 1


def claim_order(claim_id: str) -> tuple[int, str]:
    """Sort key of a claim id: by its number (C2 before C10), then by the id."""
    digits = re.sub(r"\D", "", claim_id)
    return (int(digits) if digits else 10**6, claim_id)


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for item in items:
        seen.setdefault(json.dumps(item, sort_keys=True), item)
    return [seen[k] for k in sorted(seen)]


def aggregate(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group ClaimResult JSON dicts by claim id into claim entries (sorted, deterministic)."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    for data in results:
        case = ClaimResult.from_json(dict(data)).to_json()  # validates and normalises
        by_id.setdefault(case["id"], []).append(case)
    claims = []
    for claim_id in sorted(by_id, key=claim_order):
        cases = sorted(by_id[claim_id], key=lambda c: (c["case"], json.dumps(c, sort_keys=True)))
        verdict = worst([Verdict(c["verdict"]) for c in cases])
        decisive = next(c for c in cases if c["verdict"] == verdict.value)
        claims.append(
            {
                "id": claim_id,
                "title": decisive["title"],
                "verdict": verdict.value,
                "headline": decisive.get("headline", ""),
                "reason": decisive["reason"],
                "decisive_case": decisive["case"],
                "paper": decisive["paper"],
                "measured": decisive["measured"],
                "statistics": decisive["statistics"],
                "runs": _dedupe([run for c in cases for run in c["runs"]]),
                "cases": cases,
            }
        )
    return claims


def key_figure(entry: dict[str, Any]) -> tuple[str, float] | None:
    """The key figure of a claim or case entry: ``(name, value)`` or None when there is none."""
    measured = entry.get("measured") or {}
    name = measured.get("key")
    candidates = [name] if isinstance(name, str) else list(measured)
    for candidate in candidates:
        value = measured.get(candidate)
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return candidate, float(value)
    return None


def build_report(
    *,
    claims: list[dict[str, Any]],
    skipped: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    settings: dict[str, Any],
    provenance: dict[str, Any],
    regime: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the report.json document (``regime``: the optional regime section)."""
    summary = {v.value: sum(c["verdict"] == v.value for c in claims) for v in Verdict}
    summary["skipped"] = len(skipped)
    summary["errors"] = len(errors)
    order = lambda e: (claim_order(e.get("id") or "?"), e["nodeid"])  # noqa: E731
    return {
        "schema": SCHEMA,
        "tool": {"name": "rlsparse-check", "version": __version__},
        "mode": settings.get("mode"),
        "settings": settings,
        "summary": summary,
        "claims": claims,
        "skipped": sorted(skipped, key=order),
        "errors": sorted(errors, key=order),
        "provenance": provenance,
    } | ({"regime": regime} if regime else {})


def group_skips(skipped: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    """``{(claim id, reason): number of tests}`` in claim order: one line per claim and reason."""
    groups: dict[tuple[str, str], int] = {}
    for entry in sorted(skipped, key=lambda e: (claim_order(e.get("id") or "?"), e["nodeid"])):
        key = (entry.get("id") or "?", entry["reason"])
        groups[key] = groups.get(key, 0) + 1
    return groups


def format_number(value: Any, key: Any = "") -> str:
    """A value for one terminal line, read as :mod:`rlsparse_check.numbers` reads it under
    ``key`` (a share as a percent, a p-value, any other number); a list of values comma-joined."""
    if isinstance(value, list | tuple):
        return ", ".join(format_number(v, key) for v in value)
    return reading(value, key)
