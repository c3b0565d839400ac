"""Drift from a stored baseline report."""

from __future__ import annotations

import json

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.report.baseline import compare, load_baseline


def claim(claim_id="C1", verdict="reproduced", value=0.8, key="sparsity"):
    return {"id": claim_id, "verdict": verdict, "measured": {"key": key, key: value}}


def base(*claims):
    return {"schema": 1, "claims": list(claims)}


def test_an_unchanged_run_does_not_drift():
    assert compare([claim()], base(claim()), 0.05) == []


def test_fractions_drift_in_absolute_points():
    (drift,) = compare([claim(value=0.86)], base(claim(value=0.80)), 0.05)
    assert drift.is_failure and "sparsity moved from 0.8 to 0.86" in drift.message
    assert compare([claim(value=0.84)], base(claim(value=0.80)), 0.05) == []


def test_large_figures_drift_relative_to_the_baseline():
    assert compare([claim(value=10.4, key="ratio")], base(claim(value=10.0, key="ratio")),
                   0.05) == []
    assert compare([claim(value=10.6, key="ratio")], base(claim(value=10.0, key="ratio")), 0.05)


def test_a_changed_verdict_drifts_even_with_the_same_figure():
    (drift,) = compare([claim(verdict="inconclusive")], base(claim()), 0.05)
    assert "verdict changed from reproduced to inconclusive" in drift.message


def test_a_claim_not_run_now_is_a_note_not_a_failure():
    (drift,) = compare([], base(claim("C3")), 0.05)
    assert not drift.is_failure and "C3" in drift.message


@pytest.mark.parametrize("content, expected", [(None, "no such file"), ("[1", "not a readable"),
                                               (json.dumps({"schema": 2}), "schema-1")])
def test_a_bad_baseline_file_is_named(tmp_path, content, expected):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(OptionError, match=expected) as info:
        load_baseline(path)
    assert str(path) in str(info.value)
