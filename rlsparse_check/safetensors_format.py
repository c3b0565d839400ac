"""The safetensors file format, in numpy: dtypes, header checks, bf16 codec and a writer.

A file is an 8-byte little-endian header length, a JSON header (``name -> dtype, shape,
data_offsets``; ``data_offsets`` relative to the end of the header) and the tensor bytes. The
header is checked against the file before any data is read: a truncated or corrupt file raises
:class:`~rlsparse_check.errors.CheckpointError` naming the file and what to do. No torch here.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rlsparse_check.atomic import atomic_write
from rlsparse_check.errors import CheckpointError, OptionError

__all__ = [
    "DTYPES",
    "ITEMSIZE",
    "TensorSpec",
    "bits_dtype",
    "decode",
    "decode_bf16",
    "encode_bf16",
    "read_safetensors_header",
    "write_safetensors",
]

DTYPES = {
    "BF16": "bfloat16",
    "F16": "float16",
    "F32": "float32",
    "F64": "float64",
    "I8": "int8",
    "U8": "uint8",
    "I16": "int16",
    "U16": "uint16",
    "I32": "int32",
    "U32": "uint32",
    "I64": "int64",
    "U64": "uint64",
    "BOOL": "bool",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
}
_CODES = {name: code for code, name in DTYPES.items()}
ITEMSIZE = {
    "bool": 1,
    "int8": 1,
    "uint8": 1,
    "float8_e4m3fn": 1,
    "float8_e5m2": 1,
    "bfloat16": 2,
    "float16": 2,
    "int16": 2,
    "uint16": 2,
    "float32": 4,
    "int32": 4,
    "uint32": 4,
    "float64": 8,
    "int64": 8,
    "uint64": 8,
}
_NUMPY_NATIVE = {
    "float16",
    "float32",
    "float64",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "bool",
}
_MAX_HEADER = 100 * 2**20  # safetensors' own limit on the JSON header
_FIX = "re-download or re-save the checkpoint"


def bits_dtype(dtype: str) -> np.dtype:
    """The unsigned integer dtype that holds the stored bits of ``dtype`` (little-endian)."""
    return np.dtype(f"<u{ITEMSIZE[dtype]}")


@dataclass(frozen=True)
class TensorSpec:
    """Where one tensor lives: ``offset`` is the absolute byte offset in ``file`` (-1 in memory)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    file: Path
    offset: int
    nbytes: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


