"""C1 -- Sparsity range (Mukherjee et al., arXiv 2505.11711).

Claim: RL fine-tuning updates a small subnetwork, "typically 5-30% of weights".
Published figure: 68.5%-96.0% of entries unchanged (|a - b| <= 1e-5) across 10 public RL
checkpoints; 50.4%-87.6% at 1e-8 over the same checkpoints.
Rule: the sparsity at ``--sparsity-atol`` (default 1e-5, the paper's) against
``--sparsity-range`` (default 0.685-0.96, published at that tolerance); the 1e-8 figure against
50.4%-87.6% and the bitwise one are reported beside it, not deciding. Training mode, one case
per algorithm: the t interval of the mean over seeds, each side at alpha / m (TOST's level,
Bonferroni over the m algorithms of the session: a two-sided 1 - 2 alpha / m interval; refutation
corrected like support), inside the range reproduces, wholly outside refutes, straddling is
inconclusive; a run set whose eval gain is not significantly above zero is inconclusive
whichever side it falls (the paired learning test: per-problem gains on the shared eval draws,
averaged over seeds, one-sided t over problems, Holm over the algorithms).
Checkpoint mode, one case per given checkpoint (exact count, learning not measurable): below the
range refutes, within reproduces, above is inconclusive (a barely-moved checkpoint).
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS, RL_RANGE_1E8
from rlsparse_check.criteria import checkpoint_in_range, in_range, pct
from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.criteria.learning import guard, learned, learned_record
from rlsparse_check.criteria.range import decided_by, family_level, position
from rlsparse_check.figures import tolerance_series
from rlsparse_check.measures.sparsity import fp32_twin_sparsity, gain_tests, sparsity_evidence
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C1"]
TEST = "t interval of the mean over seeds; eval gain > 0: paired over problems, seeds averaged"


def test_sparsity_is_in_the_claimed_range(
    replicate_set, checkpoint_diffs, rlsparse_settings, record_claim, request
):
    s, (label, cases) = rlsparse_settings, replicate_set
    lo, hi = s.sparsity_range
    ev = sparsity_evidence(cases, checkpoint_diffs, s.sparsity_atol)
    at_1e8 = {"range": RL_RANGE_1E8, "position": position(ev.mean_at(1e-8), *RL_RANGE_1E8)}
    measured = {"key": "sparsity", "decided_at_atol": ev.atol, "at_1e-08": at_1e8,
                "sparsity_by_tolerance": {a: ev.mean_at(float(a)) for a in ev.by_tolerance},
                "by_kind": ev.by_kind, "patch": ev.patch}  # fmt: skip
    stats = {"n": len(cases), "alpha": s.alpha, "thresholds": [entry("sparsity-range", (lo, hi)),
             entry("sparsity-atol", s.sparsity_atol), entry("alpha", s.alpha)]}  # fmt: skip
    if s.mode == "checkpoints":
        decision = checkpoint_in_range(ev.values[0], ev.changed[0], lo, hi)
        measured.update(sparsity=ev.values[0], changed=ev.changed[0], learning_gain="not measured")
        stats.update(test="exact count (one checkpoint, no sampling)", correction_family="none")
        seen, reason = f"{pct(ev.values[0])} unchanged at atol {ev.atol:g}", None
    else:
        factory = request.getfixturevalue("run_factory")
        gains = gain_tests(factory, s.correction)
        in_sample, ci = in_range(ev.values, lo, hi, alpha=s.alpha, family=len(gains))
        decision = guard(in_sample, gain := learned(gains[label], s.alpha))
        reason, mean = decided_by(decision, in_sample, gain), sum(ev.values) / len(ev.values)
        ci_fields = interval_fields(*ci, family_level(s.alpha, len(gains)), "two-sided")
        measured.update(sparsity={"value": mean, "per_seed": ev.values, **ci_fields},
                        eval_gain=gains[label].figures(),
                        learned=learned_record({label: gains[label]}, s.alpha))  # fmt: skip
        if ci[1] < lo:  # denser than claimed: how dense the same runs are saved in fp32
            measured["precision"] = fp32_twin_sparsity(cases, checkpoint_diffs, factory)
        family = f"the {len(gains)} algorithms of the session ({', '.join(gains)})"
        stats.update(test=TEST, correction_family=family,
                     correction=s.correction, interval_correction="bonferroni")  # fmt: skip
        seen = f"{pct(mean)} unchanged at atol {ev.atol:g} over {len(cases)} seeds"
    record_claim(
        CLAIM.result(
            case=label,
            decision=decision,
            reason=reason,
            headline=f"{label}: {seen} against the published {pct(lo)}-{pct(hi)}: "
            f"{decision.verdict.value.replace('_', ' ')}.",
            criterion=f"sparsity at atol {ev.atol:g} within [{lo:g}, {hi:g}]",
            measured=measured,
            statistics=stats,
            runs=[c.run_record() for c in cases],
            plots={"series": tolerance_series(ev.table, reference=(lo, hi))},
        )
    )
