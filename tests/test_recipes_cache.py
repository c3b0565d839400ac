"""Tests of the content-addressed run cache (no training: builds are small fake folders)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from rlsparse_check.recipes.cache import RunCache, cache_key, verify_manifest


def _writer(text: str, calls: list[int] | None = None):
    def build(folder: Path) -> None:
        if calls is not None:
            calls.append(1)
        (folder / "model.safetensors").write_text(text)
        (folder / "run.json").write_text("{}")

    return build


def test_cache_key_ignores_dict_order_and_changes_with_any_field():
    assert cache_key({"a": 1, "b": [2, 3]}) == cache_key({"b": [2, 3], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})
    assert len(cache_key({})) == 64


def test_a_miss_builds_and_a_second_call_hits(tmp_path):
    cache, calls = RunCache(tmp_path), []
    first, hit1 = cache.get_or_build("k", _writer("w", calls))
    second, hit2 = cache.get_or_build("k", _writer("other", calls))
    assert (hit1, hit2, len(calls)) == (False, True, 1)
    assert first == second and (second / "model.safetensors").read_text() == "w"
    assert verify_manifest(second)


@pytest.mark.parametrize("damage", ["delete", "modify", "manifest"])
def test_a_corrupt_entry_is_detected_and_rebuilt(tmp_path, damage):
    cache, calls = RunCache(tmp_path), []
    folder, _ = cache.get_or_build("k", _writer("w", calls))
    target = folder / ("MANIFEST.json" if damage == "manifest" else "model.safetensors")
    if damage == "delete":
        target.unlink()
    else:
        target.write_text("garbage")
    assert cache.get("k") is None
    rebuilt, hit = cache.get_or_build("k", _writer("w", calls))
    assert not hit and len(calls) == 2 and verify_manifest(rebuilt)


def test_a_failing_build_leaves_no_entry_and_no_temp_folder(tmp_path):
    cache = RunCache(tmp_path)

    def broken(folder: Path) -> None:
        (folder / "model.safetensors").write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        cache.get_or_build("k", broken)
    assert cache.get("k") is None
    assert not (tmp_path / "entries" / "k").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_concurrent_builders_build_once_and_all_see_the_complete_entry(tmp_path):
    cache, calls, seen = RunCache(tmp_path), [], []

    def worker() -> None:
        folder, _ = RunCache(tmp_path).get_or_build("k", _writer("w", calls))
        seen.append((folder / "model.safetensors").read_text())

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and seen == ["w"] * 6
    assert cache.get("k") == cache.path("k") == tmp_path / "entries" / "k"


def test_default_root_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RLSPARSE_CACHE", str(tmp_path / "c"))
    assert RunCache().root == tmp_path / "c"


def test_put_replaces_an_entry_with_a_verified_copy_of_another_caches_entry(tmp_path):
    fresh, usual = RunCache(tmp_path / "fresh"), RunCache(tmp_path / "usual")
    usual.get_or_build("k", _writer("stale"))
    source, _ = fresh.get_or_build("k", _writer("fresh"))
    entry = usual.put("k", source)
    assert entry == usual.path("k") and usual.get("k") == entry
    assert (entry / "model.safetensors").read_text() == "fresh"
    assert (source / "model.safetensors").read_text() == "fresh"  # the source is left alone
    assert list((tmp_path / "usual" / "tmp").iterdir()) == []
