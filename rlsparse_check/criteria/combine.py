"""The shared pieces of the decision rules: combining parts (the worst part decides), correcting
a family of p-values, and the verdict of a rule from what supports and what refutes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rlsparse_check.numbers import p_value, percent
from rlsparse_check.results import Decision, Verdict, decide, worst

__all__ = ["pct", "p_text", "all_of", "correct", "verdict_of", "interval_fields"]


def pct(x: float | None) -> str:
    return percent(x)


def p_text(p: float | None) -> str:
    return p_value(p)


def all_of(parts: Sequence[tuple[str, Decision]], *, decisive_only: bool = False) -> Decision:
    """Criteria that must all hold: the worst part decides. The reason lists every part, or
    with ``decisive_only`` only the first part of the worst verdict (order the parts so that
    the most telling one comes first)."""
    if not parts:
        return Decision(Verdict.INCONCLUSIVE, "no evidence")
    verdict = worst([d.verdict for _, d in parts])
    if decisive_only:
        return next(d for _, d in parts if d.verdict is verdict)
    return Decision(
        verdict, "; ".join(f"[{name}] {d.verdict.value}: {d.reason}" for name, d in parts)
    )


def correct(tests: Mapping[str, dict[str, Any]], method: str, key: str = "p") -> None:
    """Adjust the ``key`` p-values of a family of tests together (``method``: holm, bh) and
    write each back as ``f"{key}_adjusted"``; tests whose p-value is None are left out."""
    from rlsparse_check.stats import adjust

    named = [name for name, test in tests.items() if test.get(key) is not None]
    if named:
        for name, p in zip(named, adjust([tests[n][key] for n in named], method), strict=True):
            tests[name][f"{key}_adjusted"] = float(p)


def verdict_of(supports: bool, refutes: bool, why: str, n: int = 1, min_n: int = 1) -> Decision:
    return decide(supports=supports, refutes=refutes and not supports, n=n, min_n=min_n, why=why)


def interval_fields(lo: float, hi: float, level: float, kind: str) -> dict[str, Any]:
    """An interval as report.json writes it: ``ci`` with its ``ci_level`` and ``ci_kind``
    ("two-sided" or "one-sided bounds")."""
    return {"ci": [float(lo), float(hi)], "ci_level": float(level), "ci_kind": kind}
