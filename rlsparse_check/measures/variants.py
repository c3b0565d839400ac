"""C5's evidence: the variants' sparsity against their usual recipe and their masks' overlap."""

from __future__ import annotations

import statistics as pystats
from typing import Any

from rlsparse_check.cases import DiffCache
from rlsparse_check.measures.overlap import pair_rows

__all__ = ["variant_evidence"]


def variant_evidence(
    variant_runs: dict[str, tuple[list, list]], checkpoint_diffs: DiffCache, rlsparse_settings: Any
) -> dict:
    """C5's evidence: the TOST of every variant's sparsity against its usual recipe (paired by
    seed) and the overlap rows of every (usual, variant) pair of seeds, each family corrected
    as a whole."""
    from rlsparse_check.criteria import correct
    from rlsparse_check.stats import tost

    s = rlsparse_settings
    tosts, pairs, owner = {}, [], []
    for variant, (usual, cases) in variant_runs.items():
        diffs = [
            v - u
            for v, u in zip(
                checkpoint_diffs.sparsities(cases), checkpoint_diffs.sparsities(usual), strict=True
            )
        ]
        res = (
            tost(diffs, None, margin=s.equivalence_margin, alpha=s.alpha)
            if len(diffs) >= 2
            else None
        )
        tosts[variant] = {
            "diffs": diffs,
            "diff": pystats.fmean(diffs),
            "p": None if res is None else res.p_value,
            "ci": None if res is None else list(res.ci),
            "usual": checkpoint_diffs.sparsities(usual),
            "variant": checkpoint_diffs.sparsities(cases),
        }
        pairs += list(zip(usual, cases, strict=True))
        owner += [variant] * len(cases)
    correct(tosts, s.correction)
    rows = pair_rows(pairs, checkpoint_diffs, s.correction)
    return {"tosts": tosts, "rows": [dict(r, variant=v) for r, v in zip(rows, owner, strict=True)]}
