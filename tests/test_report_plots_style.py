"""Report plots: every kind draws, in one style, as compact SVG that carries its alt text.

Drawn through the gallery (the one dispatch) from one case that carries every kind."""

from __future__ import annotations

import html
import re

import pytest
from report_support import every_plot_kind

from rlsparse_check.report.plots.gallery import claim_gallery
from rlsparse_check.report.plots.style import PALETTE, STYLE, pyplot


def every_figure() -> list:
    gallery = claim_gallery([{"case": "all", "plots": every_plot_kind()}], "all")
    assert gallery.notes == []
    return gallery.lead + gallery.evidence + gallery.more


@pytest.fixture(scope="module")
def figures():
    return every_figure()


def test_every_kind_is_drawn_lead_kinds_first(figures):
    captions = [f.caption for f in figures]
    assert len(figures) == 6
    assert [f.lead for f in figures] == [True, True, True, False, False, False]
    assert captions[0].startswith("Sparsity against eval gain")
    assert captions[1].startswith("Sparsity over learning rate x steps")
    assert captions[2] == "Observed overlap beside both chance levels"


def test_every_svg_names_itself_for_screen_readers(figures):
    for figure in figures:
        head = figure.svg[: figure.svg.index(">") + 1]
        assert figure.svg.startswith("<svg") and 'role="img"' in head
        assert f'aria-label="{html.escape(figure.alt)}"' in head
        assert re.search(r"<title>[^<]{20,}</title>", figure.svg)


def test_alt_text_carries_the_numbers_a_reader_needs(figures):
    frontier, regime_map, overlap = figures[:3]
    assert "matched gain 0.07" in frontier.alt and "RL, SFT" in frontier.alt
    assert "grpo bf16" in regime_map.alt and "rates 1e-06 to 0.0002" in regime_map.alt
    assert "observed 61.0%" in overlap.alt and "stratified chance 47.0%" in overlap.alt


def test_svg_is_compact_text_with_unique_ids(figures):
    for figure in figures:
        assert "<metadata" not in figure.svg and "font-family" not in figure.svg
        tags = re.sub(r'<title>.*?</title>|>[^<]*<|aria-label="[^"]*"', "><", figure.svg)
        assert not re.search(r"\d\.\d{3,}", tags)  # coordinates rounded
        assert len(figure.svg) < 40_000
        ids = re.findall(r'\bid="([^"]+)"', figure.svg)
        prefix = ids[0].split("-")[0] if ids else ""
        assert all(i.startswith(prefix + "-") for i in ids)
        for ref in re.findall(r'href="#([^"]+)"|url\(#([^)]+)\)', figure.svg):
            assert (ref[0] or ref[1]) in ids


def test_the_same_data_draws_the_same_svg():
    assert every_figure() == every_figure()


def test_one_style_applies_to_every_plot():
    import matplotlib

    pyplot()
    for key, value in STYLE.items():
        assert matplotlib.rcParams[key] == value
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.lower() for c in colors] == [c.lower() for c in PALETTE]
