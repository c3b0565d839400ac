"""The regime of a claims run: was it trained where the paper's checkpoints were?

Adam moves each weight by about the learning rate per step whatever the model size, and a bf16
entry changes when its total movement passes half a ULP of its value. So what decides sparsity
is the per-step rate against the half-ULPs of the base weights, and the number of steps. The
report's "regime" section puts the session's runs (rate, steps, lr x steps, and the share of base
entries whose half-ULP lies below one step of that rate) beside the paper's setting, and checks
the one saving the built-in models take: a larger rate for proportionally fewer steps.

Pure functions; the figures of the base come from
:func:`rlsparse_check.measures.precision.regime_profile`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from rlsparse_check.criteria import all_of, equivalent
from rlsparse_check.criteria.learning import guard, learned, learned_record
from rlsparse_check.stats.corrections import correct_equivalence

__all__ = ["RULE", "PAPER", "run_row", "invariance", "invariances", "check_inputs"]

RULE = (
    "Adam moves each weight by about the learning rate per step whatever the model size, and a "
    "bf16 entry changes once its total movement passes half a ULP of its value, so per-step "
    "rates transfer across models whose weight magnitudes are alike. Runs use the published "
    "per-step rates (RL about 1e-6, preference methods 5e-7 to 1e-6, SFT ten times RL) for as "
    "many steps as they need to learn; the built-in tiny models take a multiple of the rate for "
    "the same fraction of the steps (lr x steps held), which the invariance check below tests "
    "in the same session."
)
#: The paper's setting (its figures, and what the bf16 format fixes for any model).
PAPER = {
    "model": "7B-class and larger public checkpoints, bf16",
    "lr": [5e-7, 1e-6],
    "half_ulp_relative": [2.0**-9, 2.0**-8],
    "note": "half a bf16 ULP is 2^-9 to 2^-8 of a weight's magnitude in any model; the "
    "paper's base weights were not measured here",
}


def run_row(label: str, spec: Any, flip_share: Mapping[str, float]) -> dict[str, Any]:
    """One ``regime["runs"]`` entry from a resolved RunSpec (``flip_share`` keyed by
    ``f"{rate:g}"``, as :func:`~rlsparse_check.measures.precision.regime_profile` gives it)."""
    return {
        "label": label,
        "algo": spec.algo,
        "lr": spec.lr,
        "steps": spec.steps,
        "lr_x_steps": spec.lr * spec.steps,
        "flip_share": flip_share.get(f"{spec.lr:g}"),
    }


def _tests(usual, published, alpha: float, margin: float) -> dict[str, dict[str, Any]]:
    from rlsparse_check.stats import tost

    tests: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(("sparsity", "gain")):
        diffs = [u[index] - p[index] for u, p in zip(usual, published, strict=True)]
        test: dict[str, Any] = {
            "usual": [u[index] for u in usual],
            "published": [p[index] for p in published],
            "difference": sum(diffs) / len(diffs),
            "p": None,
            "ci": None,
            "ci_level": 1 - 2 * alpha,
            "ci_kind": "two-sided",
        }
        if len(diffs) >= 2:
            res = tost(diffs, None, margin=margin, alpha=alpha)
            test.update(p=res.p_value, ci=list(res.ci))
        tests[name] = test
    return tests


def _decide(tests, n: int, margin: float, alpha: float):
    return all_of(
        [
            (
                name,
                equivalent(
                    f"{name}, usual rate minus published rate (paired by seed)",
                    t["difference"],
                    tuple(t["ci"] or (float("-inf"), float("inf"))),
                    t.get("p_adjusted"),
                    margin,
                    alpha,
                    n=n,
                    p_outside=t.get("p_outside_adjusted"),
                ),
            )
            for name, t in tests.items()
        ]
    )


def invariance(
    usual: Sequence[tuple[float, float]],
    published: Sequence[tuple[float, float]],
    *,
    rates: tuple[float, float],
    lr_x_steps: float,
    margin: float,
    alpha: float,
    correction: str,
) -> dict[str, Any]:
    """The invariance check: ``usual`` and ``published`` are per-seed ``(sparsity, gain)`` of
    the same recipe at the usual rate and at the published rate with proportionally more steps;
    sparsity and eval gain must both be equivalent (TOST on the per-seed differences, margin
    ``margin``; the two questions corrected together, each one member answered either way:
    equivalent, or outside the margin)."""
    tests = _tests(usual, published, alpha, margin)
    correct_equivalence(tests, correction)
    decision = _decide(tests, len(usual), margin, alpha)
    return {
        "verdict": decision.verdict.value,
        "reason": f"lr {rates[0]:g} vs {rates[1]:g} at lr x steps {lr_x_steps:g}: "
        f"{decision.reason}",
        "lr_x_steps": lr_x_steps,
        "rates": list(rates),
        "sparsity": tests["sparsity"],
        "gain": tests["gain"],
        "margin": margin,
    }


def invariances(
    checks: Mapping[str, Mapping[str, Any]],
    uses_factor: Sequence[str],
    *,
    margin: float,
    alpha: float,
    correction: str,
) -> dict[str, Any]:
    """The invariance check of every algorithm that has one (``checks``: ``{algo: {"usual",
    "published": per-seed (sparsity, gain), "rates", "lr_x_steps"}}``), all sparsity and gain
    TOSTs corrected together (``correction`` over 2 x algorithms questions, each one member
    answered either way: equivalent, or outside the margin); the worst decides.
    ``unchecked``: the algorithms of the session that use the built-in rate factor without a
    check of their own."""
    from rlsparse_check.results import worst

    family = {
        (a, k): t
        for a, c in checks.items()
        for k, t in _tests(c["usual"], c["published"], alpha, margin).items()
    }
    correct_equivalence(family, correction)
    gains = _learning(checks, correction)
    by_algo, verdicts, reasons = {}, [], []
    for algo, c in checks.items():
        tests = {k: family[(algo, k)] for k in ("sparsity", "gain")}
        decision = _decide(tests, len(c["usual"]), margin, alpha)
        mine = {k: t for k, t in gains.items() if k.startswith(f"{algo} ")}
        if mine:  # equal gains of runs that did not learn say nothing: the learning guard
            decision = guard(decision, *(learned(t, alpha) for t in mine.values()))
        verdicts.append(decision.verdict)
        reasons.append(
            f"{algo}: lr {c['rates'][0]:g} vs {c['rates'][1]:g} at lr x steps "
            f"{c['lr_x_steps']:g}: {decision.reason}"
        )
        by_algo[algo] = {
            "verdict": decision.verdict.value,
            "rates": list(c["rates"]),
            "lr_x_steps": c["lr_x_steps"],
            **tests,
            **({"learned": learned_record(mine, alpha)} if mine else {}),
        }
    unchecked = sorted(set(uses_factor) - set(checks))
    return {
        "verdict": worst(verdicts).value if verdicts else "not_applicable",
        "reason": "; ".join(reasons) or "the runs use the published rate",
        "by_algorithm": by_algo,
        "unchecked": unchecked,
        "family": f"{correction} over the sparsity and gain TOSTs of {', '.join(checks)} (one "
        "member each, equivalence and its refutation corrected alike)",
        "margin": margin,
    }


def _learning(checks: Mapping[str, Mapping[str, Any]], correction: str) -> dict[str, Any]:
    """The paired learning test of every run set that has its per-problem ``rewards``
    (``{f"{algo} {usual|published}": GainTest}``), corrected together."""
    from rlsparse_check.measures.learning import gain_tests

    runs = {f"{a} {k}": r for a, c in checks.items() for k, r in c.get("rewards", {}).items()}
    tests = gain_tests(runs, correction) if runs else {}
    return {k: dataclasses.replace(t, what=f"the {k} runs") for k, t in tests.items()}


def check_inputs(runs: Mapping[str, Mapping[str, Sequence]], sparsity: Any) -> dict[str, Any]:
    """:func:`invariances`' ``checks`` from ``{algo: {"usual", "published": seed cases}}``
    (``sparsity(case) -> float``): per-seed (sparsity, gain), the two rates, lr x steps and
    the per-problem eval ``rewards`` of each run set (for the learning guard)."""
    from rlsparse_check.measures.learning import case_rewards

    out = {}
    for algo, pair in runs.items():
        usual, published = (pair[k][0].meta["record"]["spec"] for k in ("usual", "published"))
        out[algo] = {
            **{k: [(sparsity(c), c.meta["gain"]["gain"]) for c in v] for k, v in pair.items()},
            "rates": (usual["lr"], published["lr"]),
            "lr_x_steps": usual["lr"] * usual["steps"],
            "rewards": {k: [case_rewards(c) for c in v] for k, v in pair.items()},
        }
    return out
