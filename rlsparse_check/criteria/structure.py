"""Exact measurements of one checkpoint's update: its rank (C7), its spread across blocks and
the norms it spares (C8)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rlsparse_check.criteria.combine import p_text, pct, verdict_of
from rlsparse_check.results import Decision, Verdict

__all__ = ["full_rank", "rank_against_reference", "spread_across_blocks", "norms_spared"]


def _norms_in_master(head: str, master: Mapping[str, Any], max_updated: float) -> Decision:
    moved, below = master["moved_fraction"], master["below_half_ulp_fraction"]
    why = (
        f"{head}; in the fp32 master {pct(moved)} of norm entries moved, {pct(below)} by less "
        f"than half a bf16 ULP (largest move {master['max_movement_in_half_ulps']:.3g} half-ULPs)"
    )
    if moved <= max_updated:
        return verdict_of(True, False, f"{why}: training itself leaves the norms alone")
    return verdict_of(
        False, True, f"{why}: training updated them, storage precision hides it in bf16"
    )


def full_rank(
    mean_ratio: float | None,
    min_ratio: float,
    *,
    matrices: int,
    published_style: float | None,
    random_reference: float | None,
) -> Decision:
    """C7 for one checkpoint (exact): the mean rank ratio above the storage noise floor against
    ``min_ratio``, with the published-style figure and random sparse matrices quoted beside."""
    if mean_ratio is None or matrices == 0:
        return Decision(Verdict.INCONCLUSIVE, "no 2-D weight was updated: no rank to measure")
    why = (
        f"mean rank ratio above the storage noise floor {pct(mean_ratio)} over {matrices} "
        f"matrices (need {pct(min_ratio)}); published-style tolerance {pct(published_style)}; "
        f"random sparse matrices of equal density {pct(random_reference)}"
    )
    if random_reference is not None and random_reference >= min_ratio:
        why += " (random sparse updates are full rank too: full rank says little of structure)"
    return verdict_of(mean_ratio >= min_ratio, mean_ratio < min_ratio, why)


def rank_against_reference(
    measured: float | None,
    full_reference: float | None,
    rank_one: float | None,
    margin: float,
    *,
    matrices: int,
    published_style: float | None = None,
    master: float | None = None,
) -> Decision:
    """C7 for a stored update (exact): its mean rank ratio above the storage noise floor against
    a full-rank update of the same density and per-entry size stored and measured the same way
    (``full_reference``), and a rank-1 update of the same size (``rank_one``). Inconclusive when
    the full-rank reference is not ``margin`` above the rank-1 one (the update is too small to
    show rank above the rounding); refuted when the measured ratio is more than ``margin`` below
    the full-rank reference; else reproduced (as full rank as a full-rank update can look).
    ``master``: the fp32 master update's ratio in training mode, quoted, never deciding (any
    dense Adam update is full rank)."""
    if measured is None or full_reference is None or rank_one is None or matrices == 0:
        return Decision(Verdict.INCONCLUSIVE, "no 2-D weight was updated: no rank to measure")
    why = (
        f"rank ratio above the storage noise floor {pct(measured)} over {matrices} matrices; a "
        f"full-rank update of the same density and size stored the same way {pct(full_reference)}"
        f", a rank-1 one {pct(rank_one)} (margin {pct(margin)}); published-style tolerance "
        f"{pct(published_style)}"
    )
    if master is not None:
        why += (
            f"; fp32 master update {pct(master)} (not deciding: dense Adam updates are full rank)"
        )
    if full_reference - rank_one < margin:
        return verdict_of(
            False, False, f"{why}: update too small to measure rank above bf16 rounding"
        )
    if measured < full_reference - margin:
        return verdict_of(False, True, f"{why}: clearly below a full-rank update's")
    return verdict_of(True, False, f"{why}: as full rank as a full-rank update of its size shows")


def spread_across_blocks(
    densities: Sequence[float], *, active_fraction: float, min_active: float, max_cv: float
) -> tuple[Decision, dict[str, float]]:
    """C8, spread (exact): the share of blocks taking part (density at least
    ``active_fraction`` x the median block's) and the coefficient of variation of densities."""
    if not densities or not any(densities):
        return Decision(Verdict.INCONCLUSIVE, "no numbered block was updated"), {}
    ordered, mid = sorted(densities), len(densities) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    active = sum(1 for d in densities if d > 0 and d >= active_fraction * median)
    mean = sum(densities) / len(densities)
    cv = math.sqrt(sum((d - mean) ** 2 for d in densities) / len(densities)) / mean
    share = active / len(densities)
    why = (
        f"{active}/{len(densities)} blocks take part (need {pct(min_active)}), CV of block "
        f"density {cv:.3f} (at most {max_cv:g})"
    )
    ok = share >= min_active and cv <= max_cv
    figures = {"blocks": len(densities), "active_block_share": share, "block_density_cv": cv}
    return verdict_of(ok, not ok, why), figures


def norms_spared(
    norm_fraction: float | None,
    max_updated: float,
    matched: Mapping[str, Any] | None,
    alpha: float,
    master: Mapping[str, Any] | None = None,
) -> Decision:
    """C8, norms (exact counts): at most ``max_updated`` of norm entries changed AND fewer than
    non-norm entries of the same magnitude (``matched``: ``expected_fraction``, ``p`` of the
    one-sided stratified test, ``entries``). Norm weights near 1.0 have a half-ULP far above
    any small-rate movement, so "untouched" alone proves nothing: matched entries spared alike
    leave it inconclusive. In training mode the fp32 master decides that part instead
    (``master``: :func:`~rlsparse_check.measures.spread.norm_movement`): at most ``max_updated``
    of norm entries moved in fp32 supports (training itself spares them); more moved, each below
    half an ULP, refutes (training updated them; storage precision alone hides it)."""
    if norm_fraction is None:
        return Decision(Verdict.INCONCLUSIVE, "the model has no norm parameters")
    head = f"norm entries updated {pct(norm_fraction)} (at most {pct(max_updated)})"
    if norm_fraction > max_updated:
        return verdict_of(False, True, f"{head}: norms are updated")
    if master and master.get("entries"):
        return _norms_in_master(head, master, max_updated)
    if not matched or not matched.get("entries"):
        why = f"{head}, but no non-norm entry has a matching |w| to rule out storage precision"
        return verdict_of(False, False, why)
    why = (
        f"{head}; non-norm entries of matched |w| ({matched['entries']:,}): "
        f"{pct(matched['expected_fraction'])} updated, one-sided p {p_text(matched['p'])}"
    )
    if matched["p"] < alpha:
        return verdict_of(True, False, f"{why}: norms are spared beyond what |w| explains")
    return verdict_of(False, False, f"{why}: spared alike, so storage precision explains it")
