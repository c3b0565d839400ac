"""Checkpoint hashes: read from what a folder records where it records them, equal to reading."""

from __future__ import annotations

import hashlib
import shutil

from rlsparse_check import hashes
from rlsparse_check.recipes import store
from rlsparse_check.recipes.base import DATA
from rlsparse_check.recipes.cache import RunCache


def _count(monkeypatch) -> list[str]:
    read: list[str] = []
    original = hashes.sha256_file

    def counted(path, *args, **kwargs):
        read.append(path.name)
        return original(path, *args, **kwargs)

    monkeypatch.setattr(hashes, "sha256_file", counted)  # store hashes through it
    return read


def test_a_cache_entry_and_a_shipped_base_are_hashed_from_their_records(tmp_path, monkeypatch):
    cache = RunCache(tmp_path / "cache")

    def build(folder):
        (folder / "model.safetensors").write_bytes(b"weights")
        (folder / "extra.safetensors").write_bytes(b"more")

    entry, _ = cache.get_or_build("k", build)
    shipped = DATA / "tiny-qwen2"
    expected = [store.weights_sha256(entry), store.weights_sha256(shipped)]
    read = _count(monkeypatch)
    assert [
        store.recorded_weights_sha256(entry),
        store.recorded_weights_sha256(shipped),
    ] == expected
    assert read == []


def test_a_hub_snapshot_is_hashed_from_its_blob_names(tmp_path, monkeypatch):
    data = b"hub weights"
    blob = tmp_path / "blobs" / hashlib.sha256(data).hexdigest()
    blob.parent.mkdir()
    blob.write_bytes(data)
    snapshot = tmp_path / "snapshot"
    snapshot.mkdir()
    (snapshot / "model.safetensors").symlink_to(blob)
    expected = store.weights_sha256(snapshot)
    read = _count(monkeypatch)
    assert store.recorded_weights_sha256(snapshot) == expected and read == []


def test_a_folder_without_a_record_or_one_that_misses_a_file_is_read(tmp_path, monkeypatch):
    plain = tmp_path / "plain"
    shutil.copytree(DATA / "tiny-qwen2", plain)
    (plain / "build.json").unlink()
    partial = tmp_path / "partial"
    shutil.copytree(DATA / "tiny-qwen2", partial)
    (partial / "second.safetensors").write_bytes(b"x")
    expected = [store.weights_sha256(plain), store.weights_sha256(partial)]
    read = _count(monkeypatch)
    assert [
        store.recorded_weights_sha256(plain),
        store.recorded_weights_sha256(partial),
    ] == expected
    assert read == ["model.safetensors", "model.safetensors", "second.safetensors"]
