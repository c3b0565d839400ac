"""Atomic file writing for reports: a temporary file in the same directory, then ``os.replace``.

A reader never sees a half-written report.json or report.html: either the old file or the new one.
The text is fully produced before the temporary file is opened, so a serialisation error leaves
nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_text_atomic", "write_json_atomic", "dumps_report"]


def dumps_report(data: Any) -> str:
    """JSON text of a report: sorted keys, indented, strict (NaN/inf are errors, not tokens)."""
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, creating parent directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: Path, data: Any) -> Path:
    """Serialise ``data`` first (errors leave no file), then write it atomically."""
    return write_text_atomic(path, dumps_report(data))
