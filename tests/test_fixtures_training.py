"""The pure parts of the training-mode fixtures: run labels, learning tests, random masks,
update distances and thread pinning (no training here)."""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.experiments import lr_label, variant_fields, variant_labels
from fixtures.learning import gain_over_seeds, mcnemar_greater, run_gain
from fixtures.random_masks import random_like
from fixtures.recovery import outside_mask_changes, update_distance
from fixtures.training import case_label, primary_algo, replicate_labels
from rlsparse_check.checkpoints import write_safetensors
from rlsparse_check.masks import MaskSet
from rlsparse_check.report.options import Settings


def test_run_labels_name_algorithm_variant_and_seed():
    assert case_label("grpo", 0) == "grpo-seed0"
    assert case_label("grpo", 2, "kl0.05") == "grpo-kl0.05-seed2"
    assert lr_label(2e-6) == "lr2e-06"


def test_the_primary_algorithm_is_the_first_online_one():
    assert primary_algo(Settings()) == "grpo"
    assert primary_algo(Settings(algos=("dpo", "rloo"))) == "rloo"
    assert primary_algo(Settings(algos=("dpo",))) == "grpo"


def test_c1_subjects_are_algorithms_in_training_mode():
    assert replicate_labels(Settings(algos=("grpo", "dpo"))) == ["grpo", "dpo"]
    assert replicate_labels(Settings(seeds=3)) == ["grpo", "rloo", "dpo"]


def test_c5_varies_kl_to_zero_and_two_positive_values_clipping_and_policy():
    assert variant_labels(Settings()) == ["kl0.05", "kl0.2", "noclip", "offpolicy2"]
    rloo = variant_fields("rloo", 0.05)
    assert {k: v for k, v in rloo.items() if k.startswith("kl")} == {
        "kl0": {"beta": 0.0},
        "kl0.2": {"beta": 0.2},
    }
    assert variant_fields("dpo", 0.1) == {"noclip": {"max_grad_norm": None}}


def test_mcnemar_counts_discordant_problems_one_sided():
    p, gained, lost = mcnemar_greater([0, 0, 0, 1, 1], [1, 1, 1, 1, 0])
    assert (gained, lost) == (3, 1)
    assert p == pytest.approx(5 / 16)
    assert mcnemar_greater([1, 0], [1, 0]) == (1.0, 0, 0)
    with pytest.raises(ValueError):
        mcnemar_greater([1], [1, 0])


def test_run_gain_reads_the_run_record():
    evaluation = {
        "before": {"reward": 0.0, "n": 10, "rewards": [0.0] * 10},
        "after": {"reward": 1.0, "n": 10, "rewards": [1.0] * 10},
        "gain": 1.0,
    }
    gain = run_gain(evaluation, alpha=0.05)
    assert gain["significant"] and gain["p"] == pytest.approx(0.5**10)
    assert gain["solved_only_after"] == 10 and gain["gain"] == 1.0


def test_gain_over_seeds_is_significant_for_consistent_gains_and_undefined_for_one_seed():
    assert gain_over_seeds([0.2, 0.21, 0.19])["p"] < 0.01
    assert gain_over_seeds([0.2, -0.2, 0.01])["p"] > 0.3
    assert gain_over_seeds([0.2])["p"] is None


def test_random_masks_keep_every_tensors_count_and_depend_on_the_seed():
    rng = np.random.default_rng(0)
    masks = MaskSet.from_dense({"a": rng.random((8, 16)) < 0.3, "b": rng.random(40) < 0.7})
    one, again, other = random_like(masks, 1), random_like(masks, 1), random_like(masks, 2)
    for name in masks.names:
        assert one.count(name) == masks.count(name) and one.shape(name) == masks.shape(name)
        assert np.array_equal(one.dense(name), again.dense(name))
    assert not np.array_equal(one.dense("a"), other.dense("a"))


def write(folder, tensors, dtype):
    folder.mkdir(parents=True, exist_ok=True)
    write_safetensors(folder / "model.safetensors", tensors, dtype=dtype)
    return folder


def test_update_distance_of_an_identical_run_is_zero_and_of_half_the_update_is_a_half(tmp_path):
    base = np.zeros((4, 4), np.float32)
    full = np.ones((4, 4), np.float32)
    half = np.full((4, 4), 0.5, np.float32)
    b, f, h = (
        write(tmp_path / n, {"w": x}, "float32") for n, x in (("b", base), ("f", full), ("h", half))
    )
    same = update_distance(b, f, f)
    assert same["relative_l2"] == 0.0 and same["equal_bitwise"] == 1.0
    other = update_distance(b, f, h)
    assert other["relative_l2"] == pytest.approx(0.5) and other["equal_bitwise"] == 0.0


def test_changes_outside_a_mask_are_counted(tmp_path):
    inside = np.zeros((2, 3), bool)
    inside[0] = True
    mask_path = MaskSet.from_dense({"w": inside}).save(tmp_path / "m.npz")
    changed = np.zeros((2, 3), bool)
    changed[0, 0] = changed[1, 2] = True
    assert outside_mask_changes(MaskSet.from_dense({"w": changed}), mask_path) == 1
    assert outside_mask_changes(MaskSet.from_dense({"w": inside}), mask_path) == 0


def test_thread_pinning_limits_torch_and_every_native_pool_to_one_thread():
    import torch
    from threadpoolctl import threadpool_info, threadpool_limits

    from fixtures.threads import pin_threads

    before = torch.get_num_threads()
    with threadpool_limits():  # restores the native pools afterwards
        try:
            done = pin_threads(1)
            assert torch.get_num_threads() == 1
            assert done and all(":" in entry for entry in done)
            assert {pool["num_threads"] for pool in threadpool_info()} == {1}
        finally:
            torch.set_num_threads(before)
