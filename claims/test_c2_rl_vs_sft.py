"""C2 -- RL is much sparser than SFT.

Claim (Mukherjee et al., arXiv 2505.11711): supervised fine-tuning of the same bases updates far
more of the weights than RL does.
Published figure: RL checkpoints 68.5%-96.0% unchanged; SFT checkpoints of the same bases only
6%-15% unchanged.
Criterion: same base, same data budget (steps x batch), each at its usual learning rate (the
recipes' defaults: SFT = 10 x RL): one-sided Welch t over seeds that RL sparsity > SFT sparsity
(Mann-Whitney U beside it). Reproduced when the ``--correction``-adjusted p < ``--alpha`` and the
mean difference is at least ``--equivalence-margin`` (what "much" means, default 5 pp); not
reproduced when the upper 95% bound of the difference is below that margin; else inconclusive.
Controls reported beside it (the critique: learning rate and distance moved explain the gap):
RL and SFT at the same learning rate (both the RL rate and the SFT rate), and RL and SFT matched
on eval improvement (the RL and SFT configurations whose mean eval gains are closest). The
p-values of the main test and the controls are corrected together; only the main test decides.
"""

from __future__ import annotations

import itertools

from fixtures.compare import greater, mean_gain, series_line, sparsities
from fixtures.criteria_training import sparser
from rlsparse_check.results import ClaimResult

TITLE = "RL fine-tuning is much sparser than SFT of the same base"
PAPER = {"summary": "RL 68.5%-96.0% vs SFT 6%-15% unchanged",
         "rl_range": [0.685, 0.96], "sft_range": [0.06, 0.15]}


def _matched(rl_configs: dict, sft_configs: dict) -> tuple[str, str]:
    """The (RL, SFT) configuration pair with the closest mean eval gains."""
    return min(itertools.product(rl_configs, sft_configs),
               key=lambda k: abs(mean_gain(rl_configs[k[0]]) - mean_gain(sft_configs[k[1]])))


