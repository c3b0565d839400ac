"""C9: the precision and learning-rate mechanism: (b) the rate moves sparsity at fixed steps and
not at fixed lr x steps, (c) a prediction from the base's half-ULPs and lr x steps alone and no
algorithm effect on what it leaves. The TOST parts take the family's Bonferroni level
``tost_alpha`` in both directions (see :mod:`rlsparse_check.measures.mechanism`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import all_of, p_text, pct, verdict_of
from rlsparse_check.criteria.margins import equivalent
from rlsparse_check.results import Decision, Verdict

__all__ = ["bf16_sparser", "rate_not_steps", "rates", "predicted"]


def bf16_sparser(test: Any, margin: float, alpha: float, adjusted: dict[str, float]) -> Decision:
    """C9(a): the same runs saved in bf16 sparser than in fp32 by at least ``margin`` (paired
    one-sided bounds; ``adjusted``: the family's ``a``/``a-refute`` p-values)."""
    from rlsparse_check.criteria.margins import much_greater

    if test is None:
        return Decision(Verdict.INCONCLUSIVE, "too little data (one seed)")
    what = "bf16 minus fp32 sparsity (paired by seed)"
    return much_greater(
        what, test, margin, alpha, p_above=adjusted["a"], p_below=adjusted["a-refute"]
    )


def rates(e: Any, alpha: float, margin: float) -> Decision:
    """C9(b) over the algorithms of an :class:`~rlsparse_check.measures.mechanism.Evidence`
    (adjusted ``"<algo> falls|rises"``, the TOST members at ``e.tost_alpha``): the worst
    algorithm decides."""
    parts, lead = [], []
    for algo, effect in e.effects.items():
        p = {k: e.adjusted[f"{algo} {k}"] for k in ("falls", "rises")}
        key = f"{algo} same"
        tost = (e.tost_p[key], e.tost_ci[key], e.tost_alpha, e.family)
        two = _rate_parts(effect, alpha, margin, p, tost)
        parts.append((algo, all_of(two)))
        lead += [(f"{algo} at {name}", d.verdict) for name, d in two]
    out = all_of(parts)
    deciding = [name for name, v in lead if v is out.verdict]
    head = f"Decided by {', '.join(deciding)} ({out.verdict.value.replace('_', ' ')})."
    return Decision(out.verdict, f"{head} {out.reason}" if deciding else out.reason)


def rate_not_steps(
    effect: Any,
    alpha: float,
    margin: float,
    p: Mapping[str, float],
    tost: tuple[float | None, Any, float, int] | None = None,
) -> Decision:
    """C9(b) for one algorithm (a :class:`~rlsparse_check.measures.mechanism.RateEffect`):
    sparsity falls when the rate rises at fixed steps (one-sided paired bound above zero;
    significantly rising refutes; ``p``: adjusted ``falls``/``rises``) AND is equivalent at
    equal lr x steps (paired TOST within ``margin``): ``tost`` = (raw TOST p, its interval at
    the family level, that level, family size m); equivalent when p is below the level, refuted
    when the interval lies wholly outside the margin. Without ``tost``: a family of one."""
    return all_of(_rate_parts(effect, alpha, margin, p, tost))


def _rate_parts(effect, alpha, margin, p, tost) -> list[tuple[str, Decision]]:
    f = effect.falls
    if tost is None:
        tost = (effect.same.p_value, tuple(effect.same.ci), alpha, 1)
    p_same, ci, level, m = tost
    falls = verdict_of(
        p["falls"] < alpha,
        p["rises"] < alpha,
        f"{effect.algo}: lr {effect.rates[0]:g} minus {effect.rates[1]:g} at {effect.steps[0]} "
        f"steps: {100 * f.diff:+.2f} pp (one-sided bounds {100 * f.lower:+.2f} / "
        f"{100 * f.upper:+.2f} pp, adjusted p {p_text(p['falls'])}, n={f.n})",
        f.n,
        2,
    )
    same = equivalent(
        f"{effect.algo}: lr {effect.rates[0]:g} x {effect.steps[0]} vs lr {effect.rates[1]:g} x "
        f"{effect.steps[1]} steps (Bonferroni over {m})",
        effect.same_diff,
        tuple(ci),
        p_same,
        margin,
        level,
        n=f.n,
        family=m,
    )
    return [("fixed steps", falls), ("fixed lr x steps", same)]


def predicted(
    error: float,
    limit: float,
    effect: Mapping[str, Any],
    margin: float,
    tost: tuple[float | None, Any, float, int],
) -> Decision:
    """C9(c), exact given the runs: the leave-one-condition-out mean absolute error of the
    predicted bf16 sparsity above ``limit`` refutes the precision account (lr x steps and the
    half-ULPs do not explain the runs); within it, the algorithm effect decides: RL minus SFT
    residual paired by shared (lr, steps) cell, TOST within ``margin`` (``tost`` = raw TOST p,
    its interval at the family level, that level, m): equivalent supports, wholly outside the
    margin refutes (the algorithm explains what lr x steps does not), else inconclusive; fewer
    than two shared cells: inconclusive. The reason opens with the sentence that decided it."""
    p, ci, level, m = tost
    est, n = effect.get("estimate"), int(effect.get("n") or 0)
    fit = f"the movement model predicts bf16 sparsity within {pct(error)} on average"
    fit += f" (limit {pct(limit)})"
    if not math.isfinite(error):
        return Decision(Verdict.INCONCLUSIVE, "too few conditions to fit the movement model")
    if error > limit:
        why = f"Decided by the prediction error: {fit.replace('within', 'off by')}, above it."
        return verdict_of(False, True, why)
    if est is None or ci is None or p is None or n < 2:
        why = f"Inconclusive for want of shared (lr, steps) cells ({n}) to pair RL and SFT; {fit}."
        return Decision(Verdict.INCONCLUSIVE, why)
    quote = (
        f"RL minus SFT residual {100 * est:+.2f} pp paired over {n} shared (lr, steps) cells "
        f"({100 * (1 - 2 * level):.4g}% CI {100 * ci[0]:+.2f} to {100 * ci[1]:+.2f} pp, "
        f"Bonferroni over {m}; TOST p {p_text(p)} vs {level:.3g}) against +-{100 * margin:g} pp"
    )
    if p < level:
        return verdict_of(
            True, False, f"Decided by the algorithm effect: {quote}: within it; {fit}."
        )
    if ci[0] >= margin or ci[1] <= -margin:
        why = f"Decided by the algorithm effect: {quote}: outside it; {fit}."
        return verdict_of(False, True, why)
    why = f"Decided by the algorithm effect: {quote}: neither within nor outside it; {fit}."
    return verdict_of(False, False, why)
