"""C3 -- Overlap above chance (Mukherjee et al., arXiv 2505.11711).

Claim: masks of RL runs differing in seed, data set or algorithm overlap far above chance.
Published figure: one-sided overlap of about 60% vs about 36% chance.
Rule: the excess of a pair of runs over the magnitude-stratified chance (B shuffled within bins
of |base weight| inside each tensor, keeping both masks' density and small-weight preference),
as a share of the attainable excess, is one replicate. A group (runs differing only in seed,
data set or algorithm; every pair of the given checkpoints) reproduces when the lower one-sided
bound of its mean excess over pairs reaches ``--min-overlap-excess`` (0.375: the paper's figure,
which is over the independent null, read against the stratified one) and every pair is above
chance (stratified p, ``--correction`` over all pairs of the claim); the upper bound below it
refutes. Bounds at ``1 - alpha / groups`` (Bonferroni over the groups): a t interval over pairs
when no run is shared, a jackknife over runs when pairs share runs; a single pair (two given
checkpoints) by its within-pair bound (n=1 pair). Order-free; independent-null excess beside.
"""

from __future__ import annotations

import pytest

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import overlap_over_pairs, pct
from rlsparse_check.figures import overlap_bars
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C3"]
GROUPS = {"seed": "Runs differing only in seed", "data": "Runs differing only in data set",
          "algo": "Runs differing only in algorithm", "given": "The given checkpoints"}  # fmt: skip
KEEP = ("a", "b", "overlap_ab", "overlap_ba", "jaccard", "chance_ab", "chance_ab_stratified",
        "both", "attainable", "expected_stratified", "excess_stratified", "excess_independent",
        "p_stratified", "p_stratified_adjusted", "p_independent_adjusted")  # fmt: skip


def test_update_masks_overlap_above_the_stratified_null(
    checkpoint_group, overlap_rows, rlsparse_settings, record_claim
):
    (group, pairs), s = checkpoint_group, rlsparse_settings
    if not pairs:
        pytest.skip(
            f"C3 group '{group}' needs at least two runs, or at least two tuned checkpoints"
        )
    rows, groups = overlap_rows[group], [g for g, r in overlap_rows.items() if r]
    decision, excess = overlap_over_pairs(rows, s.min_overlap_excess, s.alpha, len(groups))
    independent = [r["excess_independent"] for r in rows]
    record_claim(
        CLAIM.result(
            case=group,
            decision=decision,
            headline=f"{GROUPS.get(group, group)}: mean excess {pct(excess.get('value'))} of the "
            f"attainable over magnitude-stratified chance over {len(rows)} pair(s) (need "
            f"{pct(s.min_overlap_excess)}): {decision.verdict.value.replace('_', ' ')}.",
            criterion=f"lower bound of the mean stratified excess over pairs >= "
            f"{s.min_overlap_excess:g}; every pair above chance",
            measured={
                "key": "excess_stratified",
                "excess_stratified": excess,
                "excess_independent": {
                    "value": sum(independent) / len(independent),
                    "per_pair": independent,
                },
                "pairs": [{k: r.get(k) for k in KEEP} for r in rows],
            },  # fmt: skip
            statistics={
                "test": "pairs of runs as replicates (" + excess.get("method", "") + "); "
                "magnitude-stratified hypergeometric null within each pair",
                "n": len(rows),
                "alpha": s.alpha,
                "correction": s.correction,
                "correction_family": f"bounds: Bonferroni over the {len(groups)} groups "
                f"({', '.join(groups)}); pair p-values: all "
                f"{sum(map(len, overlap_rows.values()))} pairs of the claim",
                "thresholds": [
                    entry("min-overlap-excess", s.min_overlap_excess),
                    entry("alpha", s.alpha),
                ],
            },  # fmt: skip
            runs=[case.run_record() for pair in pairs for case in pair],
            plots={"overlap": overlap_bars(rows)},
        )
    )
