"""C1: sparsity against the published range, over seeds or for one given checkpoint.

The sparsity is compared with the range published at the same tolerance (|a - b| <= atol). Over
seeds, "inside the range" is an equivalence question and is tested the way TOST tests it: each
bound is a one-sided test at level ``alpha``, so the two-sided t interval is ``1 - 2 alpha``
(90% at alpha 0.05). The algorithms of the claim form one family, Bonferroni-corrected: each
side at ``alpha / family``, i.e. the two-sided interval at ``1 - 2 alpha / family``, so that
neither a false "reproduced" nor a false "not reproduced" among the family's cases exceeds
``alpha`` (refutation corrected like support; tests/test_criteria_range.py checks both rates).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rlsparse_check.criteria.combine import pct, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = ["in_range", "checkpoint_in_range", "family_level", "position", "decided_by"]


def family_level(alpha: float, family: int) -> float:
    """The two-sided level of each interval of a family of ``family``: each side a one-sided
    test at ``alpha / family`` (TOST's level, Bonferroni-adjusted): ``1 - 2 alpha / family``."""
    return 1 - 2 * alpha / max(1, family)


def decided_by(decision: Decision, in_sample: Decision, gain: Decision) -> str:
    """C1's one sentence on what decided it: the learning guard when the runs did not learn,
    else where the interval of the mean sparsity lies against the range."""
    said = decision.verdict.value.replace("_", " ").capitalize()
    if gain.verdict is not Verdict.REPRODUCED:
        without = in_sample.verdict.value.replace("_", " ")
        return (
            f"{said}, decided by the learning guard: {gain.reason}; without it, {without}: "
            f"{in_sample.reason}."
        )
    return f"{said}, decided by the range: {in_sample.reason}."


def position(value: float | None, lo: float, hi: float) -> str:
    """``below``, ``inside`` or ``above`` ``[lo, hi]`` (``n/a`` for no value); for figures
    reported beside the deciding one."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return "below" if value < lo else "above" if value > hi else "inside"


def in_range(
    values: Sequence[float], lo: float, hi: float, *, alpha: float, family: int = 1
) -> tuple[Decision, tuple[float, float]]:
    """C1 over seeds: the two-sided t interval of the mean sparsity at level
    ``family_level(alpha, family)`` against ``[lo, hi]``: inside supports, wholly below or above
    refutes, straddling a bound is inconclusive. Fewer than 2 seeds: inconclusive. Whether the
    runs learned is decided apart (:mod:`rlsparse_check.criteria.learning`)."""
    from rlsparse_check.stats import mean_ci

    n, level = len(values), family_level(alpha, family)
    ci = mean_ci(values, level) if n >= 2 else (-math.inf, math.inf)
    mean = sum(values) / n if n else math.nan
    where = (
        f"mean sparsity {pct(mean)} ({100 * level:.4g}% t interval {pct(ci[0])}-{pct(ci[1])}, "
        f"n={n} seeds, Bonferroni over {family}) vs [{pct(lo)}, {pct(hi)}]"
    )
    if n < 2:
        return verdict_of(False, False, where, n, min_n=2), ci
    if ci[1] < lo:
        return verdict_of(False, True, f"{where}: denser than claimed", n), ci
    if ci[0] > hi:
        return verdict_of(False, True, f"{where}: sparser than claimed", n), ci
    if lo <= ci[0] and ci[1] <= hi:
        return verdict_of(True, False, f"{where}: within the range", n), ci
    return verdict_of(False, False, f"{where}: the interval straddles a bound", n), ci


def checkpoint_in_range(sparsity: float, changed: int, lo: float, hi: float) -> Decision:
    """C1 for one given checkpoint (exact count). Learning cannot be measured here, so the
    user's word that it is a trained RL checkpoint is taken below and within the range; above
    it, a barely-moved checkpoint cannot be ruled out."""
    where = f"sparsity {pct(sparsity)} vs claimed range [{pct(lo)}, {pct(hi)}]"
    if changed == 0:
        why = "the tuned checkpoint is identical to its base: nothing was fine-tuned"
        return Decision(Verdict.INCONCLUSIVE, why)
    if sparsity < lo:
        return verdict_of(False, True, f"{where}: denser than claimed")
    if sparsity <= hi:
        return verdict_of(True, False, f"{where} (learning gain not measured in checkpoint mode)")
    return verdict_of(
        False,
        False,
        f"{where}: sparser than claimed; a barely-moved checkpoint "
        "cannot be ruled out without an eval gain",
    )
