"""Rank tests: Mann-Whitney (and the smallest p it can reach), and a blocked trend test.

:func:`blocked_trend_test` asks whether ``y`` is monotone in ``x`` when the data come in blocks
(e.g. the runs of one seed at several learning rates): the statistic is the sum over blocks of
the within-block rank correlation, and the null distribution permutes ``x`` within each block,
so replicates stay together and ties are handled exactly (midranks, and every distinct
arrangement of tied values counted once, each equally likely under the null). A pooled Spearman
correlation with its t approximation ignores both the blocks and the ties and, with a few
distinct ``x`` values, gives p-values an order of magnitude too small.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats.result import TestResult, check_alternative, sample

__all__ = ["mann_whitney", "mann_whitney_min_p", "blocked_trend_test", "TREND_STATISTICS"]

TREND_STATISTICS = ("spearman", "kendall")
_TOL = 1e-9  # statistics within this of the observed one count as equal (float sums)


def mann_whitney(a: object, b: object, alternative: str = "two-sided") -> TestResult:
    """Mann-Whitney U test (exact for small samples without ties, else normal with tie
    correction). ``effect`` = P(a > b) + P(a = b)/2 (0.5 = no shift); ``statistic`` = U of a.
    At small sizes the exact test cannot reach every alpha: see :func:`mann_whitney_min_p`."""
    alternative = check_alternative(alternative)
    x, y = sample(a, "mann_whitney (first)", 1), sample(b, "mann_whitney (second)", 1)
    n = x.size + y.size
    if np.ptp(np.concatenate([x, y])) == 0:  # every value equal: no evidence either way
        return TestResult("mann_whitney", x.size * y.size / 2, 1.0, 0.5, None, n, alternative)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sps.mannwhitneyu(x, y, alternative=alternative, method="auto")
    u = float(res.statistic)
    return TestResult(
        "mann_whitney", u, float(res.pvalue), u / (x.size * y.size), None, n, alternative
    )


def mann_whitney_min_p(n1: int, n2: int, alternative: str = "greater") -> float:
    """The smallest p-value the exact Mann-Whitney test can give with ``n1`` and ``n2`` values:
    one complete separation out of ``C(n1 + n2, n1)`` orderings (twice that, capped at 1, for
    two-sided). 3 vs 3 one-sided: 1/20 = 0.05, so it can never be below alpha = 0.05."""
    alternative = check_alternative(alternative)
    for what, k in (("n1", n1), ("n2", n2)):
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise StatsInputError(
                f"mann_whitney_min_p: {what} must be a positive integer, got {k!r}"
            )
    p = 1.0 / math.comb(int(n1) + int(n2), int(n1))
    return min(1.0, 2 * p) if alternative == "two-sided" else p


def _midranks(v: np.ndarray) -> np.ndarray:
    return sps.rankdata(v, method="average")


def _distinct_permutations(values: np.ndarray) -> np.ndarray:
    """Every distinct ordering of ``values`` (a multiset), one per row, lexicographic."""
    current = np.sort(values)
    rows = [current.copy()]
    n = current.size
    while True:
        i = n - 2
        while i >= 0 and current[i] >= current[i + 1]:
            i -= 1
        if i < 0:
            return np.array(rows)
        j = n - 1
        while current[j] <= current[i]:
            j -= 1
        current[i], current[j] = current[j], current[i]
        current[i + 1 :] = current[i + 1 :][::-1]
        rows.append(current.copy())


def _count_distinct(values: np.ndarray) -> int:
    _, counts = np.unique(values, return_counts=True)
    total = math.factorial(values.size)
    for c in counts:
        total //= math.factorial(int(c))
    return total


class _Block:
    """One block's ranks and the correlation of any arrangement of its x ranks with y."""

    def __init__(self, x: np.ndarray, y: np.ndarray, statistic: str) -> None:
        self.rx, self.ry = _midranks(x), _midranks(y)
        self.statistic = statistic
        if statistic == "spearman":
            cx, cy = self.rx - self.rx.mean(), self.ry - self.ry.mean()
            self.scale = math.sqrt(float(cx @ cx) * float(cy @ cy))
            self.cy = cy
        else:
            iu = np.triu_indices(x.size, 1)
            self.pairs = iu
            self.sy = np.sign(self.ry[iu[0]] - self.ry[iu[1]])
            sx = np.sign(self.rx[iu[0]] - self.rx[iu[1]])
            self.scale = math.sqrt(float(np.count_nonzero(sx)) * float(np.count_nonzero(self.sy)))

    @property
    def informative(self) -> bool:
        return self.scale > 0

    def correlation(self, arranged: np.ndarray) -> np.ndarray:
        """Correlation for each row of ``arranged`` (x ranks in the order of the block's y)."""
        if self.statistic == "spearman":
            return (arranged - arranged.mean(axis=1, keepdims=True)) @ self.cy / self.scale
        i, j = self.pairs
        return np.sign(arranged[:, i] - arranged[:, j]) @ self.sy / self.scale


