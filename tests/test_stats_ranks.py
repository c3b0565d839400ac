"""Tests of the rank tests: the smallest attainable Mann-Whitney p-value, and the blocked trend
test (known answers against brute-force enumeration, ties, the Monte-Carlo path, size under the
null with ties and power under a planted trend, both recorded as properties)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import blocked_trend_test, mann_whitney, mann_whitney_min_p

ALPHA = 0.05
RATES = np.array([1e-6, 1e-5, 1e-4])


# --- Mann-Whitney -----------------------------------------------------------------------------


def test_three_against_three_cannot_reach_five_percent():
    assert mann_whitney_min_p(3, 3) == pytest.approx(0.05)
    assert mann_whitney_min_p(3, 3, "two-sided") == pytest.approx(0.1)
    assert mann_whitney_min_p(1, 1, "two-sided") == 1.0


@pytest.mark.parametrize(("n1", "n2"), [(3, 3), (2, 5), (4, 4)])
def test_the_minimum_is_what_complete_separation_gives(n1, n2):
    separated = mann_whitney(np.arange(n1) + 100.0, np.arange(n2), "greater")
    assert separated.p_value == pytest.approx(mann_whitney_min_p(n1, n2))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_sizes_must_be_positive_integers(bad):
    with pytest.raises(StatsInputError, match="positive integer"):
        mann_whitney_min_p(bad, 3)


# --- blocked trend: known answers ---------------------------------------------------------------


def brute_force_p(x, y, blocks, statistic: str = "spearman") -> float:
    """P(sum of within-block correlations <= observed) over every joint permutation of x."""
    groups = [np.flatnonzero(blocks == k) for k in np.unique(blocks)]
    corr = sps.spearmanr if statistic == "spearman" else sps.kendalltau

    def total(xs):
        out = 0.0
        for g, xg in zip(groups, xs, strict=True):
            if np.ptp(xg) > 0 and np.ptp(y[g]) > 0:
                out += corr(xg, y[g]).statistic
        return out

    observed = total([x[g] for g in groups])
    perms = [list(itertools.permutations(x[g])) for g in groups]
    values = [total([np.array(p) for p in combo]) for combo in itertools.product(*perms)]
    return float(np.mean(np.array(values) <= observed + 1e-9))


SWEEP = (
    np.tile(RATES, 3),
    np.array([0.9, 0.8, 0.8, 0.9, 0.9, 0.7, 0.8, 0.8, 0.6]),  # ties within seeds
    np.repeat([0, 1, 2], 3),
)


@pytest.mark.parametrize("statistic", ["spearman", "kendall"])
def test_exact_p_equals_brute_force_enumeration_with_ties(statistic):
    result = blocked_trend_test(*SWEEP, statistic=statistic)
    assert result.method == "exact" and result.alternative == "less"
    assert result.p_value == pytest.approx(brute_force_p(*SWEEP, statistic))
    within = [sps.spearmanr(SWEEP[0][i : i + 3], SWEEP[1][i : i + 3]).statistic for i in (0, 3, 6)]
    if statistic == "spearman":
        assert result.statistic == pytest.approx(sum(within))
        assert result.effect == pytest.approx(np.mean(within))


def test_perfectly_ordered_seeds_reach_one_over_the_number_of_arrangements():
    x, blocks = np.tile(RATES, 3), np.repeat([0, 1, 2], 3)
    y = np.tile([0.9, 0.8, 0.7], 3)
    result = blocked_trend_test(x, y, blocks)
    assert result.p_value == pytest.approx(1 / 6**3)
    # the pooled Spearman t approximation this test replaces calls the same data certain
    assert sps.spearmanr(x, y, alternative="less").pvalue < result.p_value / 100


def test_a_rising_trend_is_not_evidence_for_a_falling_one():
    x, y, blocks = SWEEP
    less, greater = blocked_trend_test(x, -y, blocks), blocked_trend_test(x, -y, blocks, "greater")
    assert less.p_value > 0.5 and greater.p_value < 0.1
    two = blocked_trend_test(x, -y, blocks, "two-sided")
    assert two.p_value == pytest.approx(min(1.0, 2 * min(less.p_value, greater.p_value)))


def test_blocks_without_variation_add_nothing_and_none_gives_p_one():
    x, y, blocks = SWEEP
    flat = np.r_[y[:6], [0.5, 0.5, 0.5]]  # the third seed did not move
    assert blocked_trend_test(x, flat, blocks).p_value == pytest.approx(
        blocked_trend_test(x[:6], y[:6], blocks[:6]).p_value
    )
    none = blocked_trend_test(x, np.full(9, 0.5), blocks)
    assert (none.p_value, none.statistic, none.method) == (1.0, 0.0, "exact")


def test_monte_carlo_path_is_seeded_and_agrees_with_the_exact_p():
    x, y, blocks = SWEEP
    exact = blocked_trend_test(x, y, blocks)
    mc = blocked_trend_test(x, y, blocks, max_exact=1, n_perm=20_000, seed=3)
    assert mc.method == "monte_carlo"
    assert mc == blocked_trend_test(x, y, blocks, max_exact=1, n_perm=20_000, seed=3)
    assert mc.p_value == pytest.approx(exact.p_value, abs=4 * math.sqrt(0.04 / 20_000) + 1e-4)


def test_many_seeds_stay_exact_through_the_block_by_block_convolution():
    rng = np.random.default_rng(0)
    x, blocks = np.tile(RATES, 12), np.repeat(np.arange(12), 3)
    y = -np.tile([0, 1, 2], 12) * 0.01 + rng.normal(0, 0.01, 36)
    result = blocked_trend_test(x, y, blocks)
    assert result.method == "exact" and result.p_value < 0.01  # 6**12 arrangements in all


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: blocked_trend_test([1, 2, 3], [1, 2], [0, 0, 0]), "differ in length"),
        (lambda: blocked_trend_test([1, 2], [1, 2], [0, 0], statistic="pearson"), "statistic"),
        (lambda: blocked_trend_test([1, 2], [1, 2], [0, 0], n_perm=10), "n_perm"),
        (lambda: blocked_trend_test([1.0, math.nan], [1, 2], [0, 0]), "finite"),
    ],
)
def test_bad_input_raises_a_stats_input_error(call, match):
    with pytest.raises(StatsInputError, match=match):
        call()


# --- blocked trend: calibration -----------------------------------------------------------------


def sweep(rng, seeds: int, slope: float) -> tuple:
    """Sparsity at three rates per seed, rounded to 0.01 so that ties are common."""
    x, blocks = np.tile(RATES, seeds), np.repeat(np.arange(seeds), 3)
    seed_level = np.repeat(rng.normal(0.8, 0.05, seeds), 3)
    y = np.round(seed_level + slope * np.tile([0, 1, 2], seeds) + rng.normal(0, 0.01, 3 * seeds), 2)
    return x, y, blocks


@pytest.mark.parametrize("seeds", [3, 5])
def test_size_under_the_null_with_ties_is_at_most_alpha(seeds, record_property):
    rng, sims = np.random.default_rng(seeds), 1500
    rate = np.mean(
        [blocked_trend_test(*sweep(rng, seeds, 0.0)).p_value < ALPHA for _ in range(sims)]
    )
    record_property(f"blocked_trend_size_{seeds}_seeds", float(rate))
    assert rate <= sps.binom.ppf(0.9995, sims, ALPHA) / sims, rate


def test_power_under_a_planted_trend_is_reported(record_property):
    rng, sims = np.random.default_rng(9), 400
    power = {
        seeds: float(
            np.mean(
                [blocked_trend_test(*sweep(rng, seeds, -0.02)).p_value < ALPHA for _ in range(sims)]
            )
        )
        for seeds in (3, 5)
    }
    for seeds, value in power.items():
        record_property(f"blocked_trend_power_slope-0.02_{seeds}_seeds", value)
    assert power[3] < power[5] and power[5] > 0.8
