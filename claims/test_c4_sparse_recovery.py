"""C4 -- Sparse recovery.

Claim (Mukherjee et al., arXiv 2505.11711): fine-tuning only the subnetwork that full RL updated
recovers the full model's performance and ends at nearly identical parameters.
Published figure: the subnetwork-only run matches the full run's test accuracy and its final
parameters nearly coincide with the full run's.
Criterion: for each seed, the primary RL algorithm is re-run with the same seed, data and
hyper-parameters but only inside the bitwise update mask of that seed's full run (gradients and
optimizer state outside it exactly zero, entries outside it restored after every step, no weight
decay). Both must hold:

(i)  eval reward equivalent to the full run: TOST on the per-seed paired differences with margin
     ``--equivalence-margin`` (reward units; default 0.05 = 5 points of accuracy), significant
     after ``--correction`` -> supports; its 90% interval entirely outside the margin -> refutes;
(ii) nearly identical parameters: the relative L2 distance of the updates
     ``||u_masked - u_full|| / ||u_full||`` over seeds stays at most ``--max-update-distance``
     (harness, 0.10): the one-sided upper bound below it supports, the lower bound above it
     refutes. The share of entries equal (bitwise, within 1e-8 and 1e-5) is reported beside it.

Control (reported, not decisive): a random mask with the same per-tensor counts, trained the same
way; "the RL mask beats it" when its eval reward is significantly higher (paired one-sided t over
seeds) and its update is closer to the full run's. The two TOSTs and the beat test are corrected
together. Masking is verified: entries changed outside the mask are counted (must be 0).
"""

from __future__ import annotations

import statistics as pystats

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, at_most, correct, equivalent
from rlsparse_check.results import ClaimResult, decide
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C4"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)


def _after(case) -> float:
    return float(case.meta["gain"]["after"])


def _tost(full, masked, s) -> dict:
    from rlsparse_check.stats import tost

    diffs = [_after(m) - _after(f) for m, f in zip(masked, full, strict=True)]
    if len(diffs) < 2:
        return {"diffs": diffs, "p": None, "diff": pystats.fmean(diffs), "ci": None}
    res = tost(diffs, None, margin=s.equivalence_margin, alpha=s.alpha)
    return {"diffs": diffs, "p": res.p_value, "diff": res.effect, "ci": list(res.ci)}


def _beats(rl_mask, random_mask) -> dict:
    from rlsparse_check.stats import one_sample

    diffs = [_after(a) - _after(b) for a, b in zip(rl_mask, random_mask, strict=True)]
    if len(diffs) < 2:
        return {"diff": pystats.fmean(diffs), "p": None}
    return {"diff": pystats.fmean(diffs), "p": one_sample(diffs, 0.0, "greater").p_value}


