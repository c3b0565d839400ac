"""C3, C5: overlap of update masks above chance, pairs of runs as the replicates, under both
nulls and each against its own threshold (:func:`overlap_rule`): the excess over the
independent-masks null against the paper's figure (its 60% vs 36% was over that null), and the
excess over the magnitude-stratified null (which keeps both masks' preference for small weights)
against the harness's own margin; both must hold.

The excess of one pair of runs under a null (``excess_stratified`` or ``excess_independent``:
observed minus chance, as a share of the attainable excess) is one value. With two or more
pairs, the verdict rests on the mean excess over pairs and its one-sided bounds at level
``1 - alpha / family`` (Bonferroni over the claim's cases: refutation corrected like support):
a t interval over pairs when no run is
shared between pairs (independent replicates), else a jackknife over runs (delete one run and
the pairs holding it; pairs sharing a run are dependent, and by the Efron-Stein inequality the
jackknife variance of a symmetric statistic of independent runs is conservative in expectation),
with ``runs - 1`` degrees of freedom. The entries of a pair (often ~5e5) never act as replicates:
the entry-level bound of :func:`overlap_above_chance` decides only a single pair (n = 1), and
says so. Every pair must also be above chance within itself (corrected p < alpha). Everything is
symmetric in the two masks of a pair.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rlsparse_check.criteria.combine import interval_fields, p_text, pct, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = ["overlap_above_chance", "excess_over_pairs", "overlap_over_pairs", "overlap_rule"]

NULLS = {"stratified": "magnitude-stratified", "independent": "independent"}


def overlap_above_chance(
    row: Mapping[str, Any],
    p_adjusted: float,
    min_excess: float,
    alpha: float,
    null: str = "stratified",
) -> Decision:
    """One pair of masks against one ``null`` (``"stratified"`` or ``"independent"``). ``row``:
    an overlap row with ``both``, ``count_a``, ``count_b``, ``attainable``, and the null's
    ``expected_*``, ``excess_*`` and ``variance_*`` (or ``excess_stratified_sd``).

    The excess is bounded at one-sided level ``1 - alpha`` with a standard error that holds away
    from the null too: the larger of the null's and of a binomial view of the intersection from
    either mask, ``k (a - k) / a + k (b - k) / b``. The lower bound reaching ``min_excess`` with
    ``p_adjusted < alpha`` supports; the upper bound below it refutes. Symmetric in the masks.
    These bounds hold the entry-level noise of this one pair only, not the spread between seeds."""
    from scipy.stats import norm

    expected = row[f"expected_{null}"]
    head = (
        f"{row.get('a', 'A')} vs {row.get('b', 'B')}: intersection {row['both']:,} vs "
        f"{NULLS[null]} chance {expected:,.1f}, attainable {row['attainable']:,}"
    )
    excess, room = row.get(f"excess_{null}"), row["attainable"] - expected
    if excess is None or not math.isfinite(excess) or room <= 0:
        return verdict_of(False, False, f"{head}: no excess over chance is attainable")
    k, na, nb = row["both"], row["count_a"], row["count_b"]
    spread = (k * (na - k) / na if na else 0.0) + (k * (nb - k) / nb if nb else 0.0)
    variance = row.get(f"variance_{null}")
    if variance is None:
        null_sd = (row.get("excess_stratified_sd") or 0.0) * room
    else:
        null_sd = math.sqrt(max(variance, 0.0))
    half = float(norm.ppf(1 - alpha)) * math.sqrt(max(null_sd * null_sd, spread)) / room
    why = (
        f"{head}: excess {pct(excess)} of the attainable (bounds {pct(excess - half)} to "
        f"{pct(excess + half)}) vs {pct(min_excess)} needed, adjusted p {p_text(p_adjusted)}"
    )
    supports = excess - half >= min_excess and p_adjusted < alpha
    return verdict_of(supports, excess + half < min_excess, why)


def excess_over_pairs(
    excesses: Sequence[float], pairs: Sequence[tuple[str, str]], level: float
) -> dict[str, Any]:
    """Mean excess over pairs of runs with one-sided bounds at ``level`` each (see the module
    docstring for the method); ``ci`` is None when no interval can be formed."""
    from scipy.stats import t as student

    n, runs = len(excesses), sorted({r for pair in pairs for r in pair})
    mean = sum(excesses) / n
    out: dict[str, Any] = {"value": mean, "per_pair": list(excesses), "n_pairs": n}
    out["n_runs"] = len(runs)
    if len(runs) == 2 * n:
        method, df = "t over pairs (no run shared: independent replicates)", n - 1
        se = math.sqrt(sum((x - mean) ** 2 for x in excesses) / (n - 1) / n) if n > 1 else None
    else:
        method, df = "jackknife over runs (delete one run; pairs sharing a run are dependent)", 0
        left = [[x for x, p in zip(excesses, pairs, strict=True) if r not in p] for r in runs]
        se = None
        if all(left):
            loo = [sum(x) / len(x) for x in left]
            centre, k = sum(loo) / len(loo), len(loo)
            se, df = math.sqrt((k - 1) / k * sum((v - centre) ** 2 for v in loo)), k - 1
    out["method"] = method
    if se is None or df < 1:
        return {**out, "ci": None}
    half = float(student.ppf(level, df)) * se
    return {**out, **interval_fields(mean - half, mean + half, level, "one-sided bounds")}


def overlap_over_pairs(
    rows: Sequence[Mapping[str, Any]],
    min_excess: float,
    alpha: float,
    family: int = 1,
    null: str = "stratified",
) -> tuple[Decision, dict[str, Any]]:
    """A group of pairs (``rows``: overlap rows with ``a``, ``b``, ``excess_<null>`` and
    ``p_<null>_adjusted``): the mean excess over pairs, bounded as in the module docstring,
    against ``min_excess``; a single pair by the within-pair rule. Returns the decision and the
    interval's figures (``excess_<null>`` in report.json)."""
    level = 1 - alpha / max(1, family)
    key, p_key = f"excess_{null}", f"p_{null}_adjusted"
    usable = [r for r in rows if r.get(key) is not None]
    if not usable:
        return Decision(Verdict.INCONCLUSIVE, "no pair has an attainable excess over chance"), {}
    if len(usable) == 1:
        (row,) = usable
        decision = overlap_above_chance(row, row[p_key], min_excess, 1 - level, null)
        figures = {"value": row[key], "n_pairs": 1, "ci": None}
        figures["method"] = "within-pair bound (n=1 pair): entry-level noise only"
        return Decision(
            decision.verdict, f"n=1 pair, within-pair bound; {decision.reason}"
        ), figures
    excess = [float(r[key]) for r in usable]
    figures = excess_over_pairs(excess, [(r["a"], r["b"]) for r in usable], level)
    worst_p = max(r[p_key] for r in usable)
    head = (
        f"mean excess {pct(figures['value'])} of the attainable over {NULLS[null]} chance, "
        f"{len(usable)} pairs"
    )
    if figures["ci"] is None:
        return verdict_of(False, False, f"{head}: {figures['method']} cannot bound it"), figures
    lo, hi = figures["ci"]
    why = (
        f"{head} of {figures['n_runs']} runs ({100 * level:.4g}% one-sided bounds {pct(lo)} to "
        f"{pct(hi)}, {figures['method']}) vs {pct(min_excess)} needed; largest adjusted p of a "
        f"pair {p_text(worst_p)}"
    )
    return verdict_of(lo >= min_excess and worst_p < alpha, hi < min_excess, why), figures


def overlap_rule(
    rows: Sequence[Mapping[str, Any]],
    min_independent: float,
    min_stratified: float,
    alpha: float,
    family: int = 1,
) -> tuple[Decision, dict[str, dict[str, Any]]]:
    """C3's rule (and C5's overlap part): the excess over independent chance against
    ``min_independent`` (the paper's figure, over the paper's null) and the excess over
    magnitude-stratified chance against ``min_stratified`` (the harness's margin), each by
    :func:`overlap_over_pairs`; both must hold (the worst decides). Returns the decision and
    ``{"independent": figures, "stratified": figures}``."""
    from rlsparse_check.criteria.combine import all_of

    ind = overlap_over_pairs(rows, min_independent, alpha, family, "independent")
    strat = overlap_over_pairs(rows, min_stratified, alpha, family, "stratified")
    decision = all_of(
        [
            (f"over independent chance (paper, {pct(min_independent)})", ind[0]),
            (f"over magnitude-stratified chance (harness, {pct(min_stratified)})", strat[0]),
        ]
    )
    return decision, {"independent": ind[1], "stratified": strat[1]}
