"""The one comparison of two runs: changes per claim, and drift from a stored baseline."""

from __future__ import annotations

from rlsparse_check.report.compare import changes, compare


def claim(claim_id="C1", verdict="reproduced", value=0.8, key="sparsity"):
    return {"id": claim_id, "verdict": verdict, "measured": {"key": key, key: value}}


def base(*claims):
    return {"schema": 1, "claims": list(claims)}


def test_an_unchanged_run_does_not_drift():
    assert compare([claim()], base(claim()), 0.05) == []


def test_fractions_drift_in_absolute_points():
    (drift,) = compare([claim(value=0.86)], base(claim(value=0.80)), 0.05)
    assert (
        drift.is_failure
        and "sparsity moved from 80.0% to 86.0% (tolerance 5.0 pp)" in drift.message
    )
    assert compare([claim(value=0.84)], base(claim(value=0.80)), 0.05) == []


def test_large_figures_drift_relative_to_the_baseline():
    assert (
        compare([claim(value=10.4, key="ratio")], base(claim(value=10.0, key="ratio")), 0.05) == []
    )
    assert compare([claim(value=10.6, key="ratio")], base(claim(value=10.0, key="ratio")), 0.05)


def test_a_changed_verdict_drifts_even_with_the_same_figure():
    (drift,) = compare([claim(verdict="inconclusive")], base(claim()), 0.05)
    assert "verdict changed from reproduced to inconclusive" in drift.message


def test_a_claim_not_run_now_is_a_note_not_a_failure():
    (drift,) = compare([], base(claim("C3")), 0.05)
    assert not drift.is_failure and "C3" in drift.message


def test_changes_list_every_claim_of_either_run_in_claim_order():
    rows = changes(
        [claim("C10"), claim("C2", value=0.5)], [claim("C2", value=0.7), claim("C3")], 0.05
    )
    assert [r.claim_id for r in rows] == ["C2", "C3", "C10"]
    moved, new, gone = rows
    assert moved.figure_moved and moved.figure_name == "sparsity" and moved.changed
    assert new.before is None and new.changed and not new.verdict_changed
    assert gone.after is None and gone.changed


def test_a_renamed_key_figure_is_not_compared():
    (row,) = changes([claim(key="a")], [claim(key="b", value=0.1)], 0.05)
    assert row.figure_name is None and not row.figure_moved


def test_the_drift_check_reads_the_same_changes():
    before = [claim("C1"), claim("C2", value=0.5), claim("C3")]
    after = [claim("C1", verdict="inconclusive"), claim("C2", value=0.9)]
    rows = changes(before, after, 0.05)
    drifts = compare(after, base(*before), 0.05)
    assert [d.claim_id for d in drifts] == ["C1", "C2", "C3"]
    assert [d.is_failure for d in drifts] == [True, True, False]
    assert {r.claim_id for r in rows if r.changed} == {d.claim_id for d in drifts}