def encode_bf16(x: np.ndarray) -> np.ndarray:
    """float32 values -> bf16 bits (``uint16``), rounded to nearest even; NaN stays NaN."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    u = x.view(np.uint32)
    bits = ((u + (np.uint32(0x7FFF) + ((u >> 16) & np.uint32(1)))) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    if nan.any():
        bits[nan] = ((u[nan] >> 16) | np.uint32(0x0040)).astype(np.uint16)
    return bits


def decode_bf16(bits: np.ndarray) -> np.ndarray:
    """bf16 bits (``uint16``) -> float32 values (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def decode(bits: np.ndarray, dtype: str, out: type = np.float32) -> np.ndarray:
    """Stored bits of ``dtype`` -> values as numpy dtype ``out``."""
    if dtype == "bfloat16":
        return decode_bf16(bits).astype(out, copy=False)
    if dtype in _NUMPY_NATIVE:
        return bits.view(np.dtype(dtype).newbyteorder("<")).astype(out, copy=False)
    raise OptionError(f"values of dtype {dtype} cannot be decoded: compare them bitwise (--atol 0)")


def _no_duplicates(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise ValueError(f"tensor {dup!r} is listed twice")
    return dict(pairs)


def read_safetensors_header(file: Path) -> dict[str, TensorSpec]:
    """Parse and check the header of one safetensors file; raises :class:`CheckpointError`."""
    file = Path(file)
    try:
        size = file.stat().st_size
        with open(file, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise CheckpointError(f"{file}: truncated safetensors file ({size} bytes): {_FIX}")
            n = int.from_bytes(head, "little")
            if n > _MAX_HEADER or 8 + n > size:
                raise CheckpointError(
                    f"{file}: corrupt or truncated safetensors file (header says {n} bytes, file "
                    f"has {size}): {_FIX}"
                )
            text = f.read(n)
    except OSError as e:
        raise CheckpointError(f"{file}: cannot read ({e.strerror}): check the path") from None
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=_no_duplicates)
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise CheckpointError(f"{file}: corrupt safetensors header ({e}): {_FIX}") from None
    header.pop("__metadata__", None)
    specs, spans = {}, []
    for name, entry in header.items():
        spec = _spec_of(file, name, entry, 8 + n, size)
        specs[name] = spec
        spans.append((spec.offset, spec.offset + spec.nbytes, name))
    spans.sort()
    for (_, end, first), (start, stop, second) in zip(spans, spans[1:], strict=False):
        if start < end and stop > start:
            raise CheckpointError(
                f"{file}: corrupt header: tensors {first!r} and {second!r} overlap: {_FIX}"
            )
    return specs


def _spec_of(file: Path, name: str, entry: object, base: int, size: int) -> TensorSpec:
    def bad(why: str) -> CheckpointError:
        return CheckpointError(f"{file}: corrupt header entry for tensor {name!r} ({why}): {_FIX}")

    if not isinstance(entry, dict):
        raise bad("not an object")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if code not in DTYPES:
        raise CheckpointError(
            f"{file}: tensor {name!r} has unknown dtype {code!r}; supported: {', '.join(DTYPES)}"
        )
    if not isinstance(shape, list) or not all(_is_count(d) for d in shape):
        raise bad(f"shape {shape!r} is not a list of non-negative integers")
    if not (
        isinstance(offsets, list)
        and len(offsets) == 2
        and all(map(_is_count, offsets))
        and offsets[0] <= offsets[1]
    ):
        raise bad(f"data_offsets {offsets!r} are not [begin, end]")
    dtype = DTYPES[code]
    need = math.prod(shape) * ITEMSIZE[dtype]
    if offsets[1] - offsets[0] != need:
        raise bad(
            f"{code} x {shape} needs {need} bytes but data_offsets span {offsets[1] - offsets[0]}"
        )
    if base + offsets[1] > size:
        raise CheckpointError(
            f"{file}: truncated: tensor {name!r} ends at byte {base + offsets[1]}"
            f" but the file has {size} bytes: {_FIX}"
        )
    return TensorSpec(name, dtype, tuple(shape), file, base + offsets[0], need)


def _is_count(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _storage_bits(name: str, array: np.ndarray, dtype: str | None) -> tuple[np.ndarray, str]:
    """``array`` as little-endian stored bits of ``dtype`` (inferred from the array if None)."""
    dtype = DTYPES.get(dtype, dtype) if dtype else array.dtype.name
    if dtype not in ITEMSIZE:
        raise OptionError(
            f"tensor {name!r}: cannot store dtype {dtype!r}; use one of {', '.join(_CODES)}"
        )
    size, kind = ITEMSIZE[dtype], array.dtype.kind
    if kind == "u" and array.dtype.itemsize == size:
        bits = array  # unsigned integers of the right width are taken as raw stored bits
    elif dtype == "bfloat16" and kind == "f":
        bits = encode_bf16(array)
    elif dtype in _NUMPY_NATIVE:
        bits = array.astype(np.dtype(dtype).newbyteorder("<")).view(bits_dtype(dtype))
    else:
        raise OptionError(f"tensor {name!r}: give {dtype} data as uint{8 * size} raw bits")
    return np.ascontiguousarray(bits, dtype=bits_dtype(dtype)), _CODES[dtype]


def write_safetensors(
    path: str | os.PathLike,
    tensors: Mapping[str, np.ndarray],
    *,
    dtype: str | Mapping[str, str] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write ``tensors`` as one safetensors file, atomically (temp file, then ``os.replace``).

    ``dtype``: one dtype name for all, a mapping per tensor, or None to keep each array's dtype.
    Float data stored as ``"bfloat16"`` is rounded to nearest even (float64 via float32);
    unsigned integer arrays whose width matches the target dtype are stored as raw bits.
    """
    path = Path(path)
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, offset = [], 0
    for name, array in tensors.items():
        target = dtype.get(name) if isinstance(dtype, Mapping) else dtype
        bits, code = _storage_bits(name, np.asarray(array), target)
        header[name] = {
            "dtype": code,
            "shape": list(np.shape(array)),
            "data_offsets": [offset, offset + bits.nbytes],
        }
        blobs.append(bits)
        offset += bits.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with atomic_write(path) as f:
        f.write(len(text).to_bytes(8, "little") + text)
        for bits in blobs:
            f.write(memoryview(bits.reshape(-1)).cast("B"))
    return path
