"""C9's measurements: (a) the same runs in bf16 vs fp32, (b) sparsity as the rate varies at fixed
steps and at fixed lr x steps, (c) a prediction of each run's bf16 sparsity that never looks at
the run's own weights (:mod:`rlsparse_check.measures.movement`: a log-normal per-entry movement
around ``c * lr * steps``, fitted on the other conditions), and the family of C9's tests.

The family: one member per question, not one per direction ("(a) bf16 sparser", "<algo> falls"
at fixed steps, "<algo> same" at fixed lr x steps, "(c) no algorithm effect"): the two opposite
one-sided tests of a question can never both reject, so the member's p-value is the smaller of
the two, and the adjusted p-value (``--correction``) goes to that direction (the other gets 1).
A TOST member (the equivalences) is decided in both directions at the Bonferroni level
``alpha / m`` (``m`` members): equivalent when its p is below it, refuted when its
``1 - 2 alpha / m`` interval lies wholly outside the margin (Bonferroni rejects a subset of what
Holm rejects, so the family stays at ``alpha``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.measures.rate_map import map_plot, map_rows

__all__ = [
    "Precision",
    "precision",
    "RateEffect",
    "rate_effect",
    "measure_mechanism",
    "Evidence",
    "evidence",
]


@dataclass(frozen=True)
class Precision:
    """(a): per-seed bf16 and fp32 sparsity of the same runs, the paired margin test."""

    bf16: list[float]
    fp32: list[float]
    test: Any  # MarginTest, None with one seed

    @property
    def figures(self) -> dict[str, float]:
        return {
            "bf16_sparsity": float(np.mean(self.bf16)),
            "fp32_sparsity": float(np.mean(self.fp32)),
        }

    def measured(self, level: float) -> dict[str, Any]:
        t = self.test
        diff = {"value": None, "ci": None}
        if t is not None:
            diff = {"value": t.diff, **interval_fields(t.lower, t.upper, level, "one-sided bounds")}
        return {
            "key": "sparsity_difference",
            "sparsity_difference": diff,
            **self.figures,
            "per_seed": {"bf16": self.bf16, "fp32": self.fp32},
        }


def precision(bf16: Sequence[float], fp32: Sequence[float], margin: float, level: float):
    from rlsparse_check.stats import margin_test

    ok = len(bf16) >= 2
    test = margin_test(bf16, fp32, margin, paired=True, level=level) if ok else None
    return Precision(list(bf16), list(fp32), test)


@dataclass(frozen=True)
class RateEffect:
    """(b) for one algorithm: ``falls``: sparsity at the lower rate minus at the higher rate,
    same steps (paired by seed; > 0 supports); ``same``: sparsity at the lower rate minus at the
    higher rate for proportionally fewer steps, equal lr x steps (paired TOST)."""

    algo: str
    rates: tuple[float, float]
    steps: tuple[int, int]
    falls: Any  # MarginTest against 0
    same: Any  # TestResult of TOST (1 - 2 alpha interval in .ci)
    same_diff: float
    diffs: tuple[float, ...] = ()  # per seed, the equal lr x steps differences

    def figures(self, alpha: float) -> dict[str, Any]:
        f, ci = self.falls, self.same.ci
        return {
            "rates": list(self.rates),
            "steps": list(self.steps),
            "fixed_steps": {
                "difference": f.diff,
                **interval_fields(f.lower, f.upper, 1 - alpha, "one-sided bounds"),
            },
            "fixed_lr_x_steps": {
                "difference": self.same_diff,
                **interval_fields(ci[0], ci[1], 1 - 2 * alpha, "two-sided"),
            },
        }


def rate_effect(
    algo: str, low: Mapping, high: Mapping, short: Mapping, margin: float, alpha: float
) -> RateEffect:
    """``low``/``high``/``short``: ``{"lr", "steps", "sparsity": per-seed list}`` cells: the
    lower rate, the higher rate at the same steps, the higher rate at equal lr x steps."""
    from rlsparse_check.stats import margin_test, tost

    falls = margin_test(low["sparsity"], high["sparsity"], 0.0, paired=True, level=1 - alpha)
    diffs = [a - b for a, b in zip(low["sparsity"], short["sparsity"], strict=True)]
    same = tost(diffs, None, margin, alpha)
    return RateEffect(
        algo,
        (low["lr"], high["lr"]),
        (int(low["steps"]), int(short["steps"])),
        falls,
        same,
        float(np.mean(diffs)),
        tuple(float(d) for d in diffs),
    )


def measure_mechanism(precision_runs: Mapping[str, list], diffs: Any, settings: Any) -> dict:
    """(a), shared with C1's reason: ``figures`` and one ``sentence`` quoting them."""
    from rlsparse_check.criteria.combine import pct

    a = precision(
        diffs.sparsities(precision_runs["bf16"]),
        diffs.sparsities(precision_runs["fp32"]),
        settings.sparser_margin,
        1 - settings.alpha,
    )
    f = a.figures
    sentence = (
        f"Mechanism measured by C9 in this session: the same runs stored in fp32 are "
        f"{pct(f['fp32_sparsity'])} unchanged against {pct(f['bf16_sparsity'])} in bf16"
    )
    return {"precision": a, "figures": f, "sentence": sentence}


