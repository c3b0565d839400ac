"""The learning guard: a verdict that rests on runs that should have learned checks they did.

A run that did not learn is trivially sparse (nothing moved), so "sparser" or "as sparse" says
nothing about the algorithm. :func:`learned` reads one run set's gain test (the per-problem eval
gains, paired before/after on the shared eval draws, averaged over seeds, one-sided t over
problems, Holm-adjusted across the claim's run sets:
:func:`rlsparse_check.measures.learning.gain_tests`); :func:`guard` turns a verdict inconclusive
when any run set did not learn, naming it; :func:`learned_record` is every claim's
``measured.learned``: ``{"learned": bool, "run_sets": {name: {"learned", "reason", figures}}}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import p_text
from rlsparse_check.results import Decision, Verdict

__all__ = ["learned", "guard", "learned_record"]


def _get(test: Any, name: str) -> Any:
    return test.get(name) if isinstance(test, Mapping) else getattr(test, name, None)


def learned(test: Any, alpha: float) -> Decision:
    """Reproduced-compatible when the run set's adjusted p < ``alpha`` and its mean gain > 0;
    else inconclusive, naming the run set (``what``). ``test``: a GainTest or a mapping with
    ``what``/``mean``/``p_adjusted`` (or ``p``) and optionally ``se``."""
    what = _get(test, "what") or _get(test, "name") or _get(test, "runs") or "the runs"
    mean, se = _get(test, "mean"), _get(test, "se")
    p = _get(test, "p_adjusted")
    p = _get(test, "p") if p is None else p
    mean_text = "n/a" if mean is None else f"{mean:+.4f}"
    if p is None:
        return Decision(
            Verdict.INCONCLUSIVE,
            f"{what} did not show learning: fewer than two eval problems, no test of its eval "
            f"gain ({mean_text})",
        )
    se_text = "" if se is None else f" (paired SE over problems {se:.4f})"
    why = f"{what}: mean eval gain {mean_text}{se_text}, one-sided adjusted p {p_text(p)}"
    if p < alpha and mean is not None and mean > 0:
        return Decision(Verdict.REPRODUCED, f"{why}: learned")
    return Decision(Verdict.INCONCLUSIVE, f"{what} did not learn ({why} vs alpha {alpha:g})")


def guard(decision: Decision, *learned_decisions: Decision) -> Decision:
    """``decision`` unless a run set did not learn: then inconclusive, saying which."""
    failed = [d.reason for d in learned_decisions if d.verdict is not Verdict.REPRODUCED]
    if not failed:
        return decision
    return Decision(
        Verdict.INCONCLUSIVE,
        "the verdict rests on runs that did not learn: "
        + "; ".join(failed)
        + f" (without this guard: {decision.verdict.value.replace('_', ' ')}: {decision.reason})",
    )


def learned_record(tests: Mapping[str, Any], alpha: float) -> dict[str, Any]:
    """``measured.learned`` of a claim from ``{name: GainTest}``: whether every run set learned
    and, per run set, its boolean, the reason and the test's figures."""
    run_sets = {}
    for name, test in tests.items():
        d = learned(test, alpha)
        figures = test.figures() if hasattr(test, "figures") else dict(test)
        ok = d.verdict is Verdict.REPRODUCED
        run_sets[name] = {"learned": ok, "reason": d.reason, **figures}
    every = bool(run_sets) and all(r["learned"] for r in run_sets.values())
    return {"learned": every, "run_sets": run_sets}
