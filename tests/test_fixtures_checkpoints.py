"""The checkpoint seam: case labels at collection time, content hashes, the planted family."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.checkpoints import case_labels, group_names
from fixtures.planted_family import write_planted_family
from rlsparse_check.cases import CheckpointCase, content_hash
from rlsparse_check.diff import diff_checkpoints
from rlsparse_check.plugin.options import Settings


def test_checkpoint_mode_labels_number_the_given_tuned_checkpoints():
    s = Settings(base=Path("/b"), tuned=(Path("/x/run-a"), Path("/y/run-a")))
    assert case_labels(s) == ["t1-run-a", "t2-run-a"]
    assert group_names(s) == ["given"]


def test_training_mode_labels_are_algorithm_and_seed():
    s = Settings(algos=("grpo", "dpo"), seeds=2)
    assert case_labels(s) == ["grpo-seed0", "grpo-seed1", "dpo-seed0", "dpo-seed1"]
    assert group_names(s) == ["seed", "data", "algo"]


def test_planted_family_has_the_sparsity_it_promises(tmp_path):
    family = write_planted_family(tmp_path, [0.1, 0.3], seed=1)
    for i, tuned in enumerate(family.tuned):
        diff = diff_checkpoints(family.base, tuned)
        assert diff.changed == family.changed(i)
        assert diff.sparsity == pytest.approx(family.sparsity(i), abs=1e-12)
        assert all(t.changed == 0 for n, t in diff.tensors.items() if "norm" in n)


def test_content_hashes_tell_checkpoints_apart_and_match_the_run_records(tmp_path):
    from rlsparse_check.recipes.store import weights_sha256

    family = write_planted_family(tmp_path, [0.1, 0.3], seed=2)
    assert content_hash(family.tuned[0]) == weights_sha256(family.tuned[0])
    assert content_hash(family.tuned[0]) != content_hash(family.tuned[1])
    single = family.tuned[0] / "model.safetensors"
    assert content_hash(single) != content_hash(family.tuned[1]) and len(content_hash(single)) == 64
    record = CheckpointCase("t1", family.base, family.tuned[0], {"source": "given"}).run_record()
    assert record["source"] == "given" and record["tuned_hash"] == weights_sha256(family.tuned[0])
