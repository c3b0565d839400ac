"""Tests of the paired binary statistics: McNemar's exact test and Cohen's kappa (known answers,
the degenerate tables, and agreement beyond the base rate)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import agreement, cohen_kappa, mcnemar_greater


def test_mcnemar_counts_discordant_problems_one_sided():
    p, gained, lost = mcnemar_greater([0, 0, 0, 1, 1], [1, 1, 1, 1, 0])
    assert (gained, lost) == (3, 1)
    assert p == pytest.approx(5 / 16)
    assert mcnemar_greater([1, 0], [1, 0]) == (1.0, 0, 0)
    with pytest.raises(StatsInputError, match="differ in length"):
        mcnemar_greater([1], [1, 0])


def test_kappa_of_the_textbook_table():
    # p_o = 35/50 = 0.7; p_e = (25*30 + 25*20) / 50**2 = 0.5; kappa = 0.2 / 0.5
    table = agreement(20, 5, 10, 15)
    assert (table.observed, table.chance, table.kappa) == pytest.approx((0.7, 0.5, 0.4))
    assert cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)


def test_perfect_agreement_with_variation_has_kappa_one_and_perfect_disagreement_minus_one():
    assert cohen_kappa(30, 0, 0, 70) == 1.0
    assert cohen_kappa(0, 50, 50, 0) == -1.0


@pytest.mark.parametrize("share_unchanged", [0.6, 0.95, 0.999])
def test_an_always_unchanged_predictor_has_kappa_zero_however_high_its_agreement(share_unchanged):
    n = 100_000
    unchanged = round(share_unchanged * n)
    table = agreement(unchanged, n - unchanged, 0, 0)  # predictor says "unchanged" every time
    assert table.kappa == 0.0 and table.observed == pytest.approx(share_unchanged)


def test_kappa_is_symmetric_in_the_two_raters():
    assert cohen_kappa(20, 5, 10, 15) == cohen_kappa(20, 10, 5, 15)


def test_independent_raters_have_kappa_near_zero():
    rng = np.random.default_rng(0)
    first, second = rng.random(200_000) < 0.7, rng.random(200_000) < 0.4
    counts = (np.sum(first & second), np.sum(first & ~second), np.sum(~first & second))
    kappa = cohen_kappa(*(int(c) for c in counts), int(np.sum(~first & ~second)))
    assert abs(kappa) < 0.01


def test_degenerate_tables_have_an_undefined_kappa():
    assert math.isnan(cohen_kappa(100, 0, 0, 0))  # both raters always "yes": chance agreement 1
    assert math.isnan(cohen_kappa(0, 0, 0, 100))
    empty = agreement(0, 0, 0, 0)
    assert empty.n == 0 and math.isnan(empty.kappa)
    assert agreement(100, 0, 0, 0).to_json()["kappa"] is None


@pytest.mark.parametrize("bad", [(-1, 0, 0, 1), (1.5, 0, 0, 1), (True, 0, 0, 1)])
def test_counts_must_be_non_negative_integers(bad):
    with pytest.raises(StatsInputError, match="non-negative integers"):
        agreement(*bad)
