"""C8 -- Spread across layers.

Claim (Mukherjee et al., arXiv 2505.11711): the updates are spread across nearly all layers
rather than concentrated in a few, and layer-norm parameters are almost never updated.
Published figure: every transformer block is updated with similar sparsity; norm parameters
receive little to no updates.
Criterion, two parts that must both hold (exact counts of one checkpoint):

* spread: at least ``--min-active-blocks`` of the numbered blocks take part (update density at
  least ``--block-active-fraction`` x the median block's), and the coefficient of variation of the
  per-block update density is at most ``--max-block-cv`` (density, not sparsity: near 100%
  sparsity the CV of sparsity hides an update concentrated in a few blocks);
* norms: at most ``--max-norm-updated`` of norm entries changed, AND fewer than non-norm entries
  of the same magnitude (same binade of the base value, hence the same half-ULP): a one-sided
  stratified hypergeometric test at ``--alpha``. Norm weights near 1.0 have a half-ULP far above
  any small-rate movement, so "untouched" alone proves nothing: when entries of matched |w| are
  spared alike, this part is inconclusive, and the reason says so.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, norms_spared, spread_across_blocks
from rlsparse_check.figures import layer_kind_heatmap
from rlsparse_check.masks import NO_LAYER
from rlsparse_check.results import ClaimResult
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C8"]
TITLE, PAPER = CLAIM.title, dict(CLAIM.paper)


def test_updates_are_spread_across_blocks_and_spare_the_norms(
    checkpoint_case, checkpoint_diffs, rlsparse_settings, record_claim
):
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.measures.spread import block_densities, norms_against_matched

    s = rlsparse_settings
    diff = checkpoint_diffs.bitwise(checkpoint_case)
    densities = block_densities(diff.by_layer())
    spread, figures = spread_across_blocks(
        list(densities.values()),
        active_fraction=s.block_active_fraction,
        min_active=s.min_active_blocks,
        max_cv=s.max_block_cv,
    )
    with open_checkpoint(checkpoint_case.base) as base:
        norms = norms_against_matched(base, diff.masks)
    spared = norms_spared(norms["norm_fraction"], s.max_norm_updated, norms, s.alpha)
    decision = all_of([("spread across blocks", spread), ("norms spared", spared)])
    layers = {k: v for k, v in diff.by_layer().items() if k != NO_LAYER}
    record_claim(
        ClaimResult(
            id="C8",
            title=TITLE,
            case=checkpoint_case.label,
            verdict=decision.verdict,
            reason=decision.reason,
            headline=f"{checkpoint_case.label}: {figures.get('blocks', 0)} blocks, "
            f"{100 * figures.get('active_block_share', 0):.0f}% taking part (density CV "
            f"{figures.get('block_density_cv', float('nan')):.2f}); norm entries "
            f"{100 * (norms['norm_fraction'] or 0):.2f}% updated, "
            + (
                f"vs {100 * norms['expected_fraction']:.2f}% for non-norm entries of matched |w|"
                if norms["entries"]
                else "and no non-norm entry has their |w| to compare with"
            )
            + f": {decision.verdict.value.replace('_', ' ')}.",
            paper={
                **PAPER,
                "criterion": f">= {s.min_active_blocks:g} of blocks take part, density "
                f"CV <= {s.max_block_cv:g}, <= {s.max_norm_updated:g} of "
                "norm entries changed and fewer than matched |w|",
            },
            measured={
                "key": "active_block_share",
                **figures,
                "norms": norms,
                "block_density": densities,
                "block_sparsity": {k: v["sparsity"] for k, v in layers.items()},
            },
            statistics={
                "test": "exact counts; norms vs matched |w|: stratified hypergeometric, one-sided",
                "n": 1,
                "p": norms["p"],
                "alpha": s.alpha,
                "thresholds": [
                    entry("min-active-blocks", s.min_active_blocks),
                    entry("block-active-fraction", s.block_active_fraction),
                    entry("max-block-cv", s.max_block_cv),
                    entry("max-norm-updated", s.max_norm_updated),
                    entry("alpha", s.alpha),
                ],
            },
            runs=[checkpoint_case.run_record()],
            plots={
                "heatmap": layer_kind_heatmap(diff.counts()),
                "series": {
                    "Update density per block": {
                        "x_label": "block",
                        "y_label": "density (share changed)",
                        "x_scale": "linear",
                        "y_range": [0, 1],
                        "lines": {
                            checkpoint_case.label: {
                                "x": [int(k) for k in densities],
                                "y": list(densities.values()),
                            }
                        },
                    }
                },
            },
        )
    )
