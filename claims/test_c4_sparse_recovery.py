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
     ``--equivalence-margin`` (reward units; default 0.05 = 5 points of accuracy); significant
     after ``--correction`` -> supports; 90% interval entirely outside the margin -> refutes;
(ii) nearly identical parameters: relative L2 distance of the updates
     ``||u_masked - u_full|| / ||u_full||``, mean over seeds, at most 0.10
     (fixtures/criteria_training.py); the fraction of entries equal (bitwise, within 1e-8 and
     1e-5) is reported beside it.

Control (reported, not decisive): a random mask with the same per-tensor counts, trained the same
way; "the RL mask beats it" when its eval reward is significantly higher (paired one-sided t over
seeds) and its update is closer to the full run's. The TOST of each mask and the beat test are
corrected together. Masking is verified: entries changed outside the mask are counted (must be 0).
"""

from __future__ import annotations

import statistics as pystats

from fixtures.compare import greater
from fixtures.criteria_training import REL_L2_MAX, combine, equivalent
from rlsparse_check.results import ClaimResult, decide

TITLE = "Fine-tuning only the RL subnetwork recovers the full run"
PAPER = {"summary": "subnetwork-only training matches full RL; parameters nearly identical"}


def _after(case) -> float:
    return float(case.meta["gain"]["after"])


def _tost(full, masked, margin, alpha):
    from rlsparse_check.stats import tost

    diffs = [_after(m) - _after(f) for m, f in zip(masked, full, strict=True)]
    if len(diffs) < 2:
        return {"diffs": diffs, "p": None, "diff": pystats.fmean(diffs) if diffs else None,
                "ci90": None}
    res = tost(diffs, None, margin=margin, alpha=alpha)
    return {"diffs": diffs, "p": res.p_value, "diff": res.effect, "ci90": list(res.ci),
            "statistic": res.statistic}


def test_fine_tuning_inside_the_rl_mask_recovers_the_full_run(
        requires_training, recovery_runs, run_factory, checkpoint_diffs, rlsparse_settings,
        record_claim):
    from fixtures.recovery import outside_mask_changes, update_distance
    from rlsparse_check.stats import adjust

    s = rlsparse_settings
    full, rl_mask, random_mask = (recovery_runs[k] for k in ("full", "rl_mask", "random_mask"))
    tests = {"tost_rl_mask": _tost(full, rl_mask, s.equivalence_margin, s.alpha),
             "tost_random_mask": _tost(full, random_mask, s.equivalence_margin, s.alpha),
             "rl_mask_beats_random": greater([_after(c) for c in rl_mask],
                                             [_after(c) for c in random_mask], paired=True)}
    tested = [k for k, t in tests.items() if t["p"] is not None]
    for key, p in zip(tested, adjust([tests[k]["p"] for k in tested], s.correction)
                      if tested else [], strict=True):
        tests[key]["p_adjusted"] = float(p)
    distance = {"rl_mask": [], "random_mask": []}
    leaks = {"rl_mask": [], "random_mask": []}
    for f, m, r in zip(full, rl_mask, random_mask, strict=True):
        for kind, case in (("rl_mask", m), ("random_mask", r)):
            distance[kind].append(update_distance(f.base, f.tuned, case.tuned))
            leaks[kind].append(outside_mask_changes(checkpoint_diffs.bitwise(case).masks,
                                                    case.meta["record"]["mask"]["path"]))
    rel = {k: pystats.fmean(d["relative_l2"] for d in v) for k, v in distance.items()}
    tost_rl = tests["tost_rl_mask"]
    eq = equivalent("eval reward, RL-mask run minus full run (paired by seed)",
                    tost_rl["diff"], tuple(tost_rl["ci90"] or (float("-inf"), float("inf"))),
                    tost_rl.get("p_adjusted"), s.equivalence_margin, s.alpha, n=len(full))
    close = decide(supports=rel["rl_mask"] <= REL_L2_MAX, refutes=rel["rl_mask"] > REL_L2_MAX,
                   n=len(full), why=f"relative L2 distance of updates {rel['rl_mask']:.3f} "
                   f"(need <= {REL_L2_MAX:g}); entries bitwise equal "
                   f"{pystats.fmean(d['equal_bitwise'] for d in distance['rl_mask']):.3f}")
    decision = combine([("eval equivalence", eq), ("nearly identical parameters", close)])
    if any(leaks["rl_mask"]) or any(leaks["random_mask"]):
        decision = decide(supports=False, refutes=False, n=len(full),
                          why=f"masking did not hold ({leaks} entries changed outside the "
                              f"mask): the masked runs are invalid; {decision.reason}")
    beats = tests["rl_mask_beats_random"]
    beats_random = (beats.get("p_adjusted") is not None and beats["p_adjusted"] < s.alpha
                    and rel["rl_mask"] < rel["random_mask"])
    control = (f"control: random mask of equal per-tensor density reaches eval "
               f"{pystats.fmean(_after(c) for c in random_mask):.3f} vs RL mask "
               f"{pystats.fmean(_after(c) for c in rl_mask):.3f} vs full "
               f"{pystats.fmean(_after(c) for c in full):.3f}, relative L2 "
               f"{rel['random_mask']:.3f} vs {rel['rl_mask']:.3f}: the RL mask "
               f"{'beats' if beats_random else 'does not beat'} it")
    densities = [1 - checkpoint_diffs.bitwise(c).sparsity for c in full]
    record_claim(ClaimResult(
        id="C4", title=TITLE, case="recovery", verdict=decision.verdict,
        reason=f"{decision.reason}. {control}",
        paper={**PAPER, "criterion": f"TOST |eval(mask) - eval(full)| < "
                                     f"{s.equivalence_margin:g} ({s.correction}-adjusted p < "
                                     f"{s.alpha:g}) and relative L2 of updates <= "
                                     f"{REL_L2_MAX:g}"},
        measured={"key": "relative_l2",
                  "relative_l2": {"value": rel["rl_mask"],
                                  "per_seed": [d["relative_l2"] for d in distance["rl_mask"]]},
                  "eval_reward": {k: [_after(c) for c in v] for k, v in recovery_runs.items()},
                  "eval_difference": {"value": tost_rl["diff"], "ci": tost_rl["ci90"]},
                  "mask_density": densities, "distance": distance,
                  "entries_changed_outside_mask": leaks,
                  "random_mask_relative_l2": rel["random_mask"],
                  "rl_mask_beats_random": beats_random},
        statistics={"test": "TOST (paired by seed) on eval reward, margin "
                            f"{s.equivalence_margin:g}", "p": tost_rl["p"],
                    "p_adjusted": tost_rl.get("p_adjusted"), "ci": tost_rl["ci90"],
                    "effect": tost_rl["diff"], "correction": s.correction,
                    "correction_family": list(tests), "alpha": s.alpha, "n": len(full),
                    "threshold": REL_L2_MAX, "tests": tests},
        runs=[c.run_record() for v in recovery_runs.values() for c in v],
        plots={"series": {
            "Recovery: eval reward per seed": {
                "x_label": "seed", "y_label": "eval reward", "y_range": [0, 1],
                "lines": {k.replace("_", " "): {"x": [c.meta["seed"] for c in v],
                                                "y": [_after(c) for c in v]}
                          for k, v in recovery_runs.items()}},
            "Recovery: distance of the update from the full run's": {
                "x_label": "seed", "y_label": "relative L2 distance",
                "reference": {"label": f"threshold {REL_L2_MAX:g}", "y": [REL_L2_MAX]},
                "lines": {k.replace("_", " "): {"x": [c.meta["seed"] for c in full],
                                                "y": [d["relative_l2"] for d in v]}
                          for k, v in distance.items()}}}},
    ))
