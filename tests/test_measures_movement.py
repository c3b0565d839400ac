"""C9(c)'s movement model: known answers, the fit, leave-one-condition-out prediction of Adam
runs simulated on a synthetic problem (fixtures/planted_movement.py, not drawn from the model),
a planted mechanism other than movement and a planted RL subnetwork giving "not reproduced",
and the shipped single-movement model (m = c lr steps^p) failing the same simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fixtures.planted_movement import adam_runs, base_tables
from rlsparse_check.criteria.mechanism import predicted
from rlsparse_check.measures.movement import (
    expected_sparsity,
    fit_movement,
    paired_effect,
    predict,
)
from rlsparse_check.results import Verdict

H = np.exp2(np.arange(-20, -7, dtype=float))
TABLE = (H, np.full(H.size, 100))
LIMIT = MARGIN = ALPHA = 0.05


@pytest.fixture(scope="module")
def tables():
    return base_tables()


@pytest.fixture(scope="module")
def usual():
    return adam_runs()


def _decide(pred):
    e = pred.algorithm_effect
    return predicted(pred.error, LIMIT, e, MARGIN, (e["p"], e["ci"], ALPHA, 1)).verdict


def test_a_vanishing_spread_gives_the_share_of_half_ulps_above_the_movement():
    assert expected_sparsity(TABLE, 2.0**-14 * 1.5, 1e-6) == pytest.approx(6 / 13)
    assert expected_sparsity((np.array([1e-4]), np.array([5])), 1e-4, 0.7) == pytest.approx(0.5)


def test_the_fit_recovers_a_planted_scale_and_spread():
    runs = [
        {"lr": lr, "steps": n, "sparsity": expected_sparsity(TABLE, 0.3 * lr * n, 1.2)}
        for lr in (1e-6, 1e-5)
        for n in (10, 50, 300)
    ]
    c, s = fit_movement(TABLE, runs)
    assert c == pytest.approx(0.3, rel=1e-6) and s == pytest.approx(1.2, rel=1e-6)
    assert all(math.isnan(x) for x in fit_movement(TABLE, runs[:1]))


def test_simulated_adam_runs_are_predicted_within_the_limit_from_the_other_conditions(
    tables, usual
):
    pred = predict(usual, tables, ["grpo"], MARGIN, ALPHA)
    assert pred.error < 0.02 and max(pred.kind_error.values()) < 0.02
    assert len(pred.rows) == 48 and pred.algorithm_effect["n"] == 7
    assert _decide(pred) is Verdict.REPRODUCED


def test_a_run_is_predicted_without_its_own_sparsity(tables):
    runs = adam_runs(seeds=1)
    moved = [dict(r, sparsity=0.99) if r["condition"] == runs[0]["condition"] else r for r in runs]
    a, b = (predict(x, tables, ["grpo"], MARGIN, ALPHA).rows for x in (runs, moved))
    assert a[0]["predicted"] == b[0]["predicted"] and a[0]["measured"] != b[0]["measured"]


def test_sparsity_set_by_which_entries_get_gradient_is_not_reproduced(tables):
    pred = predict(adam_runs(frozen=True), tables, ["grpo"], MARGIN, ALPHA)
    assert pred.error > 0.1 and _decide(pred) is Verdict.NOT_REPRODUCED


def test_a_subnetwork_that_only_rl_leaves_alone_is_not_reproduced(tables):
    pred = predict(adam_runs(rl_frozen=0.15), tables, ["grpo"], MARGIN, ALPHA)
    assert pred.algorithm_effect["ci"][0] > MARGIN and _decide(pred) is Verdict.NOT_REPRODUCED


def _single_movement_error(runs, table):
    """The shipped rule: every entry of a condition moves m = c lr steps^p; p and c fitted on
    log(m / lr) of the other conditions, m read back from each run's sparsity."""
    h, counts = table
    log_h, cum = np.log(h), np.cumsum(counts) / counts.sum()
    x, f = np.concatenate([[log_h[0] - np.log(2)], log_h]), np.concatenate([[0.0], cum])
    y = np.array([np.interp(1 - r["sparsity"], f, x) - np.log(r["lr"]) for r in runs])
    steps = np.log([r["steps"] for r in runs])
    errors = []
    for cond in {r["condition"] for r in runs}:
        out = np.array([r["condition"] != cond for r in runs])
        p, logc = np.polyfit(steps[out], y[out], 1)
        for i in np.flatnonzero(~out):
            m = logc + p * steps[i] + np.log(runs[i]["lr"])
            errors.append(abs(1 - np.interp(m, x, f) - runs[i]["sparsity"]))
    return float(np.mean(errors))


def test_the_single_movement_model_fails_the_simulation_the_spread_model_passes(tables, usual):
    assert _single_movement_error(usual, tables["all"]) > LIMIT


def test_the_algorithm_effect_pairs_only_the_cells_both_algorithms_have():
    res = {"rl-a": 0.10, "rl-b": 0.30, "rl-c": 0.5, "sft-a": 0.05, "sft-b": 0.20}
    cells = {"rl-a": (True, 1e-6, 10), "rl-b": (True, 1e-6, 50), "rl-c": (True, 1e-5, 10)}
    cells |= {"sft-a": (False, 1e-6, 10), "sft-b": (False, 1e-6, 50)}
    e = paired_effect(res, cells, MARGIN, ALPHA)
    assert e["n"] == 2 and e["estimate"] == pytest.approx(0.075)
    assert e["cells"] == pytest.approx({"lr1e-06-s10": 0.05, "lr1e-06-s50": 0.10})
    assert e["ci_level"] == pytest.approx(0.9) and 0 < e["p"] <= 1
