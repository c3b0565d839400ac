"""Multiple-comparison corrections: Holm (family-wise error) and Benjamini-Hochberg (FDR)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rlsparse_check.errors import StatsInputError
from rlsparse_check.thresholds import CORRECTIONS as CLAIM_CORRECTIONS

__all__ = ["CORRECTIONS", "holm", "benjamini_hochberg", "adjust"]

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
