"""Corrections over a family of questions each answered one way or the other
(stats/corrections.py): one member per question, support and refutation corrected alike.

Calibration: six TOSTs (n = 3 seeds each) whose true difference sits exactly on the margin, the
boundary of both errors: the family-wise rate of any false "outside the margin" stays near
alpha; the broken variant (each refutation read from its raw 90% interval) makes one in about
four families refute falsely. Counting the two directions as two members doubles the family.
"""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats import holm, tost
from rlsparse_check.stats.corrections import adjust_directional, correct_equivalence

ALPHA, SIMS, VARIANTS = 0.05, 2000, 6
BAND = ALPHA + 3 * (ALPHA * (1 - ALPHA) / SIMS) ** 0.5


def test_each_question_is_one_member_and_its_direction_gets_the_adjusted_value():
    support, refute = [0.01, 0.90, 0.40], [0.99, 0.02, 0.60]
    s, r = adjust_directional(support, refute)
    np.testing.assert_allclose(s, [0.03, 1.0, 0.40])  # Holm over 3 members: 0.01, 0.02, 0.40
    np.testing.assert_allclose(r, [1.0, 0.04, 1.0])
    # the broken reading (both directions as members) adjusts over 6 and loses power
    np.testing.assert_allclose(holm(support + refute)[:1], [0.06])
    with pytest.raises(StatsInputError, match="both directions"):
        adjust_directional([0.1], [0.2, 0.3])


def test_a_tost_family_gets_both_adjusted_p_values():
    tests = {"a": {"p": 0.01}, "b": {"p": 0.97}, "c": {"p": None}}
    correct_equivalence(tests, "holm")
    assert tests["a"]["p_adjusted"] == pytest.approx(0.02)
    assert tests["a"]["p_outside_adjusted"] == 1.0
    assert tests["b"]["p_outside_adjusted"] == pytest.approx(0.03)  # Holm: 2 x 0.01, then 0.03
    assert tests["b"]["p_adjusted"] == 1.0 and "p_adjusted" not in tests["c"]


def family_refutes(rng, broken: bool) -> bool:
    margin = 0.05
    results = [tost(rng.normal(margin, 0.01, 3), None, margin=margin, alpha=ALPHA)
               for _ in range(VARIANTS)]  # fmt: skip
    if broken:
        return any(t.ci[0] >= margin or t.ci[1] <= -margin for t in results)
    p = [t.p_value for t in results]
    _, outside = adjust_directional(p, [1 - x for x in p])
    return bool(np.any(outside < ALPHA))


def test_refutation_over_a_family_keeps_its_size_and_the_raw_interval_does_not():
    rng = np.random.default_rng(21)
    fixed = np.mean([family_refutes(rng, False) for _ in range(SIMS)])
    raw = np.mean([family_refutes(rng, True) for _ in range(SIMS)])
    print(f"false 'outside the margin' over {VARIANTS} variants: {fixed:.3f} (raw 90%: {raw:.3f})")
    assert fixed <= BAND and raw > 0.15
