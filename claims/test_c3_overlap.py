"""C3 -- Overlap above chance.

Claim (Mukherjee et al., arXiv 2505.11711): the subnetworks updated by RL runs that differ in
seed, data set or algorithm overlap far more than chance would give.
Published figure: one-sided overlap of roughly 60% vs. about 36% for chance; a later bit-exact
study: Jaccard 0.55-0.60 vs. 0.37-0.47.
Criterion: for every pair of masks, the intersection against the magnitude-stratified null (B
shuffled within bins of |base weight| inside each tensor, which keeps both masks' per-tensor
density and their preference for small weights). Effect size: the excess over that chance as a
share of the largest excess the pair could reach, (observed - chance) / (attainable - chance),
where attainable = sum over tensors of min(|A_t|, |B_t|); the paper's 60% vs 36% gives the
default ``--min-overlap-excess`` 0.375. A pair reproduces when the excess's lower bound (the
null's noise, one-sided level 1 - alpha) reaches it and its p-value, corrected over all pairs of
the claim (every group), is below ``--alpha``; it refutes when the upper bound is below it; the
worst pair of a group decides. Everything is symmetric in the two checkpoints: the order of a pair
never changes its verdict. The independent-masks (hypergeometric) null is reported beside it; it
is not enough alone, because both masks prefer small weights. Groups: runs differing only in seed,
only in data set, only in algorithm (training mode), or every pair of the given ``--tuned``
checkpoints (checkpoint mode, at least two).
"""

from __future__ import annotations

import statistics as pystats

import pytest

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, overlap_above_chance, pct
from rlsparse_check.figures import overlap_bars
from rlsparse_check.results import ClaimResult
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C3"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)
GROUPS = {
    "seed": "Runs differing only in seed",
    "data": "Runs differing only in data set",
    "algo": "Runs differing only in algorithm",
    "given": "The given checkpoints",
}
KEEP = (
    "a",
    "b",
    "overlap_ab",
    "overlap_ba",
    "jaccard",
    "chance_ab",
    "chance_ab_stratified",
    "both",
    "attainable",
    "expected_stratified",
    "excess_stratified",
    "excess_stratified_sd",
    "excess_independent",
    "p_stratified",
    "p_stratified_adjusted",
    "p_independent_adjusted",
)


def _order(excess: float | None) -> float:
    return float("-inf") if excess is None else excess


def test_update_masks_overlap_above_the_stratified_null(
    checkpoint_group, overlap_rows, rlsparse_settings, record_claim
):
    group, pairs = checkpoint_group
    if not pairs:
        if rlsparse_settings.mode == "training":
            pytest.skip(
                f"C3 group '{group}' has fewer than two trained runs (e.g. --seeds 1, "
                "or one algorithm in --algos)"
            )
        pytest.skip(
            "C3 needs at least two tuned checkpoints of the same base: give --tuned twice or more"
        )
    s = rlsparse_settings
    rows = sorted(overlap_rows[group], key=lambda r: _order(r["excess_stratified"]))
    decision = all_of(
        [
            (
                f"{r['a']} vs {r['b']}",
                overlap_above_chance(r, r["p_stratified_adjusted"], s.min_overlap_excess, s.alpha),
            )
            for r in rows
        ],
        decisive_only=True,
    )
    excesses = [r["excess_stratified"] for r in rows if r["excess_stratified"] is not None]
    spread = {"value": pystats.fmean(excesses) if excesses else None, "per_pair": excesses}
    if len(excesses) >= 2:
        from rlsparse_check.stats import mean_ci

        spread["ci"] = list(mean_ci(excesses, 1 - s.alpha))
    record_claim(
        ClaimResult(
            id="C3",
            title=TITLE,
            case=group,
            verdict=decision.verdict,
            reason=f"{len(rows)} pair(s); {'worst' if len(rows) > 1 else 'the pair'}: "
            f"{decision.reason}",
            headline=f"{GROUPS.get(group, group)}: {len(rows)} pair(s) reach "
            f"{pct(min(excesses, default=None))} to {pct(max(excesses, default=None))} of the "
            f"attainable excess over magnitude-stratified chance (need "
            f"{pct(s.min_overlap_excess)}): {decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f"excess over stratified chance >= "
                f"{s.min_overlap_excess:g} of the attainable, and "
                f"{s.correction}-adjusted p < {s.alpha:g}, for every pair",
            },
            measured={
                "key": "excess_stratified",
                "excess_stratified": spread,
                "pairs": [{k: r.get(k) for k in KEEP} for r in rows],
            },
            statistics={
                "test": "magnitude-stratified hypergeometric null, one-sided",
                "p": max(r["p_stratified"] for r in rows),
                "p_adjusted": max(r["p_stratified_adjusted"] for r in rows),
                "correction": s.correction,
                "correction_family": f"all {sum(len(v) for v in overlap_rows.values())} "
                f"pairs of the claim ({', '.join(overlap_rows)})",
                "alpha": s.alpha,
                "n": len(rows),
                "thresholds": [
                    entry("min-overlap-excess", s.min_overlap_excess),
                    entry("alpha", s.alpha),
                ],
            },
            runs=[case.run_record() for pair in pairs for case in pair],
            plots={"overlap": overlap_bars(rows)},
        )
    )
