"""A claim's figures from all its cases: merged where they can be, lead kinds first."""

from __future__ import annotations

from report_support import every_plot_kind

from rlsparse_check.report.plots.gallery import MAX_LINES, MAX_MORE, claim_gallery


def case(name, plots):
    return {"case": name, "plots": plots}


def line_plot(*names, y=0.5):
    return {
        "series": {
            "Sparsity per block": {
                "x_label": "block",
                "y_label": "sparsity",
                "lines": {n: {"x": [0, 1], "y": [y, y]} for n in names},
            }
        }
    }


def test_lead_kinds_open_the_section_and_the_rest_follow():
    gallery = claim_gallery([case("a", every_plot_kind())], "a")
    assert [f.caption.split(":")[0].split(",")[0] for f in gallery.lead] == [
        "Sparsity against eval gain",
        "Sparsity over learning rate x steps",
        "Observed overlap beside both chance levels",
    ]
    assert len(gallery.evidence) == 3 and gallery.more == [] and gallery.notes == []


def test_overlap_bars_of_every_case_share_one_chart():
    def pairs(*names):
        return {
            "overlap": [
                {"pair": n, "observed": 0.6, "chance_stratified": 0.5, "chance_independent": 0.4}
                for n in names
            ]
        }

    gallery = claim_gallery(
        [case("seed", pairs("s0 vs s1", "s0 vs s2")), case("algo", pairs("grpo vs rloo"))], "seed"
    )
    (chart,) = gallery.lead
    assert "3 mask pair(s)" in chart.alt and "grpo vs rloo" in chart.svg


def test_clashing_pair_names_are_told_apart_by_case():
    pairs = {
        "overlap": [
            {"pair": "x vs y", "observed": 0.6, "chance_stratified": 0.5, "chance_independent": 0.4}
        ]
    }
    (chart,) = claim_gallery([case("a", pairs), case("b", pairs)], "a").lead
    assert "a: x vs y" in chart.svg and "b: x vs y" in chart.svg


def test_series_with_distinct_lines_merge_into_one_plot():
    gallery = claim_gallery([case("a", line_plot("a-seed0")), case("b", line_plot("b-seed0"))], "a")
    (figure,) = gallery.evidence
    assert "lines of all 2 cases" in figure.caption and "a-seed0, b-seed0" in figure.alt


def test_identical_series_are_drawn_once():
    gallery = claim_gallery([case(n, line_plot("update")) for n in "abc"], "b")
    (figure,) = gallery.evidence
    assert "same in all 3 cases" in figure.caption and gallery.more == []


def test_colliding_series_show_the_decisive_case_and_collapse_the_others():
    cases = [case(n, line_plot("update", y=i / 10)) for i, n in enumerate("abc")]
    gallery = claim_gallery(cases, "b")
    assert [f.caption for f in gallery.evidence] == ["Sparsity per block (b)"]
    assert sorted(f.caption for f in gallery.more) == [
        "Sparsity per block (a)",
        "Sparsity per block (c)",
    ]


def test_too_many_lines_do_not_merge():
    cases = [case(f"c{i}", line_plot(f"l{i}a", f"l{i}b")) for i in range(MAX_LINES // 2 + 1)]
    gallery = claim_gallery(cases, "c0")
    assert len(gallery.evidence) == 1
    assert len(gallery.more) == min(len(cases) - 1, MAX_MORE)


def test_the_collapsed_list_is_capped_and_the_rest_is_named_in_a_note():
    cases = [case(f"c{i}", line_plot(f"l{i}a", f"l{i}b")) for i in range(MAX_MORE + 4)]
    gallery = claim_gallery(cases, "c0")
    assert len(gallery.more) == MAX_MORE and len(gallery.left_out) == 3
    assert any("3 more plots" in note for note in gallery.notes)


def test_only_the_decisive_heatmap_is_shown_open():
    heat = {"heatmap": every_plot_kind()["heatmap"]}
    gallery = claim_gallery([case("a", heat), case("b", heat)], "b")
    assert [f.caption for f in gallery.evidence] == ["Per-layer sparsity by module kind (b)"]
    assert [f.caption for f in gallery.more] == ["Per-layer sparsity by module kind (a)"]


def test_a_plot_that_cannot_be_drawn_becomes_a_note():
    gallery = claim_gallery([case("a", {"heatmap": {"layers": [0]}})], "a")
    assert gallery.evidence == []
    (note,) = gallery.notes
    assert "heatmap of case a could not be drawn" in note and "KeyError" in note
