"""C4 -- Sparse recovery.

Claim (Mukherjee et al., arXiv 2505.11711): fine-tuning only the subnetwork that full RL updated
recovers the full run's test accuracy and ends at nearly coinciding parameters.
Rule: per seed the primary RL algorithm is re-run with the same seed, data and hyper-parameters
only inside the bitwise update mask of that seed's full run (gradients and optimizer state
outside it zero, no weight decay leak). All must hold: (i) eval reward equivalent to the full
run (paired TOST, margin ``--recovery-margin`` times the full run's mean eval gain); (ii) nearly
identical parameters: no farther from the full run (relative L2 of the updates) than a full run
of another seed (paired one-sided bounds of the gap against 0; a ``--max-update-distance`` set
away from its default replaces it by that fixed limit); (iii) the control fails: a random mask
of equal per-tensor density falls short of the full run by more than the margin (shown
non-inferior, it refutes: recovery would not need the RL mask). Family (Holm): three questions,
one member each, support and refutation alike. Inconclusive on a leak or a full run not learned.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria.learning import learned, learned_record
from rlsparse_check.criteria.recovery import recovery_decision
from rlsparse_check.thresholds import THRESHOLDS, entry

CLAIM = CLAIMS["C4"]


def test_fine_tuning_inside_the_rl_mask_recovers_the_full_run(
    requires_training, recovery_runs, checkpoint_diffs, rlsparse_settings, record_claim
):
    from rlsparse_check.measures.learning import case_rewards, gain_tests
    from rlsparse_check.measures.recovery import recovery

    s, runs = rlsparse_settings, recovery_runs
    r = recovery(runs, checkpoint_diffs, s.max_update_distance, s.recovery_margin, s.alpha)
    given = s.max_update_distance != THRESHOLDS["max-update-distance"].default
    full = gain_tests({"the full run": [case_rewards(c) for c in runs["full"]]})
    decision, dist, adj = recovery_decision(
        r,
        s.max_update_distance if given else None,
        r.margin,
        s.alpha,
        s.correction,
        learned(full["the full run"], s.alpha),
    )
    mean = {k: sum(v) / len(v) for k, v in r.distance.items()}
    verdict = decision.verdict.value.replace("_", " ")
    record_claim(
        CLAIM.result(
            case="recovery",
            decision=decision,
            reason=f"{decision.reason}. Random mask's update relative L2 from the full run: "
            f"{mean['random_mask']:.3f}; RL mask minus random mask eval, one-sided p "
            f"{r.beats.p_value:.3g}",
            headline=f"Inside the RL mask the run ends {mean['rl_mask']:.3f} (relative L2) from the"
            f" full run, two full seeds {mean['seed']:.3f}: {verdict}.",
            criterion=f"TOST eval within {r.margin:.4g} ({s.recovery_margin:g} of the full gain), "
            + f"RL-mask distance <= {s.max_update_distance:g}" * given
            + "RL-mask distance <= the seed-vs-seed distance" * (not given)
            + " (one-sided bounds), random mask falls short by more than the margin",
            measured={
                **r.figures(dist, s.alpha),
                "reference": "fixed limit" if given else "full run of another seed",
                "rl_mask_beats_random": adj.get("control_support", 1.0) < s.alpha,
                "learned": learned_record(full, s.alpha),
            },
            statistics={
                "correction": s.correction,
                "family": "eval TOST (RL mask), distance bounds, random-mask control: one member "
                "each, answered either way",
                "p_adjusted": adj,
                "control_p": r.beats.p_value,
                "thresholds": [
                    entry(n, getattr(s, n.replace("-", "_")))
                    for n in ("recovery-margin", "max-update-distance", "alpha")
                ],
            },
            runs=[c.run_record() for v in runs.values() for c in v],
        )
    )
