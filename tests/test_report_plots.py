"""Report plots: every kind draws, in one style, as compact SVG that carries its alt text."""

from __future__ import annotations

import html
import re

import pytest
from report_support import every_plot_kind

from rlsparse_check.report import plots
from rlsparse_check.report.plotstyle import PALETTE, STYLE, pyplot


@pytest.fixture(scope="module")
def figures():
    return plots.plots_for(every_plot_kind())


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
    assert "observed 61%" in overlap.alt and "stratified chance 47%" in overlap.alt


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
    assert plots.plots_for(every_plot_kind()) == plots.plots_for(every_plot_kind())


def test_one_style_applies_to_every_plot():
    import matplotlib

    pyplot()
    for key, value in STYLE.items():
        assert matplotlib.rcParams[key] == value
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert [c.lower() for c in colors] == [c.lower() for c in PALETTE]


def test_overlap_bars_without_the_new_keys_still_draw():
    figure = plots.overlap(
        [{"pair": "a vs b", "observed": 0.6, "chance_independent": 0.36, "chance_stratified": 0.45}]
    )
    assert "largest attainable" not in figure.svg and "a vs b" in figure.svg


def test_a_frontier_without_a_matched_gain_has_no_vertical_line():
    spec = every_plot_kind()["frontier"] | {"matched_gain": None}
    figure = plots.frontier(spec)
    assert "matched gain" not in figure.alt and "matched gain" not in figure.svg


def test_a_map_cell_without_the_product_takes_rate_times_steps():
    spec = every_plot_kind()["map"]
    spec["cells"] = [{k: v for k, v in cell.items() if k != "lr_x_steps"} for cell in spec["cells"]]
    assert plots.regime_map(spec).svg == plots.regime_map(every_plot_kind()["map"]).svg
