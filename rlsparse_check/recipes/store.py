"""Writing checkpoint folders: weights in the storage dtype, config, tokenizer, hashes, and
atomic copies of finished folders.

Training always keeps fp32 master weights; :func:`save_checkpoint` rounds a *copy* of them to the
storage dtype (bfloat16 rounds to nearest even, as ``torch.Tensor.to`` does), so base and tuned
checkpoints are stored alike and the master weights are never touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from rlsparse_check.atomic import write_json
from rlsparse_check.errors import OptionError

__all__ = [
    "MANIFEST",
    "SAVE_DTYPES",
    "publish",
    "recorded_weights_sha256",
    "save_checkpoint",
    "sha256_file",
    "weights_sha256",
    "weights_sha256_of",
]

SAVE_DTYPES = ("bfloat16", "float32")
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


def save_checkpoint(model: Any, tokenizer: Any, out: Path, save_dtype: str) -> Path:
    """Write ``model`` (weights rounded to ``save_dtype``), its config and tokenizer to ``out``."""
    import torch

    if save_dtype not in SAVE_DTYPES:
        raise OptionError(f"--save-dtype {save_dtype!r}: choose one of {', '.join(SAVE_DTYPES)}")
    dtype = getattr(torch, save_dtype)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state, seen = {}, set()
    for name, tensor in model.state_dict().items():
        if tensor.data_ptr() in seen:  # tied weights (e.g. lm_head = embeddings): stored once
            continue
        seen.add(tensor.data_ptr())
        state[name] = tensor.detach().to(device="cpu", dtype=dtype).contiguous()
    model.save_pretrained(str(out), state_dict=state)
    config = json.loads((out / "config.json").read_text())
    config["dtype"] = save_dtype  # the storage dtype, not the fp32 of the master weights
    write_json(out / "config.json", config)
    tokenizer.save_pretrained(str(out))
    return out


def publish(folder: Path, out: Path) -> Path:
    """Copy a run folder to ``out`` atomically (an existing run folder there is replaced)."""
    out = Path(out).expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not (out / "config.json").exists():
        raise OptionError(f"--out {out}: exists and is not a checkpoint folder; choose another")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    shutil.copytree(folder, tmp, dirs_exist_ok=True)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
