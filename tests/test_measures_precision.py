"""Tests of rlsparse_check.measures.precision: half-ULPs (normal, subnormal and zero values, three
formats), the half-ULP rule against observed bf16 changes with its kappa, and the regime profile
of a planted checkpoint."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.checkpoints import decode_bf16, encode_bf16, write_safetensors
from rlsparse_check.errors import StatsInputError
from rlsparse_check.measures.precision import (
    half_ulp,
    half_ulp_agreement,
    half_ulp_bf16,
    regime_profile,
)


def test_half_ulp_of_bf16_known_values():
    values = np.array([1.0, -1.5, 0.02, 2.0**-126, 0.0, 2.0**-130, -(2.0**-133)])
    expected = [2.0**-8, 2.0**-8, 2.0**-14, 2.0**-134, 2.0**-134, 2.0**-134, 2.0**-134]
    assert half_ulp_bf16(values).tolist() == expected


@pytest.mark.parametrize(
    ("dtype", "one", "zero"),
    [
        ("bfloat16", 2.0**-8, 2.0**-134),
        ("float16", 2.0**-11, 2.0**-25),
        ("float32", 2.0**-24, 2.0**-150),
    ],
)
def test_half_ulp_at_one_and_at_zero_in_each_format(dtype, one, zero):
    assert half_ulp([1.0, 1.999, 0.0], dtype).tolist() == [one, one, zero]


def test_half_ulp_matches_round_to_nearest_in_bf16():
    """A move just below the half-ULP keeps the stored value, just above it changes it
    (values inside a binade, not at a power of two, where the spacing below halves)."""
    rng = np.random.default_rng(0)
    w = decode_bf16(encode_bf16(rng.uniform(0.3, 0.45, 500).astype(np.float32))).astype(np.float64)
    w = np.r_[w, [0.0, 2.0**-131]]  # zero and a subnormal: rounding to the subnormal grid
    h = half_ulp_bf16(w)
    below = decode_bf16(encode_bf16((w + 0.9 * h).astype(np.float32)))
    above = decode_bf16(encode_bf16((w + 1.1 * h).astype(np.float32)))
    assert np.array_equal(below, w.astype(np.float32)) and np.all(above != w.astype(np.float32))


def test_half_ulp_of_non_finite_values_is_nan_and_unknown_formats_are_rejected():
    assert np.isnan(half_ulp([np.inf, np.nan], "bfloat16")).all()
    with pytest.raises(StatsInputError, match="bfloat16"):
        half_ulp([1.0], "float8")


def write(folder, tensors, dtype):
    folder.mkdir(parents=True, exist_ok=True)
    write_safetensors(folder / "model.safetensors", tensors, dtype=dtype)
    return folder


def test_the_half_ulp_rule_predicts_which_bf16_entries_stay_unchanged(tmp_path):
    base = decode_bf16(encode_bf16(np.linspace(0.5, 0.9, 64, dtype=np.float32)))
    step = np.where(np.arange(64) % 2 == 0, 1e-4, 1e-2).astype(np.float32)  # ulp/2 ~ 2e-3
    tuned = base + step
    pairs = (("b32", base, "float32"), ("t32", tuned, "float32"))
    pairs += (("b16", base, "bfloat16"), ("t16", tuned, "bfloat16"))
    paths = [write(tmp_path / n, {"w": x}, d) for n, x, d in pairs]
    result = half_ulp_agreement(*paths)
    assert result["agreement"] == 1.0 and result["exact_rule_agreement"] == 1.0
    assert result["bf16_sparsity"] == 0.5 and result["predicted_sparsity"] == 0.5
    assert (result["both_unchanged"], result["both_changed"]) == (32, 32)
    assert result["kappa"] == 1.0 and result["chance_agreement"] == 0.5


def test_a_rule_that_only_matches_the_base_rate_has_kappa_zero(tmp_path):
    """Moves below the half-ULP everywhere: the rule says 'unchanged' for every entry; when 90%
    are unchanged its agreement is 90% but it predicts nothing beyond the base rate."""
    base = decode_bf16(encode_bf16(np.linspace(0.5, 0.9, 100, dtype=np.float32)))
    tuned32 = base + np.float32(1e-5)
    tuned16 = encode_bf16(base)
    tuned16[:10] ^= 1  # the bf16 save changed 10% of entries anyway
    pairs = (("b32", base, "float32"), ("t32", tuned32, "float32"), ("b16", base, "bfloat16"))
    paths = [write(tmp_path / n, {"w": x}, d) for n, x, d in pairs]
    paths.append(write(tmp_path / "t16", {"w": tuned16}, "bfloat16"))
    result = half_ulp_agreement(*paths)
    assert result["agreement"] == pytest.approx(0.9) and result["kappa"] == 0.0


# --- regime profile ---------------------------------------------------------------------------


def planted(tmp_path, dtype: str):
    """600 entries: 100 zeros, 200 of |w| = 2**-10, 300 of |w| = 0.5 (+- signs), known answers:
    bf16 half-ULPs 2**-134, 2**-18 and 2**-9."""
    values = np.r_[np.zeros(100), np.full(100, 2.0**-10), np.full(100, -(2.0**-10))]
    values = np.r_[values, np.full(300, 0.5) * np.where(np.arange(300) % 2, 1, -1)]
    tensors = {"a.weight": values[:250].reshape(10, 25), "b.weight": values[250:]}
    tensors = {k: v.astype(np.float32) for k, v in tensors.items()}
    return write_safetensors(tmp_path / f"{dtype}.safetensors", tensors, dtype=dtype)


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_regime_profile_of_a_planted_checkpoint(tmp_path, dtype):
    path = planted(tmp_path, dtype)
    rates = [1e-45, 1e-39, 2.0**-18, 1e-5, 1.0]  # "below the rate": 2**-18 itself does not count
    profile = regime_profile(path, rates, quantiles=(0.1, 0.2, 0.5, 0.9))
    assert profile["entries"] == 600 and profile["dtypes"] == {dtype: 600}
    assert profile["abs_w"] == [0.0, 2.0**-10, 2.0**-10, 0.5]
    assert profile["half_ulp"] == [2.0**-134, 2.0**-18, 2.0**-18, 2.0**-9]
    assert list(profile["flip_share"].values()) == [0.0, 1 / 6, 1 / 6, 0.5, 1.0]
    assert list(profile["flip_share"]) == [f"{r:g}" for r in rates]


def test_regime_profile_reads_float16_in_its_own_format(tmp_path):
    path = write_safetensors(
        tmp_path / "h.safetensors",
        {"w": np.array([1.0, 0.0, 2.0, 4.0], np.float32)},
        dtype="float16",
    )
    profile = regime_profile(path, [2.0**-10], quantiles=(0.25, 1.0))
    assert profile["half_ulp"] == [2.0**-25, 2.0**-9] and profile["abs_w"] == [0.0, 4.0]
    assert profile["flip_share"]["0.000976562"] == 0.5  # 0 and 1.0: half-ULPs 2**-25, 2**-11


@pytest.mark.parametrize(("rates", "quantiles"), [([], (0.5,)), ([-1.0], (0.5,)), ([1e-3], (1.5,))])
def test_regime_profile_rejects_bad_rates_and_quantiles(tmp_path, rates, quantiles):
    with pytest.raises(StatsInputError):
        regime_profile(planted(tmp_path, "bfloat16"), rates, quantiles=quantiles)


def test_regime_profile_of_a_checkpoint_without_floats_says_so(tmp_path):
    path = write_safetensors(tmp_path / "i.safetensors", {"n": np.arange(3)}, dtype="int64")
    with pytest.raises(StatsInputError, match="no finite floating-point"):
        regime_profile(path, [1e-3])


def test_half_ulp_counts_tally_entries_per_kind_and_overall(tmp_path):
    from rlsparse_check.measures.precision import half_ulp_counts

    tensors = {
        "model.layers.0.mlp.up_proj.weight": np.array([1.0, 1.5, 0.5], dtype=np.float32),
        "model.norm.weight": np.array([1.0, 1.0], dtype=np.float32),
    }
    counts = half_ulp_counts(write(tmp_path / "ck", tensors, "bfloat16"))
    h, n = counts["all"]
    assert list(h) == [2.0**-9, 2.0**-8] and list(n) == [1, 4]  # |w| 0.5 vs 1 and 1.5
    assert list(counts["norm"][1]) == [2] and int(counts["mlp"][1].sum()) == 3
