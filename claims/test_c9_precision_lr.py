"""C9 -- Precision and learning-rate mechanism (beyond the paper).

Claim (the critique of arXiv 2505.11711 / 2507.17107): the measured sparsity is largely an
artefact of storage precision and learning rate. Training keeps fp32 master weights; a bf16
checkpoint shows an entry as unchanged when its total fp32 movement stays below about half a
bf16 ULP of its value, so sparsity follows learning rate x steps x weight magnitude.
Published figure: checkpoints saved in fp32 are almost fully dense; raising the RL learning rate
removes most sparsity; SFT at a very low rate (5e-7) reaches about 60% sparsity.
Criterion, three parts (cases), all of which must hold:

(a) ``a-precision``: the same runs (same seeds) saved in fp32 vs bf16, each against the base
    saved alike: bf16 sparsity exceeds fp32 sparsity by at least ``--sparser-margin``, decided on
    the one-sided bounds of the paired difference over seeds (lower bound at or above the margin
    reproduces, upper bound below it refutes).
(b) ``b-learning-rate``: over the map of rate x steps (the primary algorithm's frontier rungs,
    its run at the published rate for proportionally more steps, and at 10x its rate), sparsity
    falls as lr x steps rises: an exact permutation test of the within-seed rank correlation that
    keeps each seed's runs together (Monte Carlo, seeded, when the permutations are too many);
    significant falling reproduces, significant rising refutes. The map also shows SFT and the
    fp32 saves.
(c) ``c-half-ulp``: per entry, the half-ULP rule applied to the fp32 master movement predicts
    which bf16 entries stay unchanged; judged beyond the base rate by Cohen's kappa (pooled over
    seeds) against ``--min-kappa``, so an always-"unchanged" predictor cannot pass.
The p-values of (a) and (b) are corrected together (``--correction``).
"""

from __future__ import annotations

import pytest

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import agreement_beyond_chance, much_greater, p_text, pct, trend
from rlsparse_check.results import ClaimResult, Decision, Verdict
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C9"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)
PARTS = ("a-precision", "b-learning-rate", "c-half-ulp")


def _map_plot(cells: list[dict]) -> dict:
    return {
        "x_label": "lr x steps",
        "y_label": "bitwise sparsity",
        "cells": [
            {k: c[k] for k in ("algo", "dtype", "lr", "steps", "lr_x_steps", "sparsity")}
            for c in cells
        ],
    }


def _precision(m, s) -> tuple[Decision, dict, dict]:
    test = m["precision"]
    if test is None:
        return Decision(Verdict.INCONCLUSIVE, "too little data (one seed)"), {}, {}
    decision = much_greater(
        "bf16 minus fp32 sparsity (paired by seed)",
        test,
        s.sparser_margin,
        s.alpha,
        p_above=m["family"]["a"].get("p_adjusted"),
    )
    measured = {
        "key": "sparsity_difference",
        "sparsity_difference": {"value": test.diff, "ci": [test.lower, test.upper]},
        "bf16_sparsity": {"value": sum(m["bf16"]) / len(m["bf16"]), "per_seed": m["bf16"]},
        "fp32_sparsity": {"value": sum(m["fp32"]) / len(m["fp32"]), "per_seed": m["fp32"]},
    }
    stats = {
        "test": test.test,
        "p": test.p_above,
        "p_adjusted": m["family"]["a"]["p_adjusted"],
        "p_below_margin": test.p_below,
        "n": test.n,
        "effect": test.diff,
        "ci": [test.lower, test.upper],
        "thresholds": [entry("sparser-margin", s.sparser_margin), entry("alpha", s.alpha)],
    }
    return decision, measured, stats


def _learning_rate(m, s) -> tuple[Decision, dict, dict]:
    primary = m["primary"]
    if primary not in m["trends"]:
        return Decision(Verdict.INCONCLUSIVE, "no map runs"), {}, {}
    t = m["trends"][primary]
    p_adj = m["family"]["b"].get("p_adjusted")
    decision = trend(
        f"{primary} sparsity vs lr x steps (bf16, seeds kept together)",
        t["falling"],
        t["rising"],
        s.alpha,
        p_falling=p_adj,
    )
    rl = sorted(
        (c for c in m["cells"] if c["algo"] == primary and c["dtype"] == "bf16"),
        key=lambda c: c["lr_x_steps"],
    )
    measured = {
        "key": "trend_statistic",
        "trend_statistic": t["falling"].statistic,
        "sparsity_by_lr_x_steps": [
            {
                "lr": c["lr"],
                "steps": c["steps"],
                "lr_x_steps": c["lr_x_steps"],
                "sparsity": c["sparsity"],
            }
            for c in rl
        ],
        "other_trends": {
            a: {"statistic": v["falling"].statistic, "p_falling": v["falling"].p_value}
            for a, v in m["trends"].items()
            if a != primary
        },
    }
    stats = {
        "test": t["falling"].name,
        "statistic": t["falling"].statistic,
        "p": t["falling"].p_value,
        "p_adjusted": p_adj,
        "p_opposite_direction": t["rising"].p_value,
        "n": t["falling"].n,
        "thresholds": [entry("alpha", s.alpha)],
    }
    return decision, measured, stats


