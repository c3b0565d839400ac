"""The "Regime" section: in which training regime the runs were, beside the paper's.

Drawn from the report's top-level ``regime`` object when present::

    {"rule": "one sentence",
     "runs": [{"label", "algo", "lr", "steps", "lr_x_steps", "flip_share"}, ...],
     "invariance": {"verdict", "reason", "lr_x_steps", "rates", "sparsity", "gain"},
     "profile": {"abs_w_quantiles": {q: v}, "half_ulp_quantiles": {q: v},
                 "flip_share": {rate: share}},
     "paper": {"model": "7B-class, bf16", "lr": [5e-7, 1e-6], ...same keys as profile...}}

Every part is optional; unknown keys are shown as labelled values, so the section keeps working
as the object grows.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import number
from rlsparse_check.report.page.numbers import label
from rlsparse_check.report.page.values import node

__all__ = ["regime_view"]

_RUN_COLUMNS = {
    "label": "run",
    "algo": "algorithm",
    "lr": "rate",
    "steps": "steps",
    "lr_x_steps": "lr x steps",
    "flip_share": "flip share",
}
_KNOWN = ("rule", "runs", "invariance", "profile", "paper")
_VERDICTS = ("reproduced", "not_reproduced", "inconclusive")


def _runs(runs: Any) -> dict[str, Any] | None:
    if not isinstance(runs, list) or not runs or not all(isinstance(r, dict) for r in runs):
        return None
    columns = [c for c in _RUN_COLUMNS if any(c in r for r in runs)]
    columns += [c for r in runs for c in r if c not in columns and c not in _RUN_COLUMNS]
    columns = list(dict.fromkeys(columns))
    return {
        "head": [_RUN_COLUMNS.get(c, label(c)) for c in columns],
        "rows": [[node(r.get(c), c) for c in columns] for r in runs],
    }


def _invariance(data: Any) -> dict[str, Any] | None:
    if not isinstance(data, dict) or not data:
        return None
    verdict = str(data.get("verdict") or "")
    rest = {k: v for k, v in data.items() if k not in ("verdict", "reason")}
    return {
        "verdict": verdict.replace("_", " ") or "no verdict",
        "badge": verdict if verdict in _VERDICTS else "neutral",
        "reason": str(data.get("reason") or ""),
        "rows": [(label(k), node(v, k)) for k, v in rest.items()],
    }


def _side_by_side(ours: Any, paper: Any) -> list[dict[str, Any]]:
    ours = ours if isinstance(ours, dict) else {}
    paper = paper if isinstance(paper, dict) else {}
    keys = list(ours) + [k for k in paper if k not in ours]
    return [
        {
            "label": label(k),
            "ours": node(ours[k], k) if k in ours else node("not measured"),
            "paper": node(paper[k], k) if k in paper else node("not published"),
        }
        for k in keys
    ]


def regime_view(regime: Any) -> dict[str, Any] | None:
    """The section's data, or None when the report has no regime object."""
    if not isinstance(regime, dict) or not regime:
        return None
    return {
        "rule": str(regime.get("rule") or ""),
        "runs": _runs(regime.get("runs")),
        "invariance": _invariance(regime.get("invariance")),
        "comparison": _side_by_side(regime.get("profile"), regime.get("paper")),
        "extra": [(label(k), node(v, k)) for k, v in regime.items() if k not in _KNOWN],
        "run_count": number(len(regime.get("runs") or [])),
    }
