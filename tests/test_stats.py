"""Tests of rlsparse_check.stats: known answers, defined edge cases, and calibration.

Calibration: under a true null each test rejects at alpha = 0.05 at a rate inside the binomial
99.9% band of 4,000 seeded simulations (about +-0.011), and a planted broken variant of the
same test (normal tail in place of t; a one-sided p-value as two-sided) falls outside that band;
power under planted effects is recorded as a property.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import (
    adjust,
    benjamini_hochberg,
    holm,
    mann_whitney,
    one_sample,
    tost,
    welch,
)

ALPHA = 0.05
SIMS = 4000


def band(sims: int, alpha: float = ALPHA) -> tuple[float, float]:
    """The 99.9% binomial band of a rejection rate over ``sims`` null simulations."""
    return (sps.binom.ppf(0.0005, sims, alpha) / sims, sps.binom.ppf(0.9995, sims, alpha) / sims)


# --- multiple comparisons -------------------------------------------------------------------

P = [0.01, 0.04, 0.03, 0.005]


def test_holm_matches_the_hand_computed_step_down_values():
    np.testing.assert_allclose(holm(P), [0.03, 0.06, 0.06, 0.02])


def test_benjamini_hochberg_matches_the_hand_computed_step_up_values():
    np.testing.assert_allclose(benjamini_hochberg(P), [0.02, 0.04, 0.04, 0.02])


def test_adjust_names_the_method_and_none_leaves_p_values_alone():
    np.testing.assert_allclose(adjust(P, "holm"), holm(P))
    np.testing.assert_allclose(adjust(P, "bh"), benjamini_hochberg(P))
    np.testing.assert_allclose(adjust(P, "none"), P)
    with pytest.raises(StatsInputError, match="holm"):
        adjust(P, "bonferroni")


def test_a_single_p_value_is_not_changed_by_either_correction():
    assert holm([0.2])[0] == pytest.approx(0.2)
    assert benjamini_hochberg([0.2])[0] == pytest.approx(0.2)


@pytest.mark.parametrize("bad", [[0.1, 1.5], [-0.1], [float("nan")]])
def test_p_values_outside_the_unit_interval_are_rejected(bad):
    with pytest.raises(StatsInputError, match=r"\[0, 1\]"):
        holm(bad)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=12))
def test_corrections_are_bounded_monotone_and_ordered(p):
    raw = np.array(p)
    h, b = holm(raw), benjamini_hochberg(raw)
    for adjusted in (h, b):
        assert np.all(adjusted >= raw - 1e-12) and np.all(adjusted <= 1)
        order = np.argsort(raw, kind="stable")
        assert np.all(np.diff(adjusted[order]) >= -1e-12)  # same order as the raw p-values
    assert np.all(h >= b - 1e-12)  # Holm is never less strict than BH


# --- known answers ----------------------------------------------------------------------------


def test_welch_matches_the_hand_computed_t_and_df():
    result = welch([1, 2, 3], [4, 5, 6])  # means 2, 5; variances 1, 1; se sqrt(2/3); df 4
    assert result.statistic == pytest.approx(-3 / math.sqrt(2 / 3))
    assert result.p_value == pytest.approx(2 * sps.t.sf(3 / math.sqrt(2 / 3), 4))
    assert result.effect == pytest.approx(-3.0)
    half = sps.t.ppf(0.975, 4) * math.sqrt(2 / 3)
    assert result.ci == pytest.approx((-3 - half, -3 + half))
    assert result.n == 6 and result.alternative == "two-sided"


def test_welch_one_sided_p_values_split_by_direction():
    less, greater = welch([1, 2, 3], [4, 5, 6], "less"), welch([1, 2, 3], [4, 5, 6], "greater")
    assert less.p_value == pytest.approx(sps.t.cdf(-3 / math.sqrt(2 / 3), 4))
    assert less.p_value + greater.p_value == pytest.approx(1.0)
    assert greater.ci[1] == math.inf and less.ci[0] == -math.inf


def test_samples_without_spread_give_the_defined_certain_answer():
    assert welch([1, 1], [2, 2]).p_value == 0.0
    assert welch([1, 1], [2, 2], "greater").p_value == 1.0
    assert welch([1, 1], [2, 2], "less").p_value == 0.0
    assert welch([3, 3], [3, 3]).p_value == 1.0
    assert one_sample([0.5, 0.5, 0.5], 0.5).p_value == 1.0
    assert mann_whitney([1, 1], [1, 1]).p_value == 1.0


def test_one_sample_matches_the_hand_computed_t():
    result = one_sample([1, 2, 3], mu=0)
    t = 2 / (1 / math.sqrt(3))
    assert result.statistic == pytest.approx(t)
    assert result.p_value == pytest.approx(2 * sps.t.sf(t, 2))
    assert result.effect == pytest.approx(2.0)


def test_mann_whitney_exact_p_of_fully_separated_samples_is_one_in_twenty():
    result = mann_whitney([1, 2, 3], [4, 5, 6], "less")
    assert result.p_value == pytest.approx(1 / 20)
    assert result.statistic == 0 and result.effect == 0.0
    assert mann_whitney([1, 2, 3], [4, 5, 6], "greater").p_value == pytest.approx(1.0)


def test_tost_one_sample_p_is_the_larger_one_sided_p():
    result = tost([-0.1, 0.0, 0.1], margin=0.5)  # se = 0.1 / sqrt(3), df 2
    se = 0.1 / math.sqrt(3)
    assert result.p_value == pytest.approx(sps.t.sf(0.5 / se, 2))
    half = sps.t.ppf(0.95, 2) * se
    assert result.ci == pytest.approx((-half, half))
    assert result.alternative == "equivalence"


def test_tost_fails_to_show_equivalence_when_the_difference_exceeds_the_margin():
    result = tost([1.0, 1.1, 0.9, 1.05], [0.0, 0.1, -0.1, 0.05], margin=0.5)
    assert result.p_value > 0.5 and result.effect == pytest.approx(1.0)


def test_tost_of_samples_without_spread_is_decided_by_the_margin():
    assert tost([0.1, 0.1], [0.0, 0.0], margin=0.2).p_value == 0.0
    assert tost([0.3, 0.3], [0.0, 0.0], margin=0.2).p_value == 1.0


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    st.lists(st.floats(-3, 3), min_size=2, max_size=8),
    st.floats(0.05, 3),
)
def test_tost_rejects_exactly_when_its_ninety_percent_interval_is_inside_the_margins(a, b, margin):
    result = tost(a, b, margin=margin)
    inside = -margin < result.ci[0] and result.ci[1] < margin
    if abs(abs(result.ci[0]) - margin) > 1e-9 and abs(abs(result.ci[1]) - margin) > 1e-9:
        assert (result.p_value < ALPHA) == inside


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: welch([1.0], [1.0, 2.0]), "at least 2"),
        (lambda: one_sample([1.0]), "at least 2"),
        (lambda: tost([1.0, 2.0], margin=0), "margin"),
        (lambda: tost([1.0], margin=1), "at least 2"),
        (lambda: welch([1.0, float("nan")], [1.0, 2.0]), "finite"),
        (lambda: welch([1.0, 2.0], [1.0, 2.0], "bigger"), "alternative"),
    ],
)
def test_bad_input_raises_a_stats_input_error_that_says_what_to_do(call, match):
    with pytest.raises(StatsInputError, match=match):
        call()


def test_results_are_json_ready_with_infinite_bounds_as_null():
    data = welch([1, 2, 3], [4, 5, 6], "greater").to_json()
    assert data["ci"][1] is None and data["name"] == "welch"


# --- calibration ------------------------------------------------------------------------------


def results(test, draw, sims: int = SIMS, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [test(*draw(rng)) for _ in range(sims)]


def rate(p_values) -> float:
    return float(np.mean(np.asarray(p_values) < ALPHA))


def two_sided_z(r) -> float:
    return 2 * sps.norm.sf(abs(r.statistic))


#: name -> (test, null draw, planted broken variant of the p-value from the same result, sims).
#: The broken variants: the normal tail in place of Student's t (Welch, one-sample, TOST), the
#: one-sided exact p-value reported as two-sided (Mann-Whitney).
CALIBRATION = {
    "welch": (
        lambda a, b: welch(a, b),
        lambda r: (r.normal(0, 1, 5), r.normal(0, 3, 8)),
        two_sided_z,
        SIMS,
    ),
    "welch_greater": (
        lambda a, b: welch(a, b, "greater"),
        lambda r: (r.normal(0, 1, 5), r.normal(0, 1, 5)),
        lambda r: sps.norm.sf(r.statistic),
        SIMS,
    ),
    "one_sample": (
        lambda x: one_sample(x, 1.0),
        lambda r: (r.normal(1, 2, 6),),
        two_sided_z,
        SIMS,
    ),
    # the difference sits at the upper margin, 10 standard errors from the lower one: the size
    # is the upper one-sided test's alone, alpha
    "tost_at_margin": (
        lambda a, b: tost(a, b, margin=0.5),
        lambda r: (r.normal(0.5, 0.1, 5), r.normal(0, 0.1, 5)),
        lambda r: sps.norm.sf(r.statistic),  # the binding side's t, read as a z
        SIMS,
    ),
    # the exact test is slow per call and discrete (hence conservative): fewer draws
    "mann_whitney": (
        lambda a, b: mann_whitney(a, b),
        lambda r: (r.exponential(1, 10), r.exponential(1, 10)),
        lambda r: r.p_value / 2,
        SIMS // 2,
    ),
}


@pytest.mark.parametrize("name", sorted(CALIBRATION))
def test_false_positive_rate_under_a_true_null_is_near_alpha_and_a_broken_rule_is_not(
    name, record_property
):
    test, draw, broken, sims = CALIBRATION[name]
    found = results(test, draw, sims)
    honest, planted = rate([r.p_value for r in found]), rate([broken(r) for r in found])
    record_property(f"{name}_false_positive_rate", honest)
    record_property(f"{name}_broken_variant_rate", planted)
    lo, hi = band(sims)
    # Mann-Whitney's exact test is discrete, hence conservative: only the upper bound applies
    assert (0 if name == "mann_whitney" else lo) <= honest <= hi, f"{name}: {honest}"
    assert planted > hi, f"{name}: the broken variant's {planted} passes the band"


def test_power_under_planted_effects_is_reported(record_property):
    def power(test, draw) -> float:
        return rate([r.p_value for r in results(test, draw, 200)])

    found = {
        "welch_d1_n10": power(
            lambda a, b: welch(a, b), lambda r: (r.normal(1, 1, 10), r.normal(0, 1, 10))
        ),
        "mann_whitney_d1_n10": power(
            lambda a, b: mann_whitney(a, b), lambda r: (r.normal(1, 1, 10), r.normal(0, 1, 10))
        ),
        "tost_equal_means_margin1_n20": power(
            lambda a, b: tost(a, b, margin=1.0), lambda r: (r.normal(0, 1, 20), r.normal(0, 1, 20))
        ),
    }
    for name, value in found.items():
        record_property(f"power_{name}", value)
    assert found["welch_d1_n10"] > 0.4 and found["mann_whitney_d1_n10"] > 0.4
    assert found["tost_equal_means_margin1_n20"] > 0.5
