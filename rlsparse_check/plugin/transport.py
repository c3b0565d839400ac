"""How a claim result travels from the test that recorded it to the controller that writes the
report: as JSON text in the test report's ``user_properties``, which pytest-xdist ships from its
workers like any other report field.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rlsparse_check.results import ClaimResult

__all__ = [
    "PROPERTY",
    "REGIME",
    "attach",
    "attach_regime",
    "results_of",
    "regime_of",
    "claim_id_of_nodeid",
]

PROPERTY = "rlsparse_check.claim"  # user_properties key carrying one ClaimResult as JSON text
REGIME = "rlsparse_check.measures.regime"  # ... and the regime record of the session
_CLAIM_FILE = re.compile(r"(?:^|/)test_(c\d+)_[^/]*\.py")


def attach(node: Any, result: ClaimResult) -> None:
    """Put ``result`` on the test item ``node`` (its reports carry it to the controller)."""
    node.user_properties.append((PROPERTY, json.dumps(result.to_json(), sort_keys=True)))


def results_of(report: Any) -> list[dict[str, Any]]:
    """The claim results (JSON dicts) a test report carries."""
    return [json.loads(value) for key, value in report.user_properties if key == PROPERTY]


def attach_regime(node: Any, regime: dict[str, Any]) -> None:
    """Put the session's regime record (report.json's "regime") on the test item ``node``."""
    node.user_properties.append((REGIME, json.dumps(regime, sort_keys=True)))


def regime_of(report: Any) -> dict[str, Any] | None:
    """The regime record a test report carries, if any."""
    found = [json.loads(value) for key, value in report.user_properties if key == REGIME]
    return found[-1] if found else None


def claim_id_of_nodeid(nodeid: str) -> str | None:
    """``claims/test_c3_overlap.py::test_x[a]`` -> ``"C3"``; None for other tests."""
    match = _CLAIM_FILE.search(nodeid.split("::", 1)[0])
    return match.group(1).upper() if match else None
