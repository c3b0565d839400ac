"""Render a report.json document (see collect.py) as one self-contained HTML page.

No network: CSS and a one-line script are inline, plots are inline SVG from :mod:`.plots`
(matplotlib is imported only when some case carries ``plots``), no fonts or images are fetched.
The page has a summary table of the claims with coloured verdicts, then one section per claim:
the published figure beside the measured one, the statistical test and its numbers, the cases,
the plots, the runs; then skipped claims, errors, drift from a baseline and the provenance.

The inline script sets ``data-report-loaded="yes"`` on ``<body>``: a headless browser test reads
it back from the dumped DOM to know the page loaded and ran without errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlsparse_check.report.collect import format_number, group_skips, key_figure

__all__ = ["render_html", "STAT_LABELS"]

TEMPLATES = Path(__file__).parent / "templates"

# statistics keys shown first, with their labels; other keys follow in alphabetical order
STAT_LABELS = {
    "test": "test", "alternative": "alternative", "statistic": "statistic", "p": "p-value",
    "p_adjusted": "adjusted p-value", "correction": "correction", "alpha": "alpha", "n": "n",
    "ci": "95% interval", "effect": "effect size", "threshold": "threshold",
}


def _rows(mapping: dict[str, Any], first: dict[str, str] | None = None) -> list[tuple[str, Any]]:
    """(label, value) rows of a dict: ``first`` keys in their order and labels, then the rest."""
    first = first or {}
    rows = [(label, mapping[key]) for key, label in first.items() if key in mapping]
    rows += [(key, mapping[key]) for key in sorted(mapping) if key not in first]
    return rows


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return " | ".join(_show(v) for v in value)
    return format_number(value)


def _p_floor(label: str, value: Any) -> Any:
    """A p-value that underflowed to 0.0 is shown as "< 1e-300", not as an exact zero."""
    is_p = label.startswith("p") or label in ("adjusted p-value",)
    return "< 1e-300" if is_p and value == 0 and not isinstance(value, bool) else value


def _key_text(entry: dict[str, Any]) -> str:
    figure = key_figure(entry)
    return f"{figure[0]} = {format_number(figure[1])}" if figure else "-"


def _p_text(entry: dict[str, Any]) -> str:
    stats = entry.get("statistics") or {}
    p = stats.get("p_adjusted", stats.get("p"))
    return format_number(_p_floor("p", p)) if p is not None else "-"


def _measured_rows(entry: dict[str, Any]) -> list[tuple[str, Any]]:
    """Measured figures, the key figure first and labelled as such; the "key" pointer hidden."""
    measured = dict(entry.get("measured") or {})
    key = measured.pop("key", None)
    first = {key: f"{key} (key figure)"} if isinstance(key, str) and key in measured else {}
    return _rows(measured, first)


def _claim_figures(claim: dict[str, Any]) -> list[dict[str, Any]]:
    figures = []
    cases = claim.get("cases", [])
    if not any(case.get("plots") for case in cases):
        return figures
    from rlsparse_check.report.plots import plots_for

    for case in cases:
        for caption, svg in plots_for(case.get("plots") or {}):
            label = f"{caption} ({case['case']})" if len(cases) > 1 else caption
            figures.append({"caption": label, "svg": svg})
    return figures


def render_html(report: dict[str, Any]) -> str:
    """The HTML text of a report document."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["html", "j2"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["num"] = format_number
    env.filters["show"] = _show
    claims = []
    for claim in report.get("claims", []):
        claims.append({
            **claim,
            "key_text": _key_text(claim),
            "p_text": _p_text(claim),
            "paper_rows": _rows(claim.get("paper") or {}, {"summary": "published figure"}),
            "measured_rows": _measured_rows(claim),
            "stat_rows": [(label, _p_floor(label, value)) for label, value in
                          _rows(claim.get("statistics") or {}, STAT_LABELS)],
            "case_rows": [{"case": c["case"], "verdict": c["verdict"], "key": _key_text(c),
                           "p": _p_text(c), "reason": c["reason"]}
                          for c in claim.get("cases", [])],
            "figures": [{"caption": f["caption"], "svg": Markup(f["svg"])}
                        for f in _claim_figures(claim)],
            "runs_json": json.dumps(claim.get("runs", []), indent=1, sort_keys=True),
        })
    provenance = report.get("provenance") or {}
    return env.get_template("report.html.j2").render(
        report=report, claims=claims, summary=report.get("summary") or {},
        skipped=[{"id": claim_id, "reason": reason, "count": count} for (claim_id, reason),
                 count in group_skips(report.get("skipped") or []).items()],
        errors=report.get("errors") or [],
        drift=report.get("drift"), settings=report.get("settings") or {},
        provenance_rows=_rows(provenance), mode=report.get("mode") or "?",
        version=(report.get("tool") or {}).get("version", "?"),
        finished=(provenance.get("wall_times") or {}).get("finished", ""),
    )
