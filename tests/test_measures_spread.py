"""C8's measures: block densities, and norms against non-norm entries of matched |w|."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.checkpoints import open_checkpoint, write_safetensors
from rlsparse_check.masks import NO_LAYER, MaskSet
from rlsparse_check.measures.spread import binade, block_densities, norms_against_matched

NAMES = ("model.layers.0.input_layernorm.weight", "model.layers.0.mlp.up_proj.weight")


def test_block_densities_leave_out_tensors_outside_numbered_blocks():
    by_layer = {
        "0": {"numel": 10, "changed": 2},
        "1": {"numel": 10, "changed": 5},
        NO_LAYER: {"numel": 10, "changed": 10},
    }
    assert block_densities(by_layer) == {"0": 0.2, "1": 0.5}


def test_values_of_one_binade_share_a_code():
    codes = binade(np.array([1.0, 1.5, 1.99, 2.0, -1.2, 0.75], np.float32))
    assert codes[0] == codes[1] == codes[2] == codes[4] and codes[3] != codes[0] != codes[5]


def checkpoint(tmp_path, rng):
    norm = np.ones(256, np.float32) + rng.uniform(0, 0.5, 256).astype(np.float32)
    mlp = rng.normal(0, 0.05, (64, 32)).astype(np.float32)
    mlp[:16] = rng.uniform(1.0, 1.5, (16, 32))  # non-norm entries of the norms' magnitude
    path = tmp_path / "base.safetensors"
    write_safetensors(path, {NAMES[0]: norm, NAMES[1]: mlp}, dtype="bfloat16")
    return path, mlp


def test_norms_spared_while_matched_entries_change_are_significant(tmp_path):
    rng = np.random.default_rng(0)
    path, mlp = checkpoint(tmp_path, rng)
    changed = rng.random(mlp.shape) < 0.3
    masks = MaskSet.from_dense({NAMES[0]: np.zeros(256, bool), NAMES[1]: changed})
    with open_checkpoint(path) as base:
        found = norms_against_matched(base, masks)
    assert found["norm_fraction"] == 0.0 and found["entries"] == 16 * 32
    assert found["expected_fraction"] == pytest.approx(changed[:16].mean())
    assert found["p"] < 1e-10


def test_norms_spared_like_matched_entries_are_not_significant(tmp_path):
    rng = np.random.default_rng(1)
    path, mlp = checkpoint(tmp_path, rng)
    changed = np.zeros(mlp.shape, bool)
    changed[16:] = rng.random((48, 32)) < 0.3  # only the small weights move
    masks = MaskSet.from_dense({NAMES[0]: np.zeros(256, bool), NAMES[1]: changed})
    with open_checkpoint(path) as base:
        found = norms_against_matched(base, masks)
    assert found["expected_fraction"] == 0.0 and found["p"] == pytest.approx(1.0)


def test_without_matched_entries_there_is_no_test(tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "base.safetensors"
    write_safetensors(
        path,
        {
            NAMES[0]: np.ones(8, np.float32),
            NAMES[1]: rng.normal(0, 0.01, (4, 4)).astype(np.float32),
        },
        dtype="bfloat16",
    )
    masks = MaskSet.from_dense({NAMES[0]: np.zeros(8, bool), NAMES[1]: np.ones((4, 4), bool)})
    with open_checkpoint(path) as base:
        found = norms_against_matched(base, masks)
    assert found["entries"] == 0 and found["p"] is None


def test_the_fp32_master_shows_norm_entries_moved_below_half_an_ulp(tmp_path):
    from rlsparse_check.measures.spread import norm_evidence, norm_movement

    rng = np.random.default_rng(3)
    norm = (1 + rng.uniform(0, 0.5, 256)).astype(np.float32)  # half-ULP 2**-8 in [1, 2)
    mlp = rng.normal(0, 0.05, (8, 8)).astype(np.float32)
    moved = norm.copy()
    moved[:192] += np.float32(1e-4)  # 192 entries move, far below 2**-8
    moved[192:200] += np.float32(0.01)  # 8 move past it
    paths = {}
    for key, values, dtype in (("b32", norm, "float32"), ("t32", moved, "float32"),
                               ("b16", norm, "bfloat16")):  # fmt: skip
        paths[key] = tmp_path / f"{key}.safetensors"
        write_safetensors(paths[key], {NAMES[0]: values, NAMES[1]: mlp}, dtype=dtype)
    found = norm_movement(paths["b32"], paths["t32"], paths["b16"])
    assert found["entries"] == 256 and found["moved"] == 200
    assert found["moved_below_half_ulp"] == 192
    assert found["max_movement_in_half_ulps"] == pytest.approx(0.01 / 2**-8, rel=0.05)

    class Twin:
        base, tuned = paths["b32"], paths["t32"]

    masks = MaskSet.from_dense({NAMES[0]: np.zeros(256, bool), NAMES[1]: np.zeros((8, 8), bool)})
    evidence = norm_evidence(paths["b16"], masks, Twin())
    assert evidence["fp32_master"]["moved"] == 200 and "fp32 master" in evidence["phrase"]
