"""C5's "took effect" guard (criteria/variants.py): a variant that changed nothing in training
leaves its case inconclusive, whichever knob it turned."""

from __future__ import annotations

from rlsparse_check.criteria.variants import took_effect
from rlsparse_check.results import Verdict

R, U = Verdict.REPRODUCED, Verdict.INCONCLUSIVE


def fx(**changes):
    base = {"beta": 0.0, "mean_kl": None, "kl_term": 0.0, "max_grad_norm": 1.0,
            "clipped_step_share": 0.6, "iterations": 1, "ratio_spread": 0.0,
            "ratio_clipped_share": 0.0}  # fmt: skip
    return {**base, **changes}


def test_a_kl_variant_takes_effect_only_with_a_kl_term_above_zero():
    assert took_effect(fx(), fx(beta=0.05, mean_kl=0.01, kl_term=5e-4)).verdict is R
    assert took_effect(fx(beta=0.05, mean_kl=0.01, kl_term=5e-4), fx()).verdict is R  # kl0
    stuck = took_effect(fx(), fx(beta=0.05, mean_kl=0.0, kl_term=0.0))
    assert stuck.verdict is U and "did not take effect" in stuck.reason
    assert took_effect(fx(), fx(beta=0.2, mean_kl=None, kl_term=None)).verdict is U


def test_turning_clipping_off_takes_effect_only_where_the_usual_run_clipped():
    off = fx(max_grad_norm=None, clipped_step_share=0.0)
    assert took_effect(fx(clipped_step_share=0.3), off).verdict is R
    never = took_effect(fx(clipped_step_share=0.0), off)
    assert never.verdict is U and "changed nothing" in never.reason


def test_off_policy_takes_effect_only_when_the_importance_ratio_leaves_one():
    assert took_effect(fx(), fx(iterations=2, ratio_spread=3e-4)).verdict is R
    assert (
        took_effect(fx(), fx(iterations=2, ratio_spread=None, ratio_clipped_share=0.01)).verdict
        is R
    )
    flat = took_effect(fx(), fx(iterations=2, ratio_spread=0.0))
    assert flat.verdict is U and "did not move the ratio" in flat.reason
    assert (
        took_effect(fx(), fx(iterations=2, ratio_spread=None, ratio_clipped_share=None)).verdict
        is U
    )


def test_a_variant_that_differs_in_nothing_is_inconclusive():
    assert took_effect(fx(), fx()).verdict is U
