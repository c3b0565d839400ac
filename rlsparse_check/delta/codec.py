"""Encode one chunk of a tensor's update as two zstd frames (positions, values), and back.

A chunk is up to ``chunk`` consecutive entries of a tensor, as stored bits (``uint8`` to
``uint64``). Of the entries that changed:

* positions are a packed bitmask of the chunk (:data:`BITMASK`) or the gaps between
  consecutive changed indices as ``uint32`` (:data:`GAPS`), whichever compresses smaller; when
  every entry changed they are implied (:data:`IMPLIED`, no frame);
* values are the difference of bit patterns ``tuned - base`` wrapping in the dtype's width,
  zigzag-mapped so that small moves either way are small numbers (:data:`DIFF`), or the raw
  tuned bits (:data:`RAW`), whichever compresses smaller.

Every integer stream is byte-shuffled (all lowest bytes, then all next bytes...) before zstd, so
the all-zero high bytes of small gaps and small moves cost almost nothing. Tensors carried in
full are chunks of raw values with implied positions. Decoding checks every frame's size and
count; a bad frame raises :class:`CorruptFrame`.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np
import zstandard

__all__ = [
    "LEVEL",
    "IMPLIED",
    "BITMASK",
    "GAPS",
    "DIFF",
    "RAW",
    "Encoded",
    "CorruptFrame",
    "compress",
    "decompress",
    "encode_sparse",
    "encode_full",
    "decode_sparse",
    "decode_full",
]

#: zstd level: on these streams (bitmasks, gaps, one-ULP moves) 1 measured as small as 3 and
#: up to twice as fast; 19 was 10% smaller at 20 times the time.
LEVEL = 1
IMPLIED, BITMASK, GAPS = 0, 1, 2  # position codes
DIFF, RAW = 1, 2  # value codes

_CODECS = threading.local()  # zstd contexts must not be shared between threads


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    if not hasattr(_CODECS, "pair"):
        compressor = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True)
        _CODECS.pair = compressor, zstandard.ZstdDecompressor()
    return _CODECS.pair


class CorruptFrame(ValueError):
    """A frame does not decode to what its chunk table says."""


class Encoded(NamedTuple):
    """One encoded chunk: changed count, position code and frame, value code and frame."""

    count: int
    positions: int
    position_frame: bytes
    values: int
    value_frame: bytes


def compress(data: np.ndarray | bytes) -> bytes:
    """One zstd frame (with its content size and checksum) of the bytes of ``data``."""
    return _codecs()[0].compress(memoryview(np.ascontiguousarray(data)).cast("B"))


def decompress(frame: bytes, size: int) -> bytes:
    """Decompress one frame that must hold exactly ``size`` bytes."""
    try:
        if zstandard.frame_content_size(frame) != size:
            raise CorruptFrame(f"frame says it holds a different size than the expected {size}")
        data = _codecs()[1].decompress(frame)
    except zstandard.ZstdError as e:
        raise CorruptFrame(f"zstd: {e}") from None
    if len(data) != size:
        raise CorruptFrame(f"frame holds {len(data)} bytes, expected {size}")
    return data


def _shuffle(x: np.ndarray) -> np.ndarray:
    """Bytes of unsigned ``x`` grouped by significance: every lowest byte, then the next...

    (Shifts measured several times faster than transposing a byte view.)"""
    return np.stack([(x >> (8 * j)).astype(np.uint8) for j in range(x.dtype.itemsize)])


def _unshuffle(data: bytes, dtype: np.dtype, count: int) -> np.ndarray:
    planes = np.frombuffer(data, np.uint8).reshape(dtype.itemsize, count)
    out = planes[0].astype(dtype)
    for j in range(1, dtype.itemsize):
        out |= planes[j].astype(dtype) << (8 * j)
    return out


def _zigzag(d: np.ndarray) -> np.ndarray:
    """Wrapped differences -> 0, -1, 1, -2... as 0, 1, 2, 3... (unsigned, same width)."""
    sign = d >> (8 * d.dtype.itemsize - 1)
    return (d << 1) ^ (d.dtype.type(0) - sign)


def _unzigzag(z: np.ndarray) -> np.ndarray:
    return (z >> 1) ^ (z.dtype.type(0) - (z & 1))


def _smaller(*candidates: tuple[int, bytes]) -> tuple[int, bytes]:
    return min(candidates, key=lambda c: len(c[1]))


def encode_sparse(
    base: np.ndarray, tuned: np.ndarray, changed: np.ndarray | None = None
) -> Encoded:
    """Encode the entries of ``tuned`` that differ from ``base`` (same-dtype stored bits).

    ``changed``: a boolean mask of the entries to carry (default: where the bits differ).
    """
    if changed is None:
        changed = base != tuned
    index = np.flatnonzero(changed)
    count = index.size
    if count == 0:
        return Encoded(0, IMPLIED, b"", 0, b"")
    if count == changed.size:
        positions = (IMPLIED, b"")
        new, old = tuned, base
    else:
        gaps = np.diff(index, prepend=-1) - 1
        positions = _smaller(
            (BITMASK, compress(np.packbits(changed))),
            (GAPS, compress(_shuffle(gaps.astype(np.uint32)))),
        )
        new, old = tuned[index], base[index]
    diff = compress(_shuffle(_zigzag(new - old)))
    values = _smaller((DIFF, diff), (RAW, compress(_shuffle(new))))
    return Encoded(count, *positions, *values)


def encode_full(tuned: np.ndarray) -> Encoded:
    """Encode a whole chunk of raw values (a tensor carried in full)."""
    return Encoded(tuned.size, IMPLIED, b"", RAW, compress(_shuffle(tuned)))


def decode_sparse(base: np.ndarray, chunk: Encoded) -> np.ndarray:
    """The tuned bits of a chunk: a copy of ``base`` with the encoded entries replaced."""
    out = np.array(base, copy=True)
    n, count = base.size, chunk.count
    if count == 0:
        return out
    if chunk.positions == IMPLIED and count == n:
        index = slice(None)
    elif chunk.positions == BITMASK:
        mask = np.frombuffer(decompress(chunk.position_frame, (n + 7) // 8), np.uint8)
        index = np.flatnonzero(np.unpackbits(mask, count=n))
    elif chunk.positions == GAPS:
        gaps = _unshuffle(decompress(chunk.position_frame, 4 * count), np.dtype("<u4"), count)
        index = np.cumsum(gaps.astype(np.int64) + 1) - 1
        if index[-1] >= n:
            raise CorruptFrame(f"a position ({index[-1]}) is past the chunk's {n} entries")
    else:
        raise CorruptFrame(f"unknown position code {chunk.positions} for {count} of {n} entries")
    if not isinstance(index, slice) and index.size != count:
        raise CorruptFrame(f"positions hold {index.size} entries, the chunk table says {count}")
    values = _unshuffle(decompress(chunk.value_frame, count * out.itemsize), out.dtype, count)
    if chunk.values == DIFF:
        out[index] += _unzigzag(values)
    elif chunk.values == RAW:
        out[index] = values
    else:
        raise CorruptFrame(f"unknown value code {chunk.values}")
    return out


def decode_full(dtype: np.dtype, n: int, chunk: Encoded) -> np.ndarray:
    """The ``n`` raw values of a chunk encoded by :func:`encode_full`."""
    if (chunk.count, chunk.positions, chunk.values) != (n, IMPLIED, RAW):
        raise CorruptFrame(f"a chunk of a tensor carried in full must hold its {n} raw entries")
    return _unshuffle(decompress(chunk.value_frame, n * dtype.itemsize), dtype, n)
