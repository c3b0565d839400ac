"""C4 -- Sparse recovery.

Claim (Mukherjee et al., arXiv 2505.11711): fine-tuning only the subnetwork that full RL updated
recovers the full run's test accuracy and ends at nearly coinciding parameters.
Rule: per seed the primary RL algorithm is re-run with the same seed, data and hyper-parameters
only inside the bitwise update mask of that seed's full run (gradients and optimizer state
outside it zero, no weight decay leak). Both must hold: (i) eval reward equivalent to the full
run (TOST on paired differences within ``--equivalence-margin``); (ii) nearly identical
parameters, against a reference from the same session: the masked run ends no farther from the
full run (relative L2 of the updates) than a full run of another seed does (paired one-sided
bounds of masked-minus-seed distance against 0). Reference mode: a ``--max-update-distance`` set
away from its default replaces the seed reference by that fixed limit. Family (Holm): the two
deciding tests. Inconclusive when an entry changed outside a mask or the full run did not learn.
Control, reported: a random mask of equal per-tensor density; whether the RL mask beats it.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria.learning import learned, learned_record
from rlsparse_check.criteria.margins import beats_random, recovery_decision
from rlsparse_check.thresholds import THRESHOLDS, entry

CLAIM = CLAIMS["C4"]


def test_fine_tuning_inside_the_rl_mask_recovers_the_full_run(
    requires_training, recovery_runs, checkpoint_diffs, rlsparse_settings, record_claim
):
    from rlsparse_check.measures.learning import case_rewards, gain_tests
    from rlsparse_check.measures.recovery import recovery

    s, runs = rlsparse_settings, recovery_runs
    r = recovery(runs, checkpoint_diffs, s.max_update_distance, s.equivalence_margin, s.alpha)
    given = s.max_update_distance != THRESHOLDS["max-update-distance"].default
    full = gain_tests({"the full run": [case_rewards(c) for c in runs["full"]]})
    decision, dist, adj = recovery_decision(
        r,
        s.max_update_distance if given else None,
        s.equivalence_margin,
        s.alpha,
        s.correction,
        learned(full["the full run"], s.alpha),
    )
    mean = {k: sum(v) / len(v) for k, v in r.distance.items()}
    beats = beats_random(r.beats.p_value, mean["rl_mask"], mean["random_mask"], s.alpha)
    verdict = decision.verdict.value.replace("_", " ")
    control = "beats" if beats else "does not beat"
    record_claim(
        CLAIM.result(
            case="recovery",
            decision=decision,
            reason=f"{decision.reason}. Control: the RL mask {control}"
            f" a random mask of equal per-tensor density (relative L2 {mean['random_mask']:.3f})",
            headline=f"Inside the RL mask the run ends {mean['rl_mask']:.3f} (relative L2) from the"
            f" full run, two full seeds {mean['seed']:.3f}: {verdict}.",
            criterion=f"TOST eval within {s.equivalence_margin:g} and RL-mask distance <= "
            + (f"{s.max_update_distance:g}" if given else "the seed-vs-seed distance")
            + " (one-sided bounds)",
            measured={
                **r.figures(dist, s.alpha),
                "reference": "fixed limit" if given else "full run of another seed",
                "rl_mask_beats_random": beats,
                "learned": learned_record(full, s.alpha),
            },
            statistics={
                "correction": s.correction,
                "family": "eval TOST (RL mask) and the distance bounds",
                "p_adjusted": adj,
                "control_p": r.beats.p_value,
                "thresholds": [
                    entry(n, getattr(s, n.replace("-", "_")))
                    for n in ("equivalence-margin", "max-update-distance", "alpha")
                ],
            },
            runs=[c.run_record() for v in runs.values() for c in v],
        )
    )
