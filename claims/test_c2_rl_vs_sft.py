"""C2 -- RL is much sparser than SFT.

Claim (Mukherjee et al., arXiv 2505.11711): supervised fine-tuning of the same bases updates far
more of the weights than RL does.
Published figure: RL checkpoints 68.5%-96.0% unchanged; SFT checkpoints of the same bases only
6%-15% unchanged.
Criterion: the claim is about RL itself, so it is decided on the sparsity-learning frontier. The
primary RL algorithm and SFT train at the same per-step rate (RL's) for a ladder of step counts
(at least three rungs, seeds as replicates); each seed's frontier (sparsity against eval gain)
is interpolated at one matched gain, the middle of the gain range both mean frontiers cover.
Reproduced when RL is sparser than SFT there by at least ``--sparser-margin`` on the one-sided
lower confidence bound (Welch over seeds, level 1 - ``--alpha``); not reproduced when the upper
bound is below the margin; inconclusive otherwise, or when the frontiers share no gain.
The published-style comparison (each at its usual rate, SFT ten times RL, the same data budget)
is reported beside it, with the learning-rate ratio named as its confound; it does not decide.
"""

from __future__ import annotations

import statistics as pystats

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import margin_figures, much_greater, p_text
from rlsparse_check.results import ClaimResult, Decision, Verdict
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C2"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)


def _gain(case) -> float:
    return float(case.meta["gain"]["gain"])


def _frontier(frontier_runs, diffs) -> tuple[dict, dict]:
    """``points``: ``{algo: [per seed: [(gain, sparsity) per rung]]}``; ``rows`` for the report."""
    points, rows = {}, {}
    for algo, rungs in frontier_runs.items():
        seeds = len(rungs[0][1])
        points[algo] = [
            [(_gain(cases[i]), diffs.bitwise(cases[i]).sparsity) for _, cases in rungs]
            for i in range(seeds)
        ]
        rows[algo] = [
            {
                "lr": c.meta["record"]["spec"]["lr"],
                "steps": steps,
                "seed": c.meta["seed"],
                "eval_gain": _gain(c),
                "sparsity": diffs.bitwise(c).sparsity,
            }
            for steps, cases in rungs
            for c in cases
        ]
    return points, rows


def _plot(points: dict, gain: float | None) -> dict:
    series = {}
    for algo, seeds in points.items():
        rungs = list(zip(*seeds, strict=True))
        series[algo] = {
            "points": [
                {"x": g, "y": y, "seed": i} for i, seed in enumerate(seeds) for g, y in seed
            ],
            "curve": {
                "x": [pystats.fmean(g for g, _ in r) for r in rungs],
                "y": [pystats.fmean(y for _, y in r) for r in rungs],
            },
        }
    return {
        "x_label": "eval reward gain",
        "y_label": "bitwise sparsity",
        "matched_gain": gain,
        "series": series,
    }


