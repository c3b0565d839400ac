"""Intervals over few replicates: known answers, and the coverage of every interval routine of
rlsparse_check.stats at n = 3, 5 and 10 on normal data (seeded, 4000 draws each).

A routine passes when its coverage lies within 93-97% for a nominal 95% (TOST's 90% interval
within 88-92%), or when it refuses the sample size with a StatsInputError that names the
routine to use instead. The Monte-Carlo standard error of a coverage near 95% over 4000 draws
is 0.34 points, so the band is about six standard errors wide on either side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import (
    BOOTSTRAP_MIN_N,
    bootstrap_ci,
    margin_test,
    mean_ci,
    one_sample,
    tost,
    welch,
)

DRAWS = 4000
SIZES = (3, 5, 10)
BAND = (0.93, 0.97)


# --- known answers ----------------------------------------------------------------------------


def test_mean_ci_is_the_student_t_interval():
    lo, hi = mean_ci([1.0, 2.0, 3.0])
    half = sps.t.ppf(0.975, 2) * 1 / math.sqrt(3)
    assert (lo, hi) == pytest.approx((2 - half, 2 + half))
    lo90, hi90 = mean_ci([1.0, 2.0, 3.0], level=0.9)
    assert lo < lo90 < hi90 < hi


def test_mean_ci_of_one_value_is_uninformative_and_of_equal_values_has_zero_width():
    assert mean_ci([3.0]) == (-math.inf, math.inf)
    assert mean_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)


def test_bootstrap_below_its_minimum_refuses_and_names_mean_ci():
    for n in (1, 3, 5, BOOTSTRAP_MIN_N - 1):
        with pytest.raises(StatsInputError, match="mean_ci"):
            bootstrap_ci(np.arange(float(n)))


def test_bootstrap_of_equal_values_is_the_zero_width_interval_at_the_value():
    assert bootstrap_ci([2.0] * 10) == (2.0, 2.0)


def test_bootstrap_is_seeded_and_wider_than_the_plain_percentile_interval():
    x = np.random.default_rng(0).normal(size=10)
    lo, hi = bootstrap_ci(x, n_boot=4000, seed=1)
    assert bootstrap_ci(x, n_boot=4000, seed=1) == (lo, hi)
    rng = np.random.default_rng(1)
    boots = x[rng.integers(0, 10, size=(4000, 10))].mean(axis=1)
    plain = np.quantile(boots, [0.025, 0.975])
    assert lo < plain[0] and hi > plain[1]


def test_bootstrap_accepts_a_statistic_without_an_axis_argument():
    x = np.arange(10.0)
    vectorized = bootstrap_ci(x, np.median, n_boot=1000, seed=3)
    looped = bootstrap_ci(x, lambda v: float(np.median(v)), n_boot=1000, seed=3)
    assert vectorized == pytest.approx(looped)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mean_ci([]), "at least 1"),
        (lambda: mean_ci([1.0, 2.0], level=1.0), "level"),
        (lambda: bootstrap_ci(np.arange(10.0), n_boot=10), "n_boot"),
        (lambda: bootstrap_ci([math.nan] * 10), "finite"),
    ],
)
def test_bad_interval_input_raises_a_stats_input_error(call, match):
    with pytest.raises(StatsInputError, match=match):
        call()


# --- coverage ---------------------------------------------------------------------------------

INF = math.inf
#: name -> (interval of the samples (a, b) drawn with seed s, the true value it should cover)
ROUTINES = {
    "mean_ci": (lambda a, b, s: mean_ci(a), 1.0),
    "one_sample_ci": (lambda a, b, s: one_sample(a, 1.0).ci, 0.0),
    "welch_ci": (lambda a, b, s: welch(a, b).ci, 1.0),
    "margin_lower_welch": (lambda a, b, s: (margin_test(a, b).lower, INF), 1.0),
    "margin_upper_welch": (lambda a, b, s: (-INF, margin_test(a, b).upper), 1.0),
    "margin_lower_paired": (lambda a, b, s: (margin_test(a, b, paired=True).lower, INF), 1.0),
    "margin_upper_one_sample": (lambda a, b, s: (-INF, margin_test(a).upper), 1.0),
}


def coverage(interval, truth: float, n: int, draws: int = DRAWS) -> float:
    """Share of seeded normal samples (a: mean 1, sd 2; b: mean 0, sd 1) whose interval
    contains ``truth``."""
    hits = 0
    for s in range(draws):
        rng = np.random.default_rng([11, n, s])
        lo, hi = interval(rng.normal(1.0, 2.0, n), rng.normal(0.0, 1.0, n), s)
        hits += lo <= truth <= hi
    return float(hits / draws)


@pytest.mark.parametrize("name", sorted(ROUTINES))
def test_interval_covers_at_the_nominal_rate_over_few_replicates(name, record_property):
    interval, truth = ROUTINES[name]
    for n in SIZES:
        rate = coverage(interval, truth, n)
        record_property(f"coverage_{name}_n{n}", rate)
        assert BAND[0] <= rate <= BAND[1], f"{name} at n={n}: coverage {rate}"


def test_tost_ninety_percent_interval_covers_at_its_nominal_rate(record_property):
    for n in SIZES:
        rate = coverage(lambda a, b, s: tost(a, b, 1.0).ci, 1.0, n)
        record_property(f"coverage_tost90_n{n}", rate)
        assert 0.88 <= rate <= 0.92, f"TOST 90% interval at n={n}: {rate}"


def test_bootstrap_refuses_few_replicates_and_covers_at_the_nominal_rate_from_its_minimum(
    record_property,
):
    for n in (*SIZES, BOOTSTRAP_MIN_N):
        if n < BOOTSTRAP_MIN_N:
            with pytest.raises(StatsInputError, match="mean_ci"):
                bootstrap_ci(np.arange(float(n)))
            continue
        rate = coverage(lambda a, b, s: bootstrap_ci(a, n_boot=2000, seed=s), 1.0, n)
        record_property(f"coverage_bootstrap_n{n}", rate)
        assert BAND[0] <= rate <= BAND[1], f"bootstrap at n={n}: coverage {rate}"


def test_the_plain_percentile_bootstrap_over_three_values_would_under_cover(record_property):
    """Why the bootstrap refuses small n: at n = 3 the percentile interval is about [min, max]."""

    def plain(a, b, s):
        rng = np.random.default_rng(s)
        boots = a[rng.integers(0, a.size, size=(2000, a.size))].mean(axis=1)
        return tuple(np.quantile(boots, [0.025, 0.975]))

    rate = coverage(plain, 1.0, 3, draws=1000)
    record_property("coverage_plain_percentile_bootstrap_n3", rate)
    assert rate < 0.85
