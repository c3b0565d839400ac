"""C5's evidence: each variant's sparsity against its usual recipe (paired by seed), its masks'
overlap with the usual run's, whether both run sets learned, and whether the variant took
effect (read from the runs' logged training figures)."""

from __future__ import annotations

import dataclasses
import json
import statistics as pystats
from pathlib import Path
from typing import Any

from rlsparse_check.cases import CheckpointCase, DiffCache
from rlsparse_check.measures.overlap import pair_rows

__all__ = ["variant_evidence", "run_effect", "set_effect"]

#: Logged by the GRPO recipe: mean |pi / pi_old - 1| over completion tokens of an update.
RATIO_KEY = "importance_ratio/abs_dev_mean"


def _mean(values: list[float]) -> float | None:
    return pystats.fmean(values) if values else None


def run_effect(case: CheckpointCase) -> dict[str, Any]:
    """What one run's training applied, from its run.json: the KL coefficient and mean logged KL
    (their product: the KL term), the share of steps whose gradient norm exceeded
    ``max_grad_norm`` (clipped), the updates per batch and the importance ratio's spread over
    the updates that reuse a batch (the recipes log every update in order; of each batch's
    ``iterations`` updates the first is on-policy, its ratio exactly 1 by construction, so it
    is left out: what is measured is how far off-policy the off-policy updates were)."""
    record = json.loads((Path(case.tuned) / "run.json").read_text())
    spec, history = record["spec"], record.get("log_history", [])
    steps = [e for e in history if "grad_norm" in e]
    limit, beta = spec.get("max_grad_norm"), float(spec.get("beta") or 0.0)
    kl = _mean([float(e["kl"]) for e in history if "kl" in e])
    clipped = [e.get("clip_ratio/region_mean", e.get("clip_ratio")) for e in history]
    every = int(spec.get("iterations") or 1)
    ratios = [float(e[RATIO_KEY]) for e in history if RATIO_KEY in e]
    reused = [v for i, v in enumerate(ratios) if i % every] if every > 1 else ratios
    return {
        "beta": beta,
        "mean_kl": kl,
        "kl_term": beta * kl if kl is not None else (0.0 if beta == 0 else None),
        "max_grad_norm": limit,
        "clipped_step_share": _mean([float(bool(limit) and e["grad_norm"] > limit) for e in steps]),
        "iterations": every,
        "ratio_spread": _mean(reused),
        "ratio_clipped_share": _mean([float(c) for c in clipped if c is not None]),
    }


def set_effect(cases: list[CheckpointCase]) -> dict[str, Any]:
    """:func:`run_effect` averaged over the seeds of a run set (None where a run lacks it)."""
    runs = [run_effect(c) for c in cases]
    return {
        k: None if any(r[k] is None for r in runs) else pystats.fmean(r[k] for r in runs)
        for k in runs[0]
    }


def variant_evidence(
    variant_runs: dict[str, tuple[list, list]], checkpoint_diffs: DiffCache, rlsparse_settings: Any
) -> dict:
    """C5's evidence: the TOST of every variant's sparsity against its usual recipe (paired by
    seed), the overlap rows of every (usual, variant) pair of seeds, the eval gain of every run
    set, and what each run set applied; each family corrected as a whole. The TOSTs: one member
    per variant, equivalence (``p_adjusted``) and its opposite, outside the margin
    (``p_outside_adjusted``), corrected alike."""
    from rlsparse_check.measures.learning import case_rewards, gain_tests
    from rlsparse_check.stats import tost
    from rlsparse_check.stats.corrections import correct_equivalence

    s = rlsparse_settings
    tosts, gains, effects, pairs, owner = {}, {}, {}, [], []
    for variant, (usual, cases) in variant_runs.items():
        u, v = checkpoint_diffs.sparsities(usual), checkpoint_diffs.sparsities(cases)
        diffs = [a - b for a, b in zip(v, u, strict=True)]
        res = (
            tost(diffs, None, margin=s.equivalence_margin, alpha=s.alpha)
            if len(diffs) > 1
            else None
        )
        tosts[variant] = {
            "diffs": diffs,
            "diff": pystats.fmean(diffs),
            "p": None if res is None else res.p_value,
            "ci": None if res is None else list(res.ci),
            "usual": u,
            "variant": v,
        }
        for name, run_set in (("usual " + cases[0].meta.get("algo", ""), usual), (variant, cases)):
            gains[name.strip()] = [case_rewards(c) for c in run_set]
        effects[variant] = {"usual": set_effect(usual), "variant": set_effect(cases)}
        pairs += list(zip(usual, cases, strict=True))
        owner += [variant] * len(cases)
    correct_equivalence(tosts, s.correction)
    gains = {
        k: dataclasses.replace(t, what=f"the {k} runs")
        for k, t in gain_tests(gains, s.correction).items()
    }
    rows = pair_rows(pairs, checkpoint_diffs, s.correction)
    return {
        "tosts": tosts,
        "gains": gains,
        "effects": effects,
        "rows": [dict(r, variant=v) for r, v in zip(rows, owner, strict=True)],
    }
