"""Did a run learn: the per-run McNemar gain and the gain over seeds."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.measures.learning import gain_over_seeds, run_gain


def test_run_gain_reads_the_run_record():
    evaluation = {
        "before": {"reward": 0.0, "n": 10, "rewards": [0.0] * 10},
        "after": {"reward": 1.0, "n": 10, "rewards": [1.0] * 10},
        "gain": 1.0,
    }
    gain = run_gain(evaluation, alpha=0.05)
    assert gain["significant"] and gain["p"] == pytest.approx(0.5**10)
    assert gain["solved_only_after"] == 10 and gain["gain"] == 1.0


def test_gain_over_seeds_is_significant_for_consistent_gains_and_undefined_for_one_seed():
    assert gain_over_seeds([0.2, 0.21, 0.19])["p"] < 0.01
    assert gain_over_seeds([0.2, -0.2, 0.01])["p"] > 0.3
    assert gain_over_seeds([0.2])["p"] is None


def test_sampled_evals_are_tested_paired_over_problems_with_their_standard_errors():
    from rlsparse_check.recipes.sampling import paired_gain

    before = {"reward": 0.3, "n": 4, "rewards": [0.25, 0.25, 0.5, 0.2], "se": 0.01}
    after = {"reward": 0.5, "n": 4, "rewards": [0.5, 0.5, 0.6, 0.4], "se": 0.02}
    pg = paired_gain(before, after)
    assert pg["se"] == pytest.approx(5e-4**0.5)
    assert pg["se_problems"] == pytest.approx(float(np.std([0.25, 0.25, 0.1, 0.2], ddof=1)) / 2)
    gain = run_gain({"before": before, "after": after, "gain": 0.2}, alpha=0.05)
    assert gain["test"].startswith("paired t") and gain["p"] < 0.01 and gain["significant"]


def test_seeds_that_agree_exactly_still_carry_the_eval_noise():
    from rlsparse_check.measures.learning import gain_tests, noisy_t

    assert noisy_t([0.00125, 0.00125])[1] == 0.0  # no noise given: a degenerate t
    assert noisy_t([0.00125, 0.00125], [0.02, 0.02])[1] > 0.4
    assert noisy_t([0.2, 0.21, 0.19], [0.02] * 3)[1] < 0.01
    tests = gain_tests({"x": [0.00125, 0.00125]}, noise={"x": [0.02, 0.02]})
    assert tests["x"].p > 0.4
