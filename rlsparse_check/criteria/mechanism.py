"""C9: the precision and learning-rate mechanism (trend in lr x steps, agreement of a
prediction)."""

from __future__ import annotations

import math
from typing import Any

from rlsparse_check.criteria.combine import p_text, pct, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = ["trend", "agreement_beyond_chance"]


def trend(
    what: str, falling: Any, rising: Any, alpha: float, *, p_falling: float | None = None
) -> Decision:
    """C9(b): a blocked trend test (seeds kept together) that sparsity falls as lr x steps
    rises; the opposite one-sided test, when significant, refutes."""
    p = falling.p_value if p_falling is None else p_falling
    why = (
        f"{what}: statistic {falling.statistic:+.3f}, one-sided p {p_text(p)} (rising: "
        f"{p_text(rising.p_value)}, n={falling.n})"
    )
    return verdict_of(p < alpha, rising.p_value < alpha, why, falling.n)


def agreement_beyond_chance(
    kappa: float | None, min_kappa: float, *, agreement: float, base_rate: float
) -> Decision:
    """C9(c) (exact counts): Cohen's kappa of the half-ULP prediction against the observed
    unchanged entries vs ``min_kappa``; raw agreement and the base rate are quoted beside it."""
    quote = f"raw agreement {pct(agreement)}, base rate {pct(base_rate)} unchanged"
    if kappa is None or not math.isfinite(kappa):
        return Decision(Verdict.INCONCLUSIVE, f"kappa undefined (one class only): {quote}")
    why = f"Cohen's kappa {kappa:.3f} (need {min_kappa:g}); {quote}"
    return verdict_of(kappa >= min_kappa, kappa < min_kappa, why)
