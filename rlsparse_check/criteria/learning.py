"""The learning guard: a verdict that rests on runs that should have learned checks they did.

A run set that did not learn is trivially sparse (nothing moved), so sparsity read from it
proves nothing either way. :func:`learned` decides one run set from its eval gains over seeds
(:func:`rlsparse_check.measures.learning.gain_over_seeds`, Holm-adjusted across the claim's
run sets with :func:`rlsparse_check.criteria.combine.correct`); :func:`guard` turns a verdict
inconclusive when any of its run sets did not learn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import p_text
from rlsparse_check.results import Decision, Verdict

__all__ = ["learned", "guard"]


def learned(test: Mapping[str, Any], alpha: float) -> Decision:
    """``test``: a gain test over seeds (``mean``, ``n``, ``p_adjusted`` of the one-sided
    one-sample t, or ``p`` when it is the family's only test; optionally ``name``, the run
    set). Reproduced-compatible when the adjusted p is below ``alpha`` and the mean gain is
    above zero; otherwise inconclusive, naming the run set that did not learn."""
    name = test.get("name", "the runs")
    p = test.get("p_adjusted") if test.get("p_adjusted") is not None else test.get("p")
    mean = float(test.get("mean", float("nan")))
    figures = (
        f"eval gain {mean:+.3f} over {test.get('n', 0)} seeds, adjusted one-sided p {p_text(p)}"
    )
    if p is not None and p < alpha and mean > 0:
        return Decision(Verdict.REPRODUCED, f"{name} learned ({figures})")
    if p is None:
        why = f"{name}: learning not testable ({figures}; needs at least 2 seeds)"
    else:
        why = f"{name} did not learn significantly ({figures}, alpha {alpha:g})"
    return Decision(Verdict.INCONCLUSIVE, why)


def guard(decision: Decision, *learned_decisions: Decision) -> Decision:
    """``decision`` unchanged when every run set learned, else inconclusive with the reason
    naming each run set that did not (and the verdict it would have had)."""
    failed = [d.reason for d in learned_decisions if d.verdict is not Verdict.REPRODUCED]
    if not failed:
        return decision
    return Decision(
        Verdict.INCONCLUSIVE,
        f"{'; '.join(failed)}: a run that did not learn is trivially sparse, so this proves "
        f"nothing either way (the measurement alone would read "
        f"{decision.verdict.value.replace('_', ' ')}: {decision.reason})",
    )
