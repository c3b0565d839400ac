"""Overlap of two update masks given as arrays, against chance and a magnitude-stratified null.

For masks A and B of the same tensors (True = entry changed):

* ``overlap_ab`` = |A & B| / |A|, ``overlap_ba`` = |A & B| / |B|, ``jaccard`` = |A & B| / |A | B|;
* ``chance_ab`` = the overlap A->B expected if B were placed at random inside each tensor with
  its own density: sum over tensors of |A_t| density(B_t), divided by |A|. For one tensor it is
  density(B); ``chance_ba`` likewise;
* ``p_independent``: one-sided p-value of |A & B| under independent masks with the per-tensor
  densities (hypergeometric per tensor, summed: :mod:`rlsparse_check.overlap.nulls`);
* ``p_stratified``: the same under the null that shuffles B only among entries of similar base
  weight magnitude within each tensor (bins of ``|w|``), which keeps both masks' preference for
  small weights; ``ratio_*`` = observed / expected intersection, ``z_*`` = standardized excess;
* ``attainable``: the largest intersection the two masks' per-tensor sizes allow, the sum over
  tensors of ``min(|A_t|, |B_t|)``;
* ``excess_stratified`` = (|A & B| - expected) / (attainable - expected) under the stratified
  null: 0 at chance, 1 when the overlap is as large as the sizes allow (B inside A, identical
  masks), negative below chance. ``excess_independent`` likewise for the independent null.
  ``excess_stratified_sd`` = sqrt(null variance) / (attainable - expected): the null's noise on
  the same scale. All three are None when the attainable maximum equals the expectation
  (nothing can overlap beyond chance, e.g. a full or an empty mask in every tensor).

Every figure that a decision reads (counts, attainable, expectations, variances, p-values,
ratios, excesses, Jaccard) is symmetric in A and B; ``overlap_ab`` and ``overlap_ba`` (and the
``chance_*`` pairs) swap.

Defined edge cases: an empty mask (or empty union) has overlap and Jaccard 0.0; chance levels
then fall back to the other mask's global density; when nothing can overlap the ratios are 1.0,
the z-scores 0 and the p-values 1.0. Masks of different shapes raise :class:`StatsInputError`.
Without base weights every tensor is one bin, so ``p_stratified`` equals ``p_independent``.

This module is pure (arrays in, numbers out); :mod:`rlsparse_check.overlap.stream` applies it to
checkpoints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rlsparse_check.errors import StatsInputError
from rlsparse_check.overlap import nulls
from rlsparse_check.overlap.result import OverlapResult, TensorOverlap, overlap_row

__all__ = [
    "TensorOverlap",
    "OverlapResult",
    "Bins",
    "overlap_row",
    "tensor_overlap",
    "overlap_from_counts",
    "overlap_arrays",
    "attach_permutation_p",
]


def tensor_overlap(
    mask_a: np.ndarray,
    mask_b: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    key: np.ndarray | None = None,
    bins: int | None = None,
    name: str = "tensor",
) -> tuple[TensorOverlap, Bins]:
    """Overlap counts and magnitude strata of one tensor.

    ``weights``: base weights of the tensor (or ``key``: precomputed magnitude codes from
    :func:`rlsparse_check.overlap.nulls.magnitude_key`). Returns the :class:`TensorOverlap` and its
    :class:`Bins` (per-entry stratum labels).
    """
    a, b = np.asarray(mask_a), np.asarray(mask_b)
    for which, m in (("A", a), ("B", b)):
        if m.dtype != np.bool_:
            raise StatsInputError(
                f"mask {which} of tensor {name!r} has dtype {m.dtype}: masks must be bool arrays"
            )
    if a.shape != b.shape:
        raise StatsInputError(
            f"tensor {name!r}: mask A has shape {a.shape} but mask B "
            f"{b.shape}: compare masks of the same model"
        )
    if key is None:
        if weights is None:
            key = np.zeros(a.shape, np.uint16)
        else:
            if np.shape(weights) != a.shape:
                raise StatsInputError(
                    f"tensor {name!r}: base weights have shape "
                    f"{np.shape(weights)} but the masks {a.shape}"
                )
            key = nulls.magnitude_key(weights)
    elif np.shape(key) != a.shape:
        raise StatsInputError(
            f"tensor {name!r}: magnitude codes have shape {np.shape(key)} but the masks {a.shape}"
        )
    return overlap_from_counts(name, *nulls.stratum_table(key, a, b), bins=bins)


def overlap_from_counts(
    name: str, codes: np.ndarray, counts: np.ndarray, *, bins: int | None = None
) -> tuple[TensorOverlap, Bins]:
    """:func:`tensor_overlap` from the ``(codes, counts)`` of
    :func:`rlsparse_check.overlap.nulls.stratum_table` (or a streamed count table)."""
    strata, bin_of_row = nulls.stratify(counts, bins)
    numel = int(strata[:, 0].sum())
    count_a, count_b, both = (int(v) for v in strata[:, 1:].sum(axis=0))
    return TensorOverlap(name, numel, count_a, count_b, both, strata), Bins(codes, bin_of_row)


@dataclass(frozen=True)
class Bins:
    """Which magnitude bin each code fell into, to label entries (permutation check)."""

    codes: np.ndarray
    bin_of_row: np.ndarray

    def labels(self, key: np.ndarray) -> np.ndarray:
        return self.bin_of_row[np.searchsorted(self.codes, np.asarray(key).reshape(-1))]


def overlap_arrays(
    masks_a: Mapping[str, np.ndarray] | np.ndarray,
    masks_b: Mapping[str, np.ndarray] | np.ndarray,
    weights: Mapping[str, np.ndarray] | np.ndarray | None = None,
    *,
    bins: int | None = None,
    seed: int = 0,
    permutations: int = 0,
    labels: tuple[str, str] = ("A", "B"),
) -> OverlapResult:
    """Overlap of two masks given as arrays (one tensor) or ``{name: array}`` (several).

    ``weights``: base weights with the same names and shapes (None: no stratification).
    ``permutations`` > 0 adds a Monte-Carlo stratified permutation p-value (seeded) as a check
    of the analytic ``p_stratified``; it is slow on large masks.
    """
    if not isinstance(masks_a, Mapping):
        masks_a, masks_b = {"tensor": masks_a}, {"tensor": masks_b}
        weights = None if weights is None else {"tensor": weights}
    if not isinstance(masks_b, Mapping) or set(masks_a) != set(masks_b):
        raise StatsInputError("masks A and B must cover the same tensor names")
    if weights is not None and not set(masks_a) <= set(weights):
        missing = sorted(set(masks_a) - set(weights))
        raise StatsInputError(f"no base weights for tensors {missing[:3]}")
    tensors, parts = {}, []
    for i, name in enumerate(sorted(masks_a)):
        w = None if weights is None else weights[name]
        t, found = tensor_overlap(masks_a[name], masks_b[name], w, bins=bins, name=name)
        tensors[name] = t
        if permutations:
            key = np.zeros(t.numel, np.uint16) if w is None else nulls.magnitude_key(w)
            parts.append(
                (
                    np.asarray(masks_a[name]),
                    np.asarray(masks_b[name]),
                    found.labels(key) + (i << 32),
                )
            )
    result = OverlapResult(labels[0], labels[1], tensors, bins=bins, seed=seed)
    return attach_permutation_p(result, parts, permutations)


def attach_permutation_p(result: OverlapResult, parts: list, permutations: int) -> OverlapResult:
    """Attach the Monte-Carlo stratified permutation p-value to ``result``: ``parts`` holds one
    ``(mask_a, mask_b, labels)`` per tensor, labels = tensor index and bin."""
    if permutations:
        a, b, label = (
            np.concatenate([p.reshape(-1) for p in group]) for group in zip(*parts, strict=True)
        )
        result.p_permutation = nulls.stratified_permutation_p(
            a, b, label, permutations, result.seed
        )
        result.permutations = permutations
    return result
