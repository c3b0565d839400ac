"""The Regime section: two checkable sentences, then small tables with a header row each."""

from __future__ import annotations

from report_support import regime

from rlsparse_check.report.page.regime import regime_view


def text(node):
    return node["text"]


def test_a_report_without_a_regime_has_no_section():
    assert regime_view(None) is None and regime_view({}) is None


def test_the_section_opens_with_two_sentences_of_numbers_found_in_its_tables():
    setting, check = regime_view(regime())["sentences"]
    assert setting == (
        "These runs train tiny-qwen2, bfloat16 at per-step rates 1e-06 to 2e-05 "
        "(lr x steps 0.0003 to 0.0004, 3 runs); the paper trained 7B-class, bf16 at "
        "5e-07 to 1e-06."
    )
    assert check == (
        "At the same lr x steps (0.0003), the usual rate 2e-06 instead of the published 1e-06 "
        "changed sparsity by 0.0 pp (90% CI -0.8 pp to +0.9 pp) and eval gain by +0.7 pp "
        "(90% CI -2.8 pp to +4.2 pp), inside the equivalence margin of \u00b15.0 pp "
        "(TOST adjusted p 0.00353 and 0.0345)."
    )


def test_an_interval_beyond_the_margin_is_not_called_inside():
    data = regime()
    data["invariance"]["gain"]["ci"] = [-0.02, 0.09]
    assert "not all inside the equivalence margin" in regime_view(data)["sentences"][1]


def test_the_check_is_one_row_per_figure_with_the_interval_level_in_its_header():
    check = regime_view(regime())["check"]
    assert check["head"] == [
        "figure",
        "published rate 1e-06, per seed",
        "usual rate 2e-06, per seed",
        "usual minus published",
        "90% CI",
        "adjusted p",
    ]
    assert check["rows"][0] == [
        "sparsity",
        "33.4%, 33.2%, 33.4%",
        "33.3%, 33.7%, 33.0%",
        "0.0 pp",
        "-0.8 pp to +0.9 pp",
        "0.00353",
    ]
    assert check["rows"][1][0] == "eval gain" and check["rows"][1][3] == "+0.7 pp"


def test_a_check_whose_level_is_not_stated_prints_no_level():
    data = regime()
    data["invariance"]["reason"] = "equivalent"
    assert regime_view(data)["check"]["head"][4] == "interval"


def test_quantiles_are_the_header_row_of_the_weight_profile():
    quantiles = regime_view(regime())["quantiles"]
    assert quantiles["head"] == ["quantile", "10%", "50%", "90%"]
    assert quantiles["rows"] == [
        ["|w| of base entries", "0.002", "0.02", "0.07"],
        ["half a bf16 ULP of w", "4e-06", "4e-05", "0.0002"],
    ]


def test_flip_shares_by_rate_say_which_rates_the_paper_used():
    flips = regime_view(regime())["flips"]
    assert flips["head"] == ["per-step rate", "1e-06", "2e-05"]
    assert flips["rows"] == [
        ["share of base entries one step can flip", "41.0%", "80.0%"],
        ["in the paper's rates (5e-07 to 1e-06)", "yes", "no"],
    ]


def test_the_paper_column_has_only_figures_the_paper_gave():
    view = regime_view(regime())
    paper = view["paper"]
    assert paper["head"] == ["figure", "these runs", "paper"]
    assert [row[0] for row in paper["rows"]] == [
        "model",
        "per-step rate",
        "half a bf16 ULP / |w|",
    ]
    assert paper["rows"][1] == ["per-step rate", "1e-06 to 2e-05", "5e-07 to 1e-06"]
    assert all("not published" not in cell for row in paper["rows"] for cell in row)
    assert view["paper_note"] == "the paper's base weights were not measured here"


def test_runs_read_rate_steps_product_and_flip_share():
    view = regime_view(regime())
    assert view["runs"]["head"] == ["run", "algorithm", "rate", "steps", "lr x steps", "flip share"]
    first = [text(cell) for cell in view["runs"]["rows"][0]]
    assert first == ["grpo-lr1e-06-steps300", "grpo", "1e-06", "300", "0.0003", "41.0%"]


def test_the_invariance_verdict_has_a_badge():
    assert regime_view(regime())["invariance"] == {"verdict": "reproduced", "badge": "reproduced"}
    odd = regime_view({"invariance": {"verdict": "holds"}})["invariance"]
    assert odd["badge"] == "neutral"
