"""C2's whole rule on a frontier: the sparsity difference at matched gain against the margin,
with the conditions and the learning guard it rests on (what the claim test and its calibration,
tests/test_measures_matched.py, both run).

* the difference: each seed pair matched at its own gain, a one-sided t interval over pairs
  (:func:`rlsparse_check.measures.frontier.at_matched_gain`);
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

__all__ = ["MatchedDecision", "decide_matched"]


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
    from rlsparse_check.stats import margin_test

    names = names or {}
    m = at_matched_gain(frontier.points, first, second, frontier.rewards)
    test = margin_test(m.diffs, None, margin, level=1 - alpha) if m.diffs[1:] else None
    arms = gain_tests({names.get(a, a): r for a, r in m.reached.items()}, correction)
    guards = [learned(t, alpha) for t in arms.values()]
    conditions = [
        rule.precise_gains(frontier.ses, max_eval_se),
        rule.on_rising_part(m.rises, alpha),
    ]
    decision = rule.sparser_at_matched_gain(test, conditions, guards, margin, alpha)
    lead = rule.decided_by(decision, test, margin, [*guards, *conditions])
    return MatchedDecision(decision, f"{lead} {decision.reason}", m, test, arms, conditions)
