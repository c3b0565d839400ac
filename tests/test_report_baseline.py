"""Stored reports read back: a damaged or missing file is named with what to do."""

from __future__ import annotations

import json

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.report.baseline import load_baseline, load_report


@pytest.mark.parametrize(
    "content, expected",
    [(None, "no such file"), ("[1", "not a readable"), (json.dumps({"schema": 2}), "schema-1")],
)
def test_a_bad_baseline_file_is_named(tmp_path, content, expected):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(OptionError, match=expected) as info:
        load_baseline(path)
    assert str(path) in str(info.value)


def test_a_report_with_a_claim_without_an_id_is_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"schema": 1, "claims": [{"verdict": "reproduced"}]}))
    with pytest.raises(OptionError, match="no string 'id'"):
        load_report(path, "--compare")
