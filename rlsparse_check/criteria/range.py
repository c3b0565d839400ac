"""C1: sparsity against the published range, over seeds or for one given checkpoint.

The sparsity is compared with the range published at the same tolerance (|a - b| <= atol). Over
seeds, the algorithms of the claim form one family: each case's two-sided t interval is taken at
the Bonferroni level ``1 - alpha / family``, so that neither a false "reproduced" nor a false
"not reproduced" among the family's cases exceeds ``alpha`` (refutation corrected like support).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rlsparse_check.criteria.combine import pct, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = ["in_range", "checkpoint_in_range", "family_level", "position"]


def family_level(alpha: float, family: int) -> float:
    """The Bonferroni-adjusted two-sided level of each interval of a family of ``family``."""
    return 1 - alpha / max(1, family)


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
