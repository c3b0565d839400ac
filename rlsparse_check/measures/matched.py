"""C2's whole rule on a frontier: the sparsity difference at matched gain against the margin,
with the conditions and the learning guard it rests on (what the claim test and its calibration,
tests/test_measures_matched.py, both run).

* the difference: each seed pair matched at its own gain
  (:func:`rlsparse_check.measures.frontier.at_matched_gain`), one-sided bounds that count the
  spread over pairs and the eval noise all pairs share (:func:`with_shared_noise`): every run is
  scored on the same problems with the same draws, so a t over pairs alone reproduces about
  0.14 of the time at the margin in the calibration, this rule at most alpha;
* the conditions: every run's eval SE at most ``max_eval_se``; both curves still rising at the
  matched gain (upper rung against lower rung, paired over problems on the shared draws);
* the guard: both arms learned at the rung just above the matched gain (the paired learning
  test, Holm over the two arms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rlsparse_check.criteria import margins as rule
from rlsparse_check.criteria.learning import learned
from rlsparse_check.results import Decision

__all__ = ["MatchedDecision", "decide_matched", "with_shared_noise"]

TEST = (
    "t over seed pairs, each at its own matched gain, plus the eval noise the seeds share "
    "(each arm's per-problem gains times its curve's slope, both arms together over problems; "
    "Welch-Satterthwaite df)"
)


def with_shared_noise(diffs, shared, margin: float, level: float) -> Any:
    """The margin test of the per-pair differences whose variance also holds the eval noise
    every pair shares: each arm's gain is read on the same problems with the same draws in
    every seed, so its error moves every pair's matched gain alike and the spread over pairs
    cannot show it; through the curve's slope it moves the sparsity read there. ``shared``:
    ``{arm: (slope, per-problem gains)}``, first arm first; the two arms' errors are taken
    together per problem (they share the draws too): the SE of the mean over problems of
    ``slope_1 x gain_1 - slope_2 x gain_2``. Welch-Satterthwaite degrees of freedom."""
    import numpy as np
    from scipy import stats

    from rlsparse_check.stats import MarginTest

    n, mean = len(diffs), float(np.mean(diffs))
    pairs = float(np.var(diffs, ddof=1)) / n
    sign = [1.0, -1.0][: len(shared)]
    z = sum(k * slope * np.asarray(g) for k, (slope, g) in zip(sign, shared.values(), strict=True))
    problems = len(z) if len(shared) else 1
    common = float(np.var(z, ddof=1)) / problems if problems > 1 else 0.0
    var = pairs + common
    denom = pairs**2 / (n - 1) + (common**2 / (problems - 1) if problems > 1 else 0.0)
    df = var**2 / denom if denom > 0 else float(n - 1)
    se, gap = var**0.5, mean - margin
    if se == 0:
        t = 0.0 if gap == 0 else float(np.copysign(np.inf, gap))
        return MarginTest(TEST, mean, margin, level, mean, mean, float(gap <= 0), float(gap >= 0),
                          t, n, df)  # fmt: skip
    half, t = float(stats.t.ppf(level, df)) * se, gap / se
    return MarginTest(TEST, mean, margin, level, mean - half, mean + half, float(stats.t.sf(t, df)),
                      float(stats.t.cdf(t, df)), t, n, df)  # fmt: skip


@dataclass(frozen=True)
class MatchedDecision:
    decision: Decision
    reason: str  # one sentence on what decided it, then the decision's reason
    matched: Any  # frontier.Matched
    test: Any  # MarginTest or None
    arms: dict  # {"rl"/"sft": GainTest}
    conditions: list


def decide_matched(
    frontier: Any,
    first: str,
    second: str,
    *,
    margin: float,
    alpha: float,
    max_eval_se: float,
    correction: str = "holm",
    names: dict[str, str] | None = None,
) -> MatchedDecision:
    """C2 on ``frontier`` (:class:`~rlsparse_check.measures.frontier.Frontier`): ``first``
    minus ``second`` sparsity at matched gain; ``names`` renames the arms in the report."""
    from rlsparse_check.measures.frontier import at_matched_gain
    from rlsparse_check.measures.learning import gain_tests

    names = names or {}
    m = at_matched_gain(frontier.points, first, second, frontier.rewards)
    test = with_shared_noise(m.diffs, m.shared, margin, 1 - alpha) if m.diffs[1:] else None
    arms = gain_tests({names.get(a, a): r for a, r in m.reached.items()}, correction)
    guards = [learned(t, alpha) for t in arms.values()]
    conditions = [
        rule.precise_gains(frontier.ses, max_eval_se),
        rule.on_rising_part(m.rises, alpha),
    ]
    decision = rule.sparser_at_matched_gain(test, conditions, guards, margin, alpha)
    lead = rule.decided_by(decision, test, margin, [*guards, *conditions])
    reason = lead if decision.reason in lead else f"{lead} {decision.reason}."
    return MatchedDecision(decision, reason, m, test, arms, conditions)
