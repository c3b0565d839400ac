"""C1's rule (criteria/range.py): known answers, and calibration of a family of algorithms.

The cases of C1 (one per algorithm) form a family: both a false "reproduced" and a false "not
reproduced" anywhere in the family must stay at most alpha and near it: each side of an interval
is a one-sided test at alpha / m (TOST's level, Bonferroni over the m cases: a two-sided
1 - 2 alpha / m interval), at n = 3 seeds too; the same rule with raw 90% intervals (the broken
variant) refutes some case of a true family far more often.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlsparse_check.criteria import checkpoint_in_range, in_range
from rlsparse_check.criteria.range import family_level, position
from rlsparse_check.results import Verdict

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE
ALPHA, LO, HI, SIMS = 0.05, 0.685, 0.96, 2000
MC = 3 * math.sqrt(ALPHA * (1 - ALPHA) / SIMS)


def c1(values, family=1):
    return in_range(values, LO, HI, alpha=ALPHA, family=family)[0].verdict


def family_verdicts(rng, means, n, family=None):
    """The verdicts of one simulated family (one case per mean, sd 0.03, n seeds each)."""
    k = len(means) if family is None else family
    return [c1(rng.normal(m, 0.03, n), family=k) for m in means]


def test_c1_reaches_every_verdict():
    assert c1([0.80, 0.81, 0.82]) is R
    assert c1([0.20, 0.21, 0.22]) is N
    assert c1([0.98, 0.985, 0.99]) is N
    assert c1([0.60, 0.75, 0.90]) is U  # straddles a bound
    assert c1([0.80]) is U  # one seed


def test_the_family_widens_each_interval_to_the_bonferroni_level():
    assert family_level(0.05, 5) == pytest.approx(0.98)  # each side at 0.05 / 5
    assert family_level(0.05, 1) == pytest.approx(0.90)  # TOST's 1 - 2 alpha
    one = in_range([0.80, 0.81, 0.83], LO, HI, alpha=ALPHA, family=1)[1]
    five = in_range([0.80, 0.81, 0.83], LO, HI, alpha=ALPHA, family=5)[1]
    assert five[0] < one[0] and five[1] > one[1]
    assert [position(v, LO, HI) for v in (0.5, 0.8, 0.99, None)] == [
        "below",
        "inside",
        "above",
        "n/a",
    ]


@pytest.mark.parametrize("n", [3, 5])
def test_a_family_at_the_lower_bound_rarely_reproduces_anywhere(n):
    rng = np.random.default_rng(n)
    runs = [family_verdicts(rng, [LO - 1e-9] * 5, n) for _ in range(SIMS)]
    rate = sum(R in v for v in runs) / SIMS  # about 1 - 0.99**5 = 0.049
    assert ALPHA - MC - 0.005 <= rate <= ALPHA + MC


@pytest.mark.parametrize("n", [3, 5])
def test_a_family_just_inside_rarely_refutes_anywhere_and_raw_intervals_do(n):
    rng = np.random.default_rng(10 + n)
    means = [LO + 1e-9] * 5
    fixed = [family_verdicts(rng, means, n) for _ in range(SIMS)]
    broken = [family_verdicts(rng, means, n, family=1) for _ in range(SIMS)]
    fixed_rate = sum(N in v for v in fixed) / SIMS
    broken_rate = sum(N in v for v in broken) / SIMS
    print(f"n={n}: family-wise false refutation {fixed_rate:.3f}, raw intervals {broken_rate:.3f}")
    assert ALPHA - MC - 0.005 <= fixed_rate <= ALPHA + MC
    assert broken_rate > ALPHA + 3 * MC  # about 1 - 0.95**5 = 0.23


def test_c1_reproduces_a_mean_well_inside_the_range_at_three_seeds():
    rng = np.random.default_rng(0)
    verdicts = [c1(rng.normal(0.82, 0.02, 3), family=5) for _ in range(500)]
    power = sum(v is R for v in verdicts) / len(verdicts)
    print(f"C1 power at mean 0.82, sd 0.02, n=3, family of 5: {power:.3f}")
    assert power > 0.5


def test_c1_for_one_checkpoint():
    assert checkpoint_in_range(0.5, 10, LO, HI).verdict is N
    assert checkpoint_in_range(0.8, 10, LO, HI).verdict is R
    assert checkpoint_in_range(0.99, 10, LO, HI).verdict is U
    assert checkpoint_in_range(1.0, 0, LO, HI).verdict is U