@dataclass(frozen=True)
class Evidence:
    """C9's three parts and the family of their tests (module docstring): ``adjusted``: the
    adjusted p-values of ``a``/``a-refute`` and ``"<algo> falls|rises"``; ``tost_alpha``: the
    Bonferroni level of the TOST members (``"<algo> same"``, ``c``), whose raw p-values are in
    ``tost_p`` and whose ``1 - 2 tost_alpha`` intervals are in ``tost_ci``; ``family``: m."""

    precision: Precision
    effects: dict[str, RateEffect]
    prediction: Any  # measures.movement.Prediction
    adjusted: dict[str, float]
    tost_alpha: float
    tost_p: dict[str, float | None]
    tost_ci: dict[str, tuple[float, float] | None]
    family: int
    plot: dict[str, Any]
    runs: list[Any]

    def prediction_figures(self) -> dict[str, Any]:
        """(c)'s figures, the algorithm effect with its interval at the family level too."""
        out = self.prediction.figures()
        ci = self.tost_ci["c"]
        family = interval_fields(*ci, 1 - 2 * self.tost_alpha, "two-sided") if ci else {"ci": None}
        out["algorithm_effect"] = {**out["algorithm_effect"], "family": family}
        return out

    def rate_figures(self, alpha: float) -> dict[str, Any]:
        """(b)'s figures, each equivalence with its interval at the family level too."""
        out = {}
        for algo, e in self.effects.items():
            ci = self.tost_ci[f"{algo} same"]
            level = 1 - 2 * self.tost_alpha
            family = interval_fields(*ci, level, "two-sided") if ci else {"ci": None}
            out[algo] = e.figures(alpha) | {"fixed_lr_x_steps_family": family}
        return {"effects": out}


def family(directional: Mapping[str, tuple], tosts: Mapping[str, float | None], method: str):
    """Adjusted p-values of a family with one member per question (module docstring).
    ``directional``: ``{name: (p_support, p_refute, refute_name)}``; ``tosts``: ``{name: TOST
    p or None}``, counted as members. Returns ``(adjusted, m)``; ``adjusted`` holds both names
    of each directional member."""
    from rlsparse_check.criteria.combine import correct

    members = {k: {"p": min(v[0], v[1])} for k, v in directional.items()}
    members |= {k: {"p": p} for k, p in tosts.items()}
    correct(members, method)
    adjusted: dict[str, float] = {}
    for name, (up, down, other) in directional.items():
        adj = members[name]["p_adjusted"]
        adjusted[name], adjusted[other] = (adj, 1.0) if up <= down else (1.0, adj)
    return adjusted, sum(1 for v in members.values() if v["p"] is not None)


def evidence(mechanism, pairs, rate_map_runs, base: Any, diffs: Any, primary: str, settings):
    """C9's evidence: (a) from the shared ``mechanism``, (b) from ``pairs`` (``{algo: {"low",
    "high", "short": seed cases}}``), (c) from the map runs and the base's half-ULPs; every
    question one member of one family (``settings.correction``; module docstring)."""
    from rlsparse_check.measures.movement import predict
    from rlsparse_check.measures.precision import half_ulp_counts
    from rlsparse_check.stats import tost

    s = settings

    def cell(cases):
        spec = cases[0].meta["record"]["spec"]
        return {"lr": spec["lr"], "steps": spec["steps"], "sparsity": diffs.sparsities(cases)}

    effects = {
        algo: rate_effect(
            algo, *(cell(p[k]) for k in ("low", "high", "short")), s.equivalence_margin, s.alpha
        )
        for algo, p in pairs.items()
    }
    tables = half_ulp_counts(base)
    rows = map_rows(rate_map_runs, diffs)
    pred = predict(rows, tables, [primary], s.equivalence_margin, s.alpha)
    a = mechanism["precision"]
    directional = {}
    if a.test is not None:
        directional["a"] = (a.test.p_above, a.test.p_below, "a-refute")
    for algo, e in effects.items():
        directional[f"{algo} falls"] = (e.falls.p_above, e.falls.p_below, f"{algo} rises")
    tost_p = {f"{algo} same": e.same.p_value for algo, e in effects.items()}
    tost_p["c"] = pred.algorithm_effect["p"]
    adjusted, m = family(directional, tost_p, s.correction)
    level = s.alpha / max(1, m)
    samples = {f"{algo} same": list(e.diffs) for algo, e in effects.items()}
    samples["c"] = [x for x in pred.algorithm_effect["cells"].values() if math.isfinite(x)]
    tost_ci = {
        k: tuple(float(x) for x in tost(v, None, s.equivalence_margin, level).ci)
        if len(v) >= 2
        else None
        for k, v in samples.items()
    }
    cases = [c for cell in rate_map_runs for d in ("bf16", "fp32") for c in cell[d]]
    plot = map_plot(rate_map_runs, diffs)
    return Evidence(a, effects, pred, adjusted, level, tost_p, tost_ci, m, plot, cases)
