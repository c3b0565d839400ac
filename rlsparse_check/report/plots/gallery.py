"""The figures of one claim section, from the ``plots`` of all its cases: the one dispatch from
a ``ClaimResult.plots`` kind to its drawing (:mod:`.lead` and :mod:`.evidence`).

A claim with several cases draws each plot once where it can: overlap bars of every case in one
chart, series of the same title merged into one plot when their line names differ (at most
:data:`MAX_LINES` lines) or shown once when identical. What cannot be merged (heatmaps, series
whose lines collide) is drawn for the decisive case, and for the other cases in a collapsed
"more" list of at most :data:`MAX_MORE` figures (the rest are named in a note: their data stays
in report.json), which keeps the page small however many cases a claim has. The lead figures
(frontier, map, overlap, in :attr:`Gallery.lead`) open the section; heatmaps and series follow
the tables.
A plot whose data cannot be drawn becomes a one-line note instead of failing the whole report.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["MAX_LINES", "MAX_MORE", "Gallery", "claim_gallery"]

MAX_LINES = 10
#: Figures of the other cases drawn in a claim's collapsed list.
MAX_MORE = 4


@dataclass
class Gallery:
    """``lead``: drawn large first; ``evidence``: after the tables; ``more``: collapsed."""

    lead: list[Any] = field(default_factory=list)
    evidence: list[Any] = field(default_factory=list)
    more: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)


def _draw(
    gallery: Gallery, where: list[Any], what: str, draw: Callable[[], Any], case: str | None = None
) -> None:
    if where is gallery.more and len(gallery.more) >= MAX_MORE:
        gallery.left_out.append(what)
        return
    try:
        figure = draw()
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        gallery.notes.append(f"{what} could not be drawn ({type(error).__name__}: {error}).")
        return
    if case:
        figure = replace(figure, caption=f"{figure.caption} ({case})")
    where.append(figure)


def _merged_overlap(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    having = [c for c in cases if c.get("plots", {}).get("overlap")]
    labels = [str(p.get("pair")) for c in having for p in c["plots"]["overlap"]]
    clash = len(set(labels)) < len(labels)
    return [
        {**p, "pair": f"{c['case']}: {p.get('pair')}"} if clash and len(having) > 1 else p
        for c in having
        for p in c["plots"]["overlap"]
    ]


def _merged_series(owners: list[tuple[str, dict[str, Any]]]) -> tuple[dict, str] | None:
    """One spec for a series title found in several cases and how it was made ("same in",
    "lines of"), or None when the cases' lines collide or would be too many."""
    specs = [spec for _, spec in owners]
    if all(json.dumps(s, sort_keys=True) == json.dumps(specs[0], sort_keys=True) for s in specs):
        return specs[0], "same in"
    names = [name for spec in specs for name in spec.get("lines", {})]
    if len(set(names)) < len(names) or len(names) > MAX_LINES:
        return None
    lines = {name: line for spec in specs for name, line in spec.get("lines", {}).items()}
    return {**specs[0], "lines": lines}, "lines of"


def _which(owners: list[tuple[str, Any]], cases: list[dict[str, Any]]) -> str:
    if len(owners) == len(cases):
        return f"all {len(cases)} cases"
    return "cases " + ", ".join(name for name, _ in owners)


def claim_gallery(cases: list[dict[str, Any]], decisive: str) -> Gallery:
    """The figures of one claim (see the module doc); cases in their report order."""
    from rlsparse_check.report.plots import evidence, lead

    gallery = Gallery()
    many = len(cases) > 1
    ordered = sorted(cases, key=lambda c: c.get("case") != decisive)
    for kind, draw in (("frontier", lead.frontier), ("map", lead.regime_map)):
        for case in ordered:
            data = (case.get("plots") or {}).get(kind)
            if data:
                _draw(
                    gallery,
                    gallery.lead,
                    f"The {kind} plot of case {case['case']}",
                    lambda d=data, f=draw: f(d),
                    case["case"] if many else None,
                )
    merged = _merged_overlap(cases)
    if merged:
        _draw(gallery, gallery.lead, "The overlap chart", lambda: lead.overlap(merged))
    first = True
    for case in ordered:
        data = (case.get("plots") or {}).get("heatmap")
        if data:
            where = gallery.evidence if first else gallery.more
            _draw(
                gallery,
                where,
                f"The heatmap of case {case['case']}",
                lambda d=data: evidence.heatmap(d),
                case["case"] if many else None,
            )
            first = False
    titles: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for case in ordered:
        for title, spec in ((case.get("plots") or {}).get("series") or {}).items():
            titles.setdefault(title, []).append((case["case"], spec))
    for title in sorted(titles):
        owners = titles[title]
        if len(owners) == 1:
            _draw(
                gallery,
                gallery.evidence,
                f"The plot '{title}'",
                lambda t=title, s=owners[0][1]: evidence.series(t, s),
                owners[0][0] if many else None,
            )
            continue
        merged = _merged_series(owners)
        if merged is not None:
            spec, how = merged
            _draw(
                gallery,
                gallery.evidence,
                f"The plot '{title}'",
                lambda t=title, s=spec: evidence.series(t, s),
                f"{how} {_which(owners, cases)}",
            )
            continue
        for i, (case_name, case_spec) in enumerate(owners):
            _draw(
                gallery,
                gallery.evidence if i == 0 else gallery.more,
                f"The plot '{title}' of case {case_name}",
                lambda t=title, s=case_spec: evidence.series(t, s),
                case_name,
            )
    if gallery.left_out:
        gallery.notes.append(
            f"{len(gallery.left_out)} more plots of other cases are not drawn here; their data "
            "is in report.json (each case's plots)."
        )
    return gallery
