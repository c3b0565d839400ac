"""C2 -- RL is much sparser than SFT.

Claim (Mukherjee et al., arXiv 2505.11711): SFT of the same bases updates far more weights than
RL. Published figure: RL checkpoints 68.5%-96.0% unchanged; SFT checkpoints 6%-15%.
Rule: decided on the sparsity-learning frontier. The primary RL algorithm and SFT train at the
same per-step rate (RL's) on a ladder of step counts (10 to 150 of 150 steps: short rungs on the
rising part of the gain curves, not only the plateau). Each seed pair (RL seed i, SFT seed i)
is matched at its own gain (the middle of the gains both its frontiers cover) and gives one
sparsity difference; the t interval over pairs so carries the uncertainty of choosing the
matched gain and the eval noise. Reproduced when its one-sided lower bound (level 1 - alpha)
reaches ``--sparser-margin``; not reproduced when the upper bound is below it. Inconclusive when
a frontier run's eval standard error exceeds ``--max-eval-se``, when the matched gain is not
where both mean curves still rise (paired t over seeds between the rungs around it), or when an
arm did not learn at the matched gain (its rung above it; Holm over the two arms).
The published-style comparison (each at its usual rate, same data budget) is shown beside it
with the learning-rate ratio named as its confound; it does not decide.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import margins as rule
from rlsparse_check.criteria.combine import interval_fields, pct
from rlsparse_check.criteria.learning import learned
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C2"]


def test_rl_updates_are_sparser_than_sft_updates(
    requires_training,
    run_factory,
    frontier_runs,
    usual_rate_runs,
    checkpoint_diffs,
    rlsparse_settings,
    record_claim,
):
    from rlsparse_check.measures.frontier import at_matched_gain, frontier_of, plot
    from rlsparse_check.measures.learning import gain_tests
    from rlsparse_check.stats import margin_test

    s, d = rlsparse_settings, run_factory.design
    f = frontier_of(frontier_runs, lambda c: checkpoint_diffs.bitwise(c).sparsity)
    m = at_matched_gain(f.points, d.primary, "sft")
    test = margin_test(m.diffs, None, s.sparser_margin, level=1 - s.alpha) if m.diffs[1:] else None
    arms = gain_tests({a: g for a, g in m.reached.items()}, s.correction)
    guards = {a: learned(t, s.alpha) for a, t in arms.items()}
    conditions = [rule.precise_gains(f.ses, s.max_eval_se), rule.on_rising_part(m.rises, s.alpha)]
    decision = rule.sparser_at_matched_gain(
        test, conditions, list(guards.values()), s.sparser_margin, s.alpha
    )
    usual = {k: checkpoint_diffs.sparsities(v) for k, v in usual_rate_runs.items()}
    sft_lr = usual_rate_runs["sft"][0].meta["record"]["spec"]["lr"]
    beside = (
        f"published style, each at its usual rate (RL {d.rl_lr:g}, SFT {sft_lr:g}; the rate "
        f"ratio is its confound): RL {pct(sum(usual['rl']) / len(usual['rl']))} vs SFT "
        f"{pct(sum(usual['sft']) / len(usual['sft']))} unchanged"
    )
    ci = interval_fields(test.lower, test.upper, 1 - s.alpha, "one-sided bounds") if test else {}
    record_claim(
        CLAIM.result(
            case="rl-vs-sft",
            decision=decision,
            reason=f"{decision.reason}. Beside it, {beside}",
            headline=(
                f"At matched gain {m.gain:+.2f}, {d.primary} minus SFT sparsity is "
                f"{100 * test.diff:+.1f} points: "
                if test
                else ""
            )
            + decision.verdict.value.replace("_", " "),
            criterion=f"RL - SFT sparsity at matched gain, same rate >= {s.sparser_margin:g} "
            "(one-sided lower bound over seed pairs)",
            measured={
                "key": "sparsity_difference",
                "sparsity_difference": {"value": test.diff if test else None, "ci": None, **ci},
                "matched_gain": {"gain": m.gain, "per_pair": m.gains, "differences": m.diffs},
                "rising": {r.what: r.figures() for r in m.rises},
                "learned": {
                    **{a: g.verdict.value == "reproduced" for a, g in guards.items()},
                    "figures": {a: t.figures() for a, t in arms.items()},
                },
                "eval_se": {"max": max(f.ses.values()), "limit": s.max_eval_se},
                "frontier": f.rows,
                "usual_rates": {"rl_lr": d.rl_lr, "sft_lr": sft_lr, **usual, "beside": beside},
            },
            statistics={
                "test": "one-sample t over seed pairs, each at its own matched gain",
                **rule.margin_figures(test),
                **ci,
                "conditions": [c.reason for c in conditions],
                "thresholds": [
                    entry("sparser-margin", s.sparser_margin),
                    entry("alpha", s.alpha),
                    entry("max-eval-se", s.max_eval_se),
                ],
            },
            runs=[
                c.run_record() for rungs in frontier_runs.values() for _, cs in rungs for c in cs
            ],
            plots={"frontier": plot(f.points, m.gain)},
        )
    )
