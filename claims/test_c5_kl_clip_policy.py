"""C5 -- KL penalty, gradient clipping and on/off-policy updates change sparsity little.

Claim (Mukherjee et al., arXiv 2505.11711): the sparsity of RL updates is not caused by the KL
penalty, gradient clipping or on-policy data: turning them on or off changes it little.
Published figure: sparsity stays about the same with and without KL regularisation, with and
without gradient clipping, and for on- and off-policy training.
Criterion: each variant against its algorithm's usual recipe (usual KL coefficient, clipping at
max-norm 1.0, on-policy), same seeds, data and learning rate: the primary algorithm's other KL
coefficients of {0, 0.05, 0.2}, clipping off, and off-policy (each generated batch reused for 2
updates); and PPO's other KL coefficients when PPO is among the algorithms. One case per
variant; both must hold:

(i)  equal sparsity: TOST on the per-seed paired differences (variant - usual) with margin
     ``--equivalence-margin`` (default 0.05 = 5 points), ``--correction`` over the variants;
(ii) the variant's masks overlap the usual run's above chance (C3's rule, same seed): excess over
     the magnitude-stratified chance of at least ``--min-overlap-excess`` of the attainable, with
     the p-values corrected over all pairs of all variants; the worst seed decides.
"""

from __future__ import annotations

import statistics as pystats

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, equivalent, overlap_above_chance
from rlsparse_check.figures import overlap_bars
from rlsparse_check.results import ClaimResult
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C5"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)


def test_variant_changes_sparsity_little_and_overlaps_the_usual_run(
    c5_variant, requires_training, variant_runs, variant_evidence, rlsparse_settings, record_claim
):
    s = rlsparse_settings
    mine = variant_evidence["tosts"][c5_variant]
    rows = sorted(
        (r for r in variant_evidence["rows"] if r["variant"] == c5_variant),
        key=lambda r: float("-inf") if r["excess_stratified"] is None else r["excess_stratified"],
    )
    eq = equivalent(
        f"sparsity, {c5_variant} minus usual (paired by seed)",
        mine["diff"],
        tuple(mine["ci"] or (float("-inf"), float("inf"))),
        mine.get("p_adjusted"),
        s.equivalence_margin,
        s.alpha,
        n=len(mine["diffs"]),
    )
    overlap = all_of(
        [
            (
                f"{r['a']} vs {r['b']}",
                overlap_above_chance(r, r["p_stratified_adjusted"], s.min_overlap_excess, s.alpha),
            )
            for r in rows
        ],
        decisive_only=True,
    )
    decision = all_of([("equal sparsity", eq), ("overlap above chance", overlap)])
    usual, cases = variant_runs[c5_variant]
    spec = cases[0].meta["record"]["spec"]
    record_claim(
        ClaimResult(
            id="C5",
            title=TITLE,
            case=c5_variant,
            verdict=decision.verdict,
            reason=decision.reason,
            headline=f"{c5_variant}: sparsity {100 * pystats.fmean(mine['variant']):.1f}% vs "
            f"{100 * pystats.fmean(mine['usual']):.1f}% for the usual recipe "
            f"({100 * mine['diff']:+.1f} points): "
            f"{decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f"TOST |sparsity difference| < {s.equivalence_margin:g} "
                f"and overlap excess >= {s.min_overlap_excess:g} of the "
                "attainable",
            },
            measured={
                "key": "sparsity_difference",
                "sparsity_difference": {"value": mine["diff"], "ci": mine["ci"]},
                "usual_sparsity": {
                    "value": pystats.fmean(mine["usual"]),
                    "per_seed": mine["usual"],
                },
                "variant_sparsity": {
                    "value": pystats.fmean(mine["variant"]),
                    "per_seed": mine["variant"],
                },
                "variant_spec": {
                    k: spec[k]
                    for k in ("algo", "beta", "max_grad_norm", "iterations", "lr", "steps")
                },
                "overlap_pairs": [
                    {
                        k: r.get(k)
                        for k in (
                            "a",
                            "b",
                            "overlap_ab",
                            "chance_ab_stratified",
                            "excess_stratified",
                            "p_stratified_adjusted",
                        )
                    }
                    for r in rows
                ],
            },
            statistics={
                "test": "paired TOST over seeds (sparsity); magnitude-stratified "
                "hypergeometric overlap null",
                "p": mine["p"],
                "p_adjusted": mine.get("p_adjusted"),
                "ci": mine["ci"],
                "effect": mine["diff"],
                "correction": s.correction,
                "correction_family": f"TOST over variants {list(variant_evidence['tosts'])};"
                f" overlap over all {len(variant_evidence['rows'])} "
                "pairs",
                "alpha": s.alpha,
                "n": len(mine["diffs"]),
                "thresholds": [
                    entry("equivalence-margin", s.equivalence_margin),
                    entry("min-overlap-excess", s.min_overlap_excess),
                    entry("alpha", s.alpha),
                ],
            },
            runs=[c.run_record() for c in (*usual, *cases)],
            plots={"overlap": overlap_bars(rows)},
        )
    )
