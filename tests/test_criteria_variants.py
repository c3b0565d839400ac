"""C5's "took effect" guard (criteria/variants.py): a variant that changed nothing in training, or
changed it by less than its knob's stated minimum, leaves its case inconclusive, whichever knob
it turned; each minimum is an option (a smaller one lets a trace count)."""

from __future__ import annotations

import pytest

from rlsparse_check.criteria.variants import MINIMUM, took_effect
from rlsparse_check.results import Verdict
from rlsparse_check.thresholds import THRESHOLDS

R, U = Verdict.REPRODUCED, Verdict.INCONCLUSIVE


def fx(**changes):
    base = {"beta": 0.0, "mean_kl": None, "kl_term": 0.0, "max_grad_norm": 1.0,
            "clipped_step_share": 0.6, "iterations": 1, "ratio_spread": 0.0,
            "ratio_clipped_share": 0.0}  # fmt: skip
    return {**base, **changes}


def test_the_minimums_are_the_stated_thresholds():
    assert MINIMUM == {"min-kl-term": 1e-3, "min-clipped-share": 0.05, "min-ratio-spread": 0.01}
    assert all(THRESHOLDS[k].source == "harness" for k in MINIMUM)


def test_a_kl_variant_takes_effect_only_with_a_kl_term_at_its_minimum():
    assert took_effect(fx(), fx(beta=0.05, mean_kl=0.04, kl_term=2e-3)).verdict is R
    assert took_effect(fx(beta=0.05, mean_kl=0.04, kl_term=2e-3), fx()).verdict is R  # kl0
    trace = took_effect(fx(), fx(beta=0.05, mean_kl=0.01, kl_term=5e-4))
    assert trace.verdict is U and "need 0.001" in trace.reason
    stuck = took_effect(fx(), fx(beta=0.05, mean_kl=0.0, kl_term=0.0))
    assert stuck.verdict is U and "did not take effect" in stuck.reason
    assert took_effect(fx(), fx(beta=0.2, mean_kl=None, kl_term=None)).verdict is U
    looser = {**MINIMUM, "min-kl-term": 1e-4}
    assert took_effect(fx(), fx(beta=0.05, mean_kl=0.01, kl_term=5e-4), looser).verdict is R


def test_turning_clipping_off_takes_effect_only_where_the_usual_run_clipped_enough():
    off = fx(max_grad_norm=None, clipped_step_share=0.0)
    assert took_effect(fx(clipped_step_share=0.3), off).verdict is R
    assert took_effect(fx(clipped_step_share=0.05), off).verdict is R  # exactly the minimum
    rare = took_effect(fx(clipped_step_share=0.02), off)
    assert rare.verdict is U and "changed too little" in rare.reason
    assert took_effect(fx(clipped_step_share=0.0), off).verdict is U


@pytest.mark.parametrize(
    ("spread", "clipped", "verdict"),
    [
        (0.03, 0.0, R),
        (0.01, 0.0, R),
        (7e-4, 0.0, U),
        (0.0, 0.0, U),
        (None, 0.01, U),
        (None, None, U),
    ],
)
def test_off_policy_takes_effect_only_when_the_ratio_leaves_one_by_its_minimum(
    spread, clipped, verdict
):
    got = took_effect(fx(), fx(iterations=2, ratio_spread=spread, ratio_clipped_share=clipped))
    assert got.verdict is verdict, got.reason
    if verdict is U:
        assert "barely moved the ratio" in got.reason and "need 0.01" in got.reason


def test_a_variant_that_differs_in_nothing_is_inconclusive():
    assert took_effect(fx(), fx()).verdict is U
