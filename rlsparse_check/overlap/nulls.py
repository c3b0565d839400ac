"""Null distributions for the overlap of two update masks: independent and magnitude-stratified.

Both nulls are sums of hypergeometric counts over *strata* (groups of entries):

* independent: one stratum per tensor. Given the per-tensor counts ``a`` of mask A and ``b`` of
  mask B among ``n`` entries, a B mask placed uniformly at random makes the intersection
  ``x ~ Hypergeom(n, a, b)``.
* stratified: one stratum per bin of base-weight magnitude inside each tensor. B is shuffled only
  among entries of similar ``|w|``, so the null keeps each mask's density and its preference for
  small (or large) weights, however that preference is shaped.

The global statistic is the sum of the intersections over all strata, tested one-sided
(more overlap than the null). :func:`hypergeometric_sum_test` computes its exact mean and
variance (sums of the per-stratum hypergeometric moments) and its p-value by the cheapest
method that is exact, or accurate in the tail, for the strata at hand: one stratum and small
supports exactly, many small expected counts by an exact FFT convolution (with a saddlepoint
formula where the tail falls below the convolution's rounding), model-scale sums with a large
variance by an Edgeworth expansion with the exact cumulants, tails beyond 1e-25 by Bernstein's
bound (:mod:`rlsparse_check.overlap.tails`). The normal approximation is never used: with many
strata and small expected counts the sum is right-skewed and a normal tail is too small.

Magnitude bins (:func:`magnitude_key`, :func:`stratum_table`, :func:`stratify`): each entry
gets a 16-bit code monotone in ``|w|`` (exact for bf16: its 15 magnitude bits; float32/64
values are resolved to 8 mantissa bits, 0.4% relative). Entries with equal codes are ties and
are never split: a bin is a run of whole tie groups holding about ``numel / bins`` entries, so
the result is deterministic and no bin separates equal magnitudes. The default (``bins=None``)
aims at :data:`ENTRIES_PER_BIN` entries per bin: fine enough that a smooth or stepwise
dependence of the update probability on ``|w|`` leaves no detectable excess overlap (the excess
grows with the spread of that probability inside a bin and with the tensor's size; coarse bins
fail, tests/test_overlap.py), while a shared subset spread across magnitudes loses only about
``1/ENTRIES_PER_BIN`` of its excess. For bf16 tensors
larger than a few hundred thousand entries the bins are then simply the distinct values of
``|w|``: the finest stratification there is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.overlap.tails import upper_tail

__all__ = [
    "ENTRIES_PER_BIN",
    "KEY_SIZE",
    "CHUNK",
    "SumTest",
    "hypergeometric_moments",
    "hypergeometric_sum_test",
    "magnitude_key",
    "magnitude_key_of_bits",
    "stratum_codes",
    "add_to_table",
    "compact_table",
    "stratum_table",
    "stratify",
    "bins_for",
    "stratified_permutation_p",
]

#: Target number of entries per magnitude bin when ``bins`` is not given (see module docstring).
ENTRIES_PER_BIN = 64
#: Number of distinct magnitude codes (16 bits).
KEY_SIZE = 1 << 16
#: Entries per bincount when counting arrays held in memory (keeps the temporaries small; reads
#: from checkpoints stream in :data:`rlsparse_check.checkpoints.CHUNK_ELEMS`).
CHUNK = 1 << 20


@dataclass(frozen=True)
class SumTest:
    """Observed total intersection against its null: mean, variance, z and one-sided p.

    ``method`` says how the p-value was computed (``"exact"``, ``"saddlepoint"``,
    ``"edgeworth"`` or ``"bound"``, see :mod:`rlsparse_check.overlap.tails`); ``exact`` is
    ``method == "exact"``.
    """

    observed: int
    expected: float
    variance: float
    z: float
    p_value: float
    exact: bool
    strata: int
    method: str = "exact"
    tail_log10: float = math.nan

    @property
    def log10_p(self) -> float:
        """log10 of the p-value, finite where the p-value underflows to 0 (from the method's
        log-space tail where it has one, else the normal tail)."""
        if self.p_value > 0:
            return math.log10(self.p_value)
        if math.isfinite(self.tail_log10):
            return self.tail_log10
        tail = sps.norm.logsf((self.observed - self.expected - 0.5) / math.sqrt(self.variance))
        return float(tail) / math.log(10)

    @property
    def ratio(self) -> float:
        """observed / expected; 1.0 when nothing can overlap (expected = observed = 0)."""
        return self.observed / self.expected if self.expected > 0 else 1.0


def _as_int(x: object) -> np.ndarray:
    return np.atleast_1d(np.asarray(x, dtype=np.int64))


def hypergeometric_moments(n: object, a: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of ``Hypergeom(n, a, b)`` elementwise (0 where ``n`` is 0 or 1);
    symmetric in ``a`` and ``b`` to the last bit."""
    n, a, b = (np.asarray(v, dtype=np.float64) for v in (n, a, b))
    a, b = np.minimum(a, b), np.maximum(a, b)
    safe = np.where(n > 0, n, 1.0)
    mean = np.where(n > 0, a * b / safe, 0.0)
    big = np.where(n > 1, n, 2.0)
    var = np.where(n > 1, a * b * (n - a) * (n - b) / (big * big * (big - 1)), 0.0)
    return mean, var


