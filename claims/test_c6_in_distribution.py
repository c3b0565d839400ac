"""C6 -- In-distribution data explains the sparsity.

Claim (Mukherjee et al., arXiv 2505.11711): training on data close to the policy's own
distribution, not the RL objective itself, is what keeps the update sparse: SFT on the model's
own correct samples is much sparser than SFT on external targets.
Published figure: RL 68.5%-96.0% unchanged vs SFT on external data 6%-15%; in-distribution SFT
behaves like RL (sparse updates).
Criterion: SFT on the model's own correct samples (``sft-self``) vs SFT on the task's reference
answers (``sft``), same base, task, learning rate and data budget, over seeds: reproduced when
sft-self sparsity exceeds sft sparsity by at least ``--sparser-margin`` on the one-sided lower
confidence bound of the difference (Welch, level 1 - ``--alpha``); not reproduced when the upper
bound is below the margin; else inconclusive. A Mann-Whitney U test is shown beside it only when
its smallest attainable p-value at these sample sizes is below alpha.
"""

from __future__ import annotations

import statistics as pystats

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import margin_figures, much_greater
from rlsparse_check.results import ClaimResult, Decision, Verdict
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C6"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)


def _rank_test(own: list[float], external: list[float], alpha: float) -> dict:
    from rlsparse_check.stats import mann_whitney, mann_whitney_min_p

    floor = mann_whitney_min_p(len(own), len(external), "greater")
    if floor >= alpha:
        return {
            "shown": False,
            "why": f"smallest attainable p at {len(own)} vs "
            f"{len(external)} is {floor:.3g} >= alpha {alpha:g}",
        }
    res = mann_whitney(own, external, "greater")
    return {"shown": True, "U": res.statistic, "p": res.p_value, "effect": res.effect}


def test_sft_on_own_samples_is_sparser_than_sft_on_external_targets(
    requires_training, sft_target_runs, checkpoint_diffs, rlsparse_settings, record_claim
):
    from rlsparse_check.stats import margin_test

    s = rlsparse_settings
    own_cases, ext_cases = sft_target_runs["sft-self"], sft_target_runs["sft"]
    own, external = checkpoint_diffs.sparsities(own_cases), checkpoint_diffs.sparsities(ext_cases)
    test = (
        margin_test(own, external, s.sparser_margin, level=1 - s.alpha)
        if min(len(own), len(external)) >= 2
        else None
    )
    decision = (
        Decision(Verdict.INCONCLUSIVE, "too little data (one seed)")
        if test is None
        else much_greater("sft-self minus sft sparsity", test, s.sparser_margin, s.alpha)
    )
    lr = own_cases[0].meta["record"]["spec"]["lr"]
    gains = {
        k: pystats.fmean(c.meta["gain"]["gain"] for c in v) for k, v in sft_target_runs.items()
    }
    record_claim(
        ClaimResult(
            id="C6",
            title=TITLE,
            case="sft-self-vs-sft",
            verdict=decision.verdict,
            reason=f"{decision.reason} (both at lr {lr:g}; eval gain sft-self "
            f"{gains['sft-self']:+.3f}, sft {gains['sft']:+.3f})",
            headline=f"SFT on own samples is {100 * pystats.fmean(own):.1f}% unchanged vs "
            f"{100 * pystats.fmean(external):.1f}% on external targets, against a "
            f"{100 * s.sparser_margin:g}-point margin: "
            f"{decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f"sft-self - sft sparsity >= {s.sparser_margin:g} "
                "(one-sided lower bound)",
            },
            measured={
                "key": "sparsity_difference",
                "sparsity_difference": {
                    "value": None if test is None else test.diff,
                    "ci": None if test is None else [test.lower, test.upper],
                },
                "sft_self_sparsity": {"value": pystats.fmean(own), "per_seed": own},
                "sft_sparsity": {"value": pystats.fmean(external), "per_seed": external},
                "eval_gain": gains,
                "lr": lr,
            },
            statistics={
                "test": "Welch t over seeds, one-sided bounds at level "
                f"{1 - s.alpha:g} against the margin",
                **margin_figures(test),
                "alpha": s.alpha,
                "mann_whitney": _rank_test(own, external, s.alpha),
                "thresholds": [entry("sparser-margin", s.sparser_margin), entry("alpha", s.alpha)],
            },
            runs=[c.run_record() for c in [*own_cases, *ext_cases]],
            plots={
                "series": {
                    "Sparsity per seed: SFT targets": {
                        "x_label": "seed",
                        "y_label": "bitwise sparsity",
                        "y_range": [0, 1],
                        "lines": {
                            "sft-self (own correct samples)": {
                                "x": [c.meta["seed"] for c in own_cases],
                                "y": own,
                            },
                            "sft (external targets)": {
                                "x": [c.meta["seed"] for c in ext_cases],
                                "y": external,
                            },
                        },
                    }
                }
            },
        )
    )
