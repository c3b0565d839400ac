"""Claim results: one typed record per tested case, a JSON round trip, and the shared verdict rule.

A claim test computes numbers, asks :func:`decide` for a verdict and records a
:class:`ClaimResult`. The verdict rule is the same for every claim:

* ``inconclusive`` when there is too little data (fewer replicates than needed) or when the
  evidence neither supports nor refutes the criterion (an interval straddling a threshold,
  a run that did not learn);
* ``reproduced`` when the criterion is met and, where a test applies, it is significant;
* ``not_reproduced`` when the evidence contradicts the criterion.

The claim module says what "supports" and "refutes" mean for its criterion; this module keeps the
precedence and the record of why.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum, StrEnum
from typing import Any

__all__ = ["Verdict", "Decision", "ClaimResult", "decide", "worst"]


class Verdict(StrEnum):
    REPRODUCED = "reproduced"
    NOT_REPRODUCED = "not_reproduced"
    INCONCLUSIVE = "inconclusive"


# Order used to aggregate several cases of one claim: the worst case decides.
_SEVERITY = {Verdict.REPRODUCED: 0, Verdict.INCONCLUSIVE: 1, Verdict.NOT_REPRODUCED: 2}


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str


def decide(*, supports: bool, refutes: bool, n: int, min_n: int = 1, why: str = "") -> Decision:
    """The shared verdict rule.

    ``supports``: the criterion is met with the required significance.
    ``refutes``: the evidence contradicts the criterion (e.g. the interval lies outside the range,
    the one-sided test in the opposite direction is significant, or the effect is below the
    required ratio).  Both true is a logic error in the caller.
    ``n``/``min_n``: replicates available and needed; too few gives ``inconclusive``.
    ``why``: the numbers that decided it, quoted in the reason.
    """
    if supports and refutes:
        raise ValueError("a result cannot both support and refute a claim")
    suffix = f": {why}" if why else ""
    if n < min_n:
        return Decision(Verdict.INCONCLUSIVE, f"too little data (n={n} < {min_n} needed){suffix}")
    if supports:
        return Decision(Verdict.REPRODUCED, f"criterion met{suffix}")
    if refutes:
        return Decision(Verdict.NOT_REPRODUCED, f"criterion contradicted{suffix}")
    return Decision(Verdict.INCONCLUSIVE, f"evidence neither supports nor refutes{suffix}")


def worst(verdicts: list[Verdict]) -> Verdict:
    """Aggregate the verdicts of a claim's cases: any refuted case refutes the claim."""
    if not verdicts:
        return Verdict.INCONCLUSIVE
    return max(verdicts, key=_SEVERITY.__getitem__)


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: tuples to lists, numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass
class ClaimResult:
    """What one claim test found, for one case (e.g. one algorithm, one pair of runs).

    ``paper``: the published figure(s) this is compared to.
    ``measured``: the measured figures (with intervals where there are replicates).
    ``statistics``: test name, statistic, p-value, adjusted p-value, correction, alpha, effect
    size, n, and the thresholds used.
    ``runs``: one dict per training run or checkpoint used (path, algorithm, seed, hash...).
    ``plots``: small plain-data series the report may draw (no arrays of model size).
    ``headline``: one plain sentence stating the verdict and the decisive numbers against the
    paper's figure (the report opens the claim with it).
    """

    id: str
    title: str
    case: str
    verdict: Verdict
    reason: str
    paper: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, Any] = field(default_factory=dict)
    statistics: dict[str, Any] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)
    plots: dict[str, Any] = field(default_factory=dict)
    headline: str = ""

    def __post_init__(self) -> None:
        self.verdict = Verdict(self.verdict)

    def to_json(self) -> dict[str, Any]:
        return _clean(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ClaimResult:
        return cls(**data)
