"""C7 on checkpoint pairs: the Gram-eigenvalue counts equal the SVD's, and the sampled set."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.planted_updates import write_update_pair
from rlsparse_check.errors import StatsInputError
from rlsparse_check.measures.rank import (
    planted_references,
    random_sparse_rank_ratio,
    rank_ratio,
    stored_rank_ratio,
)
from rlsparse_check.measures.rank_checkpoint import Spectrum, checkpoint_ranks, sample_matrices


def _matrices():
    rng = np.random.default_rng(7)
    low = rng.normal(size=(60, 3)) @ rng.normal(size=(3, 90))
    yield "iid square", rng.normal(size=(80, 80))
    yield "tall", rng.normal(size=(120, 40)) * 1e-4
    yield "wide rank 3 plus noise", low + 1e-7 * rng.normal(size=low.shape)
    yield "sparse", rng.normal(size=(70, 50)) * (rng.random((70, 50)) < 0.05)
    yield "graded", rng.normal(size=(50, 50)) @ np.diag(np.logspace(0, -12, 50))


@pytest.mark.parametrize("label, matrix", list(_matrices()))
def test_every_squared_singular_value_lies_within_the_stated_error(label, matrix):
    spectrum = Spectrum(matrix)
    exact = np.sort(np.linalg.svd(matrix, compute_uv=False) ** 2)
    gap = np.abs(spectrum.squared - exact).max()
    assert gap <= spectrum.error, (label, gap, spectrum.error)
    assert spectrum.error < 1e-9 * exact[-1], (label, spectrum.error)  # a bound that bites


@pytest.mark.parametrize("label, matrix", list(_matrices()))
def test_counts_equal_the_svd_counts_at_every_threshold(label, matrix):
    sigma = np.linalg.svd(matrix, compute_uv=False)
    spectrum = Spectrum(matrix)
    for floor in [0.0, *np.quantile(sigma, [0.1, 0.5, 0.9]), sigma[0] * 2]:
        assert spectrum.above(floor) == np.count_nonzero(sigma > floor), (label, floor)
    for rtol in (1e-15, 1e-9, max(matrix.shape) * float(np.finfo(np.float32).eps), 0.3):
        expected = np.count_nonzero(sigma > rtol * sigma[0])
        assert spectrum.above_relative(rtol) == expected, (label, rtol)


def test_a_threshold_on_a_singular_value_falls_back_to_the_svd():
    matrix = np.diag([3.0, 2.0, 1.0, 0.5])
    spectrum = Spectrum(matrix)
    assert spectrum.fallbacks == 0
    assert (spectrum.above(1.0), spectrum.above_relative(0.5)) == (2, 2)  # strictly above
    assert spectrum.fallbacks == 1  # computed once, then reused
    assert spectrum.above(1.5) == 2 and spectrum.above(5.0) == 0


def test_the_zero_matrix_has_rank_zero_and_bad_input_is_named():
    assert Spectrum(np.zeros((4, 6))).above_relative(1e-6) == 0
    assert Spectrum(np.zeros((4, 6))).above(0.0) == 0
    with pytest.raises(StatsInputError, match="2-D"):
        Spectrum(np.ones(5))
    with pytest.raises(StatsInputError, match="NaN"):
        Spectrum(np.array([[1.0, np.nan]]))


@pytest.mark.parametrize(("structure", "ulps"), [("iid", 1.0), ("iid", 30.0), ("rank1", 30.0)])
@pytest.mark.parametrize("rounded_base", [False, True])
def test_checkpoint_figures_are_those_of_the_rank_module(tmp_path, structure, ulps, rounded_base):
    from rlsparse_check.checkpoints import open_checkpoint

    pair = write_update_pair(tmp_path, structure, ulps, shape=(48, 80))
    with open_checkpoint(pair.base) as b:
        names = sorted(b.names)
    ranks = checkpoint_ranks(pair.base, pair.tuned[0], names, rounded_base=rounded_base)
    with open_checkpoint(pair.base) as b, open_checkpoint(pair.tuned[0]) as t:
        for i, name in enumerate(names):
            w0, w1 = b.values(name, np.float64), t.values(name, np.float64)
            assert ranks.above[name] == stored_rank_ratio(w0, w1, "bfloat16", rounded_base)
            assert ranks.published[name] == rank_ratio((w1 - w0).astype(np.float32))
            density = float(np.count_nonzero(w1 != w0)) / w1.size
            assert ranks.random_sparse[name] == random_sparse_rank_ratio(w1.shape, density, i)
            full, one = planted_references(w0, w1, "bfloat16", rounded_base=rounded_base, seed=i)
            assert (ranks.full_reference[name], ranks.rank_one[name]) == (full, one)


def _tensors(*shapes):
    return {f"w{i:02d}": s for i, s in enumerate(shapes)}


def test_weights_within_the_budget_are_all_measured():
    tensors = _tensors((64, 64), (32, 128), (128, 64))
    names, record = sample_matrices(tensors, sorted(tensors), budget=1e9)
    assert names == sorted(tensors)
    assert (record["measured"], record["of"], record["sampled"], record["seed"]) == (
        3,
        3,
        False,
        None,
    )
    assert record["work"] == 64**3 + 32 * 32 * 128 + 64 * 64 * 128


def test_over_the_budget_a_seeded_sample_fits_it():
    tensors = _tensors(*[(100, 100)] * 20)
    names, record = sample_matrices(tensors, sorted(tensors), budget=5.5e6, seed=3)
    assert len(names) == 5 and names == sorted(names) and set(names) <= set(tensors)
    assert (record["measured"], record["of"], record["sampled"], record["seed"]) == (5, 20, True, 3)
    assert record["sampled_work"] == 5e6 <= record["budget"] and record["names"] == names
    assert sample_matrices(tensors, sorted(tensors), budget=5.5e6, seed=3)[0] == names
    assert sample_matrices(tensors, sorted(tensors), budget=5.5e6, seed=4)[0] != names
    one, _ = sample_matrices(tensors, sorted(tensors), budget=1.0)
    assert len(one) == 1  # at least one weight, whatever the budget
