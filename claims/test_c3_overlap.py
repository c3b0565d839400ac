"""C3 -- Overlap above chance.

Claim (Mukherjee et al., arXiv 2505.11711): the subnetworks updated by RL runs that differ in
seed, data set or algorithm overlap far more than chance would give.
Published figure: one-sided overlap of roughly 60% vs. about 36% for chance; a later bit-exact
study: Jaccard 0.55-0.60 vs. 0.37-0.47.
Criterion: for every pair of masks, overlap beats the magnitude-stratified permutation null
(B shuffled within bins of |base weight| inside each tensor, which keeps both masks' density and
their preference for small weights) with p < ``--alpha`` after ``--correction`` (Holm) over the
pairs, AND observed / expected overlap under that null is at least ``--min-overlap-ratio``.
A pair whose ratio falls short refutes; a pair with the ratio but without significance is
inconclusive; the worst pair decides. Masks so dense that even identical masks could not reach
the ratio (1 / stratified chance < ``--min-overlap-ratio``) cannot refute: such a pair is
inconclusive, and the reason gives the share of the attainable excess over chance observed.
The independent-masks (hypergeometric) null is reported beside it, but it is not enough alone:
both masks prefer small weights.
Checkpoint mode: all pairs of the given ``--tuned`` checkpoints (at least two needed).
"""

from __future__ import annotations

import itertools

import pytest

from fixtures.criteria_training import overlap_pair
from rlsparse_check.results import ClaimResult, Verdict, decide, worst

TITLE = "Masks of different runs overlap above chance"
PAPER = {"summary": "~60% one-sided overlap vs ~36% chance",
         "overlap": 0.60, "chance": 0.36, "jaccard_bit_exact_study": [0.55, 0.60],
         "jaccard_chance_bit_exact_study": [0.37, 0.47]}


def _pair_decision(row: dict, alpha: float, min_ratio: float):
    ratio, p = row["ratio_stratified"], row["p_stratified_adjusted"]
    chance = row["chance_ab_stratified"]
    why = (f"{row['a']} vs {row['b']}: overlap {row['overlap_ab']:.3f} (chance "
           f"{row['chance_ab']:.3f} independent, {chance:.3f} stratified), "
           f"ratio {ratio:.3f} vs {min_ratio:g} needed, adjusted p "
           f"{f'{p:.3g}' if p > 0 else '< 1e-300'} vs alpha {alpha:g}")
    if ratio < min_ratio and chance > 0 and 1.0 / chance < min_ratio:
        # too dense: even identical masks could not reach min_ratio (see overlap_pair)
        return overlap_pair(row["a"], row["b"], ratio, p, alpha, min_ratio,
                            row["overlap_ab"], chance)
    return decide(supports=ratio >= min_ratio and p < alpha, refutes=ratio < min_ratio, n=1,
                  why=why)


def test_update_masks_overlap_above_the_stratified_null(
        checkpoint_group, checkpoint_diffs, rlsparse_settings, record_claim):
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.overlap import overlap_masksets
    from rlsparse_check.stats import adjust

    group, cases = checkpoint_group
    if len(cases) < 2:
        if rlsparse_settings.mode == "training":
            pytest.skip(f"C3 group '{group}' has fewer than two trained runs (e.g. --seeds 1, "
                        "or one trainable algorithm in --algos)")
        pytest.skip("C3 needs at least two tuned checkpoints of the same base: give --tuned "
                    "twice or more")
    s = rlsparse_settings
    masks = [checkpoint_diffs.bitwise(case).masks for case in cases]
    with open_checkpoint(cases[0].base) as base:
        pairs = overlap_masksets(masks, base, labels=[c.label for c in cases], seed=0)
    rows = [{"a": p.a, "b": p.b, **{k: v for k, v in p.summary().items() if k != "strata"}}
            for p in pairs]
    for key in ("p_independent", "p_stratified"):
        for row, value in zip(rows, adjust([r[key] for r in rows], s.correction), strict=True):
            row[f"{key}_adjusted"] = float(value)
    decisions = [_pair_decision(row, s.alpha, s.min_overlap_ratio) for row in rows]
    verdict = worst([d.verdict for d in decisions])
    decisive = min((d for d in decisions if d.verdict is verdict),
                   key=lambda d: rows[decisions.index(d)]["ratio_stratified"])
    ratios = [r["ratio_stratified"] for r in rows]
    record_claim(ClaimResult(
        id="C3", title=TITLE, case=group, verdict=verdict,
        reason=f"{len(rows)} pair(s); worst: {decisive.reason}"
        if verdict is not Verdict.REPRODUCED else f"all {len(rows)} pair(s) pass; e.g. "
        f"{decisive.reason}",
        paper={**PAPER, "criterion": f"stratified ratio >= {s.min_overlap_ratio:g} and "
                                     f"{s.correction}-adjusted p < {s.alpha:g} for every pair"},
        measured={"key": "min_ratio_stratified", "min_ratio_stratified": min(ratios),
                  "pairs": [{k: row[k] for k in ("a", "b", "overlap_ab", "overlap_ba",
                                                  "jaccard", "chance_ab",
                                                  "chance_ab_stratified", "ratio_independent",
                                                  "ratio_stratified")} for row in rows]},
        statistics={"test": "magnitude-stratified hypergeometric null, one-sided",
                    "p": max(r["p_stratified"] for r in rows),
                    "p_adjusted": max(r["p_stratified_adjusted"] for r in rows),
                    "correction": s.correction, "alpha": s.alpha, "n": len(rows),
                    "threshold": s.min_overlap_ratio,
                    "p_independent_adjusted_max": max(r["p_independent_adjusted"] for r in rows),
                    "pairs_compared": [f"{a.label} vs {b.label}" for a, b in
                                       itertools.combinations(cases, 2)]},
        runs=[case.run_record() for case in cases],
        plots={"overlap": [{"pair": f"{r['a']} vs {r['b']}", "observed": r["overlap_ab"],
                            "chance_independent": r["chance_ab"],
                            "chance_stratified": r["chance_ab_stratified"]} for r in rows]},
    ))
