"""C2's conditions at matched gain: precise gains, rising curves, and the guard around them."""

from __future__ import annotations

from rlsparse_check.criteria.margins import on_rising_part, precise_gains, sparser_at_matched_gain
from rlsparse_check.measures.frontier import Rise
from rlsparse_check.results import Decision, Verdict
from rlsparse_check.stats import margin_test

OK = Decision(Verdict.REPRODUCED, "ok")


def test_a_matched_gain_on_a_plateau_or_outside_the_curve_is_inconclusive():
    rising = Rise("grpo", 0.1, (0, 1), 0.08, 0.01)
    flat = Rise("sft", 0.1, (3, 4), 0.005, 0.4)
    assert on_rising_part([rising, rising], 0.05).verdict is Verdict.REPRODUCED
    out = on_rising_part([rising, flat], 0.05)
    assert out.verdict is Verdict.INCONCLUSIVE and "sft: gain rises +0.005" in out.reason
    assert on_rising_part([Rise("sft", 0.4, None, 0.0, None)], 0.05).verdict is Verdict.INCONCLUSIVE
    assert on_rising_part([], 0.05).verdict is Verdict.INCONCLUSIVE


def test_an_eval_noisier_than_the_limit_is_named():
    assert precise_gains({"a": 0.012, "b": 0.018}, 0.02).verdict is Verdict.REPRODUCED
    out = precise_gains({"a": 0.012, "b": 0.05}, 0.02)
    assert out.verdict is Verdict.INCONCLUSIVE and "b 0.050" in out.reason


def test_the_margin_decides_only_when_conditions_hold_and_both_arms_learned():
    sparse = margin_test([0.4, 0.42, 0.41], None, 0.1, level=0.95)
    assert sparser_at_matched_gain(sparse, [OK], [OK, OK], 0.1, 0.05).verdict is Verdict.REPRODUCED
    dense = margin_test([0.0, 0.01, -0.01], None, 0.1, level=0.95)
    refuted = sparser_at_matched_gain(dense, [OK], [OK, OK], 0.1, 0.05)
    assert refuted.verdict is Verdict.NOT_REPRODUCED
    flat = Decision(Verdict.INCONCLUSIVE, "flat")
    assert sparser_at_matched_gain(dense, [flat], [OK], 0.1, 0.05).verdict is Verdict.INCONCLUSIVE
    idle = Decision(Verdict.INCONCLUSIVE, "sft did not learn")
    out = sparser_at_matched_gain(sparse, [OK], [OK, idle], 0.1, 0.05)
    assert out.verdict is Verdict.INCONCLUSIVE and "sft did not learn" in out.reason
    assert sparser_at_matched_gain(None, [OK], [OK], 0.1, 0.05).verdict is Verdict.INCONCLUSIVE


def _c6(own_mean, ext_mean, floor_mean, n, sims=2000, broken=False):
    """Verdict rates of C6's margin rule with the floor guard (``broken``: without it)."""
    import numpy as np

    from rlsparse_check.criteria.margins import much_greater, with_room
    from rlsparse_check.measures.frontier import headroom

    rng = np.random.default_rng(3)
    counts = dict.fromkeys(Verdict, 0)
    for _ in range(sims):
        own, ext = rng.normal(own_mean, 0.01, n), rng.normal(ext_mean, 0.01, n)
        floor = rng.normal(floor_mean, 0.01, n)
        d = much_greater("x", margin_test(own, ext, 0.1, level=0.95), 0.1, 0.05)
        if not broken:
            d = with_room(d, headroom({"own": own, "ext": ext}, floor).room, 0.1)
        counts[d.verdict] += 1
    return {v: c / sims for v, c in counts.items()}


def test_arms_at_the_floor_are_inconclusive_not_refuted_and_a_broken_rule_refutes_them():
    assert _c6(0.094, 0.092, 0.09, 3)[Verdict.NOT_REPRODUCED] == 0.0
    assert _c6(0.094, 0.092, 0.09, 3, broken=True)[Verdict.NOT_REPRODUCED] > 0.9


def test_with_room_the_rule_keeps_its_size_and_power_at_n_3():
    null = _c6(0.40, 0.30, 0.09, 3)  # exactly the margin apart: false reproduced near alpha
    assert null[Verdict.REPRODUCED] < 0.05 + 4 * (0.05 * 0.95 / 2000) ** 0.5
    assert _c6(0.55, 0.30, 0.09, 3)[Verdict.REPRODUCED] > 0.9
    assert _c6(0.32, 0.30, 0.09, 3)[Verdict.NOT_REPRODUCED] > 0.9  # room, no difference


def test_equivalence_labels_its_p_as_adjusted_or_as_a_family_members_raw_p():
    from rlsparse_check.criteria.margins import equivalent

    alone = equivalent("d", 0.0, (-0.01, 0.01), 0.004, 0.05, 0.05, n=5)
    member = equivalent("d", 0.0, (-0.01, 0.01), 0.004, 0.05, 0.05 / 4, n=5, family=4)
    assert alone.reason.endswith("TOST adjusted p 0.004")
    assert member.reason.endswith("TOST unadjusted p 0.004 against alpha / 4 = 0.0125")
    assert alone.verdict is member.verdict is Verdict.REPRODUCED
