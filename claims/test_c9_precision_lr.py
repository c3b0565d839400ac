"""C9 -- Precision and learning-rate mechanism (beyond the paper).

Claim (the critique of arXiv 2505.11711 / 2507.17107): the measured sparsity is largely an
artefact of storage precision and learning rate. Training keeps fp32 master weights; a bf16
checkpoint shows an entry as unchanged when its total fp32 movement stays below about half a
bf16 ULP of its value, so sparsity follows learning rate x steps x weight magnitude.
Published figure: checkpoints saved in fp32 are almost fully dense; raising the RL learning rate
removes most sparsity; SFT at a very low rate (5e-7) reaches about 60% sparsity.
Criterion, three parts (cases), all of which must hold:

(a) ``a-precision``: the same runs (same seeds) saved in fp32 vs bf16, each against the base
    saved alike: paired one-sided t over seeds that bf16 sparsity - fp32 sparsity > 0; reproduced
    when the adjusted p < ``--alpha`` and the mean difference is at least
    ``--equivalence-margin`` ("far denser"); refuted when the upper 95% bound is below it.
(b) ``b-learning-rate``: the primary RL algorithm at 0.1x, 1x and 10x its usual rate, every
    seed: Spearman rank correlation of sparsity with learning rate, one-sided (rho < 0);
    reproduced when rho < 0 with adjusted p < alpha; refuted when the opposite one-sided test
    (rho > 0) is significant.
(c) ``c-half-ulp``: per entry, the half-ULP rule applied to the fp32 master movement predicts
    which entries of the bf16 checkpoint are unchanged; reproduced when the agreement, averaged
    over seeds, is at least 95% (fixtures/criteria_training.py); refuted below.
The p-values of (a) and (b) are corrected together (``--correction``).
"""

from __future__ import annotations

import statistics as pystats

import pytest

from fixtures.compare import greater, series_line, sparsities
from fixtures.criteria_training import HALF_ULP_AGREEMENT_MIN, pct, sparser
from rlsparse_check.results import ClaimResult, decide

TITLE = "Sparsity follows storage precision and learning rate (half-ULP mechanism)"
PAPER = {"summary": "fp32 checkpoints nearly dense; higher RL lr removes most sparsity",
         "sft_low_lr_sparsity": 0.60, "rl_median_lr": 5e-7, "sft_median_lr": 5e-6}
PARTS = ("a-precision", "b-learning-rate", "c-half-ulp")


def _evidence(precision_runs, lr_sweep, diffs, s) -> dict:
    """Parts (a) and (b) with their p-values corrected together."""
    from scipy.stats import spearmanr

    from rlsparse_check.stats import adjust

    bf16 = sparsities(diffs, precision_runs["bf16"])
    fp32 = sparsities(diffs, precision_runs["fp32"])
    a = greater(bf16, fp32, paired=True)
    rates = {lr: sparsities(diffs, cases) for lr, cases in lr_sweep.items()}
    xs = [lr for lr, values in rates.items() for _ in values]
    ys = [v for values in rates.values() for v in values]
    b: dict = {"rates": list(rates), "n": len(ys), "test": "Spearman rank correlation, "
               "one-sided (rho < 0), pooled over seeds", "per_rate": rates}
    if len(rates) >= 3 and len(set(ys)) > 1:
        less, more = spearmanr(xs, ys, alternative="less"), spearmanr(xs, ys,
                                                                       alternative="greater")
        b.update(rho=float(less.statistic), p=float(less.pvalue), p_opposite=float(more.pvalue))
    else:
        b.update(rho=None, p=None, p_opposite=None)
    family = [(k, t["p"]) for k, t in (("a", a), ("b", b)) if t["p"] is not None]
    for (key, _), p in zip(family, adjust([p for _, p in family], s.correction)
                           if family else [], strict=True):
        (a if key == "a" else b)["p_adjusted"] = float(p)
    return {"a": a, "b": b, "bf16": bf16, "fp32": fp32, "rates": rates}


