"""The learning guard: calibrated under no learning, powered under a planted gain, n = 3."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.criteria.learning import guard, learned
from rlsparse_check.measures.learning import gain_tests
from rlsparse_check.results import Decision, Verdict

SIMS = 2000
R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE
ALPHA = 0.05


def _rate(mean: float, n: int, rule, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(SIMS):
        test = gain_tests({"runs": list(rng.normal(mean, 0.05, n))})["runs"]
        hits += rule(test).verdict is Verdict.REPRODUCED
    return hits / SIMS


@pytest.mark.parametrize("n", [3, 5])
def test_no_learning_passes_the_guard_at_about_alpha(n):
    rate = _rate(0.0, n, lambda t: learned(t, 0.05))
    assert abs(rate - 0.05) < 4 * (0.05 * 0.95 / SIMS) ** 0.5 + 0.005


def test_a_planted_gain_passes_the_guard_at_n_3():
    assert _rate(0.15, 3, lambda t: learned(t, 0.05)) > 0.9


def test_a_point_estimate_guard_lets_half_the_runs_that_did_not_learn_through():
    def broken(t):
        ok = t.mean > 0
        return Decision(Verdict.REPRODUCED if ok else Verdict.INCONCLUSIVE, "mean above zero")

    assert _rate(0.0, 3, broken) > 0.4  # far above alpha: why the rule tests, not the mean


def test_the_guard_names_the_run_set_that_did_not_learn_and_keeps_a_verdict_otherwise():
    tests = gain_tests({"sft at 10 steps": [0.01, -0.02, 0.0], "grpo": [0.2, 0.22, 0.19]})
    flat, rising = learned(tests["sft at 10 steps"], 0.05), learned(tests["grpo"], 0.05)
    verdict = Decision(Verdict.REPRODUCED, "sparser")
    out = guard(verdict, rising, flat)
    assert out.verdict is Verdict.INCONCLUSIVE and "sft at 10 steps did not learn" in out.reason
    assert guard(verdict, rising) == verdict
    assert tests["grpo"].p_adjusted == pytest.approx(2 * tests["grpo"].p)  # Holm, smallest p
    one = learned(gain_tests({"x": [0.3]})["x"], 0.05)
    assert one.verdict is Verdict.INCONCLUSIVE and "one seed" in one.reason


def test_learned_needs_a_significant_positive_gain_and_names_the_run_set():
    yes = learned({"name": "the grpo runs", "mean": 0.2, "n": 3, "p_adjusted": 0.01}, ALPHA)
    assert yes.verdict is R and "the grpo runs" in yes.reason and "learned" in yes.reason
    no = learned({"name": "the ppo runs", "mean": 0.01, "n": 3, "p_adjusted": 0.3}, ALPHA)
    assert no.verdict is U and "the ppo runs did not learn" in no.reason
    assert learned({"mean": -0.2, "n": 3, "p_adjusted": 0.01}, ALPHA).verdict is U
    assert "one seed" in learned({"mean": 0.2, "n": 1, "p": None}, ALPHA).reason


def test_the_guard_keeps_a_verdict_only_when_every_run_set_learned():
    refuted = Decision(N, "denser than claimed")
    ok = Decision(R, "learned")
    assert guard(refuted, ok, ok) == refuted
    held = guard(refuted, ok, Decision(U, "the sft runs did not learn"))
    assert held.verdict is U and "the sft runs" in held.reason and "not reproduced" in held.reason
