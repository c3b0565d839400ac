"""C5 -- KL penalty, clipping and on/off-policy change sparsity little (arXiv 2505.11711).

Claim: RL's sparsity is not caused by the KL penalty, gradient clipping or on-policy data.
Published figure: sparsity about the same with and without each. Rule, per variant against its
algorithm's usual recipe (same seeds, data, rate): KL of {0, 0.05, 0.2} (PPO's too), clipping off,
off-policy (2 updates a batch). Both must hold: (i) equal sparsity: paired TOST within
``--equivalence-margin``, one member per variant, equivalence and outside-the-margin corrected
alike; (ii) overlap above chance by C3's rule (same-seed pairs, Bonferroni over the variants).
Inconclusive unless both run sets learned (the paired learning test) and the variant took effect
by a stated minimum (``--min-kl-term``, ``--min-clipped-share``, ``--min-ratio-spread``).
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, equivalent, pct
from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.criteria.learning import guard, learned, learned_record
from rlsparse_check.criteria.overlap import overlap_rule
from rlsparse_check.criteria.variants import MINIMUM, took_effect
from rlsparse_check.figures import overlap_bars
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C5"]
TEST = "paired TOST over seeds; overlap excess over pairs of seeds; eval gains paired over problems"


def test_variant_changes_sparsity_little_and_overlaps_the_usual_run(
    c5_variant, requires_training, variant_runs, variant_evidence, rlsparse_settings, record_claim
):
    s, ev, variant = rlsparse_settings, variant_evidence, c5_variant
    mine, usual, cases = ev["tosts"][variant], *variant_runs[variant]
    rows = [r for r in ev["rows"] if r["variant"] == variant]
    n, ci = len(mine["diffs"]), mine["ci"] or [-float("inf"), float("inf")]
    eq = equivalent(f"sparsity, {variant} minus usual (paired by seed)", mine["diff"], ci,
                    mine.get("p_adjusted"), s.equivalence_margin, s.alpha, n=n,
                    p_outside=mine.get("p_outside_adjusted"))  # fmt: skip
    overlap, ex = overlap_rule(rows, s.min_overlap_excess, s.min_stratified_excess, s.alpha,
                               len(ev["tosts"]))  # fmt: skip
    effect = took_effect(ev["effects"][variant]["usual"], ev["effects"][variant]["variant"],
                         {k: getattr(s, k.replace("-", "_")) for k in MINIMUM})  # fmt: skip
    usual_gain = ev["gains"][f"usual {cases[0].meta.get('algo', '')}".strip()]
    gains = {"usual": usual_gain, variant: ev["gains"][variant]}
    decision = guard(all_of([("equal sparsity", eq), ("overlap above chance", overlap)]),
                     *(learned(g, s.alpha) for g in gains.values()), effect)  # fmt: skip
    u, v = (sum(x) / len(x) for x in (mine["usual"], mine["variant"]))
    diff = {"value": mine["diff"], **interval_fields(*ci, 1 - 2 * s.alpha, "two-sided")}
    measured = {"key": "sparsity_difference", "sparsity_difference": diff,
                "usual_sparsity": {"value": u, "per_seed": mine["usual"]},
                "variant_sparsity": {"value": v, "per_seed": mine["variant"]},
                "took_effect": {**ev["effects"][variant], "verdict": effect.reason},
                "learned": learned_record(gains, s.alpha),
                "excess_stratified": ex["stratified"], "excess_independent": ex["independent"],
                "overlap_pairs": rows}  # fmt: skip
    family = (f"TOST over the {len(ev['tosts'])} variants (one member each); overlap bounds "
              f"Bonferroni over them, pair p-values over all {len(ev['rows'])} pairs; eval gains "
              f"over the {len(ev['gains'])} run sets")  # fmt: skip
    stats = {"test": TEST, "n": n, "p": mine["p"], "p_adjusted": mine.get("p_adjusted"),
             "p_outside_adjusted": mine.get("p_outside_adjusted"), "alpha": s.alpha,
             "correction": s.correction, "correction_family": family,
             "thresholds": [entry("equivalence-margin", s.equivalence_margin),
                            *(entry(k, getattr(s, k.replace("-", "_"))) for k in (
                                "min-overlap-excess", "min-stratified-excess", *MINIMUM)),
                            entry("alpha", s.alpha)]}  # fmt: skip
    record_claim(
        CLAIM.result(
            case=variant,
            decision=decision,
            headline=f"{variant}: sparsity {pct(v)} vs {pct(u)} for the usual recipe "
            f"({100 * mine['diff']:+.1f} points): {decision.verdict.value.replace('_', ' ')}.",
            criterion=f"TOST |sparsity difference| < {s.equivalence_margin:g}; mean overlap "
            f"excess >= {s.min_overlap_excess:g} (independent), >= {s.min_stratified_excess:g} "
            "(stratified); learned; took effect by its minimum",
            measured=measured,
            statistics=stats,
            runs=[c.run_record() for c in (*usual, *cases)],
            plots={"overlap": overlap_bars(rows)},
        )
    )