def hypergeometric_sum_test(x: object, n: object, a: object, b: object) -> SumTest:
    """One-sided test that ``sum(x)`` exceeds its null, each ``x_k ~ Hypergeom(n_k, a_k, b_k)``
    independently. The p-value's method is chosen by cost (see the module docstring)."""
    x, n, a, b = _as_int(x), _as_int(n), _as_int(a), _as_int(b)
    if not (x.shape == n.shape == a.shape == b.shape):
        raise StatsInputError("stratum arrays x, n, a, b must have equal lengths")
    lo, hi = np.maximum(0, a + b - n), np.minimum(a, b)
    if np.any((a < 0) | (a > n) | (b < 0) | (b > n) | (x < lo) | (x > hi)):
        raise StatsInputError(
            "stratum counts are inconsistent (need max(0, a+b-n) <= x <= min(a, b) and "
            "0 <= a, b <= n)"
        )
    mean, var = hypergeometric_moments(n, a, b)
    observed, expected, variance = int(x.sum()), float(mean.sum()), float(var.sum())
    live = hi > lo
    z = (observed - expected) / math.sqrt(variance) if variance > 0 else 0.0
    if not live.any():
        return SumTest(observed, expected, variance, 0.0, 1.0, True, int(x.size))
    fixed = observed - int(x[live].sum())  # strata that cannot vary contribute their value
    p, log10_p, method = upper_tail(observed - fixed, n[live], a[live], b[live])
    return SumTest(
        observed, expected, variance, z, p, method == "exact", int(x.size), method, log10_p
    )


def magnitude_key(weights: np.ndarray) -> np.ndarray:
    """A 16-bit code per entry, monotone in ``|w|`` (float values, any float dtype; NaN last)."""
    w = np.asarray(weights)
    if w.dtype.kind not in "fiub":
        raise StatsInputError(f"base weights of dtype {w.dtype} have no magnitude")
    bits = np.abs(np.ascontiguousarray(w, dtype=np.float32)).view(np.uint32)
    return (bits >> np.uint32(15)).astype(np.uint16)


def magnitude_key_of_bits(bits: np.ndarray, dtype: str) -> np.ndarray:
    """The code of :func:`magnitude_key` straight from stored bf16/f16 bits (``uint16``):
    the 15 magnitude bits, the same order as the decoded values (f16 kept at full resolution)."""
    if dtype not in ("bfloat16", "float16"):
        raise StatsInputError(f"magnitude codes from raw bits need bf16/f16, not {dtype}")
    return np.asarray(bits, dtype=np.uint16) & np.uint16(0x7FFF)


def stratum_codes(key: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray) -> np.ndarray:
    """One code per entry: ``4 * key + 2 * in_A + in_B`` (the index :func:`stratum_table`
    counts), as ``intp`` so ``np.bincount`` takes it without another copy."""
    pair = np.left_shift(np.asarray(mask_a).view(np.uint8), 1)
    pair |= np.asarray(mask_b).view(np.uint8)
    code = np.left_shift(key, 2, dtype=np.intp)
    code |= pair
    return code


def add_to_table(
    table: np.ndarray, key: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray
) -> None:
    """Add the entries of one chunk to a full ``4 * KEY_SIZE`` count table, in place."""
    table += np.bincount(stratum_codes(key, mask_a, mask_b), minlength=4 * KEY_SIZE)


