"""Make the patch from BASE to TUNED, or measure the one it would be, streamed tensor by tensor.

Each tensor of TUNED is read in chunks of :data:`CHUNK` entries beside the same chunk of BASE
(memory-mapped pieces whose pages are released once encoded), so memory stays at a few chunks
plus one tensor's compressed positions, whatever the size of the checkpoints.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rlsparse_check.checkpoints import CHUNK_ELEMS, Checkpoint
from rlsparse_check.delta.codec import Encoded, compress, encode_full, encode_sparse
from rlsparse_check.delta.container import PatchWriter
from rlsparse_check.delta.layout import open_side, read_layout
from rlsparse_check.delta.manifest import (
    Manifest,
    Side,
    TensorRecord,
    file_key,
    header_key,
    positions_key,
    values_key,
)
from rlsparse_check.delta.summary import PatchSummary
from rlsparse_check.errors import MismatchError, OptionError
from rlsparse_check.masks import MaskSet

__all__ = ["CHUNK", "make_patch", "estimate_patch_bytes"]

#: Entries per encoded chunk: the diff engine's chunk (1 Mi entries, a multiple of 8).
CHUNK = CHUNK_ELEMS

PathLike = str | os.PathLike


def make_patch(
    base: PathLike, tuned: PathLike, out: PathLike, *, overwrite: bool = False
) -> PatchSummary:
    """Write the patch that rebuilds ``tuned`` from ``base`` to the file ``out``, atomically.

    ``base`` and ``tuned``: safetensors checkpoint folders (single file or sharded, each its own
    way) or ``.safetensors`` files. An existing ``out`` is replaced only with ``overwrite``.
    """
    out = Path(out)
    if out.is_dir():
        raise OptionError(f"--out {out}: is a folder; give the patch a file name")
    if any(out.resolve() == Path(p).resolve() for p in (base, tuned)):
        raise OptionError(f"--out {out}: is one of the inputs; give the patch another name")
    if out.exists() and not overwrite:
        raise OptionError(f"--out {out}: exists; choose another name or pass --overwrite")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OptionError(f"--out {out}: cannot create its folder ({e.strerror})") from None
    try:
        with PatchWriter(out) as writer:
            return _encode(base, tuned, writer, None)
    except OSError as e:
        raise OptionError(
            f"--out {out}: {e.strerror} ({e.filename or out}): check the paths, permissions "
            f"and free space"
        ) from None


def estimate_patch_bytes(
    base: PathLike, tuned: PathLike, masks: MaskSet | None = None
) -> PatchSummary:
    """The patch :func:`make_patch` would write, measured without writing it.

    ``summary.patch_bytes`` is the exact size of that file and ``summary.ratio`` its share of
    TUNED's size. ``masks``: the bitwise update masks of this pair (``diff_checkpoints(base,
    tuned, keep_masks=True).masks``) to reuse instead of comparing again; with other masks
    (a tolerance > 0) the figure is that of a patch of the masked entries only.
    """
    with PatchWriter(None, hashing=False) as writer:
        return _encode(base, tuned, writer, masks)


def _encode(
    base: PathLike, tuned: PathLike, writer: PatchWriter, masks: MaskSet | None
) -> PatchSummary:
    hashing = writer.hashing
    with open_side(base, "BASE") as b_ck, open_side(tuned, "TUNED") as t_ck:
        layout = read_layout(tuned, t_ck)
        files, records = [], {}
        for weights in layout.weights:
            writer.add_stream(header_key(weights.name), [compress(weights.header)])
            files.append(
                {
                    "name": weights.name,
                    "size": weights.size,
                    "header": len(weights.header),
                    "tensors": list(weights.tensors),
                }
            )
            for name in weights.tensors:
                records[name] = _encode_tensor(b_ck, t_ck, name, writer, masks)
        carried = {}
        for other in layout.carried:
            data = other.path.read_bytes()
            carried[other.name] = {"size": len(data), "sha256": _Digest(hashing, data).hexdigest()}
            writer.add_stream(file_key(other.name), [compress(data)] if data else [])
        removed = {n: _side(b_ck, n, hashing) for n in b_ck.names if n not in t_ck}
        manifest = Manifest(
            chunk=CHUNK,
            base=Path(base).resolve().name,
            tuned=Path(tuned).resolve().name,
            kind=layout.kind,
            files=files,
            carried=carried,
            named={other.name: other.size for other in layout.named},
            tensors=records,
            removed=removed,
            checkpoint_bytes=layout.nbytes,
        )
        size = writer.finish(manifest)
    return PatchSummary.from_manifest(manifest, size, writer.path)


class _Digest:
    """sha256, or a placeholder of the same length when not hashing (sizes stay exact)."""

    def __init__(self, on: bool, data: bytes = b"") -> None:
        self._sha = hashlib.sha256(data) if on else None

    def update(self, data: np.ndarray) -> None:
        if self._sha is not None:
            self._sha.update(data)

    def hexdigest(self) -> str:
        return self._sha.hexdigest() if self._sha is not None else "0" * 64


def _side(ckpt: Checkpoint, name: str, hashing: bool) -> Side:
    spec, digest = ckpt.spec(name), _Digest(hashing)
    if hashing:
        for piece in ckpt.chunks(name, CHUNK):
            digest.update(piece)
    return Side(spec.dtype, spec.shape, digest.hexdigest())


def _row(chunk: Encoded) -> list[int]:
    return [
        chunk.count,
        chunk.positions,
        len(chunk.position_frame),
        chunk.values,
        len(chunk.value_frame),
    ]


def _mask_chunks(masks: MaskSet | None, name: str, shape: tuple) -> Iterator[np.ndarray | None]:
    n = math.prod(shape)
    if masks is None or name not in masks:
        return itertools.repeat(None, math.ceil(n / CHUNK))
    if tuple(masks.shape(name)) != tuple(shape):
        raise MismatchError(
            f"the mask of tensor {name!r} has shape {tuple(masks.shape(name))} but TUNED's "
            f"tensor has {tuple(shape)}: give the masks of this pair of checkpoints"
        )
    packed = masks.packed(name)
    return (
        np.unpackbits(packed[s // 8 : (s + CHUNK) // 8], count=min(CHUNK, n - s)).view(np.bool_)
        for s in range(0, n, CHUNK)
    )


def _encode_tensor(
    b_ck: Checkpoint, t_ck: Checkpoint, name: str, writer: PatchWriter, masks: MaskSet | None
) -> TensorRecord:
    spec, digest, rows = t_ck.spec(name), _Digest(writer.hashing), []
    if name in b_ck and (b_ck.spec(name).dtype, b_ck.spec(name).shape) == (spec.dtype, spec.shape):
        base_digest = _Digest(writer.hashing)

        def frames() -> Iterator[tuple[bytes, bytes]]:
            pieces = zip(b_ck.chunks(name, CHUNK), t_ck.chunks(name, CHUNK), strict=True)
            for (old, new), mask in zip(pieces, _mask_chunks(masks, name, spec.shape), strict=True):
                base_digest.update(old)
                digest.update(new)
                chunk = encode_sparse(old, new, mask)
                rows.append(_row(chunk))
                yield chunk.value_frame, chunk.position_frame

        writer.add_pair(values_key(name), positions_key(name), frames())
        kind = "changed" if any(row[0] for row in rows) else "unchanged"
        rows = rows if kind == "changed" else []
        base = Side(spec.dtype, spec.shape, base_digest.hexdigest())
    else:

        def frames() -> Iterator[bytes]:
            for new in t_ck.chunks(name, CHUNK):
                digest.update(new)
                chunk = encode_full(new)
                rows.append(_row(chunk))
                yield chunk.value_frame

        writer.add_stream(values_key(name), frames())
        kind = "replaced" if name in b_ck else "added"
        base = _side(b_ck, name, writer.hashing) if kind == "replaced" else None
    tuned = Side(spec.dtype, spec.shape, digest.hexdigest())
    return TensorRecord(name, kind, tuned, spec.offset, base, rows)
