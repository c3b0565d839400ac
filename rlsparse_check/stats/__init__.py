"""Statistical tests over replicates (seeds): comparisons, margins, equivalence, intervals,
rank and trend tests, paired binary outcomes, corrections.

Every function is pure (numbers or arrays in, numbers out) and every random choice takes a seed.
Tests return a :class:`TestResult` (or a record of their own: :class:`MarginTest`,
:class:`Agreement`); the decision rules turn them into verdicts.

Conventions, documented once:

* ``alternative`` is ``"two-sided"``, ``"greater"`` (first sample larger / mean above ``mu``)
  or ``"less"``.
* Too few observations to compute a test raise :class:`~rlsparse_check.errors.StatsInputError`
  (Welch, one-sample t, TOST and the margin test need at least 2 values per sample,
  Mann-Whitney 1, the bootstrap :data:`BOOTSTRAP_MIN_N`); a rule should check ``n`` first and
  report the result as inconclusive.
* Samples without spread give a defined result (:mod:`rlsparse_check.stats.ttests`).
* Intervals: :func:`mean_ci` (Student t, any n >= 2; one value gives ``(-inf, inf)``, which JSON
  writes as nulls), :func:`bootstrap_ci` (expanded percentile, from 8 values). Every interval
  routine here covers a normal mean at its nominal rate within +-2 points at n = 3, 5 and 10
  (or refuses), tests/test_stats_intervals.py.
* Multiple-comparison corrections: :func:`holm` (family-wise error; default everywhere) and
  :func:`benjamini_hochberg` (false discovery rate); a result records which one it used.
* The overlap nulls (hypergeometric, magnitude-stratified) live in
  :mod:`rlsparse_check.overlap`, which builds on this package, never the other way round.
"""

from rlsparse_check.stats.bootstrap import BOOTSTRAP_MIN_N, bootstrap_ci
from rlsparse_check.stats.corrections import CORRECTIONS, adjust, benjamini_hochberg, holm
from rlsparse_check.stats.counts import Agreement, agreement, cohen_kappa, mcnemar_greater
from rlsparse_check.stats.ranks import (
    TREND_STATISTICS,
    blocked_trend_test,
    mann_whitney,
    mann_whitney_min_p,
)
from rlsparse_check.stats.result import ALTERNATIVES, TestResult
from rlsparse_check.stats.ttests import MarginTest, margin_test, mean_ci, one_sample, tost, welch

__all__ = [
    "ALTERNATIVES",
    "BOOTSTRAP_MIN_N",
    "CORRECTIONS",
    "TREND_STATISTICS",
    "Agreement",
    "MarginTest",
    "TestResult",
    "adjust",
    "agreement",
    "benjamini_hochberg",
    "blocked_trend_test",
    "bootstrap_ci",
    "cohen_kappa",
    "holm",
    "mann_whitney",
    "mann_whitney_min_p",
    "margin_test",
    "mcnemar_greater",
    "mean_ci",
    "one_sample",
    "tost",
    "welch",
]
