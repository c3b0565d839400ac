"""The regime record: run rows and the invariance check."""

from __future__ import annotations

import pytest

from rlsparse_check.measures.regime import invariance, run_row
from rlsparse_check.recipes import RunSpec


def test_a_run_row_carries_rate_steps_and_flip_share():
    spec = RunSpec(algo="grpo", lr=2e-6, steps=150)
    row = run_row("grpo-seed0", spec, {"2e-06": 0.01})
    assert row == {
        "label": "grpo-seed0",
        "algo": "grpo",
        "lr": 2e-6,
        "steps": 150,
        "lr_x_steps": 2e-6 * 150,
        "flip_share": 0.01,
    }


def check(usual, published):
    return invariance(
        usual,
        published,
        rates=(2e-6, 1e-6),
        lr_x_steps=3e-4,
        margin=0.05,
        alpha=0.05,
        correction="holm",
    )


def test_equal_runs_are_equivalent_and_different_ones_are_not():
    same = check(
        [(0.33, 0.24), (0.35, 0.25), (0.34, 0.22)], [(0.334, 0.24), (0.349, 0.25), (0.342, 0.23)]
    )
    assert same["verdict"] == "reproduced" and same["rates"] == [2e-6, 1e-6]
    moved = check(
        [(0.33, 0.24), (0.35, 0.25), (0.34, 0.22)], [(0.60, 0.24), (0.61, 0.25), (0.62, 0.22)]
    )
    assert moved["verdict"] == "not_reproduced" and "sparsity" in moved["reason"]
    assert check([(0.3, 0.2)], [(0.3, 0.2)])["verdict"] == "inconclusive"


def test_every_algorithm_with_the_rate_factor_is_checked_or_listed_and_the_worst_decides():
    from rlsparse_check.measures.regime import invariances

    same = {
        "usual": [(0.33, 0.24), (0.35, 0.25), (0.34, 0.22)],
        "published": [(0.334, 0.24), (0.349, 0.25), (0.342, 0.23)],
        "rates": (2e-6, 1e-6),
        "lr_x_steps": 3e-4,
    }
    moved = {**same, "published": [(0.60, 0.24), (0.61, 0.25), (0.62, 0.22)]}
    out = invariances(
        {"grpo": same, "sft": same},
        ["grpo", "sft", "dpo"],
        margin=0.05,
        alpha=0.05,
        correction="holm",
    )
    assert out["verdict"] == "reproduced" and out["unchecked"] == ["dpo"]
    assert out["by_algorithm"]["sft"]["sparsity"]["ci_level"] == 0.9
    assert "p_adjusted" in out["by_algorithm"]["grpo"]["gain"]
    bad = invariances(
        {"grpo": same, "sft": moved}, ["grpo", "sft"], margin=0.05, alpha=0.05, correction="holm"
    )
    assert bad["verdict"] == "not_reproduced" and bad["unchecked"] == []
    assert bad["by_algorithm"]["grpo"]["verdict"] == "reproduced"


def _pairs(sparsity_diffs, gain_diffs):
    published = [(0.33, 0.24), (0.34, 0.25), (0.35, 0.22)]
    usual = [
        (s + ds, g + dg)
        for (s, g), ds, dg in zip(published, sparsity_diffs, gain_diffs, strict=True)
    ]
    return usual, published


def test_a_refutation_is_corrected_over_the_family_like_support():
    from rlsparse_check.stats import tost

    # sparsity 8.3 points apart (raw 90% interval just outside the 5-point margin, outside p
    # about 0.04) beside a gain whose equivalence p is about 0.04: two questions, Holm doubles
    # both, so neither is decided (the raw interval alone would have refuted the saving)
    spread = 0.01 * 3**0.5
    sparsity = [0.0832 - spread, 0.0832, 0.0832 + spread]
    gain = [0.0168 - spread, 0.0168, 0.0168 + spread]
    out = check(*_pairs(sparsity, gain))
    raw_s = tost(sparsity, None, margin=0.05, alpha=0.05)
    raw_g = tost(gain, None, margin=0.05, alpha=0.05)
    assert raw_s.ci[0] >= 0.05 and 0.03 < 1 - raw_s.p_value < 0.05
    assert 0.03 < raw_g.p_value < 0.05
    one, two = 1 - raw_s.p_value, raw_g.p_value  # each question's member p-value
    first = 2 * min(one, two)  # Holm over two members, by hand: the smaller doubled, then
    adj_one, adj_two = (first, max(first, two)) if one <= two else (max(first, one), first)
    assert out["sparsity"]["p_outside_adjusted"] == pytest.approx(adj_one)
    assert out["gain"]["p_adjusted"] == pytest.approx(adj_two)
    assert min(adj_one, adj_two) > 0.05
    assert out["sparsity"]["p_adjusted"] == 1.0 and out["gain"]["p_outside_adjusted"] == 1.0
    assert out["verdict"] == "inconclusive", out["reason"]
    # alone (no family), the same sparsity difference is refuted
    alone = check(*_pairs(sparsity, [0.0, 0.001, -0.001]))
    assert alone["verdict"] == "not_reproduced" and "outside the margin" in alone["reason"]


def test_equal_gains_of_runs_that_did_not_learn_make_the_invariance_check_inconclusive():
    """Planted: the published-rate runs' evals equal the base's (nothing learned): the gain
    TOST alone would pass, the paired learning test (shared draws) holds the check."""
    from rlsparse_check.measures.regime import invariances

    same = {
        "usual": [(0.60, 0.0), (0.61, 0.0), (0.62, 0.0)],
        "published": [(0.60, 0.0), (0.61, 0.0), (0.62, 0.0)],
        "rates": (2e-6, 1e-6),
        "lr_x_steps": 3e-4,
    }
    base = [0.25, 0.5, 0.375, 0.125] * 25
    moved = [min(1.0, b + 0.125 * (i % 2)) for i, b in enumerate(base)]
    learned_runs = {
        **same,
        "rewards": {"usual": [(base, moved)] * 3, "published": [(base, moved)] * 3},
    }
    idle = {**same, "rewards": {"usual": [(base, moved)] * 3, "published": [(base, base)] * 3}}
    kw = {"margin": 0.05, "alpha": 0.05, "correction": "holm"}
    ok = invariances({"grpo": learned_runs}, ["grpo"], **kw)
    assert ok["verdict"] == "reproduced" and ok["by_algorithm"]["grpo"]["learned"]["learned"]
    held = invariances({"grpo": idle}, ["grpo"], **kw)
    assert (
        held["verdict"] == "inconclusive" and "grpo published runs did not learn" in held["reason"]
    )
    assert held["by_algorithm"]["grpo"]["learned"]["run_sets"]["grpo usual"]["learned"] is True
