"""Did a run learn: the per-run paired gain and the paired gain over seeds and problems."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from rlsparse_check.cases import CheckpointCase
from rlsparse_check.measures.learning import case_rewards, gain_tests, paired_gain_test, run_gain


def test_run_gain_reads_the_run_record():
    evaluation = {
        "before": {"reward": 0.0, "n": 10, "rewards": [0.0] * 10},
        "after": {"reward": 1.0, "n": 10, "rewards": [1.0] * 10},
        "gain": 1.0,
    }
    gain = run_gain(evaluation, alpha=0.05)
    assert gain["significant"] and gain["p"] == pytest.approx(0.5**10)
    assert gain["solved_only_after"] == 10 and gain["gain"] == 1.0


def test_sampled_evals_are_tested_paired_over_problems_with_their_standard_errors():
    from rlsparse_check.recipes.sampling import paired_gain

    before = {"reward": 0.3, "n": 4, "rewards": [0.25, 0.25, 0.5, 0.2], "se": 0.01}
    after = {"reward": 0.5, "n": 4, "rewards": [0.5, 0.5, 0.6, 0.4], "se": 0.02}
    pg = paired_gain(before, after)
    assert pg["se"] == pytest.approx(5e-4**0.5)
    assert pg["se_problems"] == pytest.approx(float(np.std([0.25, 0.25, 0.1, 0.2], ddof=1)) / 2)
    gain = run_gain({"before": before, "after": after, "gain": 0.2}, alpha=0.05)
    assert gain["test"].startswith("paired t") and gain["p"] < 0.01 and gain["significant"]


def test_the_seed_averaged_gains_are_tested_over_problems():
    rng = np.random.default_rng(0)
    before = rng.integers(0, 9, 50) / 8
    seeds = [(before, np.clip(before + rng.integers(-1, 3, 50) / 8, 0, 1)) for _ in range(3)]
    d = np.mean([a - b for b, a in seeds], axis=0)
    got = paired_gain_test(seeds)
    t = d.mean() / (d.std(ddof=1) / np.sqrt(d.size))
    assert got["mean"] == pytest.approx(d.mean()) and got["df"] == 49
    assert got["se"] == pytest.approx(d.std(ddof=1) / np.sqrt(d.size))
    assert got["p"] == pytest.approx(stats.t.sf(t, 49)) and got["statistic"] == pytest.approx(t)
    assert got["gains"] == pytest.approx([float(np.mean(a - b)) for b, a in seeds])


def test_identical_seeds_still_carry_the_eval_noise():
    """The default run's SFT at 10 steps: +0.0025 in every seed, two problems moved by one
    sample of eight; the old t over seeds gave p = 0, the paired test over problems does not."""
    flat = [([0.5] * 100, [0.5] * 98 + [0.625, 0.625])] * 3
    got = paired_gain_test(flat)
    d = np.array([0.0] * 98 + [0.125, 0.125])
    p = stats.t.sf(d.mean() / (d.std(ddof=1) / 10), 99)
    assert got["gains"] == pytest.approx([0.0025] * 3) and got["p"] == pytest.approx(p)
    assert 0.05 < p < 0.2
    assert paired_gain_test([([0.5] * 4, [0.5] * 4)])["p"] == 1.0  # nothing moved


def test_runs_on_different_problems_and_unreadable_rewards_are_named(tmp_path):
    with pytest.raises(ValueError, match="same eval problems"):
        paired_gain_test([([0.1] * 4, [0.2] * 4), ([0.1] * 3, [0.2] * 3)])
    run = tmp_path / "run"
    run.mkdir()
    case = CheckpointCase("x", tmp_path, run, {"record": {"path": str(run)}})
    with pytest.raises(ValueError, match="run.json.*eval.before/after.rewards"):
        case_rewards(case)
    ev = {"before": {"rewards": [0.0, 0.5]}, "after": {"rewards": [0.5, 1.0]}}
    (run / "run.json").write_text(json.dumps({"eval": ev}))
    assert case_rewards(case) == ([0.0, 0.5], [0.5, 1.0])
    kept = CheckpointCase("y", tmp_path, run, {"record": {"eval": ev}})
    assert case_rewards(kept) == ([0.0, 0.5], [0.5, 1.0])


def test_gain_tests_adjust_across_run_sets_and_report_their_figures():
    tests = gain_tests({"a": [([0.0, 0.5, 0.25], [0.5, 1.0, 0.5])], "b": [([0.5] * 3, [0.5] * 3)]})
    assert tests["a"].p_adjusted == pytest.approx(min(1.0, 2 * tests["a"].p))
    fig = tests["a"].figures()
    assert fig["n_problems"] == 3 and fig["mean_gain"] == pytest.approx(1.25 / 3)
    assert fig["test"].startswith("paired over eval problems")
