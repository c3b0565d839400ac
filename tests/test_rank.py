"""Tests of rlsparse_check.rank: numerical rank with a documented tolerance, and the random
sparse reference of equal density (claim C7)."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.errors import StatsInputError
from rlsparse_check.rank import (
    default_rtol,
    numerical_rank,
    random_sparse_rank_ratio,
    rank_ratio,
)


def test_identity_is_full_rank():
    assert numerical_rank(np.eye(5)) == 5 and rank_ratio(np.eye(5)) == 1.0


def test_zero_and_empty_matrices_have_rank_zero():
    assert numerical_rank(np.zeros((3, 4))) == 0
    assert numerical_rank(np.zeros((0, 4))) == 0 and rank_ratio(np.zeros((0, 4))) == 0.0


def test_an_outer_product_has_rank_one_of_a_wide_matrix():
    u, v = np.arange(1.0, 4.0), np.arange(1.0, 7.0)
    assert numerical_rank(np.outer(u, v)) == 1
    assert rank_ratio(np.outer(u, v)) == pytest.approx(1 / 3)


def test_default_tolerance_follows_the_matrix_dtype():
    tiny = np.diag([1.0, 1e-9])  # below float32 rounding noise, far above float64's
    assert numerical_rank(tiny.astype(np.float32)) == 1
    assert numerical_rank(tiny.astype(np.float64)) == 2
    assert default_rtol((3, 7), np.float32) == pytest.approx(7 * np.finfo(np.float32).eps)


def test_rtol_overrides_the_relative_tolerance():
    m = np.diag([1.0, 0.1, 0.01])
    assert numerical_rank(m, rtol=0.05) == 2
    assert numerical_rank(m, rtol=0.0) == 3


def test_rank_matches_numpy_on_a_random_low_rank_product():
    rng = np.random.default_rng(0)
    m = rng.normal(size=(40, 7)) @ rng.normal(size=(7, 30))
    assert numerical_rank(m) == np.linalg.matrix_rank(m) == 7


@pytest.mark.parametrize(
    ("matrix", "match"),
    [(np.ones(4), "2-D"), (np.array([[1.0, np.nan]]), "NaN"), (np.array([["a"]]), "numbers")],
)
def test_bad_matrices_raise_a_stats_input_error(matrix, match):
    with pytest.raises(StatsInputError, match=match):
        numerical_rank(matrix)


def test_dense_random_reference_is_full_rank_and_empty_is_zero():
    assert random_sparse_rank_ratio((20, 30), 1.0, seed=1) == 1.0
    assert random_sparse_rank_ratio((20, 30), 0.0, seed=1) == 0.0


def test_very_sparse_reference_is_limited_by_its_nonzero_count():
    assert random_sparse_rank_ratio((100, 100), 0.001, seed=2) <= 0.1  # 10 nonzero entries


def test_random_reference_is_seeded_and_nearly_full_rank_at_moderate_density():
    first = random_sparse_rank_ratio((64, 96), 0.2, seed=3)
    assert first == random_sparse_rank_ratio((64, 96), 0.2, seed=3)
    assert first > 0.95


@pytest.mark.parametrize(("shape", "density"), [((3,), 0.5), ((3, 3), 1.5), ((3, 3), -0.1)])
def test_bad_reference_arguments_are_rejected(shape, density):
    with pytest.raises(StatsInputError):
        random_sparse_rank_ratio(shape, density)
