"""Open model checkpoints and read their tensors without loading them whole.

Formats: a ``.safetensors`` file; a folder with ``model.safetensors`` or a sharded
``model.safetensors.index.json`` (the two sides of a comparison may be sharded differently);
PyTorch ``.bin`` files (the only path that imports torch). Headers are parsed and checked at
open (:mod:`rlsparse_check.safetensors_format`), so bad files fail before any data is read.
Native verl FSDP and DeepSpeed ZeRO checkpoints are refused with the command that converts them
(:mod:`rlsparse_check.native`).
Tensor data is read as its stored bits (``uint16`` for bf16/f16, ``uint32`` for f32, ``uint64``
for f64), memory-mapped (:meth:`Checkpoint.raw`) or in chunks whose pages are released after use
(:meth:`Checkpoint.chunks`), so a model bigger than RAM can be compared piece by piece.
"""

from __future__ import annotations

import mmap
import os
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rlsparse_check.errors import CheckpointError, MismatchError
from rlsparse_check.native import native_hint
from rlsparse_check.safetensors_format import (
    TensorSpec,
    bits_dtype,
    decode,
    decode_bf16,
    encode_bf16,
    read_safetensors_header,
    write_safetensors,
)
from rlsparse_check.shards import load_torch, open_index

__all__ = [
    "TensorSpec",
    "Checkpoint",
    "open_checkpoint",
    "refuse_native",
    "CHUNK_ELEMS",
    "align",
    "read_safetensors_header",
    "write_safetensors",
    "encode_bf16",
    "decode_bf16",
    "decode",
    "bits_dtype",
]

_FIX = "re-download or re-save the checkpoint"


#: Entries read per step when a tensor is streamed (diff, overlap, patches, precision, C8):
#: 1 Mi entries = 2 MB for bf16, small enough to stay in cache (measured faster than 4-16 Mi),
#: and a multiple of 8 so that packed masks line up on bytes.
CHUNK_ELEMS = 1 << 20


class Checkpoint:
    """A read-only view of one checkpoint's tensors; data is read only on request."""

    def __init__(
        self, path: Path, specs: dict[str, TensorSpec], arrays: dict[str, np.ndarray] | None = None
    ) -> None:
        self.path = Path(path)
        self.names = sorted(specs)
        self._specs = specs
        self._arrays = arrays or {}  # stored bits of in-memory (.bin) tensors
        self._maps: dict[Path, mmap.mmap] = {}
        self._finalizer = weakref.finalize(self, _close_maps, self._maps)

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, {len(self)} tensors)"

    def spec(self, name: str) -> TensorSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise CheckpointError(
                f"{self.path}: no tensor named {name!r} (it has "
                f"{len(self)} tensors, e.g. {self.names[:3]})"
            ) from None

    def raw(self, name: str) -> np.ndarray:
        """The stored bits of tensor ``name``, memory-mapped, read-only, shape ``spec.shape``."""
        spec = self.spec(name)
        if name in self._arrays:
            return self._arrays[name]
        if spec.numel == 0:
            out = np.empty(spec.shape, bits_dtype(spec.dtype))
            out.flags.writeable = False
            return out
        return np.memmap(
            spec.file, dtype=bits_dtype(spec.dtype), mode="r", offset=spec.offset, shape=spec.shape
        )

    def values(self, name: str, dtype: type = np.float32) -> np.ndarray:
        """Tensor ``name`` decoded to numpy ``dtype`` (bf16 decoded without torch)."""
        return decode(self.raw(name), self.spec(name).dtype, dtype)

    def chunks(self, name: str, chunk_elems: int) -> Iterator[np.ndarray]:
        """Yield the flat stored bits of ``name`` in read-only pieces of ``chunk_elems`` entries.

        Pieces are views of a memory map; the pages of each piece are released (``madvise``)
        once the next piece is requested, so resident memory stays at about one piece per
        checkpoint however big the tensor or file (a model larger than RAM streams through).
        """
        spec = self.spec(name)
        bits, n = bits_dtype(spec.dtype), spec.numel
        if name in self._arrays:
            flat = self._arrays[name].reshape(-1)
            for start in range(0, n, chunk_elems):
                yield flat[start : start + chunk_elems]
            return
        if n == 0:
            return
        mm = self._map(spec.file)
        whole = np.frombuffer(mm, bits, count=n, offset=spec.offset)
        for start in range(0, n, chunk_elems):
            piece = whole[start : start + chunk_elems]
            yield piece
            _release(mm, spec.offset + start * bits.itemsize, piece.nbytes)

    def _map(self, file: Path) -> mmap.mmap:
        if file not in self._maps:
            try:
                with open(file, "rb") as f:
                    self._maps[file] = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            except (OSError, ValueError) as e:
                raise CheckpointError(
                    f"{file}: cannot map the file ({e}): check that it is a "
                    f"readable, complete checkpoint file"
                ) from None
            if hasattr(mmap, "MADV_SEQUENTIAL"):
                self._maps[file].madvise(mmap.MADV_SEQUENTIAL)
        return self._maps[file]

    def close(self) -> None:
        """Close memory maps no array still uses (also done when the object is collected)."""
        _close_maps(self._maps)

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close_maps(maps: dict[Path, mmap.mmap]) -> None:
    while maps:
        try:
            maps.popitem()[1].close()
        except BufferError:  # arrays still view it: the map closes when they are collected
            pass


