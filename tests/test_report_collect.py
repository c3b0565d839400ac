"""Aggregation of claim results into report entries, and the key-figure conventions."""

from __future__ import annotations

import random

from rlsparse_check.report.collect import (
    aggregate,
    build_report,
    format_number,
    key_figure,
)
from rlsparse_check.results import ClaimResult


def case(claim_id, name, verdict, value=0.8, runs=()):
    return ClaimResult(
        id=claim_id,
        title=f"t{claim_id}",
        case=name,
        verdict=verdict,
        reason=f"r-{name}",
        paper={"summary": "70%-95%"},
        measured={"key": "sparsity", "sparsity": value},
        runs=list(runs),
    ).to_json()


def test_the_worst_case_decides_and_lends_its_figures():
    (claim,) = aggregate(
        [
            case("C1", "a", "reproduced", 0.8),
            case("C1", "b", "not_reproduced", 0.2),
            case("C1", "c", "inconclusive", 0.5),
        ]
    )
    assert claim["verdict"] == "not_reproduced"
    assert (claim["decisive_case"], claim["measured"]["sparsity"]) == ("b", 0.2)
    assert [c["case"] for c in claim["cases"]] == ["a", "b", "c"]


def test_aggregation_does_not_depend_on_arrival_order():
    results = [
        case(f"C{i % 10 + 1}", f"k{i}", "reproduced", runs=[{"seed": i % 3}]) for i in range(25)
    ]
    shuffled = results[:]
    random.Random(0).shuffle(shuffled)
    assert aggregate(results) == aggregate(shuffled)
    assert [c["id"] for c in aggregate(results)][:3] == ["C1", "C2", "C3"]
    assert [c["id"] for c in aggregate(results)][-1] == "C10"


def test_runs_shared_by_cases_are_listed_once():
    run = {"path": "/x", "seed": 1}
    (claim,) = aggregate(
        [case("C1", "a", "reproduced", runs=[run]), case("C1", "b", "reproduced", runs=[run])]
    )
    assert claim["runs"] == [run]


def test_key_figure_follows_the_key_pointer_or_the_first_number():
    assert key_figure({"measured": {"key": "b", "a": 1.0, "b": 2}}) == ("b", 2.0)
    assert key_figure({"measured": {"key": "b", "b": {"value": 0.5, "ci": [0, 1]}}}) == ("b", 0.5)
    assert key_figure({"measured": {"label": "x", "a": 3}}) == ("a", 3.0)
    assert key_figure({"measured": {}}) is None


def test_numbers_read_as_everywhere_else():
    assert format_number(0.812345) == "0.812"
    assert format_number(0.812345, "sparsity") == "81.2%"
    assert format_number(0.00001234, "p") == "1.23e-05"
    assert format_number([0.1, 0.25]) == "0.1, 0.25"


def test_the_claim_carries_the_headline_of_its_decisive_case():
    good = ClaimResult(**case("C1", "a", "reproduced") | {"headline": "fine"})
    bad = ClaimResult(**case("C1", "b", "not_reproduced") | {"headline": "denser than claimed"})
    (claim,) = aggregate([good.to_json(), bad.to_json()])
    assert claim["headline"] == "denser than claimed"


def test_a_regime_goes_into_the_document_only_when_given():
    def build(regime):
        return build_report(
            claims=[], skipped=[], errors=[], settings={}, provenance={}, regime=regime
        )

    assert "regime" not in build(None)
    assert build({"rule": "lr x steps"})["regime"] == {"rule": "lr x steps"}
