"""C9's measurements: the movement model's inverse, leave-one-condition-out prediction on planted
runs, the algorithm effect on its residuals, and the rate effects at fixed steps / lr x steps."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.measures.mechanism import movement, predict, rate_effect, share_unchanged

# half-ULPs of a planted base: 2^-20 .. 2^-8, log-uniform
H = np.exp2(np.arange(-20, -7, dtype=float))
TABLES = {"all": (H, np.full(H.size, 100)), "mlp": (H, np.full(H.size, 60))}


def test_movement_inverts_the_share_of_unchanged_entries():
    for s in (0.1, 0.5, 0.9):
        assert share_unchanged(TABLES["all"], movement(TABLES["all"], s)) == pytest.approx(s)
    assert share_unchanged(TABLES["all"], 1e-12) == 1.0


def _runs(c=0.3, p=0.8, rl_shift=0.0, noise=0.0, seeds=3, seed=0):
    rng = np.random.default_rng(seed)
    runs = []
    for algo, lr0 in (("grpo", 2e-6), ("sft", 2e-6)):
        for lr, steps in (
            (lr0, 10),
            (lr0, 25),
            (lr0, 50),
            (lr0, 150),
            (10 * lr0, 150),
            (10 * lr0, 15),
        ):
            m = c * lr * steps**p
            s = share_unchanged(TABLES["all"], m) + (rl_shift if algo == "grpo" else 0.0)
            for i in range(seeds):
                v = float(np.clip(s + rng.normal(0, noise), 0.001, 0.999))
                runs.append(
                    {
                        "label": f"{algo}-{lr}-{steps}-{i}",
                        "condition": f"{algo}-{lr}-{steps}",
                        "algo": algo,
                        "lr": lr,
                        "steps": steps,
                        "sparsity": v,
                        "kinds": {"mlp": v},
                    }
                )
    return runs


def test_a_planted_movement_law_is_predicted_from_the_other_conditions():
    pred = predict(_runs(), TABLES, rl=["grpo"])
    assert pred.error < 1e-6 and pred.kind_error["mlp"] < 1e-6
    assert {r["label"] for r in pred.rows} == {r["label"] for r in _runs()}
    assert abs(pred.algorithm_effect["estimate"]) < 1e-6


def _effect_rate(shift, sims=300):
    hits = 0
    for k in range(sims):
        eff = predict(
            _runs(rl_shift=shift, noise=0.02, seed=k), TABLES, rl=["grpo"]
        ).algorithm_effect
        hits += eff["p"] < 0.05
    return hits / sims


@pytest.mark.slow
def test_the_algorithm_effect_is_rarely_found_when_absent_and_found_when_planted():
    assert _effect_rate(0.0) < 0.05 + 4 * (0.05 * 0.95 / 300) ** 0.5
    assert _effect_rate(0.15) > 0.8


def test_a_planted_algorithm_effect_shows_in_the_residuals():
    eff = predict(_runs(rl_shift=0.15, noise=0.01), TABLES, rl=["grpo"]).algorithm_effect
    assert eff["p"] < 0.01 and eff["ci_level"] == 0.95 and eff["ci"][0] > 0


def _cell(lr, steps, values):
    return {"lr": lr, "steps": steps, "sparsity": values}


def test_the_rate_effect_compares_fixed_steps_and_fixed_lr_x_steps_paired_by_seed():
    low = _cell(2e-6, 150, [0.60, 0.62, 0.61])
    high = _cell(2e-5, 150, [0.20, 0.22, 0.21])
    short = _cell(2e-5, 15, [0.601, 0.619, 0.612])
    e = rate_effect("grpo", low, high, short, 0.05, 0.05)
    assert e.falls.diff == pytest.approx(0.4) and e.falls.p_above < 0.01
    assert e.same.p_value < 0.05 and e.steps == (150, 15)
    f = e.figures(0.05)
    assert f["fixed_lr_x_steps"]["ci_level"] == pytest.approx(0.9)
