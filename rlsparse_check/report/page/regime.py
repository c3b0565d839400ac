"""The "Regime" section: in which training regime the runs were, beside the paper's.

Drawn from the report's top-level ``regime`` object when present::

    {"rule": "one sentence", "rate_factor": 2.0,
     "runs": [{"label", "algo", "lr", "steps", "lr_x_steps", "flip_share"}, ...],
     "invariance": {"verdict", "reason", "lr_x_steps", "rates": [usual, published], "margin",
                    "sparsity": {"usual": [...], "published": [...], "difference", "ci",
                                 "p", "p_adjusted"}, "gain": {...same keys...}},
     "profile": {"model", "entries", "dtypes", "quantiles": [q, ...], "abs_w": [...],
                 "half_ulp": [...], "rates": [...], "flip_share": {rate: share}, ...},
     "paper": {"model", "lr": [lo, hi], "half_ulp_relative": [...], "note"}}

The section opens with two sentences a reader can check against the tables below them: which
model and rates these runs used beside the paper's, and what the same-lr-x-steps check found.
Then small tables, each with a header row: the check (one row per figure), the base weights'
quantiles (one column per quantile), the share one step can flip per rate, and a comparison with
the paper that has a row only where the paper gives a figure. Every part is optional; unknown
keys are shown as labelled values, so the section keeps working as the object grows.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.numbers import interval, number, percent, points, reading
from rlsparse_check.report.page.numbers import format_value, label
from rlsparse_check.report.page.tables import across, quantile_label, table
from rlsparse_check.report.page.values import node
from rlsparse_check.report.summary import interval_bounds, interval_level

__all__ = ["regime_view"]

_RUN_COLUMNS = {
    "label": "run",
    "algo": "algorithm",
    "lr": "rate",
    "steps": "steps",
    "lr_x_steps": "lr x steps",
    "flip_share": "flip share",
}
_KNOWN = ("rule", "runs", "invariance", "profile", "paper", "rate_factor")
_VERDICTS = ("reproduced", "not_reproduced", "inconclusive")
#: The figures of the invariance check and the key their numbers read under (an eval gain is a
#: difference of accuracies: percentage points).
_PARTS = {"sparsity": "sparsity", "gain": "accuracy_difference"}
_PART_NAMES = {"sparsity": "sparsity", "gain": "eval gain"}
_PAPER_LABELS = {"lr": "per-step rate", "half_ulp_relative": "half a bf16 ULP / |w|"}
#: Profile rows over the quantiles: key (list aligned with "quantiles", or {q: value}), label.
_QUANTILE_ROWS = (
    ("abs_w", "|w| of base entries"),
    ("abs_w_quantiles", "|w| of base entries"),
    ("half_ulp", "half a bf16 ULP of w"),
    ("half_ulp_quantiles", "half a bf16 ULP of w"),
)


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


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _span(values: list[Any]) -> str:
    numbers = sorted({float(v) for v in values if isinstance(v, int | float)})
    if not numbers:
        return ""
    if len(numbers) == 1:
        return number(numbers[0])
    return f"{number(numbers[0])} to {number(numbers[-1])}"


def _parts(invariance: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The figures of the check (dicts with a ``difference``), sparsity first."""
    parts = [(k, v) for k, v in invariance.items() if isinstance(v, dict) and "difference" in v]
    order = list(_PARTS)
    return sorted(parts, key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))


def _part_interval(name: str, part: dict[str, Any], reason: str) -> tuple[str | None, str]:
    bounds = interval_bounds(part.get("ci"))
    if bounds is None:
        return None, ""
    level = interval_level(part.get("ci"), part, {"test": reason})
    return level, interval(*bounds, _PARTS.get(name, name), "points")


