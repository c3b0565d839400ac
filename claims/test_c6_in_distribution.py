"""C6 -- In-distribution data explains the sparsity.

Claim (Mukherjee et al., arXiv 2505.11711): training on data close to the policy's own
distribution, not the RL objective itself, keeps the update sparse: SFT on the model's own
correct samples is much sparser than SFT on external targets.
Published figure: RL 68.5%-96.0% unchanged vs SFT on external data 6%-15%; in-distribution SFT
behaves like RL (sparse updates).
Rule: SFT on own correct samples (``sft-self``) vs SFT on the task's reference answers (``sft``),
same base, task and budget, both at the RL rate: at SFT's usual rate both sit at the sparsity
floor and cannot differ. Reproduced when sft-self sparsity exceeds sft sparsity by at least
``--sparser-margin`` on the one-sided lower bound (Welch over seeds, level 1 - alpha); not
reproduced when the upper bound is below it, unless both arms sit within the margin of the floor
(the mean sparsity of SFT at its usual rate for the same budget, the densest run): inconclusive.
Inconclusive too when either arm did not learn (per-problem eval gains paired on the shared
draws, averaged over seeds, one-sided t over problems, Holm over both arms).
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import much_greater, pct
from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.criteria.learning import guard, learned, learned_record
from rlsparse_check.criteria.margins import margin_figures, with_room
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C6"]


def test_sft_on_own_samples_is_sparser_than_sft_on_external_targets(
    requires_training, sft_target_runs, checkpoint_diffs, rlsparse_settings, record_claim
):
    from rlsparse_check.measures.frontier import headroom
    from rlsparse_check.measures.learning import case_rewards, gain_tests
    from rlsparse_check.stats import margin_test

    s, runs = rlsparse_settings, sft_target_runs
    x = {k: checkpoint_diffs.sparsities(v) for k, v in runs.items()}
    test = margin_test(x["sft-self"], x["sft"], s.sparser_margin, level=1 - s.alpha)
    room = headroom({k: x[k] for k in ("sft-self", "sft")}, x["floor"])
    arms = ("sft-self", "sft")
    gains = gain_tests({k: [case_rewards(c) for c in runs[k]] for k in arms}, s.correction)
    guards = {k: learned(t, s.alpha) for k, t in gains.items()}
    margin = much_greater("sft-self minus sft sparsity", test, s.sparser_margin, s.alpha)
    decision = guard(with_room(margin, room.room, s.sparser_margin), *guards.values())
    lr = runs["sft-self"][0].meta["record"]["spec"]["lr"]
    ci = interval_fields(test.lower, test.upper, 1 - s.alpha, "one-sided bounds")
    mean = {k: pct(sum(v) / len(v)) for k, v in x.items()}
    record_claim(
        CLAIM.result(
            case="sft-self-vs-sft",
            decision=decision,
            headline=f"At lr {lr:g}, SFT on own samples is {mean['sft-self']} unchanged vs "
            f"{mean['sft']} on external targets (floor {mean['floor']}), against a "
            f"{100 * s.sparser_margin:g}-point margin: {decision.verdict.value.replace('_', ' ')}.",
            criterion=f"sft-self - sft sparsity >= {s.sparser_margin:g} (one-sided lower bound)",
            measured={
                "key": "sparsity_difference",
                "sparsity_difference": {"value": test.diff, **ci},
                "sparsity": x,
                "headroom": room.figures(),
                "learned": learned_record(gains, s.alpha),
                "lr": lr,
            },
            statistics={
                "test": "Welch t over seeds, one-sided bounds against the margin",
                **margin_figures(test),
                **ci,
                "alpha": s.alpha,
                "thresholds": [entry("sparser-margin", s.sparser_margin), entry("alpha", s.alpha)],
            },
            runs=[c.run_record() for v in runs.values() for c in v],
        )
    )
