"""The records of an overlap: one row of figures (:func:`overlap_row`), one tensor's counts and
strata (:class:`TensorOverlap`), and the result over a set of tensors with its per-layer and
whole-model rows (:class:`OverlapResult`). :mod:`rlsparse_check.overlap.arrays` defines every
figure and computes them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from rlsparse_check.masks import NO_LAYER, layer_of
from rlsparse_check.overlap import nulls

__all__ = ["OverlapResult", "TensorOverlap", "overlap_row"]


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
