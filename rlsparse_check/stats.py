"""Statistical tests over replicates (seeds): comparisons, equivalence, intervals, corrections.

Every function is pure (numpy arrays in, numbers out) and every random choice takes a seed.
Tests return a :class:`TestResult`; the claim code turns it into a verdict with
:func:`rlsparse_check.results.decide`.

Conventions, documented once:

* ``alternative`` is ``"two-sided"``, ``"greater"`` (first sample larger / mean above ``mu``)
  or ``"less"``.
* Too few observations to compute a test raise :class:`StatsInputError` (Welch, one-sample
  t and TOST need at least 2 values per sample, Mann-Whitney 1); a claim should check ``n``
  first (``decide(n=..., min_n=...)``) and report ``inconclusive``.
* Samples without spread (every value equal, e.g. deterministic runs) give a defined result:
  the t statistic is +-inf (or 0 when the means coincide) and the p-value is 0 or 1 as the
  observed difference dictates.
* :func:`bootstrap_ci` of a single value is ``(-inf, inf)``: one replicate says nothing about
  spread, so no decision can rest on the interval (JSON writes the bounds as null).
* Overlap nulls (hypergeometric, magnitude-stratified) live in :mod:`rlsparse_check.nulls`;
  the two hypergeometric tests are re-exported here.
* Multiple-comparison corrections: :func:`holm` (family-wise error; default everywhere) and
  :func:`benjamini_hochberg` (false discovery rate); a result records which one it used.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

from rlsparse_check.errors import StatsInputError
from rlsparse_check.nulls import hypergeometric_overlap_p, hypergeometric_sum_test

__all__ = [
    "TestResult",
    "ALTERNATIVES",
    "CORRECTIONS",
    "holm",
    "benjamini_hochberg",
    "adjust",
    "welch",
    "mann_whitney",
    "one_sample",
    "tost",
    "bootstrap_ci",
    "hypergeometric_overlap_p",
    "hypergeometric_sum_test",
]

ALTERNATIVES = ("two-sided", "greater", "less")
CORRECTIONS = ("holm", "bh", "none")


@dataclass(frozen=True)
class TestResult:
    """One test: ``effect`` is the estimated difference (or effect size, see each test),
    ``ci`` an interval for it (None where the test has none), ``n`` the total sample size."""

    __test__ = False  # not a pytest test class

    name: str
    statistic: float
    p_value: float
    effect: float
    ci: tuple[float, float] | None
    n: int
    alternative: str

    def significant(self, alpha: float = 0.05) -> bool:
        return self.p_value < alpha

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("statistic", "p_value", "effect"):
            data[key] = _json_float(data[key])
        if self.ci is not None:
            data["ci"] = [_json_float(v) for v in self.ci]
        return data


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _sample(x: object, what: str, min_n: int) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if arr.size < min_n:
        raise StatsInputError(f"{what}: needs at least {min_n} values, got {arr.size}: "
                              f"add replicates (seeds) or report the result as inconclusive")
    if not np.all(np.isfinite(arr)):
        raise StatsInputError(f"{what}: values must be finite (got NaN or inf): drop failed runs")
    return arr


def _alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise StatsInputError(f"alternative={alternative!r}: use one of {', '.join(ALTERNATIVES)}")
    return alternative


def _pvalues(p: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(p, dtype=np.float64).reshape(-1)
    if np.any(~np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        raise StatsInputError(f"p-values must lie in [0, 1], got {arr.tolist()}")
    return arr


def holm(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (controls the family-wise error rate), input order."""
    arr = _pvalues(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    adjusted = np.maximum.accumulate(np.minimum(1.0, (m - np.arange(m)) * arr[order]))
    out = np.empty(m)
    out[order] = adjusted
    return out


def benjamini_hochberg(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values (controls the false discovery rate)."""
    arr = _pvalues(p)
    m = arr.size
    order = np.argsort(arr, kind="stable")
    scaled = arr[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m)
    out[order] = adjusted
    return out


def adjust(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values by ``method``: ``"holm"``, ``"bh"`` (Benjamini-Hochberg) or ``"none"``."""
    if method == "holm":
        return holm(p)
    if method == "bh":
        return benjamini_hochberg(p)
    if method == "none":
        return _pvalues(p).copy()
    raise StatsInputError(f"correction {method!r}: use one of {', '.join(CORRECTIONS)}")


def _t_pvalue(t: float, df: float, alternative: str) -> float:
    if alternative == "greater":
        return float(sps.t.sf(t, df))
    if alternative == "less":
        return float(sps.t.cdf(t, df))
    return float(min(1.0, 2 * sps.t.sf(abs(t), df)))


def _t_test(name: str, diff: float, se: float, df: float, n: int, alternative: str,
            level: float = 0.95) -> TestResult:  # fmt: skip
    """A t test of ``diff`` with standard error ``se``; zero ``se`` handled as documented."""
    if se > 0:
        t = diff / se
        p = _t_pvalue(t, df, alternative)
        half = float(sps.t.ppf(0.5 + level / 2, df)) * se
        lo, hi = diff - half, diff + half
        if alternative == "greater":
            hi = math.inf
            lo = diff - float(sps.t.ppf(level, df)) * se
        elif alternative == "less":
            lo = -math.inf
            hi = diff + float(sps.t.ppf(level, df)) * se
        return TestResult(name, t, p, diff, (lo, hi), n, alternative)
    t = math.copysign(math.inf, diff) if diff != 0 else 0.0
    if diff == 0:
        p = 1.0
    elif alternative == "two-sided":
        p = 0.0
    else:
        p = 0.0 if (diff > 0) == (alternative == "greater") else 1.0
    return TestResult(name, t, p, diff, (diff, diff), n, alternative)


def _welch_df(va: float, vb: float, na: int, nb: int) -> float:
    """Welch-Satterthwaite degrees of freedom, from variance shares (no under/overflow)."""
    total = va + vb
    if total <= 0:
        return 1.0
    ra, rb = va / total, vb / total
    return 1.0 / (ra * ra / (na - 1) + rb * rb / (nb - 1))


def welch(a: object, b: object, alternative: str = "two-sided") -> TestResult:
    """Welch's two-sample t test (unequal variances). ``effect`` = mean(a) - mean(b), ``ci`` its
    95% interval (one-sided bound for one-sided alternatives)."""
    alternative = _alternative(alternative)
    x, y = _sample(a, "welch (first sample)", 2), _sample(b, "welch (second sample)", 2)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se, df = math.sqrt(va + vb), _welch_df(va, vb, x.size, y.size)
    return _t_test("welch", float(x.mean() - y.mean()), se, df, x.size + y.size, alternative)


def one_sample(x: object, mu: float = 0.0, alternative: str = "two-sided") -> TestResult:
    """One-sample t test of mean(x) against ``mu`` (paired data: pass the differences).
    ``effect`` = mean(x) - mu with its 95% interval."""
    alternative = _alternative(alternative)
    arr = _sample(x, "one_sample", 2)
    se = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return _t_test("one_sample_t", float(arr.mean() - mu), se, arr.size - 1, arr.size,
                   alternative)  # fmt: skip


def mann_whitney(a: object, b: object, alternative: str = "two-sided") -> TestResult:
    """Mann-Whitney U test (exact for small samples without ties, else normal with tie
    correction). ``effect`` = P(a > b) + P(a = b)/2 (0.5 = no shift); ``statistic`` = U of a."""
    alternative = _alternative(alternative)
    x, y = _sample(a, "mann_whitney (first)", 1), _sample(b, "mann_whitney (second)", 1)
    if np.ptp(np.concatenate([x, y])) == 0:  # every value equal: no evidence either way
        return TestResult("mann_whitney", x.size * y.size / 2, 1.0, 0.5, None,
                          x.size + y.size, alternative)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sps.mannwhitneyu(x, y, alternative=alternative, method="auto")
    u = float(res.statistic)
    return TestResult("mann_whitney", u, float(res.pvalue), u / (x.size * y.size), None,
                      x.size + y.size, alternative)  # fmt: skip


def tost(a: object, b: object | None = None, margin: float = 0.05, alpha: float = 0.05, *,
         mu: float = 0.0) -> TestResult:  # fmt: skip
    """Two one-sided tests for equivalence: is the difference within ``(-margin, +margin)``?

    Two-sample form (``b`` given): difference = mean(a) - mean(b), Welch standard error.
    One-sample form (``b=None``): difference = mean(a) - ``mu``; for paired data pass the
    per-pair differences as ``a``. ``p_value`` = max of the two one-sided p-values (equivalence
    is shown when it is below ``alpha``), ``ci`` = the ``1 - 2*alpha`` (90%) interval of the
    difference, which lies inside the margins exactly when ``p_value < alpha``.
    ``statistic`` is the t of the binding (larger-p) side; zero spread is handled as documented
    in the module docstring (p = 0 inside the margins, 1 outside).
    """
    if not (margin > 0 and math.isfinite(margin)):
        raise StatsInputError(f"tost: margin must be a positive number, got {margin!r}")
    if not 0 < alpha < 0.5:
        raise StatsInputError(f"tost: alpha must lie in (0, 0.5), got {alpha!r}")
    x = _sample(a, "tost (first sample)", 2)
    if b is None:
        diff = float(x.mean() - mu)
        se = float(x.std(ddof=1)) / math.sqrt(x.size)
        df, n = float(x.size - 1), x.size
    else:
        y = _sample(b, "tost (second sample)", 2)
        va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
        diff, se, n = float(x.mean() - y.mean()), math.sqrt(va + vb), x.size + y.size
        df = _welch_df(va, vb, x.size, y.size)
    if se == 0:
        p = 0.0 if abs(diff) < margin else 1.0
        t = math.inf if p == 0.0 else -math.inf
        return TestResult("tost", t, p, diff, (diff, diff), n, "equivalence")
    t_low, t_high = (diff + margin) / se, (diff - margin) / se
    p_low, p_high = float(sps.t.sf(t_low, df)), float(sps.t.cdf(t_high, df))
    t = t_low if p_low >= p_high else -t_high
    half = float(sps.t.ppf(1 - alpha, df)) * se
    return TestResult("tost", t, max(p_low, p_high), diff, (diff - half, diff + half), n,
                      "equivalence")  # fmt: skip


def _apply(stat: Callable, samples: np.ndarray) -> np.ndarray:
    """``stat`` over the rows of ``samples`` (vectorized when ``stat`` takes ``axis``)."""
    try:
        out = np.asarray(stat(samples, axis=-1), dtype=np.float64)
        if out.shape == samples.shape[:-1]:
            return out
    except TypeError:
        pass
    return np.array([stat(row) for row in samples], dtype=np.float64)


def bootstrap_ci(x: object, stat: Callable = np.mean, level: float = 0.95, n_boot: int = 9999,
                 seed: int = 0, *, method: str = "percentile") -> tuple[float, float]:  # fmt: skip
    """Bootstrap interval of ``stat(x)`` by resampling ``x`` with replacement, seeded.

    ``method``: ``"percentile"`` (default) or ``"bca"`` (bias-corrected and accelerated;
    falls back to percentile when the jackknife has no spread). Defined small cases: one value
    gives ``(-inf, inf)`` (no information about spread); values that are all equal give the
    zero-width interval at that value; two values give an interval within their range.
    """
    arr = _sample(x, "bootstrap_ci", 1)
    if not 0 < level < 1:
        raise StatsInputError(f"bootstrap_ci: level must lie in (0, 1), got {level!r}")
    if method not in ("percentile", "bca"):
        raise StatsInputError(f"bootstrap_ci: method {method!r}: use 'percentile' or 'bca'")
    if n_boot < 100:
        raise StatsInputError(f"bootstrap_ci: n_boot={n_boot} is too few; use at least 1000")
    if arr.size == 1:
        return (-math.inf, math.inf)
    theta = float(_apply(stat, arr[None, :])[0])
    if np.ptp(arr) == 0:
        return (theta, theta)
    rng = np.random.default_rng(seed)
    boots = _apply(stat, arr[rng.integers(0, arr.size, size=(n_boot, arr.size))])
    tail = (1 - level) / 2
    quantiles = np.array([tail, 1 - tail])
    if method == "bca":
        jack = _apply(stat, np.array([np.delete(arr, i) for i in range(arr.size)]))
        d = jack.mean() - jack
        denom = 6.0 * float(np.sum(d**2)) ** 1.5
        share = (np.sum(boots < theta) + 0.5 * np.sum(boots == theta)) / boots.size
        if denom > 0 and 0 < share < 1:
            accel = float(np.sum(d**3)) / denom
            z0 = float(sps.norm.ppf(share))
            z = sps.norm.ppf(quantiles)
            quantiles = sps.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
    lo, hi = np.quantile(boots, quantiles)
    return (float(lo), float(hi))
