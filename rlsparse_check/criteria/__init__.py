"""The decision rules of the claims: numbers in, a Decision out (pure functions).

Each rule is fixed before any run is looked at, quotes its numbers in the reason, and can come
out ``reproduced``, ``not_reproduced`` or ``inconclusive`` (tests/test_criteria*.py simulate each
under its null and under a planted effect). A claim with several parts combines them with
:func:`all_of`: the worst part decides.

The shapes of evidence:

* a mean over seeds against a range (C1): the two-sided 95% t interval of the mean, inside the
  range supports, outside it refutes, straddling a bound is inconclusive; a run set whose eval
  gain is not significant is inconclusive whichever side it falls (it may not have learned);
* "A exceeds B by at least a margin" (C2, C6, C9a) and "a mean stays below a limit" (C4): decided
  on one-sided confidence bounds at level ``1 - alpha``, never on a point estimate: the lower
  bound at or above the margin supports, the upper bound below it refutes;
* equivalence within a margin (C4, C5, regime invariance): TOST; its ``1 - 2 alpha`` interval
  entirely outside the margin refutes;
* overlap above chance (C3, C5): the excess over the magnitude-stratified chance as a share of
  the attainable excess, with the null's noise as its bounds, plus the corrected p-value;
* exact measurements of one checkpoint (C1 in checkpoint mode, C7, C8) or of a fitted prediction
  (C9c): no sampling of the figure itself, so it is compared with its threshold directly.
"""

from __future__ import annotations

from rlsparse_check.criteria.combine import all_of, correct, p_text, pct
from rlsparse_check.criteria.margins import at_most, equivalent, margin_figures, much_greater
from rlsparse_check.criteria.mechanism import predicted, rate_not_steps
from rlsparse_check.criteria.overlap import overlap_above_chance
from rlsparse_check.criteria.range import checkpoint_in_range, in_range
from rlsparse_check.criteria.structure import full_rank, norms_spared, spread_across_blocks

__all__ = [
    "pct",
    "p_text",
    "all_of",
    "correct",
    "in_range",
    "checkpoint_in_range",
    "much_greater",
    "margin_figures",
    "at_most",
    "equivalent",
    "overlap_above_chance",
    "full_rank",
    "spread_across_blocks",
    "norms_spared",
    "rate_not_steps",
    "predicted",
]
