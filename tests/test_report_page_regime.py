"""The Regime section: the rule, the runs, the invariance verdict, ours beside the paper's."""

from __future__ import annotations

from report_support import regime

from rlsparse_check.report.page.regime import regime_view


def text(node):
    return node["text"]


def test_a_report_without_a_regime_has_no_section():
    assert regime_view(None) is None and regime_view({}) is None


def test_runs_read_rate_steps_product_and_flip_share():
    view = regime_view(regime())
    assert view["runs"]["head"] == ["run", "algorithm", "rate", "steps", "lr x steps", "flip share"]
    first = [text(cell) for cell in view["runs"]["rows"][0]]
    assert first == ["grpo-lr1e-06-steps300", "grpo", "1e-06", "300", "0.0003", "41%"]


def test_the_invariance_verdict_has_a_badge_and_its_numbers():
    invariance = regime_view(regime())["invariance"]
    assert (invariance["badge"], invariance["verdict"]) == ("reproduced", "reproduced")
    assert invariance["reason"] == "same lr x steps, same sparsity"
    assert dict((label, text(node)) for label, node in invariance["rows"])["sparsity"] == (
        "33.3%, 33.3%"
    )
    odd = regime_view({"invariance": {"verdict": "holds"}})["invariance"]
    assert odd["badge"] == "neutral"


def test_ours_and_the_papers_sit_side_by_side():
    rows = {row["label"]: row for row in regime_view(regime())["comparison"]}
    assert list(rows) == ["abs w quantiles", "half ulp quantiles", "flip share", "model", "lr"]
    assert text(rows["model"]["ours"]) == "not measured"
    assert text(rows["model"]["paper"]) == "7B-class, bf16"
    assert text(rows["half ulp quantiles"]["paper"]) == "not published"
    flip = dict((label, text(node)) for label, node in rows["flip share"]["ours"]["rows"])
    assert flip == {"1e-06": "41%", "2e-05": "80%"}
