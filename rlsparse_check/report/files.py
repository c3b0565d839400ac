"""Atomic file writing for reports (see :mod:`rlsparse_check.atomic`).

A reader never sees a half-written report.json or report.html: either the old file or the new one.
The text is fully produced before the temporary file is opened, so a serialisation error leaves
nothing behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlsparse_check.atomic import write_text

__all__ = ["write_text_atomic", "write_json_atomic", "dumps_report"]


def dumps_report(data: Any) -> str:
    """JSON text of a report: sorted keys, indented, strict (NaN/inf are errors, not tokens)."""
    return json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically, creating parent directories."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text(path, text)


def write_json_atomic(path: Path, data: Any) -> Path:
    """Serialise ``data`` first (errors leave no file), then write it atomically."""
    return write_text_atomic(path, dumps_report(data))
