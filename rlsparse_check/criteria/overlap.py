"""C3, C5: overlap of two update masks above the magnitude-stratified chance."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from rlsparse_check.criteria.combine import p_text, pct, verdict_of
from rlsparse_check.results import Decision

__all__ = ["overlap_above_chance"]


def overlap_above_chance(
    row: Mapping[str, Any], p_adjusted: float, min_excess: float, alpha: float
) -> Decision:
    """One pair of masks against the magnitude-stratified null. ``row``: an overlap row with
    ``both``, ``count_a``, ``count_b``, ``expected_stratified``, ``attainable``,
    ``excess_stratified`` and ``excess_stratified_sd``.

    The excess is bounded at one-sided level ``1 - alpha`` with a standard error that holds away
    from the null too: the larger of the null's and of a binomial view of the intersection from
    either mask, ``k (a - k) / a + k (b - k) / b``. The lower bound reaching ``min_excess`` with
    ``p_adjusted < alpha`` supports; the upper bound below it refutes. Symmetric in the masks."""
    from scipy.stats import norm

    head = (
        f"{row.get('a', 'A')} vs {row.get('b', 'B')}: intersection {row['both']:,} vs "
        f"stratified chance {row['expected_stratified']:,.1f}, attainable {row['attainable']:,}"
    )
    excess, room = row.get("excess_stratified"), row["attainable"] - row["expected_stratified"]
    if excess is None or not math.isfinite(excess) or room <= 0:
        return verdict_of(False, False, f"{head}: no excess over chance is attainable")
    k, na, nb = row["both"], row["count_a"], row["count_b"]
    spread = (k * (na - k) / na if na else 0.0) + (k * (nb - k) / nb if nb else 0.0)
    null = (row.get("excess_stratified_sd") or 0.0) * room
    half = float(norm.ppf(1 - alpha)) * math.sqrt(max(null * null, spread)) / room
    why = (
        f"{head}: excess {pct(excess)} of the attainable (bounds {pct(excess - half)} to "
        f"{pct(excess + half)}) vs {pct(min_excess)} needed, adjusted p {p_text(p_adjusted)}"
    )
    supports = excess - half >= min_excess and p_adjusted < alpha
    return verdict_of(supports, excess + half < min_excess, why)
