"""C9's measurements: the rate effects at fixed steps / lr x steps, and C9's family (one member
per question: opposite one-sided tests of a question are one member)."""

from __future__ import annotations

import pytest

from rlsparse_check.measures.mechanism import family, rate_effect


def _cell(lr, steps, values):
    return {"lr": lr, "steps": steps, "sparsity": values}


def test_the_rate_effect_compares_fixed_steps_and_fixed_lr_x_steps_paired_by_seed():
    low = _cell(2e-6, 150, [0.60, 0.62, 0.61])
    high = _cell(2e-5, 150, [0.20, 0.22, 0.21])
    short = _cell(2e-5, 15, [0.601, 0.619, 0.612])
    e = rate_effect("grpo", low, high, short, 0.05, 0.05)
    assert e.falls.diff == pytest.approx(0.4) and e.falls.p_above < 0.01
    assert e.same.p_value < 0.05 and e.steps == (150, 15)
    assert e.diffs == pytest.approx((-0.001, 0.001, -0.002))
    f = e.figures(0.05)
    assert f["fixed_lr_x_steps"]["ci_level"] == pytest.approx(0.9)


def test_opposite_one_sided_tests_are_one_member_of_the_family():
    adjusted, m = family(
        {"a": (0.01, 0.99, "a-refute"), "b": (0.98, 0.02, "b-refute")},
        {"c": 0.03, "d": None},
        "holm",
    )
    assert m == 3  # a, b and c; d has no test
    # Holm over (0.01, 0.02, 0.03): 0.03, 0.04, 0.03 -> monotone 0.03, 0.04
    assert adjusted == pytest.approx({"a": 0.03, "a-refute": 1.0, "b": 1.0, "b-refute": 0.04})


def test_with_two_members_per_question_the_same_family_would_be_stricter():
    one, _ = family({"a": (0.02, 0.98, "a-refute")}, {"c": 0.5}, "holm")
    assert one["a"] == pytest.approx(0.04)  # 2 members, not 3
