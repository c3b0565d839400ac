"""Content hashes of checkpoints: a file's sha256, and a checkpoint's weights hash (sha256 over
the names and sha256 of its weight files), computed or read from what a folder records (a run
cache entry's manifest, a shipped base's build record, a Hugging Face blob name). Run folders,
the run cache and the reports all identify checkpoints by it. No torch here."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

__all__ = [
    "BUILD_RECORD",
    "MANIFEST",
    "recorded_weights_sha256",
    "sha256_file",
    "weights_sha256",
    "weights_sha256_of",
]

#: The file hashes of a run-cache entry (``{relative path: sha256}``), written last.
MANIFEST = "MANIFEST.json"
#: The build record of a shipped built-in base (``model_safetensors_sha256``).
BUILD_RECORD = "build.json"
_WEIGHT_SUFFIXES = (".bin", ".pt", ".pth")


def sha256_file(path: Path, chunk: int = 1 << 22) -> str:
    """Hex sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def weights_sha256(path: Path) -> str:
    """The content hash of a checkpoint's weights: sha256 over the names and sha256 of its
    weight files (a folder's ``*.safetensors``, else its ``*.bin``/``*.pt`` files; or the one
    file given). Run folders, the run cache and the reports all identify checkpoints by it."""
    return weights_sha256_of({file.name: sha256_file(file) for file in _weight_files(Path(path))})


def weights_sha256_of(files: dict[str, str]) -> str:
    """:func:`weights_sha256` from the sha256 of each weight file (``{name: sha256}``)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(files[name].encode())
    return digest.hexdigest()


def recorded_weights_sha256(path: Path) -> str:
    """:func:`weights_sha256` of a checkpoint folder, read from the file hashes it records
    instead of its weights where it records them: a run-cache entry's ``MANIFEST.json``, a
    shipped base's ``build.json`` or a Hugging Face snapshot (whose weight files link to blobs
    named by their sha256). Other folders are hashed."""
    path = Path(path)
    if path.is_file():
        return weights_sha256(path)
    files = _weight_files(path)
    listed = _listed_hashes(path)
    known = {file.name: listed.get(file.name) or _blob_sha256(file) for file in files}
    if files and all(known.values()):
        return weights_sha256_of({name: str(digest) for name, digest in known.items()})
    return weights_sha256(path)


def _weight_files(path: Path) -> list[Path]:
    """The weight files of a checkpoint: a folder's ``*.safetensors``, else its
    ``*.bin``/``*.pt`` files; or the one file given."""
    if path.is_file():
        return [path]
    return sorted(path.glob("*.safetensors")) or sorted(
        p for p in path.iterdir() if p.suffix in _WEIGHT_SUFFIXES
    )


def _listed_hashes(folder: Path) -> dict[str, str]:
    """``{file name: sha256}`` a folder records about its top-level files (empty if none)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        return {k: v for k, v in manifest.items() if "/" not in k and isinstance(v, str)}
    except (OSError, ValueError, AttributeError):
        pass
    try:
        build = json.loads((folder / BUILD_RECORD).read_text())
        return {"model.safetensors": str(build["model_safetensors_sha256"])}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _blob_sha256(file: Path) -> str | None:
    """The sha256 a Hugging Face cache blob is named by (large files), else None."""
    if not file.is_symlink():
        return None
    name = file.resolve().name
    return name if len(name) == 64 and all(c in "0123456789abcdef" for c in name) else None
