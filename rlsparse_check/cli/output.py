"""Options and outputs shared by the subcommands: ``--atol`` and ``--json``/``--masks`` files.

Output paths are checked before any work is done, and written atomically afterwards; every
problem is an :class:`~rlsparse_check.errors.OptionError` that names the option.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError

__all__ = ["atol", "output_path", "write_json"]


def atol(text: str) -> float:
    """``--atol``: a finite non-negative tolerance (0 = bitwise)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise OptionError(
            f"--atol {text!r} is not a non-negative number: use 0 for a bitwise "
            f"comparison or a tolerance such as 1e-5"
        )
    return value


def output_path(path: str | Path, option: str) -> Path:
    """Check an output file option before the work starts; creates its folder."""
    out = Path(path)
    if out.is_dir():
        raise OptionError(f"{option} {path}: is a folder; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OptionError(f"{option} {path}: cannot create its folder ({e.strerror})") from None
    return out


def write_json(path: Path, data: Any, option: str = "--json") -> None:
    """Write ``data`` as strict JSON (no NaN tokens; numpy scalars as numbers), atomically."""
    from rlsparse_check.atomic import write_json as write

    try:
        write(path, data)
    except OSError as e:
        raise OptionError(f"{option} {path}: cannot write ({e.strerror}): check the path") from None
