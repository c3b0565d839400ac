"""C2 -- RL is much sparser than SFT (paper: RL 68.5%-96.0% unchanged, SFT 6%-15%).

Rule: the primary RL algorithm and SFT at RL's rate on a ladder of 10 to 150 steps (the rising
part of both gain curves); each seed pair matched at its own gain gives one sparsity difference.
Its one-sided bounds (level 1 - alpha) count the spread over pairs and the eval noise every pair
shares (same problems, same sampling draws in every run: each arm's per-problem gains at the
matched rung, times its curve's slope, taken together over problems; Welch-Satterthwaite df).
Reproduced when the lower bound reaches ``--sparser-margin``, refuted when the upper bound is
below it; inconclusive when an eval SE exceeds ``--max-eval-se``, when the matched gain is not
where both curves still rise, or when an arm did not learn. The rise and learning tests are
paired on the shared draws: per-problem gains (upper rung minus lower rung; after minus before
at the rung above the matched gain) averaged over seeds, one-sided t over problems, the arms'
learning Holm-adjusted. Beside it: each at its usual rate (confounded).
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import margins as rule
from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.criteria.learning import learned_record
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C2"]
THRESHOLDS = ("sparser-margin", "alpha", "max-eval-se")


def test_rl_updates_are_sparser_than_sft_updates(
    requires_training, run_factory, frontier_runs, usual_rate_runs, checkpoint_diffs,
    rlsparse_settings, record_claim,
):  # fmt: skip
    from rlsparse_check.measures import frontier as fr
    from rlsparse_check.measures.learning import case_rewards
    from rlsparse_check.measures.matched import decide_matched

    s, d, diffs = rlsparse_settings, run_factory.design, checkpoint_diffs
    f = fr.frontier_of(frontier_runs, lambda c: diffs.bitwise(c).sparsity, case_rewards)
    c2 = decide_matched(f, d.primary, "sft", margin=s.sparser_margin, alpha=s.alpha,
                        max_eval_se=s.max_eval_se, correction=s.correction,
                        names={d.primary: "rl"})  # fmt: skip
    decision, m, test = c2.decision, c2.matched, c2.test
    usual = {k: diffs.sparsities(v) for k, v in usual_rate_runs.items()}
    beside = fr.published_style(usual, d.rl_lr, d.sft_lr)
    ci = interval_fields(test.lower, test.upper, 1 - s.alpha, "one-sided bounds") if test else {}
    diff = test.diff if test else None
    record_claim(
        CLAIM.result(
            case="rl-vs-sft",
            decision=decision,
            reason=f"{c2.reason} Beside it, {beside['beside']}",
            headline=fr.headline(m.gain, diff, decision.verdict.value),
            criterion=f"RL - SFT sparsity at matched gain, same rate >= {s.sparser_margin:g} "
            "(one-sided lower bound, seed pairs and shared eval noise)",
            measured={
                "key": "sparsity_difference",
                "sparsity_difference": {"value": diff, "ci": None, **ci},
                "matched_gain": {"gain": m.gain, "per_pair": m.gains, "differences": m.diffs},
                "rising": {r.what: r.figures() for r in m.rises},
                "learned": learned_record(c2.arms, s.alpha),
                "eval_se": {"max": max(f.ses.values()), "limit": s.max_eval_se},
                "frontier": f.rows,
                "usual_rates": beside,
            },
            statistics={
                "test": test.test if test else "no test: fewer than two seed pairs share a gain",
                **rule.margin_figures(test),
                **ci,
                "conditions": [c.reason for c in c2.conditions],
                "thresholds": [entry(n, getattr(s, n.replace("-", "_"))) for n in THRESHOLDS],
            },
            runs=[c.run_record() for r in frontier_runs.values() for _, cs in r for c in cs],
            plots={"frontier": fr.plot(f.points, m.gain)},
        )
    )
