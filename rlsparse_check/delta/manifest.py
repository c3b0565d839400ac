"""The manifest of a patch: what it rebuilds, from which base, and where each stream lies.

It is stored as JSON in the patch's safetensors ``__metadata__`` (with its own sha256) and read
back through :meth:`Manifest.from_json`, which checks every field it relies on, so a damaged or
foreign manifest raises ValueError instead of misbehaving later.

Tensor kinds: ``changed`` (positions and values of the changed entries), ``unchanged`` (nothing
stored: copied from the base), ``added`` (only in TUNED) and ``replaced`` (dtype or shape
differs from the base's): the last two are carried in full. Tensors only in the base are listed
under ``removed``. Each encoded tensor has a chunk table, one row per ``chunk`` entries:
``[changed count, position code, position frame bytes, value code, value frame bytes]``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from rlsparse_check.delta.codec import BITMASK, DIFF, GAPS, IMPLIED, RAW
from rlsparse_check.delta.layout import safe_name
from rlsparse_check.safetensors_format import ITEMSIZE

__all__ = [
    "FORMAT",
    "VERSION",
    "KINDS",
    "Side",
    "TensorRecord",
    "Manifest",
    "values_key",
    "positions_key",
    "header_key",
    "file_key",
]

FORMAT = "rlsparse-check delta"
VERSION = 1
KINDS = ("changed", "unchanged", "added", "replaced")
_HEX = re.compile(r"[0-9a-f]{64}")


def values_key(tensor: str) -> str:
    return f"{tensor}::values"


def positions_key(tensor: str) -> str:
    return f"{tensor}::positions"


def header_key(file: str) -> str:
    return f"::header::{file}"


def file_key(file: str) -> str:
    return f"::file::{file}"


def _count(x: Any) -> int:
    if not (isinstance(x, int) and not isinstance(x, bool) and x >= 0):
        raise ValueError(f"{x!r} is not a non-negative integer")
    return x


def _sha(x: Any) -> str:
    if not (isinstance(x, str) and _HEX.fullmatch(x)):
        raise ValueError(f"{x!r} is not a sha256 hex digest")
    return x


@dataclass(frozen=True)
class Side:
    """dtype, shape and sha256 of a tensor's stored bytes."""

    dtype: str
    shape: tuple[int, ...]
    sha256: str

    def to_json(self) -> dict:
        return {"dtype": self.dtype, "shape": list(self.shape), "sha256": self.sha256}

    @classmethod
    def from_json(cls, data: dict) -> Side:
        if data["dtype"] not in ITEMSIZE:
            raise ValueError(f"unknown dtype {data['dtype']!r}")
        return cls(data["dtype"], tuple(map(_count, data["shape"])), _sha(data["sha256"]))

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass
class TensorRecord:
    """One tensor of TUNED: how to rebuild it (``base`` is None for an added tensor)."""

    name: str
    kind: str
    tuned: Side
    offset: int
    base: Side | None = None
    chunks: list[list[int]] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(row[0] for row in self.chunks)

    @property
    def nbytes(self) -> int:
        """Bytes of this tensor's frames in the patch."""
        return sum(row[2] + row[4] for row in self.chunks)

    def to_json(self) -> dict:
        data = {"kind": self.kind, "tuned": self.tuned.to_json(), "offset": self.offset}
        if self.base is not None:
            data["base"] = self.base.to_json()
        if self.chunks:
            data["chunks"] = self.chunks
        return data

    @classmethod
    def from_json(cls, name: str, data: dict, chunk: int) -> TensorRecord:
        kind = data["kind"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        tuned = Side.from_json(data["tuned"])
        base = Side.from_json(data["base"]) if kind != "added" else None
        record = cls(name, kind, tuned, _count(data["offset"]), base, data.get("chunks", []))
        same = base is not None and (base.dtype, base.shape) == (tuned.dtype, tuned.shape)
        if (kind in ("changed", "unchanged")) != same:
            raise ValueError(f"kind {kind} does not match the dtypes and shapes recorded")
        rows = math.ceil(tuned.numel / chunk) if kind != "unchanged" else 0
        if not isinstance(record.chunks, list) or len(record.chunks) != rows:
            raise ValueError(f"the chunk table has {len(record.chunks)} rows, expected {rows}")
        for i, row in enumerate(record.chunks):
            _check_row(row, min(chunk, tuned.numel - i * chunk), full=kind != "changed")
        return record


def _check_row(row: Any, n: int, full: bool) -> None:
    if not (isinstance(row, list) and len(row) == 5):
        raise ValueError(f"chunk row {row!r} is not [count, code, bytes, code, bytes]")
    count, positions, position_bytes, values, value_bytes = map(_count, row)
    if full:
        ok = count == n and positions == IMPLIED and position_bytes == 0 and values == RAW
    elif count == 0:
        ok = positions == IMPLIED and values == 0 and position_bytes == value_bytes == 0
    else:
        implied = positions == IMPLIED and count == n and position_bytes == 0
        ok = count <= n and (implied or positions in (BITMASK, GAPS)) and values in (DIFF, RAW)
    if not ok:
        raise ValueError(f"chunk row {row} is inconsistent for a chunk of {n} entries")


@dataclass
class Manifest:
    """Everything a patch records besides its streams (see the module docstring)."""

    chunk: int
    base: str
    tuned: str
    kind: str
    files: list[dict]  # weight files: {"name", "size", "header" (its length), "tensors"}
    carried: dict[str, dict]
    named: dict[str, int]
    tensors: dict[str, TensorRecord]
    removed: dict[str, Side]
    checkpoint_bytes: int
    streams: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "codec": "zstd",
            "chunk": self.chunk,
            "base": self.base,
            "tuned": self.tuned,
            "kind": self.kind,
            "files": self.files,
            "carried": self.carried,
            "named": self.named,
            "tensors": {name: t.to_json() for name, t in self.tensors.items()},
            "removed": {name: s.to_json() for name, s in self.removed.items()},
            "checkpoint_bytes": self.checkpoint_bytes,
            "streams": self.streams,
        }

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        """Read and check a manifest; raises ValueError (or KeyError, TypeError) when bad."""
        if data.get("format") != FORMAT or data.get("codec") != "zstd":
            raise ValueError(f"format {data.get('format')!r} is not {FORMAT!r} with zstd")
        chunk = _count(data["chunk"])
        if chunk < 8 or chunk % 8:
            raise ValueError(f"chunk {chunk} is not a positive multiple of 8")
        if data["kind"] not in ("folder", "file"):
            raise ValueError(f"layout kind {data['kind']!r}")
        tensors = {
            name: TensorRecord.from_json(name, entry, chunk)
            for name, entry in data["tensors"].items()
        }
        listed = []
        for entry in data["files"]:
            safe_name(entry["name"])
            _count(entry["size"]), _count(entry["header"])
            listed += [str(name) for name in entry["tensors"]]
        if sorted(listed) != sorted(tensors):
            raise ValueError("the weight files do not list every tensor exactly once")
        carried = {safe_name(k): v for k, v in data["carried"].items()}
        written = [entry["name"] for entry in data["files"]] + list(carried)
        if len(set(written)) != len(written):
            raise ValueError("a file name is listed twice")
        for entry in carried.values():
            _count(entry["size"]), _sha(entry["sha256"])
        streams = {str(k): _sha(v) for k, v in data["streams"].items()}
        return cls(
            chunk,
            str(data["base"]),
            str(data["tuned"]),
            data["kind"],
            data["files"],
            carried,
            {str(k): _count(v) for k, v in data["named"].items()},
            tensors,
            {str(k): Side.from_json(v) for k, v in data["removed"].items()},
            _count(data["checkpoint_bytes"]),
            streams,
        )
