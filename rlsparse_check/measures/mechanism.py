"""C9's measurements: (a) the same runs in bf16 vs fp32, (b) sparsity as the rate varies at fixed
steps and at fixed lr x steps, (c) a prediction of each run's bf16 sparsity that never looks at
the run's own weights (pure functions of sparsities, specs and the base's half-ULPs).

(c), the movement model: Adam moves an entry by about ``lr`` per step, so a run's typical
per-entry movement is modelled as ``m = c * lr * steps**p``; an entry stays unchanged in bf16
while ``m`` is below its half-ULP, so the predicted sparsity is the share of the base's entries
whose half-ULP exceeds ``m`` (per parameter kind and overall; the share is interpolated in
``log`` half-ULP between the format's discrete values). Each run's measured sparsity gives the
``m`` it behaved as (the inverse of that share); ``c`` and ``p`` are fitted by least squares on
``log(m / lr) = log c + p log steps`` over the runs of the OTHER conditions (leave one condition,
all its seeds, out: seeds of one recipe are near copies), then predict the left-out runs. The
residuals (measured - predicted), averaged over each condition's seeds, are compared between RL
and SFT conditions (Welch): does the algorithm explain what lr x steps does not?
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlsparse_check.criteria.combine import interval_fields
from rlsparse_check.measures.rate_map import map_plot, map_rows

__all__ = [
    "Precision",
    "precision",
    "RateEffect",
    "rate_effect",
    "Prediction",
    "predict",
    "share_unchanged",
    "movement",
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
    )


def _cdf(table: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Knots of the share of entries a movement reaches, in log half-ULP: 0 at half the
    smallest half-ULP, the cumulative share at each half-ULP (linear in between)."""
    h, counts = table
    log_h = np.log(np.asarray(h, dtype=float))
    cum = np.cumsum(counts) / np.sum(counts)
    return np.concatenate([[log_h[0] - np.log(2.0)], log_h]), np.concatenate([[0.0], cum])


def share_unchanged(table: tuple[np.ndarray, np.ndarray], m: float) -> float:
    """Share of entries whose half-ULP exceeds the movement ``m``."""
    x, f = _cdf(table)
    return float(1.0 - np.interp(np.log(m), x, f))


def movement(table: tuple[np.ndarray, np.ndarray], sparsity: float) -> float:
    """The movement ``m`` at which :func:`share_unchanged` equals ``sparsity``."""
    x, f = _cdf(table)
    return float(np.exp(np.interp(1.0 - sparsity, f, x)))


@dataclass(frozen=True)
class Prediction:
    method: str
    rows: list[dict[str, Any]]
    error: float  # mean absolute error of the global prediction over runs
    kind_error: dict[str, float]
    algorithm_effect: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "rows": self.rows,
            "error": self.error,
            "error_by_kind": self.kind_error,
            "algorithm_effect": self.algorithm_effect,
        }


METHOD = (
    "movement model m = c * lr * steps^p fitted on the other conditions' runs (leave one "
    "condition, all its seeds, out); predicted bf16 sparsity = share of the base's entries whose "
    "bf16 half-ULP exceeds m (overall and per parameter kind); never reads the run's weights"
)


def predict(runs: Sequence[Mapping[str, Any]], tables: Mapping[str, Any], rl: Sequence[str]):
    """``runs``: ``{"label", "condition", "algo", "lr", "steps", "sparsity", "kinds"}`` per run;
    ``tables``: :func:`~rlsparse_check.measures.precision.half_ulp_counts` of the base; ``rl``:
    the algorithms counted as RL in the algorithm effect (the rest are SFT)."""
    from rlsparse_check.stats import welch

    y = np.array([np.log(movement(tables["all"], r["sparsity"]) / r["lr"]) for r in runs])
    x = np.log([float(r["steps"]) for r in runs])
    rows, kind_err = [], {}
    for cond in dict.fromkeys(r["condition"] for r in runs):
        train = np.array([r["condition"] != cond for r in runs])
        if len(set(x[train])) > 1:
            p, logc = np.polyfit(x[train], y[train], 1)
        else:  # one step count left to fit on: movement proportional to steps
            p, logc = 1.0, float(np.mean(y[train] - x[train]))
        for i in np.flatnonzero(~train):
            r = runs[i]
            m = float(np.exp(logc + p * x[i]) * r["lr"])
            kinds = {k: share_unchanged(tables[k], m) for k in r["kinds"] if k in tables}
            for k, v in kinds.items():
                kind_err.setdefault(k, []).append(abs(v - r["kinds"][k]))
            rows.append(
                {
                    "label": r["label"],
                    "condition": cond,
                    "algo": r["algo"],
                    "predicted": share_unchanged(tables["all"], m),
                    "measured": r["sparsity"],
                    "predicted_kinds": kinds,
                }
            )
    resid: dict[str, list[float]] = {}
    for row in rows:
        resid.setdefault(row["condition"], []).append(row["measured"] - row["predicted"])
    algo = {r["condition"]: r["algo"] for r in runs}
    groups = [
        [float(np.mean(v)) for c, v in resid.items() if (algo[c] in rl) is side]
        for side in (True, False)
    ]
    effect: dict[str, Any] = {
        "what": "mean residual of RL conditions minus SFT conditions",
        "n": [len(g) for g in groups],
        "estimate": None,
        "p": None,
        "ci": None,
        "ci_level": 0.95,
        "ci_kind": "two-sided",
    }
    if min(len(g) for g in groups) >= 2:
        t = welch(groups[0], groups[1])
        effect.update(estimate=t.effect, p=t.p_value, ci=list(t.ci), test="Welch t over conditions")
    error = float(np.mean([abs(r["predicted"] - r["measured"]) for r in rows]))
    kinds = {k: float(np.mean(v)) for k, v in kind_err.items()}
    return Prediction(METHOD, rows, error, kinds, effect)


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
    """C9's three parts and the family-adjusted p-values of all of them (``adjusted``: ``a``,
    ``a-refute``, ``c``, and ``"<algo> falls|rises|same"``)."""

    precision: Precision
    effects: dict[str, RateEffect]
    prediction: Prediction
    adjusted: dict[str, float]
    plot: dict[str, Any]
    runs: list[Any]


def evidence(mechanism, pairs, rate_map_runs, base: Any, diffs: Any, primary: str, settings):
    """C9's evidence: (a) from the shared ``mechanism``, (b) from ``pairs`` (``{algo: {"low",
    "high", "short": seed cases}}``), (c) from the map runs and the base's half-ULPs; every
    p-value, supporting and refuting, corrected together (``settings.correction``)."""
    from rlsparse_check.criteria.combine import correct
    from rlsparse_check.measures.precision import half_ulp_counts

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
    pred = predict(map_rows(rate_map_runs, diffs), half_ulp_counts(base), rl=[primary])
    a = mechanism["precision"]
    family = {"c": {"p": pred.algorithm_effect["p"]}}
    if a.test is not None:
        family |= {"a": {"p": a.test.p_above}, "a-refute": {"p": a.test.p_below}}
    for algo, e in effects.items():
        family |= {
            f"{algo} falls": {"p": e.falls.p_above},
            f"{algo} rises": {"p": e.falls.p_below},
            f"{algo} same": {"p": e.same.p_value},
        }
    correct(family, s.correction)
    adjusted = {k: v.get("p_adjusted", 1.0) for k, v in family.items()}
    cases = [c for cell in rate_map_runs for d in ("bf16", "fp32") for c in cell[d]]
    return Evidence(a, effects, pred, adjusted, map_plot(rate_map_runs, diffs), cases)
