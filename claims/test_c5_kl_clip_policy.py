"""C5 -- KL penalty, clipping and on/off-policy change sparsity little (arXiv 2505.11711).

Claim: RL's sparsity is not caused by the KL penalty, gradient clipping or on-policy data.
Published figure: sparsity about the same with and without each.
Rule, per variant against its algorithm's usual recipe (same seeds, data, learning rate): the
primary algorithm's other KL coefficients of {0, 0.05, 0.2}, clipping off, off-policy (each
batch reused for 2 updates), and PPO's other KL coefficients when PPO is run. Both must hold:
(i) equal sparsity: TOST on the per-seed paired differences, margin ``--equivalence-margin``,
``--correction`` over the variants (its 90% interval reported); (ii) the variant's masks overlap
the usual run's above chance: C3's rule with (usual, variant) pairs of the same seed as the
replicates (t over pairs, Bonferroni over the variants). Guards, each making the case
inconclusive: both run sets learned (per-problem eval gains paired on the shared draws, averaged
over seeds, one-sided t over problems, corrected over all run sets), and the
variant took effect (the KL term above zero where the coefficient is; the usual run clipped
some steps; the off-policy runs' importance ratio left 1), read from the runs' training logs.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, equivalent, overlap_over_pairs, pct
from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.criteria.learning import guard, learned, learned_record
from rlsparse_check.criteria.variants import took_effect
from rlsparse_check.figures import overlap_bars
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C5"]
INF = float("inf")
TEST = "paired TOST over seeds; overlap excess over pairs of seeds; eval gains paired over problems"


def test_variant_changes_sparsity_little_and_overlaps_the_usual_run(
    c5_variant, requires_training, variant_runs, variant_evidence, rlsparse_settings, record_claim
):
    s, ev, variant = rlsparse_settings, variant_evidence, c5_variant
    mine, usual, cases = ev["tosts"][variant], *variant_runs[variant]
    rows = [r for r in ev["rows"] if r["variant"] == variant]
    n, ci = len(mine["diffs"]), mine["ci"] or [-INF, INF]
    eq = equivalent(f"sparsity, {variant} minus usual (paired by seed)", mine["diff"], ci,
                    mine.get("p_adjusted"), s.equivalence_margin, s.alpha, n=n)  # fmt: skip
    overlap, excess = overlap_over_pairs(rows, s.min_overlap_excess, s.alpha, len(ev["tosts"]))
    usual_gain = ev["gains"][f"usual {cases[0].meta.get('algo', '')}".strip()]
    effect = took_effect(ev["effects"][variant]["usual"], ev["effects"][variant]["variant"])
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
                "excess_stratified": excess, "overlap_pairs": rows}  # fmt: skip
    family = (f"TOST over the {len(ev['tosts'])} variants; overlap bounds Bonferroni over them, "
              f"pair p-values over all {len(ev['rows'])} pairs; eval gains over the "
              f"{len(ev['gains'])} run sets")  # fmt: skip
    stats = {"test": TEST, "n": n, "p": mine["p"], "p_adjusted": mine.get("p_adjusted"),
             "alpha": s.alpha, "correction": s.correction, "correction_family": family,
             "thresholds": [entry("equivalence-margin", s.equivalence_margin),
                            entry("min-overlap-excess", s.min_overlap_excess),
                            entry("alpha", s.alpha)]}  # fmt: skip
    record_claim(
        CLAIM.result(
            case=variant,
            decision=decision,
            headline=f"{variant}: sparsity {pct(v)} vs {pct(u)} for the usual recipe "
            f"({100 * mine['diff']:+.1f} points): {decision.verdict.value.replace('_', ' ')}.",
            criterion=f"TOST |sparsity difference| < {s.equivalence_margin:g}, mean overlap "
            f"excess >= {s.min_overlap_excess:g} of the attainable, learned, took effect",
            measured=measured,
            statistics=stats,
            runs=[c.run_record() for c in (*usual, *cases)],
            plots={"overlap": overlap_bars(rows)},
        )
    )