@pytest.mark.parametrize("part", PARTS)
def test_precision_and_learning_rate_explain_sparsity(part, requires_training, precision_runs,
                                                      lr_sweep, checkpoint_diffs,
                                                      rlsparse_settings, record_claim):
    s = rlsparse_settings
    ev = _evidence(precision_runs, lr_sweep, checkpoint_diffs, s)
    common = {"correction": s.correction, "correction_family": "parts (a) and (b)",
              "alpha": s.alpha}
    lr_plot = {"Sparsity vs learning rate (bf16)": {
        "x_label": "learning rate", "y_label": "bitwise sparsity", "x_scale": "log",
        "y_range": [0, 1], "lines": {"bf16 checkpoint": series_line(ev["rates"])},
        "reference": {"label": "paper RL range", "y": [0.685, 0.96]}}}
    precision_plot = {"Sparsity by storage precision (same runs)": {
        "x_label": "storage dtype", "y_label": "bitwise sparsity", "x_scale": "category",
        "y_range": [0, 1],
        "lines": {c.label: {"x": ["bfloat16", "float32"], "y": [b, f]} for c, b, f in zip(
            precision_runs["bf16"], ev["bf16"], ev["fp32"], strict=True)}}}
    if part == "a-precision":
        a = ev["a"]
        decision = sparser("bf16 minus fp32 sparsity (paired by seed)", a["diff"],
                           a.get("p_adjusted"), float("inf") if a["upper"] is None
                           else a["upper"], s.equivalence_margin, s.alpha, n=a["n"], min_n=2)
        runs = [*precision_runs["bf16"], *precision_runs["fp32"]]
        measured = {"key": "sparsity_difference", "sparsity_difference": {"value": a["diff"]},
                    "bf16_sparsity": {"value": pystats.fmean(ev["bf16"]),
                                      "per_seed": ev["bf16"]},
                    "fp32_sparsity": {"value": pystats.fmean(ev["fp32"]),
                                      "per_seed": ev["fp32"]}}
        stats = {"test": a["test"] + " (bf16 > fp32)", "statistic": a["statistic"],
                 "p": a["p"], "p_adjusted": a.get("p_adjusted"), "n": a["n"],
                 "effect": a["diff"], "ci": [None, a["upper"]],
                 "margin": s.equivalence_margin, **common}
        plots = {"series": precision_plot}
    elif part == "b-learning-rate":
        b = ev["b"]
        p_adj = b.get("p_adjusted")
        why = (f"Spearman rho {b['rho'] if b['rho'] is None else round(b['rho'], 3)} over "
               f"{b['n']} runs at rates {', '.join(f'{r:g}' for r in b['rates'])} (mean "
               f"sparsity {', '.join(pct(pystats.fmean(v)) for v in ev['rates'].values())}), "
               f"adjusted p {p_adj if p_adj is None else f'{p_adj:.3g}'}")
        supports = b["rho"] is not None and b["rho"] < 0 and p_adj is not None and \
            p_adj < s.alpha
        refutes = b["p_opposite"] is not None and b["p_opposite"] < s.alpha and not supports
        decision = decide(supports=supports, refutes=refutes, n=len(b["rates"]), min_n=3,
                          why=why)
        runs = [c for cases in lr_sweep.values() for c in cases]
        measured = {"key": "spearman_rho", "spearman_rho": b["rho"],
                    "sparsity_by_lr": {f"{lr:g}": v for lr, v in ev["rates"].items()}}
        stats = {"test": b["test"], "statistic": b["rho"], "p": b["p"], "p_adjusted": p_adj,
                 "p_opposite_direction": b["p_opposite"], "n": b["n"], **common}
        plots = {"series": lr_plot}
    else:
        from rlsparse_check.precision import half_ulp_agreement

        rows = []
        for b16, f32 in zip(precision_runs["bf16"], precision_runs["fp32"], strict=True):
            rows.append({"seed": b16.meta["seed"], **half_ulp_agreement(
                f32.base, f32.tuned, b16.base, b16.tuned)})
        mean = pystats.fmean(r["agreement"] for r in rows)
        exact = pystats.fmean(r["exact_rule_agreement"] for r in rows)
        decision = decide(supports=mean >= HALF_ULP_AGREEMENT_MIN,
                          refutes=mean < HALF_ULP_AGREEMENT_MIN, n=len(rows),
                          why=f"half-ULP rule agrees with the bf16 checkpoint on {pct(mean)} "
                              f"of entries (need {pct(HALF_ULP_AGREEMENT_MIN)}), mean over "
                              f"{len(rows)} seeds; exact rounding rule: {pct(exact)}")
        runs = [*precision_runs["bf16"], *precision_runs["fp32"]]
        measured = {"key": "half_ulp_agreement", "half_ulp_agreement": {"value": mean},
                    "exact_rounding_agreement": exact, "per_seed": rows}
        stats = {"test": "per-entry agreement (exact count, no sampling), mean over seeds",
                 "n": len(rows), "threshold": HALF_ULP_AGREEMENT_MIN}
        plots = {"series": {**precision_plot, **lr_plot}}
    record_claim(ClaimResult(
        id="C9", title=TITLE, case=part, verdict=decision.verdict, reason=decision.reason,
        paper={**PAPER, "criterion": {
            "a-precision": f"bf16 sparsity - fp32 sparsity >= {s.equivalence_margin:g}, "
                           f"paired one-sided p < {s.alpha:g}",
            "b-learning-rate": f"Spearman rho(lr, sparsity) < 0, one-sided p < {s.alpha:g}",
            "c-half-ulp": f"per-entry agreement >= {HALF_ULP_AGREEMENT_MIN:g}"}[part]},
        measured=measured, statistics=stats, runs=[c.run_record() for c in runs], plots=plots,
    ))