def test_fine_tuning_inside_the_rl_mask_recovers_the_full_run(
    requires_training, recovery_runs, checkpoint_diffs, rlsparse_settings, record_claim
):
    from rlsparse_check.measures.recovery import outside_mask_changes, update_distance
    from rlsparse_check.stats import margin_test

    s = rlsparse_settings
    full, rl_mask, random_mask = (recovery_runs[k] for k in ("full", "rl_mask", "random_mask"))
    tests = {
        "tost_rl_mask": _tost(full, rl_mask, s),
        "tost_random_mask": _tost(full, random_mask, s),
        "rl_mask_beats_random": _beats(rl_mask, random_mask),
    }
    correct(tests, s.correction)
    distance, leaks = {"rl_mask": [], "random_mask": []}, {"rl_mask": [], "random_mask": []}
    for f, m, r in zip(full, rl_mask, random_mask, strict=True):
        for kind, case in (("rl_mask", m), ("random_mask", r)):
            distance[kind].append(update_distance(f.base, f.tuned, case.tuned))
            leaks[kind].append(
                outside_mask_changes(
                    checkpoint_diffs.bitwise(case).masks, case.meta["record"]["mask"]["path"]
                )
            )
    rel = {k: [d["relative_l2"] for d in v] for k, v in distance.items()}
    t = tests["tost_rl_mask"]
    eq = equivalent(
        "eval reward, RL-mask run minus full run (paired by seed)",
        t["diff"],
        tuple(t["ci"] or (float("-inf"), float("inf"))),
        t.get("p_adjusted"),
        s.equivalence_margin,
        s.alpha,
        n=len(full),
    )
    if len(full) >= 2:
        close = at_most(
            "relative L2 distance of the updates, RL mask vs full",
            margin_test(rel["rl_mask"], None, s.max_update_distance, level=1 - s.alpha),
            s.max_update_distance,
            s.alpha,
        )
    else:
        close = decide(
            supports=False,
            refutes=False,
            n=len(full),
            min_n=2,
            why="one seed: no bound on the distance",
        )
    decision = all_of([("eval equivalence", eq), ("nearly identical parameters", close)])
    if any(leaks["rl_mask"]) or any(leaks["random_mask"]):
        decision = decide(
            supports=False,
            refutes=False,
            n=len(full),
            why=f"masking did not hold ({sum(leaks['rl_mask'])} entries of the RL-mask runs and "
            f"{sum(leaks['random_mask'])} of the random-mask runs changed outside their masks): "
            f"the masked runs are invalid; {decision.reason}",
        )
    beats = tests["rl_mask_beats_random"]
    beats_random = (
        beats.get("p_adjusted") is not None
        and beats["p_adjusted"] < s.alpha
        and pystats.fmean(rel["rl_mask"]) < pystats.fmean(rel["random_mask"])
    )
    mean_eval = {k: pystats.fmean(_after(c) for c in v) for k, v in recovery_runs.items()}
    control = (
        f"control: a random mask of equal per-tensor density reaches eval "
        f"{mean_eval['random_mask']:.3f} vs RL mask {mean_eval['rl_mask']:.3f} vs full "
        f"{mean_eval['full']:.3f}, relative L2 {pystats.fmean(rel['random_mask']):.3f} vs "
        f"{pystats.fmean(rel['rl_mask']):.3f}: the RL mask "
        f"{'beats' if beats_random else 'does not beat'} it"
    )
    record_claim(
        ClaimResult(
            id="C4",
            title=TITLE,
            case="recovery",
            verdict=decision.verdict,
            reason=f"{decision.reason}. {control}",
            headline=f"Training inside the RL mask ends {pystats.fmean(rel['rl_mask']):.3f} "
            f"(relative L2) from the full run with eval {mean_eval['rl_mask']:.2f} vs "
            f"{mean_eval['full']:.2f}: {decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f"TOST |eval(mask) - eval(full)| < "
                f"{s.equivalence_margin:g} and relative L2 of updates <= "
                f"{s.max_update_distance:g} (one-sided bounds)",
            },
            measured={
                "key": "relative_l2",
                "relative_l2": {"value": pystats.fmean(rel["rl_mask"]), "per_seed": rel["rl_mask"]},
                "eval_reward": {k: [_after(c) for c in v] for k, v in recovery_runs.items()},
                "eval_difference": {"value": t["diff"], "ci": t["ci"]},
                "mask_density": [1 - checkpoint_diffs.bitwise(c).sparsity for c in full],
                "distance": distance,
                "entries_changed_outside_mask": leaks,
                "random_mask_relative_l2": pystats.fmean(rel["random_mask"]),
                "rl_mask_beats_random": beats_random,
            },
            statistics={
                "test": f"TOST (paired by seed) on eval reward, margin "
                f"{s.equivalence_margin:g}; one-sided t bound on the distance",
                "p": t["p"],
                "p_adjusted": t.get("p_adjusted"),
                "ci": t["ci"],
                "effect": t["diff"],
                "correction": s.correction,
                "correction_family": list(tests),
                "alpha": s.alpha,
                "n": len(full),
                "tests": tests,
                "thresholds": [
                    entry("equivalence-margin", s.equivalence_margin),
                    entry("max-update-distance", s.max_update_distance),
                    entry("alpha", s.alpha),
                ],
            },
            runs=[c.run_record() for v in recovery_runs.values() for c in v],
            plots={
                "series": {
                    "Recovery: eval reward per seed": {
                        "x_label": "seed",
                        "y_label": "eval reward",
                        "y_range": [0, 1],
                        "lines": {
                            k.replace("_", " "): {
                                "x": [c.meta["seed"] for c in v],
                                "y": [_after(c) for c in v],
                            }
                            for k, v in recovery_runs.items()
                        },
                    },
                    "Recovery: distance of the update from the full run's": {
                        "x_label": "seed",
                        "y_label": "relative L2 distance",
                        "reference": {
                            "label": f"limit {s.max_update_distance:g}",
                            "y": [s.max_update_distance],
                        },
                        "lines": {
                            k.replace("_", " "): {"x": [c.meta["seed"] for c in full], "y": v}
                            for k, v in rel.items()
                        },
                    },
                }
            },
        )
    )
