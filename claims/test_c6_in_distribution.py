"""C6 -- In-distribution data explains the sparsity.

Claim (Mukherjee et al., arXiv 2505.11711): training on data close to the policy's own
distribution, not the RL objective itself, is what keeps the update sparse: SFT on the model's
own correct samples is much sparser than SFT on external targets.
Published figure: RL 68.5%-96.0% unchanged vs SFT on external data 6%-15%; in-distribution SFT
behaves like RL (sparse updates).
Criterion: SFT on the model's own correct samples (``sft-self``) vs SFT on the task's reference
answers (``sft``), same base, task, learning rate and data budget, over seeds: one-sided Welch t
that sft-self sparsity > sft sparsity (Mann-Whitney U beside it; one test, so the
``--correction`` leaves p unchanged). Reproduced when the adjusted p < ``--alpha`` and the mean
difference is at least ``--equivalence-margin`` ("much", default 5 pp); not reproduced when the
upper 95% bound of the difference is below that margin; else inconclusive.
"""

from __future__ import annotations

from fixtures.compare import greater, mean_gain, sparsities
from fixtures.criteria_training import sparser
from rlsparse_check.results import ClaimResult

TITLE = "SFT on the model's own samples is much sparser than SFT on external targets"
PAPER = {"summary": "in-distribution SFT sparse like RL; external-target SFT 6%-15% unchanged",
         "sft_range": [0.06, 0.15], "rl_range": [0.685, 0.96]}


def test_sft_on_own_samples_is_sparser_than_sft_on_external_targets(
        requires_training, sft_target_runs, checkpoint_diffs, rlsparse_settings, record_claim):
    from rlsparse_check.stats import adjust

    s = rlsparse_settings
    own, external = sft_target_runs["sft-self"], sft_target_runs["sft"]
    test = greater(sparsities(checkpoint_diffs, own), sparsities(checkpoint_diffs, external))
    p_adj = None if test["p"] is None else float(adjust([test["p"]], s.correction)[0])
    decision = sparser("sft-self minus sft sparsity", test["diff"], p_adj,
                       float("inf") if test["upper"] is None else test["upper"],
                       s.equivalence_margin, s.alpha, n=test["n"])
    lr = own[0].meta["record"]["spec"]["lr"]
    record_claim(ClaimResult(
        id="C6", title=TITLE, case="sft-self-vs-sft", verdict=decision.verdict,
        reason=f"{decision.reason} (both at lr {lr:g}; eval gain sft-self "
               f"{mean_gain(own):+.3f}, sft {mean_gain(external):+.3f}; at a given rate, "
               "which entries stay unchanged in bf16 follows the half-ULP mechanism of C9)",
        paper={**PAPER, "criterion": f"sft-self sparsity > sft sparsity (one-sided Welch, "
                                     f"p < {s.alpha:g}) by at least "
                                     f"{100 * s.equivalence_margin:g} pp"},
        measured={"key": "sparsity_difference", "sparsity_difference": {"value": test["diff"]},
                  "sft_self_sparsity": {"value": test["mean_a"], "per_seed": test["a"]},
                  "sft_sparsity": {"value": test["mean_b"], "per_seed": test["b"]},
                  "eval_gain": {"sft-self": mean_gain(own), "sft": mean_gain(external)},
                  "lr": lr},
        statistics={"test": test["test"] + " (sft-self > sft); Mann-Whitney U beside it",
                    "statistic": test["statistic"], "p": test["p"], "p_adjusted": p_adj,
                    "correction": s.correction, "alpha": s.alpha, "n": test["n"],
                    "effect": test["diff"], "ci": [None, test["upper"]],
                    "margin": s.equivalence_margin,
                    "mann_whitney": test.get("mann_whitney")},
        runs=[c.run_record() for c in [*own, *external]],
        plots={"series": {"Sparsity per seed: SFT targets": {
            "x_label": "seed", "y_label": "bitwise sparsity", "y_range": [0, 1],
            "lines": {"sft-self (own correct samples)": {
                "x": [c.meta["seed"] for c in own], "y": test["a"]},
                "sft (external targets)": {"x": [c.meta["seed"] for c in external],
                                           "y": test["b"]}}}}},
    ))
