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

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from rlsparse_check.errors import StatsInputError
from rlsparse_check.masks import NO_LAYER, layer_of
from rlsparse_check.overlap import nulls

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


def _excess(both: int, expected: float, attainable: int) -> float | None:
    room = attainable - expected
    return (both - expected) / room if room > 1e-9 * max(1.0, attainable) else None


def overlap_row(
    numel: int,
    count_a: int,
    count_b: int,
    both: int,
    independent: nulls.SumTest,
    stratified: nulls.SumTest,
    attainable: int | None = None,
) -> dict:
    """The figures reported for one group of entries (a tensor, a layer, the whole model).

    ``attainable``: the sum over the group's tensors of ``min(|A_t|, |B_t|)``; for one tensor
    (the default) ``min(count_a, count_b)``.
    """
    union = count_a + count_b - both
    density_a, density_b = (count_a / numel, count_b / numel) if numel else (0.0, 0.0)
    if attainable is None:
        attainable = min(count_a, count_b)
    excess_strat = _excess(both, stratified.expected, attainable)
    room = attainable - stratified.expected
    excess_sd = math.sqrt(stratified.variance) / room if excess_strat is not None else None

    def share(part: float, whole: int, fallback: float) -> float:
        return part / whole if whole else fallback

    return {
        "numel": numel,
        "count_a": count_a,
        "count_b": count_b,
        "both": both,
        "union": union,
        "attainable": attainable,
        "density_a": density_a,
        "density_b": density_b,
        "overlap_ab": share(both, count_a, 0.0),
        "overlap_ba": share(both, count_b, 0.0),
        "jaccard": share(both, union, 0.0),
        "chance_ab": share(independent.expected, count_a, density_b),
        "chance_ba": share(independent.expected, count_b, density_a),
        "chance_ab_stratified": share(stratified.expected, count_a, density_b),
        "chance_ba_stratified": share(stratified.expected, count_b, density_a),
        "expected_independent": independent.expected,
        "expected_stratified": stratified.expected,
        "variance_independent": independent.variance,
        "variance_stratified": stratified.variance,
        "excess_independent": _excess(both, independent.expected, attainable),
        "excess_stratified": excess_strat,
        "excess_stratified_sd": excess_sd,
        "ratio_independent": independent.ratio,
        "ratio_stratified": stratified.ratio,
        "z_independent": independent.z,
        "z_stratified": stratified.z,
        "p_independent": independent.p_value,
        "p_stratified": stratified.p_value,
        "log10_p_independent": independent.log10_p,
        "log10_p_stratified": stratified.log10_p,
        "p_independent_exact": independent.exact,
        "p_stratified_exact": stratified.exact,
        "p_independent_method": independent.method,
        "p_stratified_method": stratified.method,
        "strata": stratified.strata,
    }


@dataclass
class TensorOverlap:
    """Counts of one tensor and its null strata: ``strata`` rows are (n, a, b, x) per bin."""

    name: str
    numel: int
    count_a: int
    count_b: int
    both: int
    strata: np.ndarray = field(repr=False)

    def tests(self) -> tuple[nulls.SumTest, nulls.SumTest]:
        """(independent, stratified) tests of this tensor alone."""
        ind = nulls.hypergeometric_sum_test(self.both, self.numel, self.count_a, self.count_b)
        return ind, nulls.hypergeometric_sum_test(*self.strata[:, [3, 0, 1, 2]].T)

    def to_json(self) -> dict:
        return overlap_row(self.numel, self.count_a, self.count_b, self.both, *self.tests())


def _group_tests(tensors: list[TensorOverlap]) -> tuple[nulls.SumTest, nulls.SumTest]:
    counts = np.array([[t.numel, t.count_a, t.count_b, t.both] for t in tensors], np.int64)
    counts = counts.reshape(-1, 4)
    ind = nulls.hypergeometric_sum_test(counts[:, 3], counts[:, 0], counts[:, 1], counts[:, 2])
    strata = np.concatenate([t.strata for t in tensors] or [np.zeros((0, 4), np.int64)])
    return ind, nulls.hypergeometric_sum_test(
        strata[:, 3], strata[:, 0], strata[:, 1], strata[:, 2]
    )


def _group_row(tensors: list[TensorOverlap]) -> dict:
    sums = [sum(getattr(t, k) for t in tensors) for k in ("numel", "count_a", "count_b", "both")]
    attainable = sum(min(t.count_a, t.count_b) for t in tensors)
    return overlap_row(*(int(s) for s in sums), *_group_tests(tensors), int(attainable))


@dataclass
class OverlapResult:
    """Overlap of masks ``a`` and ``b`` over ``tensors``; adjusted p-values are filled in when
    the pair is one of several (``correction`` names the method).

    The global figures read as attributes: ``result.overlap_ab``, ``result.p_stratified``, ...
    (every key of :meth:`summary`, i.e. of :func:`overlap_row`).
    """

    a: str
    b: str
    tensors: dict[str, TensorOverlap]
    bins: int | None = None
    seed: int = 0
    correction: str = "none"
    p_independent_adjusted: float | None = None
    p_stratified_adjusted: float | None = None
    p_permutation: float | None = None
    permutations: int = 0
    _summary: dict | None = field(default=None, repr=False, init=False, compare=False)

    def summary(self) -> dict:
        """The global row (see :func:`overlap_row`), computed once."""
        if self._summary is None:
            self._summary = _group_row(list(self.tensors.values()))
        return self._summary

    def __getattr__(self, key: str) -> object:  # overlap_ab, p_stratified, ... of the summary
        if key.startswith("_") or key in ("a", "b", "tensors"):
            raise AttributeError(key)
        row = self.summary()
        if key in row:
            return row[key]
        raise AttributeError(key)

    def by_layer(self) -> dict[str, dict]:
        groups: dict[str, list[TensorOverlap]] = {}
        for name, t in self.tensors.items():
            layer = layer_of(name)
            groups.setdefault(NO_LAYER if layer is None else str(layer), []).append(t)
        order = sorted(groups, key=lambda k: (k == NO_LAYER, int(k) if k != NO_LAYER else 0))
        return {k: _group_row(groups[k]) for k in order}

    def to_json(self) -> dict:
        p_ind, p_strat = self.summary()["p_independent"], self.summary()["p_stratified"]
        return {
            "a": self.a,
            "b": self.b,
            **self.summary(),
            "bins": "auto" if self.bins is None else self.bins,
            "entries_per_bin_target": nulls.ENTRIES_PER_BIN if self.bins is None else None,
            "seed": self.seed,
            "correction": self.correction,
            "p_independent_adjusted": (
                p_ind if self.p_independent_adjusted is None else self.p_independent_adjusted
            ),
            "p_stratified_adjusted": (
                p_strat if self.p_stratified_adjusted is None else self.p_stratified_adjusted
            ),
            "p_permutation": self.p_permutation,
            "permutations": self.permutations,
            "tensors": {name: t.to_json() for name, t in self.tensors.items()},
            "layers": self.by_layer(),
        }


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
