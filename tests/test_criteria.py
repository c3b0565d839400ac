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
    checkpoint_in_range,
    correct,
    equivalent,
    full_rank,
    in_range,
    much_greater,
    norms_spared,
    overlap_above_chance,
    spread_across_blocks,
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


# -- C1 --------------------------------------------------------------------------------------


def c1(values, learned=True):
    return in_range(values, 0.70, 0.95, learned=learned, gain_why="gain", alpha=ALPHA)[0].verdict


def test_c1_reaches_every_verdict():
    assert c1([0.80, 0.81, 0.82]) is R
    assert c1([0.20, 0.21, 0.22]) is N
    assert c1([0.98, 0.985, 0.99]) is N
    assert c1([0.60, 0.75, 0.90]) is U  # straddles a bound
    assert c1([0.80]) is U  # one seed


def test_c1_without_significant_learning_is_inconclusive_whichever_side():
    for values in ([0.80, 0.81, 0.82], [0.20, 0.21, 0.22], [0.98, 0.985, 0.99]):
        assert c1(values, learned=False) is U


@pytest.mark.parametrize("n", [3, 5, 10])
def test_c1_rarely_reproduces_a_mean_just_outside_the_range(n):
    rng = np.random.default_rng(n)
    verdicts = [c1(rng.normal(0.70 - 1e-9, 0.03, n)) for _ in range(SIMS)]
    assert rate(verdicts, R) <= ALPHA / 2 + MC  # one side of a two-sided 95% interval


def test_c1_reproduces_a_mean_well_inside_the_range():
    rng = np.random.default_rng(0)
    verdicts = [c1(rng.normal(0.825, 0.02, 3)) for _ in range(500)]
    power = rate(verdicts, R)
    print(f"C1 power at mean 0.825, sd 0.02, n=3: {power:.3f}")
    assert power > 0.9


def test_c1_for_one_checkpoint():
    assert checkpoint_in_range(0.5, 10, 0.7, 0.95).verdict is N
    assert checkpoint_in_range(0.8, 10, 0.7, 0.95).verdict is R
    assert checkpoint_in_range(0.99, 10, 0.7, 0.95).verdict is U
    assert checkpoint_in_range(1.0, 0, 0.7, 0.95).verdict is U


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


# -- overlap (C3, C5) ------------------------------------------------------------------------


def overlap_row(excess: float, n: int, rng, density: float = 0.2) -> dict:
    """Masks of one tensor: A fixed; B draws each entry of A with probability q and each other
    entry with probability r, chosen so that E|B| = |A| and the expected excess is ``excess``."""
    from rlsparse_check.overlap import overlap_arrays

    a = np.zeros(n, bool)
    a[: int(density * n)] = True
    size = a.sum()
    chance = size * size / n
    k = chance + excess * (size - chance)
    q, r = k / size, (size - k) / (n - size)
    b = np.where(a, rng.random(n) < q, rng.random(n) < r)
    result = overlap_arrays(a, b)
    return {"a": "A", "b": "B", **result.summary()}


def overlap_verdict(row) -> Verdict:
    return overlap_above_chance(row, row["p_stratified"], 0.375, ALPHA).verdict


def test_overlap_reaches_every_verdict():
    rng = np.random.default_rng(0)
    assert overlap_verdict(overlap_row(0.8, 20000, rng)) is R
    assert overlap_verdict(overlap_row(0.0, 20000, rng)) is N
    assert overlap_verdict(overlap_row(0.375, 2000, rng)) is U


def test_overlap_at_exactly_the_threshold_is_rarely_reproduced():
    rng = np.random.default_rng(3)
    verdicts = [overlap_verdict(overlap_row(0.375, 5000, rng)) for _ in range(400)]
    assert rate(verdicts, R) <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / 400)


def test_overlap_at_chance_is_never_reproduced_and_a_large_excess_is():
    rng = np.random.default_rng(4)
    null = [overlap_verdict(overlap_row(0.0, 5000, rng)) for _ in range(200)]
    planted = [overlap_verdict(overlap_row(0.6, 5000, rng)) for _ in range(200)]
    print(f"overlap power at excess 0.6, 5000 entries: {rate(planted, R):.3f}")
    assert rate(null, R) == 0.0 and rate(planted, R) > 0.9


def test_overlap_is_the_same_whichever_mask_comes_first():
    from rlsparse_check.overlap import overlap_arrays

    rng = np.random.default_rng(5)
    a = rng.random((64, 32)) < 0.3
    b = a & (rng.random((64, 32)) < 0.5)  # B is a subset of A
    w = rng.normal(size=(64, 32))
    one, two = (overlap_arrays(x, y, w).summary() for x, y in ((a, b), (b, a)))
    for row in (one, two):
        row["a"], row["b"] = "first", "second"
    d1 = overlap_above_chance(one, one["p_stratified"], 0.375, ALPHA)
    d2 = overlap_above_chance(two, two["p_stratified"], 0.375, ALPHA)
    assert d1 == d2 and d1.verdict is R


# -- exact rules: C7, C8, C9 -------------------------------------------------------------------


def test_full_rank_reaches_every_verdict():
    kw = {"matrices": 3, "published_style": 0.99, "random_reference": 1.0}
    assert full_rank(0.995, 0.99, **kw).verdict is R
    assert full_rank(0.01, 0.99, **kw).verdict is N
    assert (
        full_rank(None, 0.99, matrices=0, published_style=None, random_reference=None).verdict is U
    )
    assert "says little of structure" in full_rank(0.995, 0.99, **kw).reason


def spread(densities):
    return spread_across_blocks(densities, active_fraction=0.25, min_active=0.9, max_cv=0.5)


def test_spread_uses_active_blocks_and_the_coefficient_of_variation():
    assert spread([0.2, 0.21, 0.19, 0.2])[0].verdict is R
    assert spread([0.2, 0.0, 0.0, 0.0])[0].verdict is N  # one block carries the update
    decision, figures = spread([0.1, 0.3, 0.1, 0.3, 0.05, 0.4])  # all take part, uneven
    assert decision.verdict is N and figures["block_density_cv"] > 0.5
    assert spread([0.0, 0.0])[0].verdict is U


def test_norms_must_be_spared_beyond_what_their_magnitude_explains():
    spared = {"entries": 5000, "expected_fraction": 0.2, "p": 1e-9}
    alike = {"entries": 5000, "expected_fraction": 0.001, "p": 0.6}
    assert norms_spared(0.0, 0.05, spared, ALPHA).verdict is R
    assert norms_spared(0.0, 0.05, alike, ALPHA).verdict is U
    assert norms_spared(0.3, 0.05, spared, ALPHA).verdict is N
    assert norms_spared(0.0, 0.05, {"entries": 0}, ALPHA).verdict is U
    assert norms_spared(None, 0.05, spared, ALPHA).verdict is U
