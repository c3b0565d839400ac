"""Tests of rlsparse_check.measures.rank: numerical rank with a documented tolerance, and the random
sparse reference of equal density, and the rank above the noise floor of bf16 storage (C7)."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.checkpoints import decode_bf16, encode_bf16
from rlsparse_check.errors import StatsInputError
from rlsparse_check.measures.precision import half_ulp
from rlsparse_check.measures.rank import (
    default_rtol,
    noise_floor_rank,
    noise_floor_rank_ratio,
    numerical_rank,
    random_sparse_rank_ratio,
    rank_ratio,
    storage_noise_floor,
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


def test_the_reference_draws_are_counted_by_the_ratio_given():
    drawn = []
    counted = random_sparse_rank_ratio(
        (30, 40), 0.3, seed=4, ratio=lambda m: drawn.append(m) or 0.5
    )
    assert counted == 0.5 and len(drawn) == 1 and drawn[0].dtype == np.float32
    assert np.count_nonzero(drawn[0]) == round(0.3 * 30 * 40)
    assert rank_ratio(drawn[0]) == random_sparse_rank_ratio((30, 40), 0.3, seed=4)
    with pytest.raises(StatsInputError, match="rtol or ratio"):
        random_sparse_rank_ratio((3, 3), 0.5, rtol=0.1, ratio=rank_ratio)


@pytest.mark.parametrize(("shape", "density"), [((3,), 0.5), ((3, 3), 1.5), ((3, 3), -0.1)])
def test_bad_reference_arguments_are_rejected(shape, density):
    with pytest.raises(StatsInputError):
        random_sparse_rank_ratio(shape, density)


# --- rank above the storage noise floor -------------------------------------------------------


def bf16(x: np.ndarray) -> np.ndarray:
    return decode_bf16(encode_bf16(np.asarray(x, np.float32)))


def stored_update(shape, update, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """bf16 base weights, ``update`` applied in fp32 and the result stored in bf16: the update
    read back from the two checkpoints, and the half-ULP of the stored tuned values."""
    base = bf16(np.random.default_rng(seed).normal(0, 0.02, shape))
    tuned = bf16(base + update)
    return tuned.astype(np.float64) - base, half_ulp(tuned, "bfloat16")


def rank_one(shape, scale: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng([seed, 1])
    return (np.outer(rng.normal(size=shape[0]), rng.normal(size=shape[1])) * scale).astype(
        np.float32
    )


def test_a_rank_one_update_stored_in_bf16_has_noise_floor_rank_one():
    update, h = stored_update((128, 128), rank_one((128, 128), 3e-5))
    assert noise_floor_rank(update, h) == 1 and noise_floor_rank_ratio(update, h) == 1 / 128
    assert 0.95 < rank_ratio(update) < 0.99  # the published-style figure calls it nearly full


def test_an_update_mostly_below_the_half_ulp_leaves_no_rank_above_the_floor():
    """Entries of about a third of the half-ULP: most stored entries do not move, and what is
    stored is mostly rounding; the published-style figure still says nearly full rank."""
    update, h = stored_update((256, 128), rank_one((256, 128), 1e-5))
    assert noise_floor_rank(update, h) == 0 and rank_ratio(update) > 0.9


@pytest.mark.parametrize("shape", [(128, 128), (128, 512), (512, 128), (896, 896)])
@pytest.mark.parametrize("scale", [3e-5, 1e-4, 3e-4, 1e-3])
def test_rank_one_updates_of_every_shape_and_scale_stay_rank_one(shape, scale):
    """Scales from below to well above the half-ULP (about 6e-5 at |w| ~ 0.02)."""
    update, h = stored_update(shape, rank_one(shape, scale))
    assert noise_floor_rank(update, h) == 1


def test_the_uniform_rounding_model_would_count_the_structured_error_as_rank():
    """Why each entry's variance is taken at its bound h**2: entries whose update is below the
    half-ULP keep their value, so their error is minus the update, and that error is
    structured. With the uniform model's h**2 / 3 the floor is exceeded here."""
    update, h = stored_update((896, 896), rank_one((896, 896), 1e-4))
    sigma = np.linalg.svd(update, compute_uv=False)
    assert np.count_nonzero(sigma > storage_noise_floor(h / np.sqrt(3))) > 1
    assert np.count_nonzero(sigma > storage_noise_floor(h)) == 1


