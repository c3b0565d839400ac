"""Tests of margin_test, the "larger by at least a margin" machinery: known answers, defined edge
cases, and calibration (false support when the true difference equals the margin, power under a
planted difference, both recorded as properties)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import margin_test

ALPHA = 0.05
SIMS = 4000


def upper_band(sims: int, alpha: float = ALPHA) -> float:
    """The upper end of the binomial 99.9% band of a rate ``alpha`` over ``sims`` draws."""
    return sps.binom.ppf(0.9995, sims, alpha) / sims


# --- known answers ----------------------------------------------------------------------------


def test_welch_form_matches_the_hand_computed_bounds_and_p_values():
    r = margin_test([4, 5, 6], [1, 2, 3], margin=1.0)  # diff 3, se sqrt(2/3), df 4
    se, q = math.sqrt(2 / 3), sps.t.ppf(0.95, 4)
    assert (r.diff, r.df, r.n, r.test) == (pytest.approx(3.0), pytest.approx(4.0), 6, "welch")
    assert (r.lower, r.upper) == pytest.approx((3 - q * se, 3 + q * se))
    assert r.p_above == pytest.approx(sps.t.sf(2 / se, 4))
    assert r.p_below == pytest.approx(sps.t.cdf(2 / se, 4))
    assert r.statistic == pytest.approx(2 / se)


def test_paired_form_is_the_t_on_the_differences():
    a, b = [1.0, 2.0, 4.0], [0.0, 0.5, 1.0]
    paired, direct = margin_test(a, b, 0.5, paired=True), margin_test([1.0, 1.5, 3.0], None, 0.5)
    assert paired.test == "paired_t" and direct.test == "one_sample_t"
    for key in ("diff", "lower", "upper", "p_above", "p_below", "df"):
        assert getattr(paired, key) == pytest.approx(getattr(direct, key)), key


def test_support_needs_the_lower_bound_at_the_margin_and_refutation_the_upper_bound_below():
    clear = margin_test([10.0, 10.1, 9.9], [0.0, 0.1, -0.1], margin=5.0)
    assert clear.above and not clear.below
    short = margin_test([1.0, 1.1, 0.9], [0.0, 0.1, -0.1], margin=5.0)
    assert short.below and not short.above
    unclear = margin_test([5.0, 7.0, 3.0], [0.0, 0.1, -0.1], margin=5.0)
    assert not unclear.above and not unclear.below


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    st.floats(-2, 2),
    st.sampled_from([0.9, 0.95, 0.99]),
)
def test_the_lower_bound_reaches_the_margin_exactly_when_p_above_is_below_one_minus_level(
    a, b, margin, level
):
    r = margin_test(a, b, margin, level=level)
    if abs(r.lower - margin) > 1e-9 and abs(r.upper - margin) > 1e-9 and math.isfinite(r.statistic):
        assert r.above == (r.p_above < 1 - level)
        assert r.below == (r.p_below < 1 - level)
    assert r.lower <= r.diff <= r.upper


def test_samples_without_spread_are_decided_by_the_point_estimate():
    above = margin_test([2.0, 2.0], [0.0, 0.0], margin=1.0)
    assert (above.lower, above.upper, above.p_above, above.p_below) == (2.0, 2.0, 0.0, 1.0)
    at = margin_test([1.0, 1.0], [0.0, 0.0], margin=1.0)
    assert (at.p_above, at.p_below, at.statistic) == (1.0, 1.0, 0.0)
    assert at.above and not at.below  # lower == margin: the bound reaches it


def test_results_are_json_ready():
    data = margin_test([1.0, 1.0], [0.0, 0.0], margin=0.0).to_json()
    assert data["statistic"] is None and data["test"] == "welch" and data["lower"] == 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: margin_test([1.0], [1.0, 2.0]), "at least 2"),
        (lambda: margin_test([1.0, 2.0], [1.0]), "at least 2"),
        (lambda: margin_test([1.0, 2.0], [1.0, 2.0, 3.0], paired=True), "differ in length"),
        (lambda: margin_test([1.0, 2.0], paired=True), "second sample"),
        (lambda: margin_test([1.0, 2.0], margin=math.nan), "margin"),
        (lambda: margin_test([1.0, 2.0], level=0.0), "level"),
    ],
)
def test_bad_input_raises_a_stats_input_error(call, match):
    with pytest.raises(StatsInputError, match=match):
        call()


# --- calibration ------------------------------------------------------------------------------


def support_rate(diff: float, margin: float, n: int, *, paired: bool, sims: int = SIMS):
    """Share of seeded draws (sd 1 and 2; true difference ``diff``) where the rule supports."""
    hits = 0
    for s in range(sims):
        rng = np.random.default_rng([5, n, s])
        a, b = rng.normal(diff, 1.0, n), rng.normal(0.0, 2.0, n)
        hits += margin_test(a, b, margin, paired=paired).above
    return float(hits / sims)


@pytest.mark.parametrize("paired", [False, True])
@pytest.mark.parametrize("n", [3, 5, 10])
def test_false_support_at_the_margin_is_at_most_alpha(n, paired, record_property):
    rate = support_rate(0.3, 0.3, n, paired=paired)
    record_property(f"false_support_{'paired' if paired else 'welch'}_n{n}", rate)
    assert rate <= upper_band(SIMS), rate


def test_the_point_estimate_rule_it_replaces_supports_about_half_the_time_at_the_margin():
    """Old rule: significant above zero and the estimate reaches the margin."""
    hits = 0
    for s in range(1000):
        rng = np.random.default_rng([6, s])
        a, b = rng.normal(3.0, 1.0, 5), rng.normal(0.0, 1.0, 5)
        r = margin_test(a, b, 0.0)
        hits += r.p_above < ALPHA and r.diff >= 3.0
    assert 0.4 < hits / 1000 < 0.6


def test_power_under_a_planted_difference_is_reported(record_property):
    power = {n: support_rate(3.3, 0.3, n, paired=False, sims=1000) for n in (3, 5, 10)}
    for n, value in power.items():
        record_property(f"power_welch_diff3_margin0.3_n{n}", value)
    assert power[3] < power[5] < power[10] and power[10] > 0.9
