"""Every threshold that decides a verdict, with its default and where that default comes from.

Each one is an option of the claims suite (``--name`` on the command line, ``name = ...`` in
``[tool.rlsparse-check]``). Its source is ``"paper"`` when the default is a published figure
(the note cites it) or ``"harness"`` when the paper gives no figure and the harness had to read
its words as a number (the note says why that number). A value set by the user is reported with
source ``"harness"`` and a note naming the option and the default it replaced: it is no longer the
paper's figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Threshold", "THRESHOLDS", "CORRECTIONS", "entry", "defaults"]

#: The multiple-comparison corrections a claim may apply within its family of tests (Holm:
#: family-wise error, the default; Benjamini-Hochberg: false discovery rate).
CORRECTIONS = ("holm", "bh")


@dataclass(frozen=True)
class Threshold:
    default: Any
    source: str  # "paper" | "harness"
    note: str


THRESHOLDS: dict[str, Threshold] = {
    "sparsity-range": Threshold(
        (0.70, 0.95),
        "paper",
        "abstract: RL updates 'typically 5-30% of weights', i.e. 70-95% unchanged "
        "(10 public RL checkpoints: 68.5%-96.0% unchanged at tolerance 1e-5)",
    ),
    "alpha": Threshold(
        0.05,
        "harness",
        "conventional significance level, applied after the --correction within each claim",
    ),
    "sparser-margin": Threshold(
        0.10,
        "harness",
        "'much sparser' read as at least 10 percentage points; the paper's contrast (RL at "
        "least 68.5% vs SFT at most 15% unchanged) is a 53.5-point gap, so this reading "
        "favours the claim",
    ),
    "min-overlap-excess": Threshold(
        0.375,
        "paper",
        "(60% - 36%) / (100% - 36%): the paper's one-sided overlap of about 60% against about "
        "36% chance, as a share of the largest excess over chance the masks could reach",
    ),
    "equivalence-margin": Threshold(
        0.05,
        "harness",
        "'changes sparsity little' / 'recovers the full run' read as within 5 percentage "
        "points of sparsity or 5 points of eval reward; the paper gives no figure",
    ),
    "max-update-distance": Threshold(
        0.10,
        "harness",
        "'nearly identical parameters' read as a relative L2 distance of the two updates of at "
        "most 10%; the paper gives no figure",
    ),
    "min-rank-ratio": Threshold(
        0.99, "paper", "'more than 99% of full rank on average per matrix'"
    ),
    "min-active-blocks": Threshold(
        0.90,
        "harness",
        "'nearly all layers' read as at least 90% of the numbered blocks taking part",
    ),
    "block-active-fraction": Threshold(
        0.25,
        "harness",
        "a block takes part when its update density is at least a quarter of the median block's",
    ),
    "max-block-cv": Threshold(
        0.5,
        "harness",
        "'similar sparsity in every layer' read as a coefficient of variation of the per-block "
        "update density of at most 0.5 (half the blocks untouched and the rest alike gives 1.0)",
    ),
    "max-norm-updated": Threshold(
        0.05,
        "harness",
        "'norm parameters are almost never updated' read as at most 5% of norm entries changed",
    ),
}


def defaults() -> dict[str, Any]:
    """``{option name: default}`` of every threshold."""
    return {name: t.default for name, t in THRESHOLDS.items()}


def entry(name: str, value: Any) -> dict[str, Any]:
    """The ``statistics["thresholds"]`` entry of one threshold as used in a verdict."""
    threshold = THRESHOLDS[name]
    value = list(value) if isinstance(value, tuple) else value
    default = list(threshold.default) if isinstance(threshold.default, tuple) else threshold.default
    if value == default:
        return {"name": name, "value": value, "source": threshold.source, "note": threshold.note}
    return {
        "name": name,
        "value": value,
        "source": "harness",
        "note": f"set with --{name} (default {default}, source {threshold.source}: "
        f"{threshold.note})",
    }


THRESHOLDS.update(
    {
        "max-eval-se": Threshold(
            0.02,
            "harness",
            "C2 matches eval gains: a run's eval standard error above 0.02 (a tenth of the gains "
            "the built-in runs reach) would let eval noise choose the matched gain",
        ),
        "max-prediction-error": Threshold(
            0.05,
            "harness",
            "C9(c): the precision account predicts a run's bf16 sparsity from the base weights "
            "and lr x steps within 5 points (the C5 margin for 'about the same sparsity')",
        ),
    }
)
