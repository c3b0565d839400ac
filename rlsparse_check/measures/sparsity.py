"""C1's evidence: the sparsity of a set of cases at each comparison tolerance, what a sparse
patch of them would weigh, and (training mode) the eval gain of every algorithm's seeds."""

from __future__ import annotations

import dataclasses
import statistics as pystats
from dataclasses import dataclass, field
from typing import Any

from rlsparse_check.cases import CheckpointCase, DiffCache

__all__ = ["SparsityEvidence", "sparsity_evidence", "gain_tests", "fp32_twin_sparsity"]

#: Tolerances always reported: bitwise, and the two the paper published ranges at.
REPORTED_ATOLS = (0.0, 1e-8, 1e-5)


@dataclass
class SparsityEvidence:
    atol: float  # the tolerance that decides
    values: list[float]  # per case, at ``atol``
    changed: list[int]  # per case, at ``atol``
    by_tolerance: dict[str, list[float]]  # "0", "1e-08", "1e-05" -> per case
    by_kind: dict[str, float]  # bitwise, mean over cases
    patch: list[dict[str, Any]] = field(default_factory=list)
    table: dict[str, dict[float, float]] = field(default_factory=dict)  # per case, for plots

    def mean_at(self, atol: float) -> float:
        return pystats.fmean(self.by_tolerance[f"{atol:g}"])


def _patch(case: CheckpointCase, diffs: DiffCache) -> dict[str, Any]:
    """The size a sparse update patch of this checkpoint would have (``rlsparse-check delta``),
    from its bitwise mask without writing it."""
    from rlsparse_check.delta import estimate_patch_bytes

    found = estimate_patch_bytes(case.base, case.tuned, masks=diffs.bitwise(case).masks)
    return {
        "run": case.label,
        "patch_bytes": found.patch_bytes,
        "checkpoint_bytes": found.checkpoint_bytes,
        "patch_share": found.ratio,
    }


def sparsity_evidence(
    cases: list[CheckpointCase], diffs: DiffCache, atol: float
) -> SparsityEvidence:
    """Sparsity of each case at ``atol`` and at the reported tolerances (one pass per case)."""
    atols = tuple(sorted({*REPORTED_ATOLS, float(atol)}))
    tables = [diffs.tolerances(c, atols) for c in cases]
    kinds = [diffs.bitwise(c).by_kind() for c in cases]
    return SparsityEvidence(
        atol=float(atol),
        values=[float(t[atol].sparsity) for t in tables],
        changed=[int(t[atol].changed) for t in tables],
        by_tolerance={f"{a:g}": [float(t[a].sparsity) for t in tables] for a in atols},
        by_kind={k: pystats.fmean(kd[k]["sparsity"] for kd in kinds) for k in kinds[0]},
        patch=[_patch(c, diffs) for c in cases],
        table={
            c.label: {a: float(r.sparsity) for a, r in t.items()}
            for c, t in zip(cases, tables, strict=True)
        },
    )


def gain_tests(factory: Any, correction: str) -> dict[str, Any]:
    """Eval gain of every algorithm of the session (the usual recipe): the paired learning test
    (:func:`rlsparse_check.measures.learning.gain_tests`), corrected across the algorithms."""
    from rlsparse_check.measures.learning import case_rewards
    from rlsparse_check.measures.learning import gain_tests as paired

    d = factory.design
    runs = {a: [case_rewards(c) for c in factory.seeds(d.usual(a))] for a in d.algos}
    tests = paired(runs, correction)
    return {a: dataclasses.replace(t, what=f"the {a} runs") for a, t in tests.items()}


def fp32_twin_sparsity(
    cases: list[CheckpointCase], diffs: DiffCache, factory: Any
) -> dict[str, float]:
    """The same runs' sparsity saved in bf16 and in fp32 (their fp32 master weights), when every
    run kept its master; empty otherwise (no extra training)."""
    if not all(c.meta.get("record", {}).get("master") for c in cases):
        return {}
    return {
        "bf16_sparsity": pystats.fmean(diffs.sparsities(cases)),
        "fp32_sparsity": pystats.fmean(diffs.sparsities([factory.fp32(c) for c in cases])),
    }
