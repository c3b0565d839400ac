"""C4's measures: update distances, changes outside a mask, the random-mask control."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.checkpoints import write_safetensors
from rlsparse_check.masks import MaskSet
from rlsparse_check.measures.recovery import outside_mask_changes, random_like, update_distance


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


class _Diffs:
    """The one thing :func:`recovery` reads of a DiffCache: a run's bitwise update masks."""

    def bitwise(self, case):
        from types import SimpleNamespace

        from rlsparse_check.checkpoints import open_checkpoint

        with open_checkpoint(case.base) as b, open_checkpoint(case.tuned) as t:
            dense = {n: b.raw(n) != t.raw(n) for n in b.names}
        return SimpleNamespace(masks=MaskSet.from_dense(dense))


def test_the_eval_margin_is_a_share_of_the_full_runs_gain_and_the_control_is_paired(tmp_path):
    from rlsparse_check.cases import CheckpointCase
    from rlsparse_check.measures.recovery import recovery

    base = write(tmp_path / "base", {"w": np.zeros(6, np.float32)}, "float32")
    inside = np.array([1, 1, 1, 0, 0, 0], bool)
    mask = MaskSet.from_dense({"w": inside}).save(tmp_path / "m.npz")
    gains, afters = [0.04, 0.05, 0.06], {"full": [0.60, 0.62, 0.61], "rl_mask": [0.60, 0.63, 0.61],
                                         "random_mask": [0.58, 0.60, 0.59]}  # fmt: skip
    runs = {arm: [] for arm in afters}
    for seed in range(3):
        for arm in afters:
            w = np.where(inside, 1.0 + seed, 0.0).astype(np.float32)
            folder = write(tmp_path / f"{arm}{seed}", {"w": w}, "float32")
            meta = {"gain": {"after": afters[arm][seed], "gain": gains[seed]},
                    "record": {"mask": {"path": str(mask)}}}  # fmt: skip
            runs[arm].append(CheckpointCase(f"{arm}{seed}", base, folder, meta))
    r = recovery(runs, _Diffs(), 0.1, 0.25, 0.05)
    assert r.margin == pytest.approx(0.25 * 0.05)  # a quarter of the mean full gain
    assert r.control.diff == pytest.approx(-0.02) and r.control.margin == pytest.approx(-0.0125)
    assert r.tost["rl_mask"].effect == pytest.approx(0.01 / 3)
    assert r.leaks == {"rl_mask": [0, 0, 0], "random_mask": [0, 0, 0]}
    assert r.distance["rl_mask"] == [0.0, 0.0, 0.0]
    assert r.figures(r.closer, 0.05)["eval_margin"] == pytest.approx(0.0125)
