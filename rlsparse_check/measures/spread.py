"""C8's measures: how the update spreads over the blocks, and whether norms are spared beyond
what their magnitude explains (numpy only, streamed).

Norm weights sit near 1.0, where half a bf16 ULP (2**-8) is far above what a small learning rate
moves a weight in a run, so "norm parameters are almost never updated" follows from storage
precision alone. :func:`norms_against_matched` therefore compares the norm entries with the
non-norm entries of the same magnitude: both are grouped by binade of the base value (the
exponent, which fixes the ULP), and within each binade the unchanged entries are, under the null,
spread between norm and non-norm entries at random (a sum of hypergeometric counts over the
binades, one-sided: norms unchanged more often than matched entries).

In training mode the fp32 master says it directly (:func:`norm_movement`): whether the norm
entries moved at all, and whether each stayed below half a bf16 ULP of its stored base value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from rlsparse_check.masks import NO_LAYER, kind_of

__all__ = ["block_densities", "norms_against_matched", "binade", "norm_movement", "norm_evidence"]


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


def norm_movement(base32: Any, master: Any, base16: Any) -> dict[str, Any]:
    """The norm entries' fp32 movement ``|master - base32|`` against half a bf16 ULP of the
    stored base value (``base16``); paths or open checkpoints of the fp32 base, the run's fp32
    master and the stored bf16 base. Returns ``entries``, ``moved`` (fp32 value changed),
    ``moved_below_half_ulp`` (changed by less than the half-ULP), their shares, and
    ``max_movement_in_half_ulps`` (the largest ``|delta| / h``)."""
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.measures.precision import half_ulp_bf16

    entries = moved = below = 0
    worst = 0.0
    with open_checkpoint(base32) as b32, open_checkpoint(master) as t32:
        with open_checkpoint(base16) as b16:
            for name in (n for n in b16.names if kind_of(n) == "norm"):
                w0 = b32.values(name).reshape(-1).astype(np.float64)
                delta = np.abs(t32.values(name).reshape(-1).astype(np.float64) - w0)
                h = half_ulp_bf16(b16.values(name).reshape(-1))
                entries += delta.size
                moved += int(np.count_nonzero(delta > 0))
                below += int(np.count_nonzero((delta > 0) & (delta < h)))
                if delta.size:
                    worst = max(worst, float(np.max(delta / h)))
    return {
        "entries": entries,
        "moved": moved,
        "moved_below_half_ulp": below,
        "moved_fraction": moved / entries if entries else None,
        "below_half_ulp_fraction": below / entries if entries else None,
        "max_movement_in_half_ulps": worst,
    }


def norm_evidence(base: Any, masks: Any, twin: Any = None) -> dict[str, Any]:
    """:func:`norms_against_matched` of the stored ``base`` (a path) and, when ``twin`` (the
    run's fp32 case: fp32 base and master) is given, its ``fp32_master``
    (:func:`norm_movement`); ``phrase``: the comparison a headline quotes."""
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.numbers import percent

    with open_checkpoint(base) as ck:
        out = norms_against_matched(ck, masks)
    out["phrase"] = "and no non-norm entry has their |w| to compare with"
    if out["entries"]:
        out["phrase"] = (
            f"vs {percent(out['expected_fraction'])} for non-norm entries of matched |w|"
        )
    if twin is not None:
        out["fp32_master"] = norm_movement(twin.base, twin.tuned, base)
        out["phrase"] = f"{percent(out['fp32_master']['moved_fraction'])} moved in the fp32 master"
    return out
