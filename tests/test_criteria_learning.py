"""The learning guard (criteria/learning.py): a run set that did not learn makes any verdict
inconclusive, with its name in the reason; calibrated on simulated gains over seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlsparse_check.criteria import correct
from rlsparse_check.criteria.learning import guard, learned
from rlsparse_check.measures.learning import gain_over_seeds
from rlsparse_check.results import Decision, Verdict

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE
ALPHA, SIMS = 0.05, 2000
MC = 3 * math.sqrt(ALPHA * (1 - ALPHA) / SIMS)


def test_learned_needs_a_significant_positive_gain_and_names_the_run_set():
    yes = learned({"name": "the grpo runs", "mean": 0.2, "n": 3, "p_adjusted": 0.01}, ALPHA)
    assert yes.verdict is R and "the grpo runs learned" in yes.reason
    no = learned({"name": "the ppo runs", "mean": 0.01, "n": 3, "p_adjusted": 0.3}, ALPHA)
    assert no.verdict is U and "the ppo runs did not learn" in no.reason
    assert learned({"mean": -0.2, "n": 3, "p_adjusted": 0.01}, ALPHA).verdict is U
    assert "at least 2 seeds" in learned({"mean": 0.2, "n": 1, "p": None}, ALPHA).reason


def test_the_guard_keeps_a_verdict_only_when_every_run_set_learned():
    refuted = Decision(N, "denser than claimed")
    ok = Decision(R, "learned")
    assert guard(refuted, ok, ok) == refuted
    held = guard(refuted, ok, Decision(U, "the sft runs did not learn"))
    assert held.verdict is U and "the sft runs" in held.reason and "not reproduced" in held.reason


@pytest.mark.parametrize("n", [3, 5])
def test_runs_that_did_not_learn_rarely_pass_the_guard(n):
    """Null: zero mean gain, four run sets Holm-corrected together; a false pass of any of them
    stays at most alpha. Broken variant: the raw p-values pass far more often."""
    rng = np.random.default_rng(n)
    fixed = broken = 0
    for _ in range(SIMS):
        tests = {str(i): gain_over_seeds(rng.normal(0.0, 0.05, n)) for i in range(4)}
        correct(tests, "holm")
        fixed += any(learned(t, ALPHA).verdict is R for t in tests.values())
        broken += any(t["p"] < ALPHA and t["mean"] > 0 for t in tests.values())
    assert fixed / SIMS <= ALPHA + MC
    assert broken / SIMS > ALPHA + MC  # about 1 - 0.95**4 = 0.19


def test_a_planted_gain_passes_the_guard_at_three_seeds():
    rng = np.random.default_rng(1)
    passed = sum(
        learned(gain_over_seeds(rng.normal(0.2, 0.05, 3)), ALPHA).verdict is R for _ in range(500)
    )
    print(f"guard power at gain 0.2, sd 0.05, n=3: {passed / 500:.3f}")
    assert passed / 500 > 0.8
