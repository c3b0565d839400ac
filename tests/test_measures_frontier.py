"""The sparsity-learning frontier: the matched gain and interpolation along a seed's frontier."""

from __future__ import annotations

import pytest

from rlsparse_check.measures.frontier import covers, matched_gain, sparsity_at


def test_the_matched_gain_is_the_middle_of_the_range_both_frontiers_cover():
    rl = [[(0.1, 0.9), (0.2, 0.7), (0.3, 0.5)]] * 2
    sft = [[(0.2, 0.6), (0.3, 0.4), (0.4, 0.2)]] * 2
    assert matched_gain({"rl": rl, "sft": sft}) == pytest.approx(0.25)
    assert matched_gain({"rl": rl, "sft": [[(0.5, 0.1), (0.6, 0.0)]]}) is None


def test_sparsity_is_interpolated_in_gain_and_held_beyond_the_ends():
    points = [(0.3, 0.5), (0.1, 0.9), (0.2, 0.7)]
    assert sparsity_at(points, 0.25) == pytest.approx(0.6)
    assert sparsity_at(points, 0.5) == pytest.approx(0.5)
    assert covers(points, 0.25) and not covers(points, 0.5)


def test_equal_gains_are_averaged():
    assert sparsity_at([(0.2, 0.4), (0.2, 0.6), (0.4, 0.0)], 0.2) == pytest.approx(0.5)