def test_rl_updates_are_sparser_than_sft_updates(
    requires_training,
    run_factory,
    frontier_runs,
    usual_rate_runs,
    checkpoint_diffs,
    rlsparse_settings,
    record_claim,
):
    from rlsparse_check.measures.frontier import covers, matched_gain, sparsity_at
    from rlsparse_check.stats import margin_test

    s, d = rlsparse_settings, run_factory.design
    rl = d.primary
    points, rows = _frontier(frontier_runs, checkpoint_diffs)
    gain = matched_gain(points)
    usual_rl, usual_sft = (
        checkpoint_diffs.sparsities(usual_rate_runs["rl"]),
        checkpoint_diffs.sparsities(usual_rate_runs["sft"]),
    )
    sft_lr = usual_rate_runs["sft"][0].meta["record"]["spec"]["lr"]
    usual = (
        margin_test(usual_rl, usual_sft, s.sparser_margin, level=1 - s.alpha)
        if len(usual_rl) >= 2
        else None
    )
    beside = (
        f"published style, each at its usual rate (RL {d.rl_lr:g}, SFT {sft_lr:g}: the "
        f"{sft_lr / d.rl_lr:g}x rate ratio is its confound): RL {pystats.fmean(usual_rl):.1%} "
        f"vs SFT {pystats.fmean(usual_sft):.1%} unchanged"
    )
    matched: dict = {"gain": gain, "rl_lr": d.rl_lr, "sft_lr": d.rl_lr}
    test = None
    if gain is None:
        ranges = {a: [g for seed in p for g, _ in seed] for a, p in points.items()}
        spans = ", ".join(f"{a} {min(g):+.3f} to {max(g):+.3f}" for a, g in ranges.items())
        decision = Decision(
            Verdict.INCONCLUSIVE,
            f"the frontiers share no eval gain (gains: {spans}): sparsity cannot be compared "
            "at matched learning",
        )
    elif len(points[rl]) < 2:
        decision = Decision(Verdict.INCONCLUSIVE, "too little data (one seed per frontier)")
    else:
        at = {a: [sparsity_at(p, gain) for p in seeds] for a, seeds in points.items()}
        held = sum(not covers(p, gain) for seeds in points.values() for p in seeds)
        test = margin_test(at[rl], at["sft"], s.sparser_margin, level=1 - s.alpha)
        decision = much_greater(
            f"{rl} minus SFT sparsity at matched eval gain {gain:+.3f}",
            test,
            s.sparser_margin,
            s.alpha,
        )
        matched.update(
            difference=test.diff,
            ci=[test.lower, test.upper],
            rl_sparsity=at[rl],
            sft_sparsity=at["sft"],
            p=test.p_above,
            p_below_margin=test.p_below,
            seeds_held_at_an_end=held,
        )
    all_cases = [c for rungs in frontier_runs.values() for _, cases in rungs for c in cases]
    all_cases += [c for c in usual_rate_runs["sft"] if c not in all_cases]
    record_claim(
        ClaimResult(
            id="C2",
            title=TITLE,
            case="rl-vs-sft",
            verdict=decision.verdict,
            reason=f"{decision.reason}. Beside it, {beside}",
            headline=(
                f"At matched eval gain {gain:+.2f} and the same rate {d.rl_lr:g}, {rl} minus "
                f"SFT sparsity is {100 * test.diff:+.1f} points (one-sided bounds "
                f"{100 * test.lower:+.1f} / {100 * test.upper:+.1f}) against the "
                f"{100 * s.sparser_margin:g}-point margin: "
                if test is not None
                else "RL and SFT could not be compared at matched gain: "
            )
            + f"{decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f"RL - SFT sparsity at matched eval gain and equal rate >= "
                f"{s.sparser_margin:g} (one-sided lower bound)",
            },
            measured={
                "key": "sparsity_difference",
                "sparsity_difference": {
                    "value": None if test is None else test.diff,
                    "ci": None if test is None else [test.lower, test.upper],
                },
                "matched_gain": matched,
                "frontier": rows,
                "usual_rates": {
                    "rl_lr": d.rl_lr,
                    "sft_lr": sft_lr,
                    "rl_sparsity": usual_rl,
                    "sft_sparsity": usual_sft,
                    "difference": None if usual is None else usual.diff,
                    "bounds": None if usual is None else [usual.lower, usual.upper],
                    "confound": f"SFT's rate is {sft_lr / d.rl_lr:g}x RL's",
                },
            },
            statistics={
                "test": "Welch t over seeds at the matched gain, one-sided bounds at level "
                f"{1 - s.alpha:g} against the margin",
                **margin_figures(test),
                "alpha": s.alpha,
                "usual_rates_p_above_margin": None if usual is None else p_text(usual.p_above),
                "thresholds": [entry("sparser-margin", s.sparser_margin), entry("alpha", s.alpha)],
            },
            runs=[c.run_record() for c in all_cases],
            plots={"frontier": _plot(points, gain)},
        )
    )
