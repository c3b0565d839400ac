"""Apply a patch to BASE: rebuild TUNED file for file, verified, then renamed into place.

Order of the checks: the patch's header, manifest and every stream's sha256 (a cut or damaged
patch stops before anything is written); BASE's tensor names, dtypes and shapes; then, tensor by
tensor, BASE's bytes against the sha256 the patch recorded (another base stops at the first
tensor that differs) and the rebuilt bytes against TUNED's sha256. The output is built in a
temporary folder beside ``out`` and renamed into place only when every file checked out.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from rlsparse_check.checkpoints import Checkpoint, bits_dtype, read_safetensors_header
from rlsparse_check.delta.codec import CorruptFrame, Encoded, decode_full, decode_sparse, decompress
from rlsparse_check.delta.container import Patch, patch_error, read_patch
from rlsparse_check.delta.layout import open_side
from rlsparse_check.delta.manifest import (
    TensorRecord,
    file_key,
    header_key,
    positions_key,
    values_key,
)
from rlsparse_check.delta.summary import PatchSummary
from rlsparse_check.errors import CheckpointError, MismatchError, OptionError

__all__ = ["apply_patch", "patch_summary"]

PathLike = str | os.PathLike
_OTHER_BASE = "apply the patch to the checkpoint it was made from"


def patch_summary(patch: PathLike) -> PatchSummary:
    """What the patch at ``patch`` holds (reads its header only)."""
    opened = read_patch(patch)
    return PatchSummary.from_manifest(opened.manifest, opened.size, opened.path)


def apply_patch(base: PathLike, patch: PathLike, out: PathLike, *, overwrite: bool = False) -> Path:
    """Rebuild the tuned checkpoint from ``base`` and ``patch`` into the folder ``out``.

    Every tensor written is bitwise identical to TUNED's (checked against its recorded sha256),
    in TUNED's files (names, shards, headers, other files carried). ``out`` must not exist or be
    empty, unless ``overwrite``. Raises :class:`MismatchError` when ``base`` is not the
    checkpoint the patch was made from and :class:`CheckpointError` for a damaged patch; nothing
    is written then.
    """
    opened = read_patch(patch)
    opened.verify()
    out = _check_out(Path(out), Path(base), overwrite)
    with open_side(base, "BASE") as b_ck:
        _check_base(b_ck, opened)
        tmp = out.parent / f".{out.name}.{secrets.token_hex(4)}.tmp"
        tmp.mkdir()
        try:
            for entry in opened.manifest.files:
                _write_weights(tmp, entry, opened, b_ck)
            for name, info in opened.manifest.carried.items():
                stored = opened.stream(file_key(name))
                data = decompress(stored, info["size"]) if info["size"] else b""
                if hashlib.sha256(data).hexdigest() != info["sha256"]:
                    raise patch_error(opened.path, f"file {name} does not match its sha256")
                with open(_target(tmp, name), "wb") as handle:
                    handle.write(data)
                    os.fsync(handle.fileno())
            _publish(tmp, out)
        except CorruptFrame as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise patch_error(opened.path, f"a frame does not decode ({e})") from None
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            raise OptionError(
                f"--out {out}: cannot write {e.filename or 'it'} ({e.strerror}): check the "
                f"permissions and free space"
            ) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out


def _check_out(out: Path, base: Path, overwrite: bool) -> Path:
    out = out.expanduser().resolve()
    if out == base.resolve() or out in base.resolve().parents:
        raise OptionError(f"--out {out}: would replace BASE; choose another folder")
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out {out}: is a file; give a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise OptionError(
            f"--out {out}: exists and is not empty; choose another folder or pass --overwrite"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OptionError(f"--out {out}: cannot create its folder ({e.strerror})") from None
    return out


def _publish(tmp: Path, out: Path) -> None:
    if out.is_dir() and any(out.iterdir()):
        old = out.parent / f".{out.name}.{secrets.token_hex(4)}.old"
        os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError:
            os.replace(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        if out.is_dir():
            out.rmdir()
        os.replace(tmp, out)


def _target(folder: Path, name: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _check_base(b_ck: Checkpoint, patch: Patch) -> None:
    """Every tensor the patch builds on is in BASE with the dtype and shape it was made from."""
    for record in patch.manifest.tensors.values():
        if record.kind not in ("changed", "unchanged"):
            continue
        if record.name not in b_ck:
            raise MismatchError(
                f"BASE {b_ck.path}: has no tensor {record.name!r}, which the patch was made "
                f"from: {_OTHER_BASE}"
            )
        spec = b_ck.spec(record.name)
        if (spec.dtype, spec.shape) != (record.base.dtype, record.base.shape):
            raise MismatchError(
                f"BASE {b_ck.path}: tensor {record.name!r} is {spec.dtype} {spec.shape}, the "
                f"patch was made from {record.base.dtype} {record.base.shape}: {_OTHER_BASE}"
            )


def _write_weights(folder: Path, entry: dict, patch: Patch, b_ck: Checkpoint) -> None:
    name, manifest = entry["name"], patch.manifest
    target = _target(folder, name)
    with open(target, "wb") as handle:
        handle.write(decompress(patch.stream(header_key(name)), entry["header"]))
        for tensor in entry["tensors"]:
            record = manifest.tensors[tensor]
            if record.offset < handle.tell():
                raise patch_error(patch.path, f"tensor {tensor!r} overlaps the one before it")
            handle.seek(record.offset)
            _write_tensor(handle, record, patch, b_ck)
        if handle.tell() > entry["size"]:
            raise patch_error(patch.path, f"file {name} is longer than the patch says")
        handle.truncate(entry["size"])
        handle.flush()
        os.fsync(handle.fileno())
    written = read_safetensors_header(target)
    for tensor in entry["tensors"]:
        record, spec = manifest.tensors[tensor], written.get(tensor)
        if spec is None or (spec.dtype, spec.shape, spec.offset) != (
            record.tuned.dtype,
            record.tuned.shape,
            record.offset,
        ):
            raise patch_error(patch.path, f"the header of {name} does not place {tensor!r}")
    if len(written) != len(entry["tensors"]):
        raise patch_error(patch.path, f"the header of {name} lists tensors the patch lacks")


def _frames(patch: Patch, record: TensorRecord) -> Iterator[Encoded]:
    """The encoded chunks of ``record``, read frame by frame from the patch."""
    values = patch.streams.get(values_key(record.name), (0, 0))[0]
    positions = patch.streams.get(positions_key(record.name), (0, 0))[0]
    for count, p_code, p_size, v_code, v_size in record.chunks:
        p_frame = patch.read(positions, p_size) if p_size else b""
        v_frame = patch.read(values, v_size) if v_size else b""
        positions, values = positions + p_size, values + v_size
        yield Encoded(count, p_code, p_frame, v_code, v_frame)


def _write_tensor(handle: BinaryIO, record: TensorRecord, patch: Patch, b_ck: Checkpoint) -> None:
    name, chunk = record.name, patch.manifest.chunk
    tuned = hashlib.sha256()
    if record.kind in ("added", "replaced"):
        dtype, n = bits_dtype(record.tuned.dtype), record.tuned.numel
        for i, encoded in enumerate(_frames(patch, record)):
            piece = decode_full(dtype, min(chunk, n - i * chunk), encoded)
            tuned.update(piece)
            handle.write(piece)
    else:
        base, n = hashlib.sha256(), record.tuned.numel
        if record.kind == "changed":
            frames = _frames(patch, record)
        else:
            frames = itertools.repeat(None, math.ceil(n / chunk))
        for old, encoded in zip(b_ck.chunks(name, chunk), frames, strict=True):
            base.update(old)
            piece = old if encoded is None else decode_sparse(old, encoded)
            tuned.update(piece)
            handle.write(piece)
        if base.hexdigest() != record.base.sha256:
            raise MismatchError(
                f"BASE {b_ck.path}: tensor {name!r} differs from the base this patch was made "
                f"from (sha256 {base.hexdigest()[:12]}..., the patch expects "
                f"{record.base.sha256[:12]}...): {_OTHER_BASE}"
            )
    if tuned.hexdigest() != record.tuned.sha256:
        raise CheckpointError(
            f"patch {patch.path}: tensor {name!r} rebuilt does not match TUNED's sha256: make "
            f"the patch again with `rlsparse-check delta`"
        )
