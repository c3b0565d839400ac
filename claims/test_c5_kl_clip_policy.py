"""C5 -- KL penalty, gradient clipping and on/off-policy updates change sparsity little.

Claim (Mukherjee et al., arXiv 2505.11711): the sparsity of RL updates is not caused by the KL
penalty, gradient clipping or on-policy data: turning them on or off changes it little.
Published figure: sparsity stays about the same with and without KL regularisation, with and
without gradient clipping, and for on- and off-policy training.
Criterion: the primary RL algorithm's usual recipe (its usual KL coefficient, clipping at
max-norm 1.0, on-policy) against each variant: the other KL coefficients of {0, 0.05, 0.2}
(0 and two values above it), clipping off, and off-policy (each generated batch reused for 2
updates); same seeds, data and learning rate. One case per variant; both must hold:

(i)  equal sparsity: TOST on the per-seed paired differences (variant - usual) with margin
     ``--equivalence-margin`` (default 0.05 = 5 pp), ``--correction`` over the variants;
(ii) the variant's masks overlap the usual run's above chance (C3 machinery, same seed):
     magnitude-stratified null, adjusted p < ``--alpha`` over all pairs of all variants and
     observed/expected >= ``--min-overlap-ratio``; the worst seed decides.
"""

from __future__ import annotations

import statistics as pystats

from fixtures.compare import series_line, sparsities
from fixtures.criteria_training import combine, equivalent, overlap_pair
from rlsparse_check.results import ClaimResult, worst

TITLE = "KL penalty, clipping and on/off-policy updates barely change sparsity"
PAPER = {"summary": "sparsity about the same with/without KL, clipping, on/off-policy"}
_OVERLAPS: dict[tuple, list] = {}


def _overlaps(variant_runs, diffs, correction: str) -> list[dict]:
    """Every (usual seed s, variant seed s) pair, p-values corrected across all of them."""
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.overlap import overlap_masksets
    from rlsparse_check.stats import adjust

    usual = variant_runs["usual"]
    key = (correction, *(c.tuned for cases in variant_runs.values() for c in cases))
    if key not in _OVERLAPS:
        rows = []
        with open_checkpoint(usual[0].base) as base:
            for variant, cases in variant_runs.items():
                if variant == "usual":
                    continue
                for u, v in zip(usual, cases, strict=True):
                    (pair,) = overlap_masksets([diffs.bitwise(u).masks, diffs.bitwise(v).masks],
                                               base, labels=[u.label, v.label], seed=0)
                    rows.append({"variant": variant, "a": u.label, "b": v.label,
                                 **{k: val for k, val in pair.summary().items()
                                    if k != "strata"}})
        for row, p in zip(rows, adjust([r["p_stratified"] for r in rows], correction),
                          strict=True):
            row["p_stratified_adjusted"] = float(p)
        _OVERLAPS[key] = rows
    return _OVERLAPS[key]


def test_variant_changes_sparsity_little_and_overlaps_the_usual_run(
        c5_variant, requires_training, variant_runs, checkpoint_diffs, rlsparse_settings,
        record_claim):
    from rlsparse_check.stats import adjust, tost

    s = rlsparse_settings
    values = {k: sparsities(checkpoint_diffs, cases) for k, cases in variant_runs.items()}
    usual = values["usual"]
    tosts = {}
    for variant, vals in values.items():
        if variant == "usual":
            continue
        diffs = [v - u for v, u in zip(vals, usual, strict=True)]
        res = tost(diffs, None, margin=s.equivalence_margin, alpha=s.alpha) \
            if len(diffs) >= 2 else None
        tosts[variant] = {"diffs": diffs, "diff": pystats.fmean(diffs),
                          "p": None if res is None else res.p_value,
                          "ci90": None if res is None else list(res.ci)}
    tested = [k for k, t in tosts.items() if t["p"] is not None]
    for key, p in zip(tested, adjust([tosts[k]["p"] for k in tested], s.correction)
                      if tested else [], strict=True):
        tosts[key]["p_adjusted"] = float(p)
    mine = tosts[c5_variant]
    eq = equivalent(f"sparsity, {c5_variant} minus usual (paired by seed)", mine["diff"],
                    tuple(mine["ci90"] or (float("-inf"), float("inf"))),
                    mine.get("p_adjusted"), s.equivalence_margin, s.alpha, n=len(mine["diffs"]))
    every_pair = _overlaps(variant_runs, checkpoint_diffs, s.correction)
    rows = [r for r in every_pair if r["variant"] == c5_variant]
    pairs = [overlap_pair(r["a"], r["b"], r["ratio_stratified"], r["p_stratified_adjusted"],
                          s.alpha, s.min_overlap_ratio, r["overlap_ab"],
                          r["chance_ab_stratified"]) for r in rows]
    verdict = worst([d.verdict for d in pairs])
    overlap = next(d for d in pairs if d.verdict is verdict)
    decision = combine([("equal sparsity", eq), ("overlap above chance", overlap)])
    spec = variant_runs[c5_variant][0].meta["record"]["spec"]
    record_claim(ClaimResult(
        id="C5", title=TITLE, case=c5_variant, verdict=decision.verdict,
        reason=decision.reason,
        paper={**PAPER, "criterion": f"TOST |sparsity difference| < {s.equivalence_margin:g} "
                                     f"({s.correction}-adjusted p < {s.alpha:g}) and stratified "
                                     f"overlap ratio >= {s.min_overlap_ratio:g}"},
        measured={"key": "sparsity_difference",
                  "sparsity_difference": {"value": mine["diff"], "ci": mine["ci90"]},
                  "usual_sparsity": {"value": pystats.fmean(usual), "per_seed": usual},
                  "variant_sparsity": {"value": pystats.fmean(values[c5_variant]),
                                       "per_seed": values[c5_variant]},
                  "variant_spec": {k: spec[k] for k in ("beta", "max_grad_norm",
                                                        "iterations", "lr")},
                  "min_ratio_stratified": min(r["ratio_stratified"] for r in rows),
                  "overlap_pairs": rows},
        statistics={"test": "paired TOST over seeds (sparsity); magnitude-stratified "
                            "hypergeometric overlap null", "p": mine["p"],
                    "p_adjusted": mine.get("p_adjusted"), "ci": mine["ci90"],
                    "effect": mine["diff"], "correction": s.correction,
                    "correction_family": f"TOST over variants {list(tosts)}; overlap over "
                                         f"all {len(every_pair)} pairs",
                    "alpha": s.alpha, "n": len(mine["diffs"]),
                    "margin": s.equivalence_margin, "threshold": s.min_overlap_ratio,
                    "tost_by_variant": tosts},
        runs=[c.run_record() for k in ("usual", c5_variant) for c in variant_runs[k]],
        plots={"overlap": [{"pair": f"{r['a']} vs {r['b']}", "observed": r["overlap_ab"],
                            "chance_independent": r["chance_ab"],
                            "chance_stratified": r["chance_ab_stratified"]} for r in rows],
               "series": {"Sparsity vs KL / clipping / policy": {
                   "x_label": "recipe", "y_label": "bitwise sparsity",
                   "x_scale": "category", "y_range": [0, 1],
                   "lines": {"mean over seeds (band: min-max)": series_line(values)}}}},
    ))
