"""The checkpoint seam: case labels at collection time, fingerprints, the planted family."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.checkpoints import CheckpointCase, case_labels, fingerprint, group_names
from fixtures.planted_family import write_planted_family
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


def test_fingerprints_tell_checkpoints_apart_and_are_stable(tmp_path):
    family = write_planted_family(tmp_path, [0.1, 0.3], seed=2)
    assert fingerprint(family.tuned[0]) == fingerprint(family.tuned[0])
    assert fingerprint(family.tuned[0]) != fingerprint(family.tuned[1])
    record = CheckpointCase("t1", family.base, family.tuned[0], {"source": "given"}).run_record()
    assert record["source"] == "given" and len(record["tuned_hash"]) == 16
