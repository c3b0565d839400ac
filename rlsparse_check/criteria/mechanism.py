"""C9: the precision and learning-rate mechanism: (b) the rate moves sparsity at fixed steps and
not at fixed lr x steps, (c) a prediction from the base's half-ULPs and lr x steps alone."""

from __future__ import annotations

import math
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


def rates(effects: dict[str, Any], adjusted: dict[str, float], alpha: float, margin: float):
    """C9(b) over the algorithms (``"<algo> falls|rises|same"`` adjusted p-values): the worst
    algorithm decides."""
    parts = []
    for algo, effect in effects.items():
        p = {k: adjusted[f"{algo} {k}"] for k in ("falls", "rises", "same")}
        parts.append((algo, rate_not_steps(effect, alpha, margin, p)))
    return all_of(parts)


def rate_not_steps(effect: Any, alpha: float, margin: float, p: dict[str, float]) -> Decision:
    """C9(b) for one algorithm (a :class:`~rlsparse_check.measures.mechanism.RateEffect`):
    sparsity falls when the rate rises at fixed steps (one-sided paired bound above zero;
    significantly rising refutes) AND is equivalent at equal lr x steps (paired TOST within
    ``margin``; its 1 - 2 alpha interval outside refutes). ``p``: family-adjusted
    ``falls``/``rises``/``same`` p-values."""
    f = effect.falls
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
        f"{effect.steps[1]} steps",
        effect.same_diff,
        tuple(effect.same.ci),
        p["same"],
        margin,
        alpha,
        n=f.n,
    )
    return all_of([("fixed steps", falls), ("fixed lr x steps", same)])


def predicted(error: float, limit: float, effect: dict[str, Any], p: float | None, alpha: float):
    """C9(c), exact given the runs: the leave-one-condition-out mean absolute error of the
    predicted bf16 sparsity at most ``limit`` supports the precision account; above it, or an
    algorithm effect on the residuals (RL vs SFT, Welch over conditions, adjusted ``p`` <
    ``alpha``: the algorithm explains what lr x steps does not), refutes it."""
    est = effect.get("estimate")
    quote = "not testable (fewer than two conditions per algorithm)"
    if est is not None:
        lo, hi = effect["ci"]
        ci = f"95% CI {100 * lo:+.2f} to {100 * hi:+.2f}"
        quote = f"{100 * est:+.2f} pp ({ci}, adjusted p {p_text(p)})"
    why = (
        f"predicted bf16 sparsity off by {pct(error)} on average (limit {pct(limit)}); "
        f"RL minus SFT residual {quote}"
    )
    by_algo = p is not None and p < alpha
    if not math.isfinite(error):
        return Decision(Verdict.INCONCLUSIVE, why)
    return verdict_of(error <= limit and not by_algo, error > limit or by_algo, why)