def test_rl_updates_are_sparser_than_sft_updates(requires_training, rl_sft_runs, lr_sweep,
                                                 checkpoint_diffs, rlsparse_settings,
                                                 record_claim):
    from fixtures.experiments import lr_label
    from rlsparse_check.stats import adjust

    s = rlsparse_settings
    rl_lr = rl_sft_runs["rl"][0].meta["record"]["spec"]["lr"]
    sft_lr = rl_sft_runs["sft"][0].meta["record"]["spec"]["lr"]
    rl_configs = {f"RL {lr_label(lr)}": cases for lr, cases in lr_sweep.items()}
    sft_configs = {f"SFT {lr_label(sft_lr)}": rl_sft_runs["sft"],
                   f"SFT {lr_label(rl_lr)}": rl_sft_runs["sft_at_rl_lr"]}
    rl_at_sft_lr = rl_configs.get(f"RL {lr_label(sft_lr)}")
    match = _matched(rl_configs, sft_configs)
    rows = {"main: each at its usual rate": (rl_sft_runs["rl"], rl_sft_runs["sft"]),
            f"control: same rate {rl_lr:g} (RL's)": (rl_sft_runs["rl"],
                                                      rl_sft_runs["sft_at_rl_lr"])}
    if rl_at_sft_lr is not None:
        rows[f"control: same rate {sft_lr:g} (SFT's)"] = (rl_at_sft_lr, rl_sft_runs["sft"])
    matched = (rl_configs[match[0]], sft_configs[match[1]])
    labels = [[c.label for c in cases] for cases in matched]
    same_as = next((k for k, (a, b) in rows.items()
                    if [c.label for c in a] == labels[0] and [c.label for c in b] == labels[1]),
                   None)
    if same_as is None:
        rows[f"control: matched eval gain ({match[0]} vs {match[1]})"] = matched
    tests = {}
    for name, (a, b) in rows.items():
        tests[name] = {**greater(sparsities(checkpoint_diffs, a),
                                 sparsities(checkpoint_diffs, b)),
                       "gain_a": mean_gain(a), "gain_b": mean_gain(b),
                       "runs_a": [c.label for c in a], "runs_b": [c.label for c in b]}
    tested = [k for k, t in tests.items() if t["p"] is not None]
    for name, p in zip(tested, adjust([tests[k]["p"] for k in tested], s.correction)
                       if tested else [], strict=True):
        tests[name]["p_adjusted"] = float(p)
    main = tests["main: each at its usual rate"]
    decision = sparser(f"RL ({rl_lr:g}) minus SFT ({sft_lr:g}) sparsity", main["diff"],
                       main.get("p_adjusted"), main["upper"] if main["upper"] is not None
                       else float("inf"), s.equivalence_margin, s.alpha, n=main["n"])
    matched_note = {"rl": match[0], "sft": match[1], "gain_rl": mean_gain(matched[0]),
                    "gain_sft": mean_gain(matched[1]), "same_as": same_as}
    controls = (f"matched eval gain: {match[0]} ({matched_note['gain_rl']:+.3f}) vs "
                f"{match[1]} ({matched_note['gain_sft']:+.3f})"
                + (f", the same pair as '{same_as}'" if same_as else "") + "; ")
    controls += "; ".join(f"{k}: {100 * t['diff']:+.2f} pp (p_adj "
                         f"{t.get('p_adjusted', float('nan')):.3g})"
                         for k, t in tests.items() if k.startswith("control"))
    all_cases = {c.label: c for cases in [*rl_configs.values(), *sft_configs.values()]
                 for c in cases}
    points = {"RL": {lr: sparsities(checkpoint_diffs, cases) for lr, cases in lr_sweep.items()},
              "SFT": {c[0].meta["record"]["spec"]["lr"]: sparsities(checkpoint_diffs, c)
                      for c in sorted(sft_configs.values(),
                                      key=lambda c: c[0].meta["record"]["spec"]["lr"])}}
    record_claim(ClaimResult(
        id="C2", title=TITLE, case="rl-vs-sft", verdict=decision.verdict,
        reason=f"{decision.reason}. Controls: {controls}",
        paper={**PAPER, "criterion": f"RL sparsity > SFT sparsity (one-sided Welch, "
                                     f"{s.correction}-adjusted p < {s.alpha:g}) by at least "
                                     f"{100 * s.equivalence_margin:g} pp"},
        measured={"key": "sparsity_difference",
                  "sparsity_difference": {"value": main["diff"]},
                  "rl_sparsity": {"value": main["mean_a"], "per_seed": main["a"]},
                  "sft_sparsity": {"value": main["mean_b"], "per_seed": main["b"]},
                  "rl_lr": rl_lr, "sft_lr": sft_lr,
                  "eval_gain": {"rl": main["gain_a"], "sft": main["gain_b"]},
                  "matched_eval_gain_pair": matched_note,
                  "controls": {k: {"difference": t["diff"], "p_adjusted": t.get("p_adjusted"),
                                   "rl_sparsity": t["mean_a"], "sft_sparsity": t["mean_b"],
                                   "rl_gain": t["gain_a"], "sft_gain": t["gain_b"]}
                               for k, t in tests.items() if k.startswith("control")}},
        statistics={"test": main["test"] + " (RL > SFT); Mann-Whitney U beside it",
                    "statistic": main["statistic"], "p": main["p"],
                    "p_adjusted": main.get("p_adjusted"), "correction": s.correction,
                    "correction_family": list(tests), "alpha": s.alpha, "n": main["n"],
                    "effect": main["diff"], "ci": [None, main["upper"]],
                    "margin": s.equivalence_margin, "tests": tests},
        runs=[c.run_record() for c in all_cases.values()],
        plots={"series": {
            "Sparsity vs learning rate: RL and SFT": {
                "x_label": "learning rate", "y_label": "bitwise sparsity", "x_scale": "log",
                "y_range": [0, 1], "reference": {"label": "paper RL range", "y": [0.685, 0.96]},
                "lines": {k: series_line(v) for k, v in points.items()}},
            "Sparsity vs eval gain per run (one line per recipe)": {
                "x_label": "eval reward gain", "y_label": "bitwise sparsity", "y_range": [0, 1],
                "lines": {name: {"x": [c.meta["gain"]["gain"] for c in ordered],
                                 "y": sparsities(checkpoint_diffs, ordered)}
                          for name, cases in {**rl_configs, **sft_configs}.items()
                          for ordered in [sorted(cases, key=lambda c: c.meta["gain"]["gain"])]}}}},
    ))
