"""Tests of rlsparse_check.cache_root: one cache root, read alike by the run cache and by GGUF
conversion."""

from __future__ import annotations

from pathlib import Path

from rlsparse_check.cache_root import default_root
from rlsparse_check.gguf_model import converted_root
from rlsparse_check.recipes.cache import RunCache


def test_the_root_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("RLSPARSE_CACHE", str(tmp_path / "c"))
    assert default_root() == tmp_path / "c"


def test_without_the_variable_the_root_is_under_the_home_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("RLSPARSE_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_root() == tmp_path / "home" / ".cache" / "rlsparse-check"
    monkeypatch.setenv("RLSPARSE_CACHE", "")  # empty is unset
    assert default_root() == Path.home() / ".cache" / "rlsparse-check"


def test_a_user_folder_in_the_variable_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RLSPARSE_CACHE", "~/runs")
    assert default_root() == tmp_path / "home" / "runs"


def test_converted_models_and_runs_share_the_root(tmp_path, monkeypatch):
    for value in (str(tmp_path / "c"), "~/elsewhere"):
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        monkeypatch.setenv("RLSPARSE_CACHE", value)
        assert converted_root() == RunCache().root / "models" == default_root() / "models"
