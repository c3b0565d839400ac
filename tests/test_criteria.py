"""The decision rules: known answers, every verdict reachable, and calibration by simulation.

Each rule is simulated under its null (the false "reproduced" rate must stay at most alpha plus
Monte-Carlo error, small n included) and under a planted effect (the power is asserted loosely
and printed with -s). Seeds are fixed, so the figures below are exact for this code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlsparse_check.criteria import (
    all_of,
    at_most,
    correct,
    equivalent,
    much_greater,
)
from rlsparse_check.results import Decision, Verdict
from rlsparse_check.stats import margin_test, tost

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE  # U: undecided
ALPHA = 0.05
SIMS = 2000
#: Monte-Carlo allowance on a rate near alpha: three binomial standard errors at SIMS draws.
MC = 3 * math.sqrt(ALPHA * (1 - ALPHA) / SIMS)


def rate(verdicts: list[Verdict], verdict: Verdict) -> float:
    return sum(v is verdict for v in verdicts) / len(verdicts)


# -- the combinator -------------------------------------------------------------------------


def test_the_worst_part_decides_and_every_part_is_named():
    parts = [("a", Decision(R, "ok")), ("b", Decision(U, "unsure")), ("c", Decision(R, "ok"))]
    combined = all_of(parts)
    assert combined.verdict is U and "[a] reproduced" in combined.reason
    assert all_of([*parts, ("d", Decision(N, "no"))]).verdict is N
    assert all_of([]).verdict is U
    assert all_of(parts, decisive_only=True).reason == "unsure"


def test_a_family_is_corrected_together_and_untested_members_are_left_out():
    tests = {"x": {"p": 0.01}, "y": {"p": 0.04}, "z": {"p": None}}
    correct(tests, "holm")
    assert tests["x"]["p_adjusted"] == pytest.approx(0.02)
    assert tests["y"]["p_adjusted"] == pytest.approx(0.04)
    assert "p_adjusted" not in tests["z"]


# -- "much greater" (C2, C6, C9a) and "at most" (C4) ----------------------------------------


def greater(a, b, margin=0.1, paired=False):
    test = margin_test(a, b, margin, paired=paired, level=1 - ALPHA)
    return much_greater("d", test, margin, ALPHA).verdict


def test_much_greater_reaches_every_verdict():
    assert greater([0.9, 0.91, 0.92], [0.5, 0.51, 0.52]) is R
    assert greater([0.5, 0.51, 0.52], [0.5, 0.51, 0.52]) is N
    assert greater([0.6, 0.7, 0.8], [0.5, 0.6, 0.7]) is U


@pytest.mark.parametrize("n", [3, 5, 10])
@pytest.mark.parametrize("paired", [False, True])
def test_much_greater_at_exactly_the_margin_is_rarely_reproduced_or_refuted(n, paired):
    rng = np.random.default_rng(10 * n + paired)
    verdicts = [
        greater(rng.normal(0.6, 0.05, n), rng.normal(0.5, 0.05, n), paired=paired)
        for _ in range(SIMS)
    ]
    assert rate(verdicts, R) <= ALPHA + MC
    assert rate(verdicts, N) <= ALPHA + MC


def test_much_greater_has_power_at_a_large_planted_difference():
    rng = np.random.default_rng(1)
    verdicts = [greater(rng.normal(0.8, 0.03, 3), rng.normal(0.5, 0.03, 3)) for _ in range(500)]
    power = rate(verdicts, R)
    print(f"much_greater power at a 30-point difference, margin 10, sd 3, n=3+3: {power:.3f}")
    assert power > 0.8


def limit(values, bound=0.1):
    return at_most("d", margin_test(values, None, bound, level=1 - ALPHA), bound, ALPHA).verdict


def test_at_most_reaches_every_verdict_and_is_calibrated_at_the_limit():
    assert limit([0.01, 0.02, 0.03]) is R
    assert limit([0.5, 0.52, 0.55]) is N
    assert limit([0.05, 0.10, 0.15]) is U
    rng = np.random.default_rng(2)
    verdicts = [limit(rng.normal(0.1, 0.02, 3)) for _ in range(SIMS)]
    assert rate(verdicts, R) <= ALPHA + MC and rate(verdicts, N) <= ALPHA + MC


# -- equivalence (C4, C5, regime) ------------------------------------------------------------


def eq(diffs, margin=0.05):
    res = tost(diffs, None, margin=margin, alpha=ALPHA)
    return equivalent("d", res.effect, res.ci, res.p_value, margin, ALPHA, n=len(diffs)).verdict


def test_equivalence_reaches_every_verdict():
    assert eq([0.001, -0.002, 0.0]) is R
    assert eq([0.30, 0.31, 0.32]) is N
    assert eq([0.0, 0.08, -0.06]) is U
    assert equivalent("d", 0.0, (-1, 1), None, 0.05, ALPHA, n=1).verdict is U


@pytest.mark.parametrize("n", [3, 5, 10])
def test_equivalence_at_the_margin_is_rarely_reproduced(n):
    rng = np.random.default_rng(n)
    verdicts = [eq(rng.normal(0.05, 0.02, n)) for _ in range(SIMS)]
    assert rate(verdicts, R) <= ALPHA + MC
