"""Compare a claims run with a stored baseline report.json (``--baseline``), for CI gating.

A claim drifts when its verdict changed, or when its key figure (``measured["key"]``, see
collect.py) moved by more than the tolerance: absolute for figures within [-1, 1] (fractions such
as sparsity: 0.05 = 5 percentage points), relative to the baseline value beyond that (ratios,
ranks). A claim in the baseline that this run did not test is reported as a note, not a drift:
the run may have been narrower on purpose.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.report.collect import SCHEMA, format_number, key_figure

__all__ = ["Drift", "load_baseline", "compare"]


@dataclass(frozen=True)
class Drift:
    claim_id: str
    message: str
    is_failure: bool = True


def load_baseline(path: Path) -> dict[str, Any]:
    """Read a stored report.json; a missing or malformed file is an OptionError naming it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OptionError(f"--baseline {path}: no such file; give a report.json written by an "
                          "earlier claims run (reports/latest/report.json)") from None
    except (OSError, json.JSONDecodeError) as error:
        raise OptionError(f"--baseline {path}: not a readable JSON report ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(
            data.get("claims"), list):
        raise OptionError(f"--baseline {path}: not a schema-{SCHEMA} rlsparse-check report "
                          "(expected keys 'schema' and 'claims')")
    return data


def _moved(old: float, new: float, tolerance: float) -> bool:
    scale = max(1.0, abs(old))
    return abs(new - old) > tolerance * scale


def compare(claims: list[dict[str, Any]], baseline: dict[str, Any],
            tolerance: float) -> list[Drift]:
    """Drifts of ``claims`` (this run) from ``baseline`` (a loaded report), sorted by claim."""
    current = {c["id"]: c for c in claims}
    drifts: list[Drift] = []
    for old in baseline["claims"]:
        claim_id = old.get("id", "?")
        new = current.get(claim_id)
        if new is None:
            drifts.append(Drift(claim_id, f"{claim_id}: in the baseline but not tested in this "
                                          "run", is_failure=False))
            continue
        if new["verdict"] != old.get("verdict"):
            drifts.append(Drift(claim_id, f"{claim_id}: verdict changed from "
                                          f"{old.get('verdict')} to {new['verdict']}"))
        old_figure, new_figure = key_figure(old), key_figure(new)
        if old_figure and new_figure and old_figure[0] == new_figure[0]:
            name, before = old_figure
            after = new_figure[1]
            if _moved(before, after, tolerance):
                drifts.append(Drift(claim_id, f"{claim_id}: {name} moved from "
                                              f"{format_number(before)} to "
                                              f"{format_number(after)} (tolerance "
                                              f"{format_number(tolerance)})"))
    return drifts
