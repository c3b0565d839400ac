"""The patch file: a safetensors container of ``uint8`` streams, with the manifest as metadata.

Any safetensors reader lists it: every stream is a 1-D ``U8`` tensor, and ``__metadata__`` holds
``format``, ``version``, ``manifest`` (JSON, see :mod:`~rlsparse_check.delta.manifest`) and
``manifest_sha256``. The manifest records the sha256 of every stream, so :func:`read_patch` plus
:meth:`Patch.verify` catch a cut, flipped or foreign file before anything is built from it.

:class:`PatchWriter` streams the data into a temporary file beside the patch (the header, which
lists every stream, is known only at the end), then writes header and data to the patch
atomically. With no path it only counts bytes: the exact size of the patch it would write.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlsparse_check.atomic import atomic_write
from rlsparse_check.delta.manifest import FORMAT, VERSION, Manifest, positions_key, values_key
from rlsparse_check.errors import CheckpointError

__all__ = ["PatchWriter", "Patch", "read_patch", "patch_error"]

_MAX_HEADER = 100 * 2**20  # safetensors' own limit on the JSON header
_BLOCK = 1 << 22


def patch_error(path: Path, why: str) -> CheckpointError:
    return CheckpointError(
        f"patch {path}: {why}: the file is cut short, damaged or not a patch; copy it again "
        f"or make it again with `rlsparse-check delta`"
    )


class PatchWriter:
    """Collects streams (in order) and writes the container; ``path=None`` only counts."""

    def __init__(self, path: Path | None, hashing: bool = True) -> None:
        self.path, self.hashing = path, hashing
        self.streams: dict[str, tuple[int, int, str]] = {}  # key -> (offset, size, sha256)
        self.end = 0
        self._data = self._aside = None
        if path is not None:
            self._data = tempfile.TemporaryFile(prefix=f".{path.name}.", dir=path.parent)
            self._aside = tempfile.TemporaryFile(prefix=f".{path.name}.", dir=path.parent)

    def add_stream(self, key: str, parts: Iterable[bytes]) -> None:
        """Store the stream ``key``: the concatenation of ``parts`` (not stored when empty)."""
        start, digest = self.end, self._digest()
        for part in parts:
            self._put(part, digest)
        self._close(key, start, digest)

    def add_pair(self, first: str, second: str, parts: Iterable[tuple[bytes, bytes]]) -> None:
        """Store two streams made side by side, ``first`` then ``second``, from pairs of parts.

        The parts of ``second`` wait in a temporary file, not in memory, until ``first`` ends.
        """
        start, digest, other, aside = self.end, self._digest(), self._digest(), 0
        if self._aside is not None:
            self._aside.seek(0)
            self._aside.truncate()
        for part, later in parts:
            self._put(part, digest)
            if later:
                if self._aside is not None:
                    self._aside.write(later)
                if other is not None:
                    other.update(later)
                aside += len(later)
        self._close(first, start, digest)
        start = self.end
        if self._aside is not None:
            self._aside.seek(0)
            shutil.copyfileobj(self._aside, self._data, _BLOCK)
        self.end += aside
        self._close(second, start, other)

    def _digest(self) -> Any:  # a hashlib sha256, or None when not hashing
        return hashlib.sha256() if self.hashing else None

    def _put(self, data: bytes, digest: Any) -> None:
        if data:
            if self._data is not None:
                self._data.write(data)
            if digest is not None:
                digest.update(data)
            self.end += len(data)

    def _close(self, key: str, start: int, digest: Any) -> None:
        if key in self.streams:
            raise ValueError(f"stream {key!r} is written twice")
        if self.end > start:  # empty streams are not stored
            sha = digest.hexdigest() if digest is not None else "0" * 64
            self.streams[key] = (start, self.end - start, sha)

    def finish(self, manifest: Manifest) -> int:
        """Write the patch (when it has a path) and return its size in bytes."""
        manifest.streams = {key: sha for key, (_, _, sha) in self.streams.items()}
        text = json.dumps(manifest.to_json(), separators=(",", ":"), allow_nan=False)
        header: dict[str, object] = {
            "__metadata__": {
                "format": FORMAT,
                "version": str(VERSION),
                "manifest": text,
                "manifest_sha256": hashlib.sha256(text.encode()).hexdigest(),
            }
        }
        for key, (offset, size, _) in self.streams.items():
            header[key] = {"dtype": "U8", "shape": [size], "data_offsets": [offset, offset + size]}
        head = json.dumps(header, separators=(",", ":")).encode()
        head += b" " * (-len(head) % 8)
        if self._data is not None:
            self._data.flush()
            self._data.seek(0)
            with atomic_write(self.path) as out:
                out.write(len(head).to_bytes(8, "little") + head)
                shutil.copyfileobj(self._data, out, _BLOCK)
        return 8 + len(head) + self.end

    def close(self) -> None:
        for spool in (self._data, self._aside):
            if spool is not None:
                spool.close()

    def __enter__(self) -> PatchWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class Patch:
    """An opened patch: its manifest and where each stream lies (absolute offset, size)."""

    path: Path
    size: int
    manifest: Manifest
    streams: dict[str, tuple[int, int]]

    def read(self, offset: int, size: int) -> bytes:
        with open(self.path, "rb") as handle:
            data = os.pread(handle.fileno(), size, offset)
        if len(data) != size:
            raise patch_error(self.path, f"{size} bytes at {offset} could not be read")
        return data

    def stream(self, key: str) -> bytes:
        """A whole stream (only for the small ones: headers and carried files)."""
        offset, size = self.streams.get(key, (0, 0))
        return self.read(offset, size) if size else b""

    def verify(self) -> None:
        """Check every stream against the sha256 the manifest records for it."""
        with open(self.path, "rb") as handle:
            for key, (offset, size) in self.streams.items():
                digest = hashlib.sha256()
                for at in range(offset, offset + size, _BLOCK):
                    digest.update(os.pread(handle.fileno(), min(_BLOCK, offset + size - at), at))
                if digest.hexdigest() != self.manifest.streams[key]:
                    raise patch_error(self.path, f"stream {key!r} does not match its sha256")


def read_patch(path: str | os.PathLike) -> Patch:
    """Open a patch: header, manifest and stream table checked; data not read yet."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            n = int.from_bytes(handle.read(8), "little")
            if size < 8 or n > _MAX_HEADER or 8 + n > size:
                raise patch_error(path, f"the header length does not fit the {size}-byte file")
            header = json.loads(handle.read(n).decode("utf-8"))
    except OSError as e:
        raise CheckpointError(f"patch {path}: cannot read ({e.strerror}): check the path") from None
    except ValueError as e:
        raise patch_error(path, f"the header is not JSON ({e})") from None
    meta = header.pop("__metadata__", None) if isinstance(header, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise patch_error(path, f"no {FORMAT!r} metadata")
    if not str(meta.get("version", "")).isdigit():
        raise patch_error(path, f"version {meta.get('version')!r} is not a number")
    if int(meta["version"]) > VERSION:
        raise CheckpointError(
            f"patch {path}: format version {meta.get('version')!r} is newer than this "
            f"rlsparse-check reads ({VERSION}): upgrade rlsparse-check"
        )
    text = meta.get("manifest", "")
    digest = hashlib.sha256(str(text).encode("utf-8", "surrogatepass")).hexdigest()
    if digest != meta.get("manifest_sha256"):
        raise patch_error(path, "the manifest does not match its sha256")
    streams, end = {}, 0
    try:
        manifest = Manifest.from_json(json.loads(text))
        for key, entry in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
            begin, stop = entry["data_offsets"]
            if entry["dtype"] != "U8" or entry["shape"] != [stop - begin] or begin != end:
                raise ValueError(f"stream {key!r} is not the next U8 run of bytes")
            streams[key], end = (8 + n + begin, stop - begin), stop
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise patch_error(path, f"bad manifest or stream table ({e})") from None
    if 8 + n + end != size:
        raise patch_error(path, f"its streams end at byte {8 + n + end}, the file has {size}")
    if set(streams) != set(manifest.streams):
        raise patch_error(path, "the streams stored are not those the manifest lists")
    for key, expected in _frame_bytes(manifest).items():
        if streams.get(key, (0, 0))[1] != expected:
            raise patch_error(path, f"stream {key!r} is not as long as its chunk table says")
    return Patch(path, size, manifest, streams)


def _frame_bytes(manifest: Manifest) -> dict[str, int]:
    """Length of every tensor stream according to the chunk tables."""
    sizes = {}
    for name, record in manifest.tensors.items():
        sizes[values_key(name)] = sum(row[4] for row in record.chunks)
        sizes[positions_key(name)] = sum(row[2] for row in record.chunks)
    return sizes
