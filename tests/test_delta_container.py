import hashlib
import json

import pytest

from rlsparse_check.delta.container import PatchWriter, read_patch
from rlsparse_check.delta.manifest import Manifest
from rlsparse_check.errors import CheckpointError


def _manifest(**streams) -> Manifest:
    return Manifest(8, "base", "tuned", "folder", [], {}, {}, {}, {}, 0, streams)


def _write(path, parts: dict) -> int:
    with PatchWriter(path) as writer:
        for key, chunks in parts.items():
            writer.add_stream(key, chunks)
        return writer.finish(_manifest())


def test_streams_are_stored_in_order_and_read_back(tmp_path):
    size = _write(tmp_path / "p", {"a": [b"xy", b"z"], "empty": [], "b": [b"0123"]})
    patch = read_patch(tmp_path / "p")
    assert size == patch.size == (tmp_path / "p").stat().st_size
    assert list(patch.streams) == ["a", "b"]  # an empty stream is not stored
    assert (patch.stream("a"), patch.stream("b"), patch.stream("empty")) == (b"xyz", b"0123", b"")
    patch.verify()
    assert patch.manifest.streams["a"] == hashlib.sha256(b"xyz").hexdigest()


def test_a_pair_of_streams_is_stored_one_after_the_other(tmp_path):
    with PatchWriter(tmp_path / "p") as writer:
        writer.add_stream("head", [b"h"])
        writer.add_pair("values", "positions", [(b"v1", b"p1"), (b"", b""), (b"v2", b"p2")])
        writer.add_pair("none", "empty", [(b"", b"")])
        writer.finish(_manifest())
    patch = read_patch(tmp_path / "p")
    assert list(patch.streams) == ["head", "values", "positions"]
    assert (patch.stream("values"), patch.stream("positions")) == (b"v1v2", b"p1p2")
    patch.verify()


def test_counting_without_a_path_gives_the_size_the_file_would_have(tmp_path):
    parts = {"a": [b"xy" * 100], "b": [b"0123"]}
    with PatchWriter(None, hashing=False) as writer:
        for key, chunks in parts.items():
            writer.add_stream(key, chunks)
        counted = writer.finish(_manifest())
    assert counted == _write(tmp_path / "p", parts) and list(tmp_path.iterdir()) == [tmp_path / "p"]


def _rewrite_metadata(path, **changes):
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    header["__metadata__"].update(changes)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + n :])


def test_a_patch_of_a_newer_format_asks_for_an_upgrade(tmp_path):
    _write(tmp_path / "p", {"a": [b"x"]})
    _rewrite_metadata(tmp_path / "p", version="2")
    with pytest.raises(CheckpointError, match="newer than this rlsparse-check reads.*upgrade"):
        read_patch(tmp_path / "p")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"manifest": '{"format": "x"}'}, "the manifest does not match its sha256"),
        ({"format": "other"}, "no 'rlsparse-check delta' metadata"),
        ({"version": "one"}, "version 'one' is not a number"),
    ],
)
def test_tampered_metadata_is_refused(tmp_path, changes, message):
    _write(tmp_path / "p", {"a": [b"x"]})
    _rewrite_metadata(tmp_path / "p", **changes)
    with pytest.raises(CheckpointError, match=message):
        read_patch(tmp_path / "p")


def test_a_manifest_that_fails_its_checks_is_refused_even_with_a_matching_sha256(tmp_path):
    _write(tmp_path / "p", {"a": [b"x"]})
    text = json.dumps({"format": "rlsparse-check delta", "codec": "zstd", "chunk": 3})
    _rewrite_metadata(
        tmp_path / "p", manifest=text, manifest_sha256=hashlib.sha256(text.encode()).hexdigest()
    )
    with pytest.raises(CheckpointError, match="bad manifest .*chunk 3 is not a positive multiple"):
        read_patch(tmp_path / "p")


def test_a_missing_patch_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read .*check the path"):
        read_patch(tmp_path / "nope")