def compact_table(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A full count table -> ``(codes, counts)`` of the codes present, as :func:`stratum_table`."""
    table = np.asarray(table).reshape(KEY_SIZE, 4)
    codes = np.flatnonzero(table.sum(axis=1))
    return codes, table[codes]


def stratum_table(
    key: np.ndarray, mask_a: np.ndarray, mask_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Counts per magnitude code present: ``(codes, counts)`` with ``codes`` ascending and
    ``counts`` an int64 array ``(len(codes), 4)`` of entries in neither mask, B only, A only, both.
    Large inputs go in chunks (one bincount each), so the temporaries stay small."""
    key, mask_a, mask_b = (np.asarray(v).reshape(-1) for v in (key, mask_a, mask_b))
    if not (key.size == mask_a.size == mask_b.size):
        raise StatsInputError(
            f"key and masks differ in size ({key.size}, {mask_a.size}, {mask_b.size})"
        )
    if key.dtype.kind not in "ui" or (key.size and int(key.max()) >= KEY_SIZE):
        raise StatsInputError("magnitude codes must be integers below 2**16 (magnitude_key)")
    if key.size <= KEY_SIZE:  # small: sorting the few codes present beats a full table
        found, count = np.unique(stratum_codes(key, mask_a, mask_b), return_counts=True)
        codes = np.unique(found >> 2)
        counts = np.zeros((codes.size, 4), np.int64)
        counts[np.searchsorted(codes, found >> 2), found & 3] = count
        return codes, counts
    table = np.zeros(4 * KEY_SIZE, dtype=np.int64)
    for start in range(0, key.size, CHUNK):
        stop = start + CHUNK
        add_to_table(table, key[start:stop], mask_a[start:stop], mask_b[start:stop])
    return compact_table(table)


def bins_for(numel: int, bins: int | None) -> int:
    """Number of magnitude bins for a tensor of ``numel`` entries (``None``: automatic)."""
    if bins is None:
        return max(1, math.ceil(numel / ENTRIES_PER_BIN))
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise StatsInputError(f"bins={bins!r}: give a positive integer, or None for automatic")
    return int(bins)


def stratify(counts: np.ndarray, bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Magnitude bins from the ``counts`` of :func:`stratum_table` (rows in code order).

    Returns ``(strata, bin_of_row)``: ``strata`` is an int64 array ``(k, 4)`` of per-bin
    ``n, a, b, x`` (entries, in A, in B, in both) and ``bin_of_row`` the bin of each code row.
    Tie groups (equal codes) stay whole; a group goes to the bin holding its middle rank.
    """
    counts = np.asarray(counts, dtype=np.int64).reshape(-1, 4)
    per_code = counts.sum(axis=1)
    total = int(per_code.sum())
    if total == 0:
        return np.zeros((0, 4), dtype=np.int64), np.zeros(counts.shape[0], np.int64)
    k = bins_for(total, bins)
    middle = np.cumsum(per_code) - per_code / 2.0
    raw_bin = np.minimum((middle * k / total).astype(np.int64), k - 1)
    new = np.r_[True, raw_bin[1:] != raw_bin[:-1]]
    grouped = np.add.reduceat(counts, np.flatnonzero(new), axis=0)
    neither, b_only, a_only, both = grouped.T
    strata = np.stack([neither + b_only + a_only + both, a_only + both, b_only + both, both], 1)
    return strata, np.cumsum(new) - 1


def stratified_permutation_p(
    mask_a: np.ndarray, mask_b: np.ndarray, strata: np.ndarray, n_perm: int = 999, seed: int = 0
) -> float:
    """Monte-Carlo p-value: shuffle B within each stratum label ``n_perm`` times and count
    permutations whose intersection with A reaches the observed one, ``(1 + hits) / (1 + n_perm)``.

    A direct (slow) check of :func:`hypergeometric_sum_test`, and the naive baseline in the
    benchmarks; ``strata`` gives one integer label per entry (e.g. tensor and bin).
    """
    a, b = np.asarray(mask_a, bool).reshape(-1), np.asarray(mask_b, bool).reshape(-1)
    labels = np.asarray(strata).reshape(-1)
    if not (a.size == b.size == labels.size):
        raise StatsInputError("masks and stratum labels differ in size")
    rng = np.random.default_rng(seed)
    observed = int(np.count_nonzero(a & b))
    grouped = np.argsort(labels, kind="stable")
    b_grouped = b[grouped]
    hits = 0
    for _ in range(n_perm):
        order = np.lexsort((rng.random(labels.size), labels))
        hits += int(np.count_nonzero(a[order] & b_grouped)) >= observed
    return (1 + hits) / (1 + n_perm)
