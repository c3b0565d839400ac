"""What a claim section says first: the headline, then thresholds with their source."""

from __future__ import annotations

from rlsparse_check.report.page.runs import run_index
from rlsparse_check.report.page.view import (
    claim_view,
    headline,
    readable_reason,
    shared_tail,
    thresholds,
)


def claim(**extra):
    base = {
        "id": "C1",
        "title": "t",
        "verdict": "not_reproduced",
        "reason": "r",
        "decisive_case": "dpo",
        "paper": {"summary": "68.5%-96.0% unchanged"},
        "measured": {"key": "sparsity", "sparsity": {"value": 0.2114, "ci": [0.1884, 0.2278]}},
        "statistics": {"test": "95% t interval of the mean over seeds"},
        "runs": [],
        "cases": [{"case": "dpo", "headline": ""}],
    }
    return base | extra


def test_the_claims_own_headline_opens_the_section():
    assert headline(claim(headline="Sparsity 21% is far below 68.5%.")) == (
        "Sparsity 21% is far below 68.5%."
    )


def test_an_old_claim_takes_the_decisive_cases_headline():
    entry = claim(cases=[{"case": "grpo", "headline": "no"}, {"case": "dpo", "headline": "yes"}])
    assert headline(entry) == "yes"


def test_without_a_headline_one_is_built_from_verdict_figure_and_paper():
    assert headline(claim()) == (
        "Not reproduced: sparsity 21.1% (95% CI 18.8% to 22.8%) "
        "against the paper's 68.5%-96.0% unchanged."
    )
    unstated = claim(statistics={"test": "paired_t"})
    assert "(interval 18.8% to 22.8%)" in headline(unstated)
    bare = claim(measured={}, paper={}, verdict="inconclusive")
    assert headline(bare) == "Inconclusive."


def test_thresholds_show_value_source_and_note():
    rows = thresholds(
        {
            "thresholds": [
                {
                    "name": "sparsity-range",
                    "value": [0.7, 0.95],
                    "source": "paper",
                    "note": "abstract",
                },
                {"name": "alpha", "value": 0.05, "source": "harness", "note": "conventional"},
                {"name": "odd", "value": 1, "source": "elsewhere"},
            ]
        }
    )
    assert [(r["name"], r["value"]["text"], r["source"]) for r in rows] == [
        ("sparsity-range", "70.0% to 95.0%", "paper"),
        ("alpha", "0.05", "harness"),
        ("odd", "1", "unstated"),
    ]
    assert rows[0]["note"] == "abstract"


def test_an_old_single_threshold_stays_a_row_of_the_test_table():
    view = claim_view(claim(statistics={"threshold": 1.5, "p": 0.0}), run_index([]))
    assert view["thresholds"] == []
    assert ("threshold", {"t": "text", "text": "1.5"}) in view["stat_rows"]
    assert ("p-value", {"t": "text", "text": "< 1e-300"}) in view["stat_rows"]


def test_the_threshold_list_is_not_repeated_in_the_test_table():
    stats = {"thresholds": [{"name": "alpha", "value": 0.05, "source": "harness", "note": ""}]}
    view = claim_view(claim(statistics=stats), run_index([]))
    assert len(view["thresholds"]) == 1 and view["stat_rows"] == []


def test_the_key_figure_comes_first_and_is_labelled():
    view = claim_view(claim(measured={"a": 1, "key": "b", "b": 0.5}), run_index([]))
    assert [label for label, _ in view["measured_rows"]] == ["b (key figure)", "a"]


def test_a_sentence_every_case_ends_with_is_shown_once_for_the_claim():
    mechanism = "Mechanism measured by C9: fp32 runs are dense."
    cases = [
        {
            "case": "dpo",
            "verdict": "not_reproduced",
            "reason": f"sparsity 63.0%: denser. {mechanism}",
        },
        {
            "case": "grpo",
            "verdict": "not_reproduced",
            "reason": f"sparsity 33.4%: denser. {mechanism}",
        },
    ]
    entry = claim(cases=cases, reason=cases[0]["reason"])
    view = claim_view(entry, run_index([entry]))
    assert view["shared_reason"] == mechanism
    assert view["reason"] == "sparsity 63.0%: denser."
    assert [r["reason"] for r in view["case_rows"]] == [
        "sparsity 63.0%: denser.",
        "sparsity 33.4%: denser.",
    ]


def test_reasons_that_differ_to_the_end_are_kept_whole():
    assert shared_tail(["a. B", "c. D"]) == (["a. B", "c. D"], "")
    assert shared_tail(["Same.", "Same."]) == (["Same.", "Same."], "")
    assert shared_tail(["only one. X"]) == (["only one. X"], "")


def test_the_parts_of_a_criterion_read_as_labelled_clauses():
    assert readable_reason("[equal sparsity] reproduced: met; [overlap] inconclusive: few") == (
        "equal sparsity: reproduced: met; overlap: inconclusive: few"
    )


def test_only_the_tested_interval_takes_the_level_the_test_states():
    measured = {
        "key": "sparsity",
        "sparsity": {"value": 0.2114, "ci": [0.1884, 0.2278]},
        "eval_gain": {"value": 0.2, "ci": [0.15, 0.25]},
        "own": {"value": 0.5, "ci": [0.4, 0.6], "ci_level": 0.9},
    }
    entry = claim(measured=measured)
    rows = dict(claim_view(entry, run_index([entry]))["measured_rows"])
    labels = {name: [lab for lab, _ in tree["rows"]] for name, tree in rows.items()}
    assert labels["sparsity (key figure)"] == ["value", "95% CI"]
    assert labels["eval gain"] == ["value", "interval (level not stated)"]
    assert "90% CI" in labels["own"]