@pytest.mark.parametrize("shape", [(8, 8), (64, 64), (256, 128), (512, 512)])
def test_pure_rounding_noise_has_rank_zero(shape, record_property):
    worst = 0.0
    for seed in range(5):
        rng = np.random.default_rng(seed)
        h = half_ulp(bf16(rng.normal(0, 0.02, shape)), "bfloat16")
        noise = rng.uniform(-1, 1, shape) * h
        assert noise_floor_rank(noise, h) == 0
        worst = max(worst, np.linalg.norm(noise, 2) / storage_noise_floor(h))
    record_property(f"rounding_noise_norm_over_floor_{shape[0]}x{shape[1]}", float(worst))


def test_tiny_fp32_moves_of_fp32_weights_saved_in_bf16_have_rank_zero():
    rng = np.random.default_rng(3)
    w0 = rng.normal(0, 0.02, (128, 96)).astype(np.float32)
    w1 = w0 + rng.normal(0, 1e-6, w0.shape).astype(np.float32)  # far below the half-ULP
    b0, b1 = bf16(w0), bf16(w1)
    update = b1.astype(np.float64) - b0
    # seeded: 439 of the 12,288 entries (3.6%) flip across a rounding boundary
    assert np.count_nonzero(update) == 439
    h = np.hypot(half_ulp(b0, "bfloat16"), half_ulp(b1, "bfloat16"))  # both sides rounded
    assert noise_floor_rank(update, h) == 0


def test_a_dense_update_well_above_the_ulp_is_full_rank():
    shape = (256, 128)
    update, h = stored_update(shape, np.random.default_rng(5).normal(0, 1e-2, shape))
    assert noise_floor_rank_ratio(update, h) == 1.0 and rank_ratio(update) == 1.0


def test_noise_floor_known_answer_for_a_constant_half_ulp():
    h = np.full((9, 16), 0.5)
    expected = 0.5 * (4 + 3) + 0.5 * np.sqrt(2 * np.log(25))
    assert storage_noise_floor(h) == pytest.approx(expected)
    assert storage_noise_floor(np.zeros((0, 3))) == 0.0


@pytest.mark.parametrize(
    ("update", "h", "match"),
    [
        (np.zeros((3, 3)), np.zeros((3, 4)), "shape"),
        (np.zeros((3, 3)), -np.ones((3, 3)), "non-negative"),
        (np.zeros((3, 3)), np.zeros(9), "2-D"),
        (np.zeros(9), np.zeros(9), "2-D"),
    ],
)
def test_bad_noise_floor_input_raises_a_stats_input_error(update, h, match):
    with pytest.raises(StatsInputError, match=match):
        noise_floor_rank(update, h)


@pytest.mark.parametrize("shape", [(64, 96), (256, 64), (896, 1216)])
@pytest.mark.parametrize("scale", [3e-5, 1e-4, 1e-3, 1e-2])
def test_knowing_which_entries_moved_keeps_a_rank_one_update_near_rank_one(shape, scale):
    from rlsparse_check.measures.precision import half_ulp

    rng = np.random.default_rng(1)
    base = bf16(rng.normal(0, 0.02, shape)).astype(np.float64)
    u = scale * np.outer(rng.normal(size=shape[0]), rng.normal(size=shape[1]))
    stored = bf16(base + u).astype(np.float64)
    update = stored - base
    assert noise_floor_rank(update, half_ulp(stored, "bfloat16"), update != 0) <= 2