def _half_ulp(precision_runs, s) -> tuple[Decision, dict, dict]:
    from rlsparse_check.measures.precision import half_ulp_agreement
    from rlsparse_check.stats import cohen_kappa

    rows = [
        {"seed": b16.meta["seed"], **half_ulp_agreement(f32.base, f32.tuned, b16.base, b16.tuned)}
        for b16, f32 in zip(precision_runs["bf16"], precision_runs["fp32"], strict=True)
    ]
    n = sum(r["entries"] for r in rows)
    wrong_kept = sum(r["unchanged_but_predicted_changed"] for r in rows)
    wrong_moved = sum(r["changed_but_predicted_unchanged"] for r in rows)
    both = sum(r["actually_unchanged"] for r in rows) - wrong_kept
    kappa = cohen_kappa(both, wrong_moved, wrong_kept, n - both - wrong_kept - wrong_moved)
    agreement = sum(r["agree"] for r in rows) / n
    base_rate = sum(r["actually_unchanged"] for r in rows) / n
    decision = agreement_beyond_chance(kappa, s.min_kappa, agreement=agreement, base_rate=base_rate)
    measured = {
        "key": "kappa",
        "kappa": kappa,
        "agreement": agreement,
        "unchanged_base_rate": base_rate,
        "exact_rounding_agreement": sum(r["exact_agree"] for r in rows) / n,
        "per_seed": [
            {k: r[k] for k in ("seed", "kappa", "agreement", "bf16_sparsity", "predicted_sparsity")}
            for r in rows
        ],
    }
    stats = {
        "test": "Cohen's kappa of per-entry prediction vs observation (exact counts, "
        "pooled over seeds)",
        "n": len(rows),
        "thresholds": [entry("min-kappa", s.min_kappa)],
    }
    return decision, measured, stats


@pytest.mark.parametrize("part", PARTS)
def test_precision_and_learning_rate_explain_sparsity(
    part,
    requires_training,
    mechanism,
    precision_runs,
    rate_map_runs,
    rlsparse_settings,
    record_claim,
):
    s, m = rlsparse_settings, mechanism
    if part == "a-precision":
        decision, measured, stats = _precision(m, s)
        runs = [*precision_runs["bf16"], *precision_runs["fp32"]]
        headline = (
            f"The same runs are {pct(m['figures']['bf16_sparsity'])} unchanged in bf16 "
            f"and {pct(m['figures']['fp32_sparsity'])} in fp32"
        )
    elif part == "b-learning-rate":
        decision, measured, stats = _learning_rate(m, s)
        runs = [c for cell in rate_map_runs for c in (*cell["bf16"], *cell["fp32"])]
        headline = (
            f"Sparsity against lr x steps: blocked trend p "
            f"{p_text(m['family']['b'].get('p_adjusted'))}"
        )
    else:
        decision, measured, stats = _half_ulp(precision_runs, s)
        runs = [*precision_runs["bf16"], *precision_runs["fp32"]]
        headline = (
            f"The half-ULP rule predicts unchanged entries with kappa {measured['kappa']:.3f}"
        )
    stats.update(correction=s.correction, correction_family="parts (a) and (b)", alpha=s.alpha)
    record_claim(
        ClaimResult(
            id="C9",
            title=TITLE,
            case=part,
            verdict=decision.verdict,
            reason=decision.reason,
            headline=f"{headline}: {decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": {
                    "a-precision": f"bf16 - fp32 sparsity >= {s.sparser_margin:g} (one-sided lower "
                    f"bound, paired by seed)",
                    "b-learning-rate": f"sparsity falls with lr x steps (blocked permutation test, "
                    f"p < {s.alpha:g})",
                    "c-half-ulp": f"Cohen's kappa >= {s.min_kappa:g}",
                }[part],
            },
            measured=measured,
            statistics=stats,
            runs=[c.run_record() for c in runs],
            plots={"map": _map_plot(m["cells"])},
        )
    )
