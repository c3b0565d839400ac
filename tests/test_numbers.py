"""One reading of every figure: shares, points, p-values, plain numbers, intervals."""

from __future__ import annotations

import pytest

from rlsparse_check.numbers import (
    interval,
    is_share,
    number,
    p_value,
    percent,
    points,
    reading,
    share_mode,
)


@pytest.mark.parametrize(
    "share, text",
    [
        (0.2114, "21.1%"),
        (0.6299068958771787, "63.0%"),
        (0.7, "70.0%"),
        (0.0, "0.0%"),
        (1.0, "100.0%"),
        (0.00029, "0.029%"),
        (0.0000123456, "0.0012%"),
        (0.99997, "99.997%"),
        (0.9996, "99.96%"),
        (0.9994, "99.9%"),
        (-0.0001, "-0.01%"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_a_share_reads_as_a_percent_with_one_decimal(share, text):
    assert percent(share) == text


def test_a_share_that_is_neither_none_nor_all_never_reads_as_0_or_100():
    for share in (1e-9, 3e-6, 0.9999999, 0.99999999999):
        assert percent(share) not in ("0.0%", "100.0%"), share


@pytest.mark.parametrize(
    "difference, text",
    [(0.14028, "+14.0 pp"), (-0.0123, "-1.2 pp"), (0.0, "0.0 pp"), (-0.00001, "0.0 pp")],
)
def test_a_difference_of_shares_reads_in_signed_points(difference, text):
    assert points(difference) == text


@pytest.mark.parametrize(
    "p, text",
    [
        (0.0345253, "0.0345"),
        (0.00352513, "0.00353"),
        (2.4805e-07, "2.48e-07"),
        (1.0, "1"),
        (0.0, "< 1e-300"),
        (None, "n/a"),
    ],
)
def test_a_p_value_has_three_significant_digits(p, text):
    assert p_value(p) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (0.0633333, "0.0633"),
        (83.70635, "83.7"),
        (2e-05, "2e-05"),
        (790656, "790,656"),
        (3, "3"),
        (1.0, "1"),
        (0, "0"),
        (-2.924038, "-2.92"),
    ],
)
def test_other_numbers_have_three_significant_digits_and_integers_stay_whole(value, text):
    assert number(value) == text


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
    assert reading(0.2114, key) == "21.1%"


@pytest.mark.parametrize(
    "key", ["ratio_stratified", "min_rank_ratio", "n", "entries", "block_sparsity_cv", "lr"]
)
def test_other_keys_stay_plain_numbers(key):
    assert not is_share(key)
    assert reading(0.2114, key) == "0.211"


def test_the_key_decides_the_reading():
    assert share_mode("sparsity_difference") == "points"
    assert reading(0.14028, "sparsity_difference") == "+14.0 pp"
    assert reading(0.0, "p_adjusted") == "< 1e-300"
    assert reading(0.0, "p_independent_adjusted_max") == "< 1e-300"
    assert reading(0.0, "effect") == "0"
    assert reading(0.63, "value", "share") == "63.0%"
    assert reading(0.63, "both", "share") == "0.63"
    assert (reading(True), reading(False), reading(None)) == ("yes", "no", "n/a")
    assert reading("bf16") == "bf16"


def test_an_interval_reads_as_a_range_in_its_figure_s_reading():
    assert interval(0.605, 0.6548, "ci", "share") == "60.5% to 65.5%"
    assert interval(None, 0.153, "ci") == "<= 0.153"
    assert interval(0.5, None, "ci") == ">= 0.5"
    assert interval(-0.0084, 0.0089, "ci", "points") == "-0.8 pp to +0.9 pp"


def test_the_decision_rules_print_figures_the_same_way():
    from rlsparse_check.criteria import p_text, pct

    assert pct(0.6299068958771787) == percent(0.6299068958771787) == "63.0%"
    assert p_text(0.0345253) == p_value(0.0345253) == "0.0345"
    assert p_text(0.0) == "< 1e-300"
    assert pct(None) == "n/a"