@pytest.mark.parametrize("shape", [(64, 96), (256, 64)])
def test_a_dense_update_far_above_the_rounding_is_full_rank_above_the_floor(shape):
    from rlsparse_check.measures.precision import half_ulp

    rng = np.random.default_rng(2)
    base = bf16(rng.normal(0, 0.02, shape)).astype(np.float64)
    stored = bf16(base + rng.normal(0, 1e-3, shape)).astype(np.float64)
    update = stored - base
    h = half_ulp(stored, "bfloat16")
    assert noise_floor_rank_ratio(update, h, update != 0) == 1.0


# -- references for a stored update (C7, given checkpoints) ------------------------------------


def test_stored_rounds_to_the_storage_dtype_and_refuses_others():
    from rlsparse_check.measures.rank import stored

    assert stored([1.0 + 2.0**-9, 0.1], "bfloat16").tolist() == [1.0, 0.10009765625]
    assert stored([1.0 + 2.0**-12], "float16").tolist() == [1.0]
    with pytest.raises(StatsInputError, match="bfloat16, float16"):
        stored([1.0], "int8")


def test_planted_references_tell_full_rank_from_rank_one_only_above_rounding():
    from rlsparse_check.measures.rank import planted_references, stored

    rng = np.random.default_rng(3)
    w0 = stored(rng.normal(0, 0.02, (64, 64)), "bfloat16")
    large = stored(w0 + rng.normal(0, 30 * 2.0**-13, w0.shape), "bfloat16")
    full, one = planted_references(w0, large, "bfloat16", seed=1)
    assert 0.9 < full < 1.0 and one == pytest.approx(1 / 64)
    small = stored(w0 + rng.normal(0, 0.3 * 2.0**-13, w0.shape), "bfloat16")
    full, one = planted_references(w0, small, "bfloat16", seed=1)
    assert full - one < 0.05
    assert planted_references(w0, large, "bfloat16", seed=1) == planted_references(
        w0, large, "bfloat16", seed=1
    )


def test_planted_references_hand_their_stored_draws_to_the_ratio_given():
    from rlsparse_check.measures.rank import planted_references, stored, stored_rank_ratio

    rng = np.random.default_rng(5)
    w0 = stored(rng.normal(0, 0.02, (32, 48)), "bfloat16")
    w1 = stored(w0 + rng.normal(0, 10 * 2.0**-13, w0.shape), "bfloat16")
    seen = []

    def ratio(base, tuned, dtype, rounded_base):
        seen.append((base, tuned, dtype, rounded_base))
        return float(len(seen))

    assert planted_references(w0, w1, "bfloat16", rounded_base=True, seed=2, ratio=ratio) == (1, 2)
    assert all(np.array_equal(b, w0) and (d, r) == ("bfloat16", True) for b, _, d, r in seen)
    assert all(np.array_equal(t, stored(t, "bfloat16")) for _, t, _, _ in seen)  # stored alike
    measured = tuple(stored_rank_ratio(w0, t, "bfloat16", True) for _, t, _, _ in seen)
    assert measured == planted_references(w0, w1, "bfloat16", rounded_base=True, seed=2)


def test_choose_matrices_keeps_updated_2d_weights_evenly_and_lists_the_too_large():
    from types import SimpleNamespace

    from rlsparse_check.measures.rank_checkpoint import choose_matrices

    def t(shape, changed=1):
        return SimpleNamespace(shape=shape, changed=changed, numel=int(np.prod(shape)))

    tensors = {f"w{i:02d}": t((4, 4)) for i in range(10)}
    tensors |= {"norm": t((4,)), "still": t((4, 4), 0), "big": t((100, 100))}
    chosen, too_large = choose_matrices(tensors, 5, 1000)
    assert chosen == ["w00", "w02", "w04", "w06", "w08"] and too_large == ["big"]
