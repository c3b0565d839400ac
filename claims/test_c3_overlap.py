"""C3 -- Overlap above chance (Mukherjee et al., arXiv 2505.11711).

Claim: masks of RL runs differing in seed, data set or algorithm overlap far above chance.
Published figure: one-sided overlap of about 60% vs about 36% chance (independent masks).
Rule: a pair of runs' excess over chance (share of the attainable excess) is one replicate,
under two nulls, like with like: over independent masks (the paper's null) against
``--min-overlap-excess`` (0.375 = the paper's 60% vs 36%), and over the magnitude-stratified
null (B shuffled within |base weight| bins of each tensor: keeps the small-weight preference)
against ``--min-stratified-excess`` (harness). A group (seed, data set, algorithm; the given
checkpoints) reproduces when both lower one-sided bounds of the mean excess over pairs reach
their thresholds and every pair is above chance under both (``--correction`` over all pairs);
either upper bound below its threshold refutes. Bounds at ``1 - alpha / groups`` (Bonferroni,
refutation alike): t over pairs with no run shared, else a jackknife over runs; one pair by its
within-pair bound (n=1 pair). Order-free; both excesses reported.
"""

from __future__ import annotations

import pytest

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import pct
from rlsparse_check.criteria.overlap import overlap_rule
from rlsparse_check.figures import overlap_bars
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C3"]
GROUPS = {"seed": "Runs differing only in seed", "data": "Runs differing only in data set",
          "algo": "Runs differing only in algorithm", "given": "The given checkpoints"}  # fmt: skip
KEEP = ("a", "b", "overlap_ab", "overlap_ba", "jaccard", "chance_ab", "chance_ab_stratified",
        "both", "attainable", "expected_stratified", "expected_independent", "excess_stratified",
        "excess_independent", "p_stratified_adjusted", "p_independent_adjusted")  # fmt: skip


def test_update_masks_overlap_above_the_stratified_null(
    checkpoint_group, overlap_rows, rlsparse_settings, record_claim
):
    (group, pairs), s = checkpoint_group, rlsparse_settings
    if not pairs:
        pytest.skip(f"C3 group '{group}' needs two runs or at least two tuned checkpoints")
    rows, groups = overlap_rows[group], [g for g, r in overlap_rows.items() if r]
    decision, ex = overlap_rule(rows, s.min_overlap_excess, s.min_stratified_excess, s.alpha,
                                len(groups))  # fmt: skip
    ind, strat = ex["independent"], ex["stratified"]
    record_claim(
        CLAIM.result(
            case=group,
            decision=decision,
            headline=f"{GROUPS.get(group, group)}: mean excess {pct(ind.get('value'))} over "
            f"independent chance (need {pct(s.min_overlap_excess)}), {pct(strat.get('value'))} "
            f"over magnitude-stratified chance (need {pct(s.min_stratified_excess)}), "
            f"{len(rows)} pair(s): {decision.verdict.value.replace('_', ' ')}.",
            criterion=f"lower bounds of the mean excess over pairs: independent >= "
            f"{s.min_overlap_excess:g}, stratified >= {s.min_stratified_excess:g}; every pair "
            "above chance under both",
            measured={
                "key": "excess_stratified",
                "excess_stratified": strat,
                "excess_independent": ind,
                "pairs": [{k: r.get(k) for k in KEEP} for r in rows],
            },  # fmt: skip
            statistics={
                "test": "pairs of runs as replicates (" + strat.get("method", "") + "); "
                "independent and magnitude-stratified hypergeometric nulls within each pair",
                "n": len(rows),
                "alpha": s.alpha,
                "correction": s.correction,
                "correction_family": f"bounds: Bonferroni over the {len(groups)} groups "
                f"({', '.join(groups)}), each null; pair p-values: all "
                f"{sum(map(len, overlap_rows.values()))} pairs of the claim",
                "thresholds": [
                    entry("min-overlap-excess", s.min_overlap_excess),
                    entry("min-stratified-excess", s.min_stratified_excess),
                    entry("alpha", s.alpha),
                ],
            },  # fmt: skip
            runs=[case.run_record() for pair in pairs for case in pair],
            plots={"overlap": overlap_bars(rows)},
        )
    )
