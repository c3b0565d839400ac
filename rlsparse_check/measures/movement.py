"""C9(c): a movement model with per-entry spread that predicts a run's bf16 sparsity from the
base's half-ULPs and the run's lr x steps alone, and the algorithm effect on what it leaves.

The model. Adam moves an entry by about ``lr`` per step whatever the scale of its gradient, but
entries differ in how consistently their gradient keeps its sign (and those far below Adam's
``eps`` move less), so the total movement of an entry over a run is spread around a scale:
``M = c * lr * steps * exp(s * Z)`` with ``Z`` standard normal, independent of the entry's
magnitude. An entry stays unchanged in bf16 while ``M`` is below its half-ULP ``h``, so the
predicted bf16 sparsity of a run is the expectation over the base's entries::

    S(lr, steps; c, s) = sum_h n_h * Phi((log h - log(c * lr * steps)) / s) / sum_h n_h

over ``half_ulp_counts`` of the base (the bf16 half-ULP of each stored base value, with its entry
count ``n_h``): ``"all"`` for the global figure, each parameter kind's table for that kind. A
run's measured sparsity is its bitwise bf16 sparsity against the bf16 base (every floating
tensor; per kind alike), as :func:`~rlsparse_check.measures.rate_map.map_rows` reads it from
the run cache for every bf16 run of C9's map (condition = algorithm, lr, steps).

The fit, leave one condition out: for each condition (a recipe: algorithm, lr, steps; all its
seeds together, since seeds of one recipe are near copies), ``log c`` and ``log s`` minimise
``sum (S(lr_i, steps_i) - sparsity_i)**2`` over the runs ``i`` of the OTHER conditions (global
bf16 sparsity of each run; ``scipy.optimize.least_squares`` from ``(0, 0)``, xtol = ftol = gtol
= 1e-12), and the condition's runs are predicted with them. Nothing of a run's own weights,
master or sparsity enters its prediction: only the base weights, its lr and steps and the other
runs' sparsities. ``error`` is the mean absolute error of the global prediction over the runs.

The algorithm effect. Each condition's residual is its runs' mean of ``measured - predicted``;
for every (lr, steps) cell that an RL condition and an SFT condition share, the RL residual minus
the SFT one is one paired difference (the cell's own misfit cancels). Their mean, with a one-
sample t over cells, is tested for equivalence to zero by TOST within a margin: equivalent
supports "the algorithm explains nothing that lr x steps does not"; the interval wholly outside
the margin refutes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import optimize, special

__all__ = ["expected_sparsity", "fit_movement", "predict", "paired_effect", "Prediction", "METHOD"]

METHOD = (
    "log-normal movement c * lr * steps * exp(s * Z) per entry, c and s fitted on the other "
    "conditions' runs (leave one condition, all its seeds, out); predicted bf16 sparsity = mean "
    "over the base's entries of P(movement < half-ULP) (overall and per parameter kind); never "
    "reads the run's weights"
)


def expected_sparsity(table: tuple[np.ndarray, np.ndarray], scale: float, spread: float) -> float:
    """``S``: the share of the table's entries whose half-ULP a log-normal movement of median
    ``scale`` and log standard deviation ``spread`` stays below."""
    h, counts = table
    z = (np.log(np.asarray(h, dtype=float)) - math.log(scale)) / spread
    return float(np.sum(np.asarray(counts) * special.ndtr(z)) / np.sum(counts))


def fit_movement(
    table: tuple[np.ndarray, np.ndarray], runs: Sequence[Mapping[str, Any]]
) -> tuple[float, float]:
    """``(c, s)`` by least squares of :func:`expected_sparsity` against the runs' sparsities
    (``runs``: ``lr``, ``steps``, ``sparsity``); NaNs when fewer than two lr x steps values."""
    dose = np.array([float(r["lr"]) * float(r["steps"]) for r in runs])
    y = np.array([float(r["sparsity"]) for r in runs])
    if len(set(dose.tolist())) < 2:
        return math.nan, math.nan

    def residuals(theta: np.ndarray) -> np.ndarray:
        c, s = math.exp(theta[0]), math.exp(theta[1])
        return np.array([expected_sparsity(table, c * d, s) for d in dose]) - y

    tol = 1e-12
    sol = optimize.least_squares(residuals, np.zeros(2), xtol=tol, ftol=tol, gtol=tol)
    return float(math.exp(sol.x[0])), float(math.exp(sol.x[1]))


@dataclass(frozen=True)
class Prediction:
    method: str
    rows: list[dict[str, Any]]
    error: float  # mean absolute error of the global prediction over runs
    kind_error: dict[str, float]
    residuals: dict[str, float]  # per condition: mean measured - predicted
    algorithm_effect: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "rows": self.rows,
            "error": self.error,
            "error_by_kind": self.kind_error,
            "residual_by_condition": self.residuals,
            "algorithm_effect": self.algorithm_effect,
        }


def predict(
    runs: Sequence[Mapping[str, Any]],
    tables: Mapping[str, Any],
    rl: Sequence[str],
    margin: float,
    alpha: float,
) -> Prediction:
    """``runs``: ``{"label", "condition", "algo", "lr", "steps", "sparsity", "kinds"}`` per run;
    ``tables``: :func:`~rlsparse_check.measures.precision.half_ulp_counts` of the base; ``rl``:
    the algorithms counted as RL in the algorithm effect (the rest are SFT); ``margin`` and
    ``alpha``: its TOST (see the module docstring)."""
    rows, kind_err = [], {}
    for cond in dict.fromkeys(r["condition"] for r in runs):
        c, s = fit_movement(tables["all"], [r for r in runs if r["condition"] != cond])
        for r in (r for r in runs if r["condition"] == cond):
            scale = c * float(r["lr"]) * float(r["steps"])
            ok = math.isfinite(scale)
            kinds = {
                k: expected_sparsity(tables[k], scale, s) if ok else math.nan
                for k in r["kinds"]
                if k in tables
            }
            for k, v in kinds.items():
                kind_err.setdefault(k, []).append(abs(v - r["kinds"][k]))
            rows.append(
                {
                    "label": r["label"],
                    "condition": cond,
                    "algo": r["algo"],
                    "lr": float(r["lr"]),
                    "steps": int(r["steps"]),
                    "scale_c": c,
                    "spread_s": s,
                    "predicted": expected_sparsity(tables["all"], scale, s) if ok else math.nan,
                    "measured": r["sparsity"],
                    "predicted_kinds": kinds,
                }
            )
    resid: dict[str, list[float]] = {}
    for row in rows:
        resid.setdefault(row["condition"], []).append(row["measured"] - row["predicted"])
    means = {k: float(np.mean(v)) for k, v in resid.items()}
    cell = {r["condition"]: (r["algo"] in rl, float(r["lr"]), int(r["steps"])) for r in runs}
    effect = paired_effect(means, cell, margin, alpha)
    error = float(np.mean([abs(r["predicted"] - r["measured"]) for r in rows]))
    kinds = {k: float(np.mean(v)) for k, v in kind_err.items()}
    return Prediction(METHOD, rows, error, kinds, means, effect)


def paired_effect(
    residuals: Mapping[str, float],
    cells: Mapping[str, tuple[bool, float, int]],
    margin: float,
    alpha: float,
) -> dict[str, Any]:
    """RL minus SFT residual paired by shared (lr, steps) cell (``cells``: condition -> (is RL,
    lr, steps)): mean, TOST p against ``margin`` at ``alpha`` with its ``1 - 2 alpha``
    interval, the p of lying outside the margin, and the per-cell differences."""
    from rlsparse_check.stats import margin_test, tost

    by_cell: dict[tuple[float, int], dict[bool, list[float]]] = {}
    for cond, value in residuals.items():
        is_rl, lr, steps = cells[cond]
        by_cell.setdefault((lr, steps), {True: [], False: []})[is_rl].append(value)
    diffs = {
        f"lr{lr:g}-s{steps}": float(np.mean(v[True]) - np.mean(v[False]))
        for (lr, steps), v in sorted(by_cell.items())
        if v[True] and v[False]
    }
    d = [x for x in diffs.values() if math.isfinite(x)]
    effect: dict[str, Any] = {
        "what": "RL minus SFT residual, paired by shared (lr, steps) cell",
        "test": "TOST, one-sample t over cells",
        "n": len(d),
        "cells": diffs,
        "estimate": float(np.mean(d)) if d else None,
        "margin": margin,
        "p": None,
        "p_outside": None,
        "ci": None,
        "ci_level": 1 - 2 * alpha,
        "ci_kind": "two-sided",
    }
    if len(d) >= 2:
        t = tost(d, None, margin, alpha)
        out = min(margin_test(d, None, margin).p_above, margin_test(d, None, -margin).p_below)
        effect.update(p=float(t.p_value), p_outside=float(out), ci=[float(x) for x in t.ci])
    return effect
