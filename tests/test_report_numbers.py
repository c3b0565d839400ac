"""Numbers formatted for reading: shares, points, p-values, intervals, short lists."""

from __future__ import annotations

import pytest

from rlsparse_check.report.numbers import (
    format_scalar,
    format_value,
    is_share,
    plain_text,
    share_mode,
)


@pytest.mark.parametrize(
    "key",
    [
        "sparsity",
        "mask_density",
        "overlap_ab",
        "flip_share",
        "norm_fraction_updated",
        "agreement",
        "excess",
        "jaccard",
        "chance_stratified",
        "equal_bitwise",
        "min-overlap-excess",
    ],
)
def test_share_keys_read_as_percentages(key):
    assert is_share(key)
    assert format_scalar(0.2114, key) == "21.1%"


@pytest.mark.parametrize(
    "key",
    [
        "ratio_stratified",
        "min_rank_ratio",
        "n",
        "entries",
        "block_sparsity_cv",
        "lr",
        "statistic",
        "p",
        "alpha",
    ],
)
def test_other_keys_stay_plain_numbers(key):
    assert not is_share(key)
    assert not format_scalar(0.2114, key).endswith("%")


def test_a_difference_of_shares_reads_in_percentage_points():
    assert share_mode("sparsity_difference") == "points"
    assert format_scalar(0.14028, "sparsity_difference") == "+14 pp"
    assert format_value({"value": -0.0123}, "sparsity_difference") == "value: -1.23 pp"


def test_numbers_have_three_significant_digits_and_integers_stay_whole():
    assert format_scalar(0.0633333) == "0.0633"
    assert format_scalar(83.70635) == "83.7"
    assert format_scalar(2e-05) == "2e-05"
    assert format_scalar(790656) == "790,656"
    assert format_scalar(3) == "3"
    assert format_scalar(1.0) == "1"


def test_an_underflowed_p_value_reads_as_below_1e_300():
    assert format_scalar(0.0, "p") == "< 1e-300"
    assert format_scalar(0.0, "p_adjusted") == "< 1e-300"
    assert format_scalar(0.0, "p_independent_adjusted_max") == "< 1e-300"
    assert format_scalar(2.4805e-07, "p_adjusted") == "2.48e-07"
    assert format_scalar(0.0, "effect") == "0"


def test_none_bool_and_nan_read_as_words():
    assert format_scalar(None) == "n/a"
    assert format_scalar(float("nan")) == "n/a"
    assert (format_scalar(True), format_scalar(False)) == ("yes", "no")


def test_intervals_read_as_ranges_and_one_sided_bounds():
    assert format_value([0.188, 0.228], "ci", "share") == "18.8% to 22.8%"
    assert format_value([None, 0.153], "ci") == "<= 0.153"
    assert format_value([0.5, None], "ci90") == ">= 0.5"
    assert format_value([0.685, 0.96], "sparsity-range") == "68.5% to 96%"


def test_summaries_and_breakdowns_of_a_share_inherit_its_reading():
    sparsity = {"value": 0.21, "ci": [0.19, 0.23], "per_seed": [0.2, 0.21, 0.22]}
    assert format_value(sparsity, "sparsity") == (
        "value: 21%; ci: 19% to 23%; per seed: 20%, 21%, 22%"
    )
    assert format_value({"0": 0.185, "1": 0.16}, "block_sparsity") == "0: 18.5%; 1: 16%"
    assert format_value({"attention": 0.2, "mlp": 0.5}, "sparsity") == "attention: 20%; mlp: 50%"


def test_long_number_lists_are_summarised():
    assert format_value([1.0] * 29, "rank") == "29 values, all 1"
    assert format_value(list(range(20)), "per_seed") == "20 values: min 0, median 9.5, max 19"
    assert format_value([], "skipped") == "none"
    assert format_value(["x"] * 25).endswith("and 5 more (see report.json)")


def test_python_literals_inside_text_are_written_out():
    assert plain_text("TOST over variants ['kl0.05', 'kl0.2']; all") == (
        "TOST over variants kl0.05, kl0.2; all"
    )
    assert plain_text("map {'a': 1}") == "map a: 1"
    assert plain_text("it said 'no' [really]") == "it said 'no' [really]"
