"""Overlap of update masks: the figures, their two nulls, and the streamed checkpoint driver.

The one public surface of the package (no module outside it imports its rooms directly):

* :mod:`.arrays` -- overlap of masks given as arrays (``overlap_arrays``, ``tensor_overlap``,
  ``overlap_from_counts``), the per-group row of figures and :class:`OverlapResult`;
* :mod:`.nulls` -- the independent and magnitude-stratified nulls (hypergeometric sums over
  strata, magnitude codes and bins), with :mod:`.tails` for the p-value of a sum;
* :mod:`.stream` -- every pair of several checkpoints' masks, streamed tensor by tensor
  (``overlap_masksets``, ``pair_overlap``, ``overlap_checkpoints``, :class:`OverlapSet`).

Imports run one way: stream -> arrays -> nulls -> tails; :mod:`rlsparse_check.stats` is below
them all and imports none of them.
"""

from rlsparse_check.overlap.arrays import (
    Bins,
    OverlapResult,
    TensorOverlap,
    overlap_arrays,
    overlap_from_counts,
    overlap_row,
    tensor_overlap,
)
from rlsparse_check.overlap.nulls import (
    SumTest,
    hypergeometric_sum_test,
    magnitude_key,
    magnitude_key_of_bits,
    stratified_permutation_p,
)
from rlsparse_check.overlap.stream import (
    OverlapSet,
    overlap_checkpoints,
    overlap_masksets,
    pair_overlap,
)

__all__ = [
    "Bins",
    "OverlapResult",
    "OverlapSet",
    "SumTest",
    "TensorOverlap",
    "hypergeometric_sum_test",
    "magnitude_key",
    "magnitude_key_of_bits",
    "overlap_arrays",
    "overlap_checkpoints",
    "overlap_from_counts",
    "overlap_masksets",
    "overlap_row",
    "pair_overlap",
    "stratified_permutation_p",
    "tensor_overlap",
]