def _exact_distribution(blocks: list[_Block], max_exact: int) -> tuple[np.ndarray, np.ndarray]:
    """Null distribution of the summed correlation, block by block (None when too large)."""
    values, probs = np.zeros(1), np.ones(1)
    for block in blocks:
        rows = _distinct_permutations(block.rx)
        stats = block.correlation(rows)
        values = (values[:, None] + stats[None, :]).reshape(-1)
        probs = np.repeat(probs / stats.size, stats.size)
        keys, inverse = np.unique(np.round(values, 12), return_inverse=True)
        values, probs = keys, np.bincount(inverse, weights=probs)
        if values.size > max_exact:
            return None
    return values, probs


def blocked_trend_test(
    x: object,
    y: object,
    blocks: object,
    alternative: str = "less",
    *,
    max_exact: int = 200_000,
    n_perm: int = 20_000,
    seed: int = 0,
    statistic: str = "spearman",
) -> TestResult:
    """Is ``y`` monotone in ``x`` with the runs of each block (seed) kept together?

    ``statistic`` = sum over blocks of the within-block Spearman (or Kendall tau-b) correlation
    of ``x`` and ``y``; ``effect`` = its mean over the informative blocks (those with at least
    two distinct ``x`` and two distinct ``y`` values; the others add 0 under every permutation).
    ``alternative``: ``"less"`` (y falls with x), ``"greater"``, or ``"two-sided"`` (twice the
    smaller one-sided p, capped at 1). Null: ``x`` permuted within each block. The p-value is
    exact (``method="exact"``) when enumerating every block's distinct arrangements costs at most
    ``max_exact`` rows and the convolved null has at most ``max_exact`` distinct values; else a
    seeded Monte-Carlo p ``(1 + hits) / (1 + n_perm)`` (``method="monte_carlo"``).
    """
    alternative = check_alternative(alternative)
    if statistic not in TREND_STATISTICS:
        raise StatsInputError(f"statistic={statistic!r}: use one of {', '.join(TREND_STATISTICS)}")
    if n_perm < 100 or max_exact < 1:
        raise StatsInputError(
            f"blocked_trend_test: n_perm={n_perm} (use at least 1000) and max_exact={max_exact} "
            f"(use at least 1) are too small"
        )
    xs, ys = sample(x, "blocked_trend_test (x)", 2), sample(y, "blocked_trend_test (y)", 2)
    labels = np.asarray(blocks).reshape(-1)
    if not (xs.size == ys.size == labels.size):
        raise StatsInputError(
            f"blocked_trend_test: x, y and blocks differ in length ({xs.size}, {ys.size}, "
            f"{labels.size}): give one block label (seed) per run"
        )
    parts = [_Block(xs[labels == k], ys[labels == k], statistic) for k in np.unique(labels)]
    parts = [p for p in parts if p.informative]
    name = f"blocked_{statistic}_trend"
    if not parts:
        return TestResult(name, 0.0, 1.0, 0.0, None, xs.size, alternative, "exact")
    observed = float(sum(p.correlation(p.rx[None, :])[0] for p in parts))
    effect = observed / len(parts)
    cost = sum(_count_distinct(p.rx) for p in parts)
    dist = _exact_distribution(parts, max_exact) if cost <= max_exact else None
    if dist is not None:
        values, probs = dist
        p_less = float(probs[values <= observed + _TOL].sum())
        p_greater = float(probs[values >= observed - _TOL].sum())
        method = "exact"
    else:
        rng = np.random.default_rng(seed)
        total = np.zeros(n_perm)
        for part in parts:
            order = np.argsort(rng.random((n_perm, part.rx.size)), axis=1)
            total += part.correlation(part.rx[order])
        p_less = (1 + int(np.count_nonzero(total <= observed + _TOL))) / (1 + n_perm)
        p_greater = (1 + int(np.count_nonzero(total >= observed - _TOL))) / (1 + n_perm)
        method = "monte_carlo"
    p = {"less": p_less, "greater": p_greater}.get(alternative, 2 * min(p_less, p_greater))
    return TestResult(name, observed, min(1.0, p), effect, None, xs.size, alternative, method)
