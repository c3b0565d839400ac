"""C8's measures: how the update spreads over the blocks, and whether norms are spared beyond
what their magnitude explains (numpy only, streamed).

Norm weights sit near 1.0, where half a bf16 ULP (2**-8) is far above what a small learning rate
moves a weight in a run, so "norm parameters are almost never updated" follows from storage
precision alone. :func:`norms_against_matched` therefore compares the norm entries with the
non-norm entries of the same magnitude: both are grouped by binade of the base value (the
exponent, which fixes the ULP), and within each binade the unchanged entries are, under the null,
spread between norm and non-norm entries at random (a sum of hypergeometric counts over the
binades, one-sided: norms unchanged more often than matched entries).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rlsparse_check.masks import NO_LAYER, kind_of

__all__ = ["block_densities", "norms_against_matched", "binade"]


def block_densities(by_layer: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """``{block: changed / numel}`` of the numbered blocks of a diff's ``by_layer()``."""
    return {
        block: row["changed"] / row["numel"]
        for block, row in by_layer.items()
        if block != NO_LAYER and row["numel"]
    }


def binade(values: np.ndarray) -> np.ndarray:
    """The float32 exponent field of each value (equal for values in one binade)."""
    bits = np.abs(np.ascontiguousarray(values, dtype=np.float32)).view(np.uint32)
    return (bits >> np.uint32(23)).astype(np.int64)


def norms_against_matched(base: Any, masks: Any) -> dict[str, Any]:
    """Norm entries vs non-norm entries of matched |w| (same binade of the base value).

    ``base``: an open :class:`~rlsparse_check.checkpoints.Checkpoint`; ``masks``: the update
    :class:`~rlsparse_check.masks.MaskSet` against it. Returns the norm entries and how many
    changed, the matched non-norm entries (in binades that hold norm entries), the share of
    norm entries the matched rates predict to change, and the one-sided p-value that norm
    entries stay unchanged more often than matched ones.
    """
    from rlsparse_check.checkpoints import CHUNK_ELEMS, decode
    from rlsparse_check.overlap import hypergeometric_sum_test

    size = 1 << 9
    counts = np.zeros((2, 2, size), np.int64)  # [is_norm, changed, binade]
    for name in masks.names:
        is_norm = int(kind_of(name) == "norm")
        spec = base.spec(name)
        flat = masks.dense(name).reshape(-1)
        start = 0
        for bits in base.chunks(name, CHUNK_ELEMS):
            code = binade(decode(bits, spec.dtype, np.float32))
            changed = flat[start : start + code.size]
            counts[is_norm, 1] += np.bincount(code[changed], minlength=size)
            counts[is_norm, 0] += np.bincount(code[~changed], minlength=size)
            start += code.size
    norm, other = counts[1].sum(axis=0), counts[0].sum(axis=0)
    norm_total, norm_changed = int(norm.sum()), int(counts[1, 1].sum())
    shared = (norm > 0) & (other > 0)
    matched = int(other[shared].sum())
    out: dict[str, Any] = {
        "norm_entries": norm_total,
        "norm_changed": norm_changed,
        "norm_fraction": norm_changed / norm_total if norm_total else None,
        "entries": matched,
        "expected_fraction": None,
        "p": None,
    }
    if not matched:
        return out
    rate = counts[0, 1, shared] / other[shared]
    out["expected_fraction"] = float(np.sum(norm[shared] * rate) / norm[shared].sum())
    unchanged = counts[0, 0, shared] + counts[1, 0, shared]
    test = hypergeometric_sum_test(
        counts[1, 0, shared], norm[shared] + other[shared], norm[shared], unchanged
    )
    out["p"] = float(test.p_value)
    out["norm_fraction_matched_binades"] = float(counts[1, 1, shared].sum() / norm[shared].sum())
    return out
