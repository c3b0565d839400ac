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
        (0.685, 0.96),
        "paper",
        "68.5%-96.0% unchanged across 10 public RL checkpoints (7B-70B) at tolerance 1e-5; "
        "compared with the sparsity at --sparsity-atol (the same checkpoints give 50.4%-87.6% "
        "at 1e-8, reported beside it)",
    ),
    "sparsity-atol": Threshold(
        1e-5,
        "paper",
        "the tolerance |a - b| <= 1e-5 at which the published range was measured (a range is "
        "compared only with the sparsity at its own tolerance)",
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
        "36% chance, as a share of the largest excess over chance the masks could reach. The "
        "paper's chance was the independent-masks null, so this figure is compared with the "
        "excess over the independent null (like with like); the magnitude-stratified excess has "
        "its own margin, --min-stratified-excess",
    ),
    "min-stratified-excess": Threshold(
        0.05,
        "harness",
        "the paper has no figure over a null that keeps both masks' preference for small "
        "weights; an overlap 'above chance' there is read as a lower bound of at least 5% of "
        "the attainable excess (the 5-point reading of 'little' used by --equivalence-margin: "
        "an excess below it is a little more than magnitude alone explains, not a shared "
        "subnetwork); with 0 any excess the finite magnitude bins leave would count",
    ),
    "equivalence-margin": Threshold(
        0.05,
        "harness",
        "'changes sparsity little' (C5) and the regime check's 'the same outcome' read as "
        "within 5 percentage points of sparsity or 5 points of eval gain; the paper gives no "
        "figure",
    ),
    "recovery-margin": Threshold(
        0.25,
        "harness",
        "C4's eval margin as a share of the full run's mean eval gain: 'recovers the full "
        "model's performance' read as keeping at least three quarters of what full training "
        "gained (a fixed 5 points is about the whole gain of a small run, so any mask, random "
        "included, would pass); the paper gives no figure",
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
    "rank-reference-margin": Threshold(
        0.05,
        "harness",
        "a stored update is refuted as 'nearly full rank' only when its rank ratio is more than "
        "this below a full-rank update of the same density and size stored and measured the "
        "same way (and that reference is this far above a rank-1 one): two draws of such an "
        "update differ by a standard deviation of about 0.014 on 64 x 64 bf16 matrices, less "
        "on larger ones, so 0.05 is over three of them",
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
        "min-kl-term": Threshold(
            1e-3,
            "harness",
            "C5: a KL variant took effect when its KL term (coefficient x mean logged KL) is at "
            "least 1e-3 per token: GRPO's advantages are normalised to unit spread per group, "
            "so a KL term under a thousandth of that scale cannot steer the update",
        ),
        "min-clipped-share": Threshold(
            0.05,
            "harness",
            "C5: clipping took effect when it clipped at least one step in twenty of the "
            "clipped run set; 'clipping off' then differs from the usual recipe in more than "
            "an occasional step",
        ),
        "min-ratio-spread": Threshold(
            0.01,
            "harness",
            "C5: off-policy updates took effect when the mean |importance ratio - 1| of the "
            "updates that reuse a batch is at least 0.01 (a twentieth of the usual clip range "
            "0.2); below it the policy barely moved between rollout and update: an on-policy "
            "update in all but name",
        ),
    }
)
