"""Multiple-comparison corrections: Holm (family-wise error) and Benjamini-Hochberg (FDR), and
the same over a family of questions that are each decided one way or the other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rlsparse_check.errors import StatsInputError
from rlsparse_check.thresholds import CORRECTIONS as CLAIM_CORRECTIONS

__all__ = [
    "CORRECTIONS",
    "holm",
    "benjamini_hochberg",
    "adjust",
    "adjust_directional",
    "correct_equivalence",
]

CORRECTIONS = (*CLAIM_CORRECTIONS, "none")


def _pvalues(p: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise StatsInputError(f"p-values must lie in [0, 1], got {arr.tolist()}")
    return arr


def holm(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (controls the family-wise error rate), input order."""
    arr = _pvalues(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * arr[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def benjamini_hochberg(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values (controls the false discovery rate)."""
    arr = _pvalues(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    scaled = arr[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return out


def adjust(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method``: ``"holm"``, ``"bh"`` (Benjamini-Hochberg) or ``"none"``."""
    if method == "holm":
        return holm(p)
    if method == "bh":
        return benjamini_hochberg(p)
    if method == "none":
        return _pvalues(p).copy()
    raise StatsInputError(f"correction {method!r}: use one of {', '.join(CORRECTIONS)}")


def adjust_directional(
    support: Sequence[float], refute: Sequence[float], method: str = "holm"
) -> tuple[np.ndarray, np.ndarray]:
    """A family of questions, each answered one way (``support``: e.g. a TOST's equivalence, a
    bound below a limit) or the other (``refute``: outside the margin, above the limit) by two
    opposite one-sided tests. Each question is ONE member of the family: its p-value is the
    smaller of its two, adjusted over the members by ``method``; that direction gets the
    adjusted value and the other 1. For any true value only one direction can be an error, so
    each member's error in either direction is held at the level of its adjusted p-value, and
    support and refutation are corrected alike. Returns ``(support, refute)`` adjusted."""
    s, r = _pvalues(support), _pvalues(refute)
    if s.size != r.size:
        raise StatsInputError(
            f"adjust_directional: {s.size} support p-values but {r.size} refute p-values: give "
            "both directions of every question"
        )
    member = adjust(np.minimum(s, r), method)
    ones = np.ones_like(member)
    return np.where(s <= r, member, ones), np.where(s <= r, ones, member)


def correct_equivalence(tests: Mapping[Any, dict], method: str) -> None:
    """A family of TOSTs (each test's ``p``; None left out), one member per question: writes
    ``p_adjusted`` (equivalent) and ``p_outside_adjusted`` (outside the margin, ``1 - p`` before
    correction) by :func:`adjust_directional`."""
    named = [k for k, t in tests.items() if t.get("p") is not None]
    if named:
        p = [tests[k]["p"] for k in named]
        inside, outside = adjust_directional(p, [1.0 - x for x in p], method)
        for k, a, b in zip(named, inside, outside, strict=True):
            tests[k]["p_adjusted"], tests[k]["p_outside_adjusted"] = float(a), float(b)
