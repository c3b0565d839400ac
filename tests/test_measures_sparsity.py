"""C1's evidence (measures/sparsity.py) on a planted bf16 pair of known sparsity per tolerance."""

from __future__ import annotations

import pytest

from fixtures.planted_updates import write_small_weight_pair
from rlsparse_check.cases import CheckpointCase, DiffCache
from rlsparse_check.measures.sparsity import sparsity_evidence


def test_the_deciding_tolerance_and_the_reported_ones_come_from_one_table(tmp_path):
    pair = write_small_weight_pair(tmp_path, changed_1e5=0.2, small_moved=0.2)
    case = CheckpointCase("t1", pair.base, pair.tuned[0])
    ev = sparsity_evidence([case], DiffCache(), 1e-5)
    assert set(ev.by_tolerance) == {"0", "1e-08", "1e-05"}
    assert ev.values == [pytest.approx(0.8, abs=1e-3)] and ev.atol == 1e-5
    assert ev.mean_at(0.0) == pytest.approx(0.6, abs=1e-3)
    assert ev.mean_at(1e-8) == ev.mean_at(0.0)  # the one-ULP moves are all above 1e-8
    other = sparsity_evidence([case], DiffCache(), 1e-3)
    assert set(other.by_tolerance) == {"0", "1e-08", "1e-05", "0.001"}
    assert other.values[0] >= ev.values[0]
    assert ev.patch[0]["run"] == "t1" and 0 < ev.patch[0]["patch_share"] < 1