_PAGE = mmap.PAGESIZE


def _release(mm: mmap.mmap, offset: int, nbytes: int) -> None:
    """Drop the pages of ``[offset, offset + nbytes)`` from this process's resident memory."""
    if hasattr(mmap, "MADV_DONTNEED") and nbytes:
        begin = offset - offset % _PAGE
        mm.madvise(mmap.MADV_DONTNEED, begin, offset + nbytes - begin)


_DIR_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)


def open_checkpoint(path: str | os.PathLike | Checkpoint) -> Checkpoint:
    """Open a checkpoint folder, ``.safetensors`` file, shard index or PyTorch ``.bin`` file."""
    if isinstance(path, Checkpoint):
        return path
    path = Path(path)
    what = (
        "give a checkpoint folder (model.safetensors or model.safetensors.index.json), "
        "a .safetensors file or a PyTorch .bin file"
    )
    if not path.exists():
        raise CheckpointError(f"{path}: no such file or folder: {what}")
    refuse_native(path)
    file = _file_in(path, what) if path.is_dir() else path
    if file.name.endswith(".index.json"):
        specs, arrays = open_index(file)
    elif file.suffix == ".safetensors":
        specs, arrays = read_safetensors_header(file), None
    elif file.suffix in (".bin", ".pt", ".pth"):
        specs, arrays = load_torch(file)
    else:
        raise CheckpointError(f"{file}: unknown checkpoint format: {what}")
    return Checkpoint(path, specs, arrays)


def refuse_native(path: Path) -> None:
    """Raise :class:`CheckpointError` with the converting command when ``path`` is a verl or
    DeepSpeed checkpoint rather than a Hugging Face one (reads no weights)."""
    path = Path(path)
    hint = native_hint(path) if path.is_file() or not _has_weights(path) else None
    if hint is not None:
        raise CheckpointError(hint)


def _has_weights(folder: Path) -> bool:
    try:
        _file_in(folder, "")
    except CheckpointError:
        return False
    return True


def _file_in(folder: Path, what: str) -> Path:
    for name in _DIR_FILES:
        if (folder / name).is_file():
            return folder / name
    for pattern in ("*.safetensors.index.json", "*.safetensors", "*.bin.index.json", "*.bin"):
        found = sorted(folder.glob(pattern))
        if len(found) == 1:
            return found[0]
    raise CheckpointError(f"{folder}: no checkpoint found in this folder: {what}")


def align(
    base: Checkpoint, tuned: Checkpoint, *, skip_missing: bool = False
) -> list[tuple[TensorSpec, TensorSpec]]:
    """Pair the tensors of two checkpoints by name, checking shapes and dtypes (no data read).

    A tensor on one side only raises :class:`MismatchError` unless ``skip_missing``.
    """
    only_base = [n for n in base.names if n not in tuned]
    only_tuned = [n for n in tuned.names if n not in base]
    if (only_base or only_tuned) and not skip_missing:
        name, side, path = (
            (only_base[0], "BASE", base.path) if only_base else (only_tuned[0], "TUNED", tuned.path)
        )
        more = len(only_base) + len(only_tuned) - 1
        raise MismatchError(
            f"tensor {name!r} is only in {side} ({path})"
            + (f" (and {more} more one-sided tensors)" if more else "")
            + ": pass --skip-missing (skip_missing=True) to compare the shared tensors only; "
            "tied embeddings (lm_head.weight saved on one side only, tied to "
            "model.embed_tokens.weight) are the common case"
        )
    pairs = []
    for name in base.names:
        if name not in tuned:
            continue
        a, b = base.spec(name), tuned.spec(name)
        if a.shape != b.shape:
            raise MismatchError(
                f"tensor {name!r} has shape {a.shape} in BASE but {b.shape} in "
                f"TUNED: compare checkpoints of the same architecture"
            )
        if a.dtype != b.dtype:
            raise MismatchError(
                f"tensor {name!r} is {a.dtype} in BASE but {b.dtype} in TUNED: "
                f"changes are counted in the storage dtype, so save both sides "
                f"in the same dtype (e.g. both bf16)"
            )
        pairs.append((a, b))
    if not pairs:
        raise MismatchError(
            f"BASE ({base.path}) and TUNED ({tuned.path}) share no tensor names: "
            f"are they checkpoints of the same model?"
        )
    return pairs
