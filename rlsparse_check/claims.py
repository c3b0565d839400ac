"""Each claim declared once: its id, title and published figure (CLAIMS.md states them in full).

A claim test builds its results through its :class:`Claim`, so that id, title and the paper's
figure are written in one place and every result of the claim carries them alike::

    C1 = CLAIMS["C1"]
    record_claim(C1.result(case="grpo", decision=decision, headline=..., measured=...))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rlsparse_check.results import ClaimResult, Decision

__all__ = ["Claim", "CLAIMS"]

#: The published RL range at tolerance 1e-5 (10 public RL checkpoints, 7B-70B).
RL_RANGE = [0.685, 0.96]
#: The same checkpoints at tolerance 1e-8.
RL_RANGE_1E8 = [0.504, 0.876]
#: SFT checkpoints of the same bases.
SFT_RANGE = [0.06, 0.15]


@dataclass(frozen=True)
class Claim:
    """One claim: ``paper`` holds the published figures every result of it is compared with."""

    id: str
    title: str
    paper: Mapping[str, Any] = field(default_factory=dict)

    def result(
        self,
        *,
        case: str,
        decision: Decision,
        headline: str,
        criterion: str | None = None,
        reason: str | None = None,
        measured: dict[str, Any] | None = None,
        statistics: dict[str, Any] | None = None,
        runs: list[dict[str, Any]] | None = None,
        plots: dict[str, Any] | None = None,
    ) -> ClaimResult:
        """The :class:`ClaimResult` of one case: verdict and reason from ``decision`` (``reason``
        replaces the decision's when given), the paper's figures with ``criterion`` added."""
        paper = dict(self.paper)
        if criterion is not None:
            paper["criterion"] = criterion
        return ClaimResult(
            id=self.id,
            title=self.title,
            case=case,
            verdict=decision.verdict,
            reason=decision.reason if reason is None else reason,
            headline=headline,
            paper=paper,
            measured=measured or {},
            statistics=statistics or {},
            runs=runs or [],
            plots=plots or {},
        )


def _claims(*claims: Claim) -> Mapping[str, Claim]:
    return MappingProxyType({c.id: c for c in claims})


CLAIMS: Mapping[str, Claim] = _claims(
    Claim(
        "C1",
        "RL fine-tuning leaves most entries unchanged (sparsity within the claimed range)",
        {
            "summary": "68.5%-96.0% unchanged (10 RL checkpoints, tol 1e-5)",
            "range_tol_1e-5": RL_RANGE,
            "range_tol_1e-8": RL_RANGE_1E8,
            "sft_range": SFT_RANGE,
        },
    ),
    Claim(
        "C2",
        "RL fine-tuning is much sparser than SFT of the same base",
        {
            "summary": "RL 68.5%-96.0% vs SFT 6%-15% unchanged",
            "rl_range": RL_RANGE,
            "sft_range": SFT_RANGE,
        },
    ),
    Claim(
        "C3",
        "Masks of different runs overlap above chance",
        {
            "summary": "~60% one-sided overlap vs ~36% chance",
            "overlap": 0.60,
            "chance": 0.36,
            "jaccard_bit_exact_study": [0.55, 0.60],
            "jaccard_chance_bit_exact_study": [0.37, 0.47],
        },
    ),
    Claim(
        "C4",
        "Fine-tuning only the RL subnetwork recovers the full run",
        {"summary": "subnetwork-only training matches full RL; parameters nearly identical"},
    ),
    Claim(
        "C5",
        "KL penalty, clipping and on/off-policy updates barely change sparsity",
        {"summary": "sparsity about the same with/without KL, clipping, on/off-policy"},
    ),
    Claim(
        "C6",
        "SFT on the model's own samples is much sparser than SFT on external targets",
        {
            "summary": "in-distribution SFT sparse like RL; external-target SFT 6%-15% unchanged",
            "sft_range": SFT_RANGE,
            "rl_range": RL_RANGE,
        },
    ),
    Claim(
        "C7",
        "Sparse RL updates are nevertheless nearly full rank",
        {"summary": ">99% of full rank on average per matrix", "mean_rank_ratio": 0.99},
    ),
    Claim(
        "C8",
        "Updates are spread across nearly all layers; norm parameters are almost never updated",
        {"summary": "nearly all layers updated; norms almost never"},
    ),
    Claim(
        "C9",
        "Sparsity follows storage precision and learning rate (half-ULP mechanism)",
        {
            "summary": "fp32 checkpoints nearly dense; higher RL lr removes most sparsity",
            "sft_low_lr_sparsity": 0.60,
            "rl_median_lr": 5e-7,
            "sft_median_lr": 5e-6,
        },
    ),
)
