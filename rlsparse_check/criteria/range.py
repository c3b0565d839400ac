"""C1: sparsity against the published range, over seeds or for one given checkpoint."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rlsparse_check.criteria.combine import pct, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = ["in_range", "checkpoint_in_range"]


def in_range(
    values: Sequence[float], lo: float, hi: float, *, learned: bool, gain_why: str, alpha: float
) -> tuple[Decision, tuple[float, float]]:
    """C1 over seeds: the ``1 - alpha`` t interval of the mean sparsity against ``[lo, hi]``.
    ``learned``: the eval gain over seeds is significantly above zero (after correction)."""
    from rlsparse_check.stats import mean_ci

    n = len(values)
    ci = mean_ci(values, 1 - alpha) if n >= 2 else (-math.inf, math.inf)
    mean = sum(values) / n if n else math.nan
    where = (
        f"mean sparsity {pct(mean)} ({100 * (1 - alpha):g}% t interval {pct(ci[0])}-"
        f"{pct(ci[1])}, n={n} seeds) vs claimed range [{pct(lo)}, {pct(hi)}]; {gain_why}"
    )
    if n < 2:
        return verdict_of(False, False, where, n, min_n=2), ci
    if ci[1] < lo:
        side, text = "below", "denser than claimed"
    elif ci[0] > hi:
        side, text = "above", "sparser than claimed"
    elif lo <= ci[0] and ci[1] <= hi:
        side, text = "inside", "within the range"
    else:
        return verdict_of(False, False, f"{where}: the interval straddles a bound", n), ci
    if not learned:
        why = f"{where}: {side} the range, but runs that did not learn prove nothing either way"
        return verdict_of(False, False, why, n), ci
    return verdict_of(side == "inside", side != "inside", f"{where}: {text}", n), ci


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
