"""C8 -- Spread across layers (Mukherjee et al., arXiv 2505.11711).

Claim: the updates are spread across nearly all layers, and layer-norm parameters are almost
never updated. Published figure: every block updated with similar sparsity; norms little or not.
Rule, two parts that must both hold (exact counts of one checkpoint):
* spread: at least ``--min-active-blocks`` of the numbered blocks take part (density at least
  ``--block-active-fraction`` x the median block's) and the coefficient of variation of block
  density is at most ``--max-block-cv`` (density, not sparsity: near 100% sparsity the CV of
  sparsity hides an update concentrated in a few blocks);
* norms: at most ``--max-norm-updated`` of norm entries changed AND fewer than non-norm entries
  of the same binade of |w| (same half-ULP): one-sided stratified hypergeometric test at
  ``--alpha`` (norms near 1.0 have a half-ULP far above small-rate moves: matched entries spared
  alike leave it inconclusive). Training mode: the fp32 master decides: at most that share of
  norm entries moved in fp32 reproduces; more, below half a bf16 ULP, refutes.
"""

from __future__ import annotations

from rlsparse_check.claims import CLAIMS
from rlsparse_check.criteria import all_of, norms_spared, pct, spread_across_blocks
from rlsparse_check.figures import layer_kind_heatmap
from rlsparse_check.masks import NO_LAYER
from rlsparse_check.thresholds import entry

CLAIM = CLAIMS["C8"]
THRESHOLDS_USED = ("min-active-blocks", "block-active-fraction", "max-block-cv",
                   "max-norm-updated", "alpha")  # fmt: skip


def test_updates_are_spread_across_blocks_and_spare_the_norms(
    checkpoint_case, checkpoint_diffs, rlsparse_settings, record_claim, request
):
    from rlsparse_check.measures.spread import block_densities, norm_evidence

    s, case = rlsparse_settings, checkpoint_case
    diff = checkpoint_diffs.bitwise(case)
    densities = block_densities(diff.by_layer())
    spread, figures = spread_across_blocks(
        list(densities.values()),
        active_fraction=s.block_active_fraction,
        min_active=s.min_active_blocks,
        max_cv=s.max_block_cv,
    )
    trained = case.meta.get("source") == "training" and case.meta["record"].get("master")
    twin = request.getfixturevalue("run_factory").fp32(case) if trained else None
    norms = norm_evidence(case.base, diff.masks, twin)
    master = norms.get("fp32_master")
    spared = norms_spared(norms["norm_fraction"], s.max_norm_updated, norms, s.alpha, master)
    decision = all_of([("spread across blocks", spread), ("norms spared", spared)])
    layers = {k: v for k, v in diff.by_layer().items() if k != NO_LAYER}
    measured = {"key": "active_block_share", **figures, "norms": norms, "block_density": densities,
                "block_sparsity": {k: v["sparsity"] for k, v in layers.items()}}  # fmt: skip
    used = [entry(name, getattr(s, name.replace("-", "_"))) for name in THRESHOLDS_USED]
    test = "fp32 master movement" if master else "matched |w|: stratified hypergeometric"
    stats = {"test": f"exact counts; norms: {test}", "n": 1, "p": norms["p"], "alpha": s.alpha,
             "thresholds": used}  # fmt: skip
    line = {"x": [int(k) for k in densities], "y": list(densities.values())}
    series = {"x_label": "block", "y_label": "density (share changed)", "x_scale": "linear",
              "y_range": [0, 1], "lines": {case.label: line}}  # fmt: skip
    record_claim(
        CLAIM.result(
            case=case.label,
            decision=decision,
            headline=f"{case.label}: {figures.get('blocks', 0)} blocks, "
            f"{pct(figures.get('active_block_share'))} taking part (density CV "
            f"{figures.get('block_density_cv', float('nan')):.2f}); norm entries "
            f"{pct(norms['norm_fraction'])} updated, {norms['phrase']}: "
            f"{decision.verdict.value.replace('_', ' ')}.",
            criterion=f">= {s.min_active_blocks:g} of blocks take part, density CV <= "
            f"{s.max_block_cv:g}, <= {s.max_norm_updated:g} of norm entries changed and fewer "
            "than matched |w| (training mode: moved in the fp32 master)",
            measured=measured,
            statistics=stats,
            runs=[case.run_record()],
            plots={
                "heatmap": layer_kind_heatmap(diff.counts()),
                "series": {"Update density per block": series},
            },
        )
    )
