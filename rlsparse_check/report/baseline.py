"""Stored reports read back: the ``--baseline`` report of a drift check, either side of
``rlsparse-check report --compare``, or a report.json to render again.

:func:`load_report` checks the schema and says which file (and option) is damaged and how; the
comparison of two loaded reports is :mod:`rlsparse_check.report.compare`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.report.collect import SCHEMA

__all__ = ["load_baseline", "load_report"]


def load_report(path: Path, option: str = "") -> dict[str, Any]:
    """Read a stored report.json; a missing or malformed file is an OptionError naming it
    (and ``option``, the command-line option that gave it, when there is one)."""
    name = f"{option} {path}" if option else str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OptionError(
            f"{name}: no such file; give a report.json written by an "
            "earlier claims run (reports/latest/report.json)"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OptionError(f"{name}: not a readable JSON report ({error})") from None
    if (
        not isinstance(data, dict)
        or data.get("schema") != SCHEMA
        or not isinstance(data.get("claims"), list)
    ):
        raise OptionError(
            f"{name}: not a schema-{SCHEMA} rlsparse-check report "
            "(expected keys 'schema' and 'claims')"
        )
    if not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in data["claims"]):
        raise OptionError(f"{name}: a claim entry has no string 'id'; the report is damaged")
    return data


def load_baseline(path: Path) -> dict[str, Any]:
    """Read the ``--baseline`` report.json (see :func:`load_report`)."""
    return load_report(path, "--baseline")