def _invariance_table(invariance: dict[str, Any]) -> dict[str, Any] | None:
    parts = _parts(invariance)
    reason = str(invariance.get("reason") or "")
    levels = {_part_interval(n, p, reason)[0] for n, p in parts}
    level = levels.pop() if len(levels) == 1 else None
    rows = []
    for name, part in parts:
        key = _PARTS.get(name, name)
        per_seed = lambda values, k=key: format_value(values, k) if values else ""  # noqa: E731
        rows.append(
            [
                _PART_NAMES.get(name, label(name)),
                per_seed(part.get("published")),
                per_seed(part.get("usual")),
                points(part.get("difference")),
                _part_interval(name, part, reason)[1],
                reading(part.get("p_adjusted", part.get("p")), "p"),
            ]
        )
    rates = [number(r) for r in invariance.get("rates") or []]
    usual, published = (rates + ["", ""])[:2] if len(rates) >= 2 else ("", "")
    return table(
        [
            "figure",
            f"published rate {published}, per seed".replace("  ", " "),
            f"usual rate {usual}, per seed".replace("  ", " "),
            "usual minus published",
            f"{level} CI" if level else "interval",
            "adjusted p",
        ],
        rows,
    )


def _check_sentence(regime: dict[str, Any]) -> str:
    """The second sentence: what the same-lr-x-steps check found, in numbers."""
    invariance = _dict(regime.get("invariance"))
    parts = _parts(invariance)
    rates = invariance.get("rates") or []
    margin = invariance.get("margin")
    if not parts or len(rates) != 2 or not isinstance(margin, int | float):
        return str(invariance.get("reason") or "").strip()
    reason = str(invariance.get("reason") or "")
    found, inside = [], True
    for name, part in parts:
        level, span = _part_interval(name, part, reason)
        bounds = interval_bounds(part.get("ci")) or (None, None)
        inside &= None not in bounds and -margin <= bounds[0] and bounds[1] <= margin
        ci = f" ({level} CI {span})" if level else f" (interval {span})" if span else ""
        found.append(
            f"{_PART_NAMES.get(name, label(name))} by {points(part.get('difference'))}{ci}"
        )
    ps = " and ".join(reading(p.get("p_adjusted", p.get("p")), "p") for _, p in parts)
    where = "inside" if inside else "not all inside"
    return (
        f"At the same lr x steps ({number(invariance.get('lr_x_steps'))}), the usual rate "
        f"{number(rates[0])} instead of the published {number(rates[1])} changed "
        + " and ".join(found)
        + f", {where} the equivalence margin of \u00b1{points(margin).lstrip('+')} "
        f"(TOST adjusted p {ps})."
    )


def _setting_sentence(regime: dict[str, Any]) -> str:
    """The first sentence: model and per-step rates of these runs beside the paper's."""
    profile, paper = _dict(regime.get("profile")), _dict(regime.get("paper"))
    runs = [r for r in regime.get("runs") or [] if isinstance(r, dict)]
    rates = _span([r.get("lr") for r in runs]) or _span(profile.get("lr") or [])
    budgets = _span([r.get("lr_x_steps") for r in runs])
    ours = str(profile.get("model") or "")
    if not (ours or rates):
        return ""
    text = "These runs train " + (ours or "the model")
    text += f" at per-step rates {rates}" if rates else ""
    text += f" (lr x steps {budgets}, {len(runs)} runs)" if budgets else ""
    if paper.get("model") or paper.get("lr"):
        text += "; the paper trained " + str(paper.get("model") or "its models")
        text += f" at {_span(paper.get('lr') or [])}" if _span(paper.get("lr") or []) else ""
    return text + "."


def _quantile_rows(profile: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any] | None:
    quantiles = profile.get("quantiles")
    rows: list[tuple[str, list[Any], str]] = []
    for key, name in _QUANTILE_ROWS:
        for source, who in ((profile, ""), (paper, "paper: ")):
            value = source.get(key)
            if isinstance(value, dict):
                quantiles = quantiles or list(value)
                value = [value.get(q, value.get(str(q))) for q in quantiles]
            if isinstance(value, list):
                rows.append((who + name, value, "w"))
    if not quantiles or not rows:
        return None
    return across("quantile", list(quantiles), rows, heading=quantile_label)


