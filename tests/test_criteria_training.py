"""Known answers of the training-mode criteria (fixtures/criteria_training.py)."""

from __future__ import annotations

import math

from fixtures.criteria_training import c1_over_seeds, combine, equivalent, overlap_pair, sparser
from rlsparse_check.results import Decision, Verdict


def c1(mean, ci, learned=True, n=3):
    return c1_over_seeds(mean, ci, 0.70, 0.95, n=n, learned=learned, gain_why="gain g").verdict


def test_c1_interval_inside_the_range_reproduces_only_when_the_runs_learned():
    assert c1(0.8, (0.75, 0.85)) is Verdict.REPRODUCED
    assert c1(0.8, (0.75, 0.85), learned=False) is Verdict.INCONCLUSIVE


def test_c1_interval_below_the_range_refutes_whatever_the_gain():
    assert c1(0.2, (0.18, 0.22)) is Verdict.NOT_REPRODUCED
    assert c1(0.2, (0.18, 0.22), learned=False) is Verdict.NOT_REPRODUCED


def test_c1_interval_above_the_range_refutes_only_learned_runs():
    assert c1(0.99, (0.98, 0.995)) is Verdict.NOT_REPRODUCED
    assert c1(0.99, (0.98, 0.995), learned=False) is Verdict.INCONCLUSIVE


def test_c1_straddling_interval_or_a_single_seed_is_inconclusive():
    assert c1(0.7, (0.65, 0.75)) is Verdict.INCONCLUSIVE
    assert c1(0.8, (-math.inf, math.inf), n=1) is Verdict.INCONCLUSIVE


def test_sparser_needs_significance_and_the_margin_and_refutes_below_the_margin():
    assert sparser("d", 0.3, 0.001, 0.4, 0.05, 0.05, n=6).verdict is Verdict.REPRODUCED
    assert sparser("d", 0.03, 0.001, 0.04, 0.05, 0.05, n=6).verdict is Verdict.NOT_REPRODUCED
    assert sparser("d", 0.3, 0.2, 0.6, 0.05, 0.05, n=6).verdict is Verdict.INCONCLUSIVE
    assert sparser("d", 0.3, None, math.inf, 0.05, 0.05, n=2).verdict is Verdict.INCONCLUSIVE


def test_equivalence_needs_tost_and_refutes_an_interval_outside_the_margin():
    assert equivalent("d", 0.0, (-0.01, 0.01), 0.001, 0.05, 0.05, n=3).verdict \
        is Verdict.REPRODUCED
    assert equivalent("d", 0.2, (0.1, 0.3), 0.9, 0.05, 0.05, n=3).verdict \
        is Verdict.NOT_REPRODUCED
    assert equivalent("d", 0.04, (-0.02, 0.1), 0.3, 0.05, 0.05, n=3).verdict \
        is Verdict.INCONCLUSIVE


def test_overlap_pair_applies_the_ratio_rule_when_the_ratio_is_attainable():
    assert overlap_pair("a", "b", 2.0, 1e-9, 0.05, 1.5, 0.6, 0.3).verdict is Verdict.REPRODUCED
    assert overlap_pair("a", "b", 1.0, 0.5, 0.05, 1.5, 0.3, 0.3).verdict \
        is Verdict.NOT_REPRODUCED


def test_overlap_of_masks_too_dense_for_the_ratio_is_inconclusive_not_refuted():
    decision = overlap_pair("a", "b", 1.3, 1e-9, 0.05, 1.5, 0.99, 0.76)
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert "unattainable" in decision.reason and "95.83%" in decision.reason


def test_combine_takes_the_worst_part_and_names_each():
    ok = Decision(Verdict.REPRODUCED, "fine")
    bad = Decision(Verdict.NOT_REPRODUCED, "wrong")
    combined = combine([("one", ok), ("two", bad)])
    assert combined.verdict is Verdict.NOT_REPRODUCED
    assert "[one] reproduced: fine" in combined.reason and "[two]" in combined.reason
    assert combine([]).verdict is Verdict.INCONCLUSIVE
