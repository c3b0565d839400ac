"""Which files make up a safetensors checkpoint, so that a patch can rebuild it file for file.

A checkpoint is a ``.safetensors`` file, or a folder whose weights are ``model.safetensors``,
a shard index (``*.safetensors.index.json``) with its shards, or a single ``*.safetensors`` file
(the precedence of :func:`rlsparse_check.checkpoints.open_checkpoint`). Its layout is the weight
files (each one's header kept verbatim, its tensors in file order) and, for a folder, the other
top-level entries: small non-weight files (config, tokenizer, generation config, the shard index)
are carried, the rest (other weight files, big files, sub-folders) only named. PyTorch ``.bin``
checkpoints are refused before torch could be imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rlsparse_check.checkpoints import Checkpoint, open_checkpoint, read_safetensors_header
from rlsparse_check.errors import CheckpointError

__all__ = ["COPY_LIMIT", "WeightFile", "OtherFile", "Layout", "open_side", "read_layout"]

#: Non-weight files up to this size are carried in a patch; tokenizer files of large-vocabulary
#: models reach about 35 MB, anything bigger is named instead.
COPY_LIMIT = 64 << 20
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".h5", ".msgpack")
_TORCH_FILES = ("pytorch_model.bin", "pytorch_model.bin.index.json")
_HOW = (
    "convert it to safetensors first (e.g. model.save_pretrained(folder, "
    "safe_serialization=True)) or give a .safetensors file or folder"
)


@dataclass(frozen=True)
class WeightFile:
    """One weight file: its name in the folder, size, verbatim header and tensors in file order."""

    name: str
    size: int
    header: bytes
    tensors: tuple[str, ...]


@dataclass(frozen=True)
class OtherFile:
    """A non-weight entry of the folder (``name`` ends with ``/`` for a sub-folder)."""

    name: str
    size: int
    path: Path


@dataclass(frozen=True)
class Layout:
    """The files of a checkpoint: ``kind`` is ``"folder"`` or ``"file"``."""

    kind: str
    weights: tuple[WeightFile, ...]
    carried: tuple[OtherFile, ...]
    named: tuple[OtherFile, ...]

    @property
    def nbytes(self) -> int:
        """Bytes of the weight files and the carried files (what a full copy would ship)."""
        return sum(f.size for f in self.weights) + sum(f.size for f in self.carried)


def safe_name(name: object) -> str:
    """``name`` if it is a relative path inside a folder, else raise ValueError."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"file name {name!r} is not a string")
    parts = PurePosixPath(name).parts
    if PurePosixPath(name).is_absolute() or "\\" in name or not parts or ".." in parts:
        raise ValueError(f"file name {name!r} is not a relative path inside the checkpoint")
    return name


def _entry(path: Path, side: str) -> Path:
    """The safetensors file or shard index that ``path`` is read from; refuses ``.bin``."""
    refuse = f"{side} {path}: PyTorch .bin weights cannot be patched without torch: {_HOW}"
    if not path.exists():
        raise CheckpointError(f"{side} {path}: no such file or folder: {_HOW}")
    if path.is_file():
        if path.suffix in (".bin", ".pt", ".pth") or path.name.endswith(".bin.index.json"):
            raise CheckpointError(refuse)
        return path
    for name in ("model.safetensors", "model.safetensors.index.json"):
        if (path / name).is_file():
            return path / name
    if any((path / name).is_file() for name in _TORCH_FILES):
        raise CheckpointError(refuse)
    for pattern in ("*.safetensors.index.json", "*.safetensors"):
        found = sorted(path.glob(pattern))
        if len(found) == 1:
            return found[0]
    if any(path.glob("*.bin")):
        raise CheckpointError(refuse)
    raise CheckpointError(f"{side} {path}: no safetensors checkpoint in this folder: {_HOW}")


def open_side(path: str | os.PathLike, side: str) -> Checkpoint:
    """Open the BASE or TUNED checkpoint at ``path`` (safetensors only; ``side`` names it)."""
    return open_checkpoint(_entry(Path(path), side))


def _raw_header(file: Path) -> bytes:
    with open(file, "rb") as handle:
        head = handle.read(8)
        return head + handle.read(int.from_bytes(head, "little"))


def read_layout(path: str | os.PathLike, ckpt: Checkpoint) -> Layout:
    """The layout of the checkpoint at ``path``, opened as ``ckpt`` by :func:`open_side`."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    files = {ckpt.spec(n).file for n in ckpt.names}
    if ckpt.path.suffix == ".safetensors":  # kept even when it holds no tensor
        files.add(ckpt.path)
    files = sorted(files, key=lambda f: f.name)
    weights = []
    for file in files:
        specs = read_safetensors_header(file)
        for name in specs:
            if name not in ckpt or ckpt.spec(name).file != file:
                raise CheckpointError(
                    f"TUNED {file}: holds tensor {name!r}, which the shard index does not map "
                    f"to this file: regenerate the index so that every tensor is listed once"
                )
        try:
            name = safe_name(file.relative_to(folder).as_posix())
        except ValueError:
            raise CheckpointError(
                f"TUNED {file}: a shard outside the checkpoint folder {folder}: keep the shards "
                f"beside their index"
            ) from None
        order = tuple(sorted(specs, key=lambda n: specs[n].offset))
        weights.append(WeightFile(name, file.stat().st_size, _raw_header(file), order))
    if path.is_file() and not path.name.endswith(".index.json"):
        return Layout("file", tuple(weights), (), ())
    carried, named = [], []
    taken = {folder / w.name for w in weights}
    for entry in sorted(folder.iterdir()):
        if entry in taken:
            continue
        if entry.is_dir():
            named.append(OtherFile(entry.name + "/", 0, entry))
            continue
        if not entry.is_file():  # a broken link, a socket...
            named.append(OtherFile(entry.name, 0, entry))
            continue
        size = entry.stat().st_size
        small = size <= COPY_LIMIT and not entry.name.endswith(_WEIGHT_SUFFIXES)
        (carried if small else named).append(OtherFile(entry.name, size, entry))
    return Layout("folder", tuple(weights), tuple(carried), tuple(named))