def _flip_table(profile: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any] | None:
    flips = _dict(profile.get("flip_share"))
    if not flips:
        return None
    rates = sorted(flips, key=lambda r: float(r) if _is_number_text(r) else 0.0)
    rows = [["share of base entries one step can flip", *(percent(flips[r]) for r in rates)]]
    lo_hi = [v for v in paper.get("lr") or [] if isinstance(v, int | float)]
    if len(lo_hi) == 2 and all(_is_number_text(r) for r in rates):
        inside = [min(lo_hi) <= float(r) <= max(lo_hi) for r in rates]
        rows.append(
            [f"in the paper's rates ({_span(lo_hi)})", *("yes" if i else "no" for i in inside)]
        )
    return table(
        ["per-step rate", *(number(float(r)) if _is_number_text(r) else r for r in rates)], rows
    )


def _is_number_text(text: Any) -> bool:
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True


def _paper_table(profile: dict[str, Any], paper: dict[str, Any], runs: Any) -> dict | None:
    """Rows only where the paper gives a figure; quantile rows are in the quantile table."""
    used = {k for k, _ in _QUANTILE_ROWS} | {"note"}
    rows = []
    for key, value in paper.items():
        if key in used:
            continue
        ours = profile.get(key)
        if key == "lr" and isinstance(runs, list):
            ours = _span([r.get("lr") for r in runs if isinstance(r, dict)]) or ours
        theirs = None
        if isinstance(ours, list) and len(ours) == 2:
            ours = _span(ours)
        if isinstance(value, list) and len(value) == 2:
            theirs = _span(value)
        rows.append(
            [
                _PAPER_LABELS.get(key, label(key)),
                "not measured"
                if ours is None
                else ours
                if isinstance(ours, str)
                else format_value(ours, key),
                theirs or format_value(value, key),
            ]
        )
    return table(["figure", "these runs", "paper"], rows)


def _invariance_badge(data: Any) -> dict[str, str] | None:
    if not isinstance(data, dict) or not data:
        return None
    verdict = str(data.get("verdict") or "")
    return {
        "verdict": verdict.replace("_", " ") or "no verdict",
        "badge": verdict if verdict in _VERDICTS else "neutral",
    }


def regime_view(regime: Any) -> dict[str, Any] | None:
    """The section's data, or None when the report has no regime object."""
    if not isinstance(regime, dict) or not regime:
        return None
    profile, paper = _dict(regime.get("profile")), _dict(regime.get("paper"))
    invariance = _dict(regime.get("invariance"))
    sentences = [s for s in (_setting_sentence(regime), _check_sentence(regime)) if s]
    profile_facts = []
    if isinstance(profile.get("entries"), int | float):
        profile_facts.append(f"{number(profile['entries'])} base entries")
    if isinstance(profile.get("dtypes"), dict) and profile["dtypes"]:
        profile_facts.append("stored as " + ", ".join(map(str, profile["dtypes"])))
    return {
        "rule": str(regime.get("rule") or ""),
        "sentences": sentences,
        "invariance": _invariance_badge(invariance),
        "check": _invariance_table(invariance) if _parts(invariance) else None,
        "check_rows": []
        if _parts(invariance)
        else [
            (label(k), node(v, k)) for k, v in invariance.items() if k not in ("verdict", "reason")
        ],
        "quantiles": _quantile_rows(profile, paper),
        "profile_facts": "; ".join(profile_facts),
        "flips": _flip_table(profile, paper),
        "paper": _paper_table(profile, paper, regime.get("runs")),
        "paper_note": str(paper.get("note") or ""),
        "runs": _runs(regime.get("runs")),
        "extra": [(label(k), node(v, k)) for k, v in regime.items() if k not in _KNOWN],
        "run_count": number(len(regime.get("runs") or [])),
    }
