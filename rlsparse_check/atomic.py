"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A reader sees either the old file or the whole new one, never a half-written file; on any error
the temporary file is removed and the target is left as it was. The file gets the permissions a
plain ``open`` would give it (0666 less the umask), not the private 0600 of a temporary file.
Standard library only (the diff path imports this).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "write_text", "write_json", "dumps_json"]


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` (``mode`` "wb" or "w"); on a clean exit it is
    flushed to disk and renamed over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_write(path, "w") as handle:
        handle.write(text)
    return Path(path)


def _item(value: Any) -> Any:
    """numpy scalars (anything with ``.item()``) as plain numbers; anything else is an error."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_json(data: Any) -> str:
    """Strict JSON text: sorted keys, indented, numpy scalars as numbers, and NaN or infinity
    an error (``ValueError``), never a non-standard token."""
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False, default=_item) + "\n"


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Serialise ``data`` first (an error leaves no file), then write it atomically."""
    return write_text(path, dumps_json(data))
