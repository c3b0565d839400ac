"""Claim results ride on test reports: attach on the item, read back from the report."""

from __future__ import annotations

from types import SimpleNamespace

from rlsparse_check.plugin.transport import attach, claim_id_of_nodeid, results_of
from rlsparse_check.results import ClaimResult


def test_claim_ids_come_from_claim_module_names():
    assert claim_id_of_nodeid("claims/test_c3_overlap.py::test_x[a-b]") == "C3"
    assert claim_id_of_nodeid("claims/test_c10_more.py::t") == "C10"
    assert claim_id_of_nodeid("tests/test_diff.py::test_c1_like") is None


def test_an_attached_result_is_read_back_from_the_report_unchanged():
    node = SimpleNamespace(user_properties=[("other", "x")])
    result = ClaimResult(
        id="C1",
        title="t",
        case="grpo",
        verdict="reproduced",
        reason="r",
        measured={"key": "sparsity", "sparsity": 0.8},
    )
    attach(node, result)
    assert results_of(node) == [result.to_json()]
