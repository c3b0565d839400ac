"""A claim's key figure in one line: every case, the range with the deciding case, the level."""

from __future__ import annotations

import json

import pytest
from report_support import EXAMPLE

from rlsparse_check.report.collect import aggregate
from rlsparse_check.report.summary import (
    MAX_LISTED,
    figure_summary,
    interval_level,
    summary_line,
)
from rlsparse_check.results import ClaimResult


def case(name, verdict, value, key="sparsity", statistics=None, ci=None):
    figure = value if ci is None else {"value": value, "ci": ci}
    return ClaimResult(
        id="C1",
        title="t",
        case=name,
        verdict=verdict,
        reason="r",
        paper={"summary": "70%-95%"},
        measured={"key": key, key: figure},
        statistics=statistics or {},
    ).to_json()


def test_one_case_shows_its_figure_and_the_interval_with_its_stated_level():
    stats = {"test": "95% t interval of the mean over seeds (sparsity)"}
    (claim,) = aggregate([case("a", "reproduced", 0.8, statistics=stats, ci=[0.75, 0.85])])
    assert figure_summary(claim) == "sparsity 80.0% (95% CI 75.0% to 85.0%)"
    assert summary_line(claim) == (
        "C1   reproduced      sparsity 80.0% (95% CI 75.0% to 85.0%) vs paper 70%-95%"
    )


def test_an_interval_of_unknown_level_prints_no_level():
    (claim,) = aggregate(
        [case("a", "reproduced", 0.8, statistics={"test": "paired_t"}, ci=[0.7, 0.9])]
    )
    assert figure_summary(claim) == "sparsity 80.0% (interval 70.0% to 90.0%)"


def test_every_case_is_shown_when_a_claim_has_a_few():
    (claim,) = aggregate(
        [case("grpo", "not_reproduced", 0.3336), case("dpo", "not_reproduced", 0.6299)]
    )
    assert figure_summary(claim) == "sparsity: dpo 63.0%, grpo 33.4%"


def test_many_cases_show_the_range_and_name_the_deciding_case():
    cases = [case(f"s{i:02d}", "reproduced", 0.5 + i / 100) for i in range(MAX_LISTED + 1)]
    cases[3] = case("s03", "inconclusive", 0.53)
    (claim,) = aggregate(cases)
    assert figure_summary(claim) == (
        f"sparsity 50.0% to 5{MAX_LISTED}.0% over {MAX_LISTED + 1} cases (deciding: s03 53.0%)"
    )


def test_the_same_figure_in_every_case_is_said_once():
    (claim,) = aggregate(
        [case(f"s{i}", "inconclusive", 1.0, "active_block_share") for i in range(9)]
    )
    assert figure_summary(claim) == "active block share 100.0% in all 9 cases"


def test_cases_with_different_figures_are_each_named():
    (claim,) = aggregate(
        [
            case("a", "reproduced", 0.3336, "sparsity_difference"),
            case("b", "reproduced", -2.924, "trend"),
        ]
    )
    assert figure_summary(claim) == "a: sparsity difference +33.4 pp; b: trend -2.92"


@pytest.mark.parametrize(
    "interval, around, test, level",
    [
        ({"lo": 0.1, "hi": 0.2, "level": 0.9, "kind": "two-sided"}, {}, "", "90%"),
        ([0.1, 0.2], {"ci_level": 0.95}, "TOST", "95%"),
        (
            {"lower": 0.1, "upper": None, "level": 0.95, "kind": "one-sided"},
            {},
            "",
            "95% one-sided",
        ),
        ([0.1, 0.2], {}, "95% t interval of the mean over seeds", "95%"),
        ([0.1, 0.2], {}, "paired TOST over seeds (sparsity)", "90%"),
        (
            [0.1, 0.2],
            {},
            "Welch t over seeds, one-sided bounds at level 0.95 against the margin",
            "90%",
        ),
        ([0.1, 0.2], {}, "paired_t", None),
        ([0.1, 0.2], {}, "", None),
    ],
)
def test_an_interval_level_comes_from_the_data_or_the_stated_test(interval, around, test, level):
    assert interval_level(interval, around, {"test": test}) == level


def test_the_example_report_s_first_claim_lists_every_algorithm():
    claims = json.loads(EXAMPLE.read_text())["claims"]
    c1 = next(c for c in claims if c["id"] == "C1")
    listed = ", ".join(
        f"{case['case']} {100 * case['measured']['sparsity']['value']:.1f}%" for case in c1["cases"]
    )
    assert len(c1["cases"]) == 5
    assert figure_summary(c1) == f"sparsity: {listed}"
