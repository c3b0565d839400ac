"""The overlap figures of pairs of runs (C3, C5): each pair's update masks against the first
run's base, under the independent and the magnitude-stratified nulls."""

from __future__ import annotations

from typing import Any

from rlsparse_check.cases import CheckpointCase, DiffCache

__all__ = ["pair_rows"]


def pair_rows(
    pairs: list[tuple[CheckpointCase, CheckpointCase]], diffs: DiffCache, correction: str
) -> list[dict[str, Any]]:
    """The overlap figures of each pair of cases (against the first case's base), p-values of
    both nulls corrected across all the pairs given."""
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.criteria import correct
    from rlsparse_check.overlap import overlap_masksets

    rows = []
    for a, b in pairs:
        with open_checkpoint(a.base) as base:
            (result,) = overlap_masksets(
                [diffs.bitwise(a).masks, diffs.bitwise(b).masks],
                base,
                labels=[a.label, b.label],
                seed=0,
            )
        rows.append(
            {
                "a": a.label,
                "b": b.label,
                **{k: v for k, v in result.summary().items() if k != "strata"},
            }
        )
    tests = {str(i): row for i, row in enumerate(rows)}
    correct(tests, correction, key="p_stratified")
    correct(tests, correction, key="p_independent")
    return rows
