"""The lead plots draw from partial data: older overlap rows, no matched gain, no product."""

from __future__ import annotations

from report_support import every_plot_kind

from rlsparse_check.report.plots import lead


def test_overlap_bars_without_the_new_keys_still_draw():
    figure = lead.overlap(
        [{"pair": "a vs b", "observed": 0.6, "chance_independent": 0.36, "chance_stratified": 0.45}]
    )
    assert "largest attainable" not in figure.svg and "a vs b" in figure.svg


def test_a_frontier_without_a_matched_gain_has_no_vertical_line():
    spec = every_plot_kind()["frontier"] | {"matched_gain": None}
    figure = lead.frontier(spec)
    assert "matched gain" not in figure.alt and "matched gain" not in figure.svg


def test_a_map_cell_without_the_product_takes_rate_times_steps():
    spec = every_plot_kind()["map"]
    spec["cells"] = [{k: v for k, v in cell.items() if k != "lr_x_steps"} for cell in spec["cells"]]
    assert lead.regime_map(spec).svg == lead.regime_map(every_plot_kind()["map"]).svg
