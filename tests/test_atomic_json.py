"""Atomic JSON writing: strict, sorted, and a reader sees the old file or the new one."""

from __future__ import annotations

import json
import os

import pytest

from rlsparse_check.atomic import write_json, write_text


def test_json_is_written_sorted_and_readable(tmp_path):
    import numpy as np

    path = write_json(tmp_path / "report.json", {"b": np.int64(1), "a": [np.float32(1.5)]})
    assert json.loads(path.read_text()) == {"a": [1.5], "b": 1}
    assert path.read_text().index('"a"') < path.read_text().index('"b"')


def test_unserialisable_data_leaves_no_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    with pytest.raises(ValueError):
        write_json(path, {"x": float("nan")})
    with pytest.raises(TypeError):
        write_json(path, {"x": object()})
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_failure_while_replacing_leaves_no_temporary_file(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_text(tmp_path / "report.html", "<html></html>")
    assert list(tmp_path.iterdir()) == []
