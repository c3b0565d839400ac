"""C8 -- Spread across layers.

Claim (Mukherjee et al., arXiv 2505.11711): the updates are spread across nearly all layers
rather than concentrated in a few, and layer-norm parameters are almost never updated.
Published figure: every transformer block is updated with similar sparsity; norm parameters
receive little to no updates.
Criterion (fixtures/criteria.py): at least 90% of the numbered blocks take part (density at
least 0.25 x the median block density) and at most 5% of norm entries changed. Reported beside
it: per-block sparsity, its coefficient of variation across blocks, and the fraction of norm
parameters updated.
"""

from __future__ import annotations

from fixtures.criteria import c8_spread
from rlsparse_check.masks import NO_LAYER, kind_of
from rlsparse_check.report.figures import layer_kind_heatmap
from rlsparse_check.results import ClaimResult

TITLE = "Updates are spread across nearly all layers; norm parameters are almost never updated"
PAPER = {"summary": "nearly all layers updated; norms almost never",
         "criterion": "≥90% of blocks take part and ≤5% of norm entries changed"}


def test_updates_are_spread_across_blocks_and_spare_the_norms(
        checkpoint_case, checkpoint_diffs, record_claim):
    diff = checkpoint_diffs.bitwise(checkpoint_case)
    layers = {k: v for k, v in diff.by_layer().items() if k != NO_LAYER}
    norms = [t for name, t in diff.tensors.items() if kind_of(name) == "norm"]
    decision, figures = c8_spread(layers, sum(t.numel for t in norms),
                                  sum(t.changed for t in norms))
    record_claim(ClaimResult(
        id="C8", title=TITLE, case=checkpoint_case.label, verdict=decision.verdict,
        reason=decision.reason, paper=PAPER,
        measured={"key": "active_block_share", **figures,
                  "block_sparsity": {k: v["sparsity"] for k, v in layers.items()}},
        statistics={"test": "exact count (one checkpoint, no sampling)", "n": 1},
        runs=[checkpoint_case.run_record()],
        plots={"heatmap": layer_kind_heatmap(diff.counts()),
               "series": {"Sparsity per block": {
                   "x_label": "block", "y_label": "sparsity", "x_scale": "linear",
                   "y_range": [0, 1],
                   "lines": {checkpoint_case.label: {
                       "x": [int(k) for k in layers],
                       "y": [v["sparsity"] for v in layers.values()]}}}}},
    ))
