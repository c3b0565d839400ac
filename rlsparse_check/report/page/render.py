"""Render a report.json document (see :mod:`rlsparse_check.report.collect`) as one
self-contained HTML page.

No network: CSS and a small script are inline, plots are inline SVG from
:mod:`rlsparse_check.report.plots` (matplotlib is imported only when some case carries
``plots``), no fonts or images are fetched. The page reads top to bottom as a reviewer asks: the
summary table of verdicts (the key figure of every case, :mod:`rlsparse_check.report.summary`);
the training regime beside the paper's (:mod:`.regime`); one section per claim that opens with
one sentence (the verdict and the decisive numbers against the paper's figure), then the plots a
reader should see first, then the evidence (published beside measured, thresholds with their
source, the test, the cases, further plots), the runs referred to by label; then every run once,
the provenance and the options, collapsed. Every nested value is drawn as a table with header
cells (:mod:`.values`, :mod:`.tables`).

The inline script opens a collapsed section when a link points into it, and sets
``data-report-loaded="yes"`` on ``<body>``: a headless browser test reads it back from the dumped
DOM to know the page loaded and ran without errors.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rlsparse_check.numbers import reading
from rlsparse_check.report.collect import group_skips
from rlsparse_check.report.page.numbers import label, plain_text
from rlsparse_check.report.page.regime import regime_view
from rlsparse_check.report.page.runs import run_index
from rlsparse_check.report.page.values import node
from rlsparse_check.report.page.view import STAT_LABELS, claim_view

__all__ = ["render_html", "environment", "STAT_LABELS"]

TEMPLATES = Path(__file__).parent / "templates"


_LONG_WORD = re.compile(r"\S{29,}")


def breakable(text: Any) -> Any:
    """``text`` escaped, with any Python literal in it written out (:func:`.plain_text`) and any
    word longer than 28 characters (a path, a hash, a node id) allowed to break anywhere, so that
    it wraps instead of widening the page."""
    from markupsafe import Markup, escape

    escaped = str(escape(plain_text(text) if isinstance(text, str) else text))
    return Markup(_LONG_WORD.sub(lambda m: f'<span class="brk">{m.group()}</span>', escaped))


def environment() -> Any:
    """The Jinja environment of the report templates (autoescaped, strict)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = reading
    env.filters["wrap"] = breakable
    env.filters["verdict_words"] = lambda v: str(v).replace("_", " ")
    return env


def _figures(claim: dict[str, Any]) -> dict[str, Any]:
    cases = claim.get("cases") or []
    if not any(case.get("plots") for case in cases):
        return {"lead": [], "evidence": [], "more": [], "notes": []}
    from markupsafe import Markup

    from rlsparse_check.report.plots.gallery import claim_gallery

    gallery = claim_gallery(cases, str(claim.get("decisive_case", "")))

    def show(figures: list[Any]) -> list[dict[str, Any]]:
        return [{"caption": f.caption, "alt": f.alt, "svg": Markup(f.svg)} for f in figures]

    return {
        "lead": show(gallery.lead),
        "evidence": show(gallery.evidence),
        "more": show(gallery.more),
        "notes": gallery.notes,
    }


def render_html(report: dict[str, Any]) -> str:
    """The HTML text of a report document."""
    claims_data = [c for c in report.get("claims") or [] if isinstance(c, dict)]
    runs = run_index(claims_data)
    claims = [{**claim_view(claim, runs), "figures": _figures(claim)} for claim in claims_data]
    provenance = report.get("provenance") or {}
    settings = report.get("settings") or {}
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            claims=claims,
            summary=report.get("summary") or {},
            regime=regime_view(report.get("regime")),
            skipped=[
                {"id": claim_id, "reason": reason, "count": count}
                for (claim_id, reason), count in group_skips(report.get("skipped") or []).items()
            ],
            errors=report.get("errors") or [],
            drift=report.get("drift"),
            model=settings.get("model", "?"),
            settings_rows=[(label(k), node(v, k)) for k, v in sorted(settings.items())],
            provenance_rows=[(label(k), node(v, k)) for k, v in provenance.items()],
            run_headings=runs.headings,
            run_rows=runs.rows,
            mode=report.get("mode") or "?",
            version=(report.get("tool") or {}).get("version", "?"),
            finished=(provenance.get("wall_times") or {}).get("finished", ""),
        )
    )
