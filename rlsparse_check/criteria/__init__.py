"""The decision rules of the claims: numbers in, a Decision out (pure functions).

Each rule is fixed before any run is looked at, quotes its numbers in the reason, and can come
out ``reproduced``, ``not_reproduced`` or ``inconclusive`` (tests/test_criteria*.py simulate each
under its null and under a planted effect). A claim with several parts combines them with
:func:`all_of`: the worst part decides.

The shapes of evidence:

* a mean over seeds against a range (C1): the two-sided t interval of the mean at the
  Bonferroni level of the claim's family, inside the range supports, outside it refutes,
  straddling a bound is inconclusive;
* the learning guard (:mod:`rlsparse_check.criteria.learning`): a verdict resting on runs whose
  eval gain is not significant is inconclusive whichever way it fell;
* "A exceeds B by at least a margin" (C2, C6, C9a) and "a mean stays below a limit" (C4): decided
  on one-sided confidence bounds at level ``1 - alpha``, never on a point estimate: the lower
  bound at or above the margin supports, the upper bound below it refutes;
* equivalence within a margin (C4, C5, C9b, C9c's algorithm effect, regime invariance): TOST;
  refuted by the opposite question (outside the margin), each question one member of its
  family, corrected alike (C9: both ways at alpha / m);
* overlap above chance (C3, C5): the excess over each null (independent: the paper's figure;
  magnitude-stratified: the harness's margin) as a share of the attainable excess; pairs of runs
  are the replicates (bounds over pairs, a jackknife over runs when pairs share runs), a single
  pair decided by its entry-level bound;
* exact measurements of one checkpoint (C1 in checkpoint mode, C7, C8) or of a fitted prediction
  (C9c): no sampling of the figure itself, so it is compared with its threshold directly; a
  stored update's rank (C7) is compared with full-rank and rank-1 updates of its size stored and
  measured the same way.
"""

from __future__ import annotations

from rlsparse_check.criteria.combine import all_of, correct, p_text, pct
from rlsparse_check.criteria.margins import at_most, equivalent, margin_figures, much_greater
from rlsparse_check.criteria.mechanism import predicted, rate_not_steps
from rlsparse_check.criteria.overlap import overlap_above_chance, overlap_over_pairs
from rlsparse_check.criteria.range import checkpoint_in_range, in_range
from rlsparse_check.criteria.structure import (
    full_rank,
    norms_spared,
    rank_against_reference,
    spread_across_blocks,
)

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
    "overlap_over_pairs",
    "full_rank",
    "rank_against_reference",
    "spread_across_blocks",
    "norms_spared",
    "rate_not_steps",
    "predicted",
]
