"""t-based comparisons over replicates: Welch, one-sample, TOST, the margin test, mean intervals.

Samples without spread (every value equal, e.g. deterministic runs) give a defined result: the
standard error is 0, the t statistic +-inf (or 0 when the difference is exactly at the null
value), the p-value 0 or 1 as the observed difference dictates, and intervals have zero width at
the estimate. A decision that rests on such a result rests on the point estimate alone.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats.result import (
    TestResult,
    check_alternative,
    check_level,
    json_float,
    sample,
)

__all__ = ["welch", "one_sample", "tost", "mean_ci", "margin_test", "MarginTest"]


def _t_sf(t: float, df: float) -> float:
    """Student t upper tail (scipy.special.stdtr: what scipy.stats.t uses, without its
    per-call overhead)."""
    return float(special.stdtr(df, -t))


def _t_cdf(t: float, df: float) -> float:
    return float(special.stdtr(df, t))


def _t_ppf(q: float, df: float) -> float:
    return float(special.stdtrit(df, q))


def _t_pvalue(t: float, df: float, alternative: str) -> float:
    if alternative == "greater":
        return _t_sf(t, df)
    if alternative == "less":
        return _t_cdf(t, df)
    return float(min(1.0, 2 * _t_sf(abs(t), df)))


def _t_test(
    name: str, diff: float, se: float, df: float, n: int, alternative: str, level: float = 0.95
) -> TestResult:
    """A t test of ``diff`` with standard error ``se``; zero ``se`` handled as documented."""
    if se > 0:
        t = diff / se
        p = _t_pvalue(t, df, alternative)
        half = _t_ppf(0.5 + level / 2, df) * se
        lo, hi = diff - half, diff + half
        if alternative == "greater":
            hi = math.inf
            lo = diff - _t_ppf(level, df) * se
        elif alternative == "less":
            lo = -math.inf
            hi = diff + _t_ppf(level, df) * se
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


def _welch_parts(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(difference of means, standard error, Welch df)."""
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    return float(x.mean() - y.mean()), math.sqrt(va + vb), _welch_df(va, vb, x.size, y.size)


def welch(a: object, b: object, alternative: str = "two-sided") -> TestResult:
    """Welch's two-sample t test (unequal variances). ``effect`` = mean(a) - mean(b), ``ci`` its
    95% interval (one-sided bound for one-sided alternatives)."""
    alternative = check_alternative(alternative)
    x, y = sample(a, "welch (first sample)", 2), sample(b, "welch (second sample)", 2)
    diff, se, df = _welch_parts(x, y)
    return _t_test("welch", diff, se, df, x.size + y.size, alternative)


def one_sample(x: object, mu: float = 0.0, alternative: str = "two-sided") -> TestResult:
    """One-sample t test of mean(x) against ``mu`` (paired data: pass the differences).
    ``effect`` = mean(x) - mu with its 95% interval."""
    alternative = check_alternative(alternative)
    arr = sample(x, "one_sample", 2)
    se = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    return _t_test("one_sample_t", float(arr.mean() - mu), se, arr.size - 1, arr.size, alternative)


def tost(
    a: object,
    b: object | None = None,
    margin: float = 0.05,
    alpha: float = 0.05,
    *,
    mu: float = 0.0,
) -> TestResult:
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
    x = sample(a, "tost (first sample)", 2)
    if b is None:
        diff = float(x.mean() - mu)
        se = float(x.std(ddof=1)) / math.sqrt(x.size)
        df, n = float(x.size - 1), x.size
    else:
        y = sample(b, "tost (second sample)", 2)
        diff, se, df = _welch_parts(x, y)
        n = x.size + y.size
    if se == 0:
        p = 0.0 if abs(diff) < margin else 1.0
        t = math.inf if p == 0.0 else -math.inf
        return TestResult("tost", t, p, diff, (diff, diff), n, "equivalence")
    t_low, t_high = (diff + margin) / se, (diff - margin) / se
    p_low, p_high = _t_sf(t_low, df), _t_cdf(t_high, df)
    t = t_low if p_low >= p_high else -t_high
    half = _t_ppf(1 - alpha, df) * se
    return TestResult(
        "tost", t, max(p_low, p_high), diff, (diff - half, diff + half), n, "equivalence"
    )


def mean_ci(x: object, level: float = 0.95) -> tuple[float, float]:
    """Two-sided Student t interval of the mean of ``x`` (exact coverage for normal data at any
    ``n``). One value gives ``(-inf, inf)`` (one replicate says nothing about spread); values
    without spread give the zero-width interval at the mean."""
    level = check_level(level, "mean_ci")
    arr = sample(x, "mean_ci", 1)
    m = float(arr.mean())
    if arr.size == 1:
        return (-math.inf, math.inf)
    se = float(arr.std(ddof=1)) / math.sqrt(arr.size)
    if se == 0:
        return (m, m)
    half = _t_ppf(0.5 + level / 2, arr.size - 1) * se
    return (m - half, m + half)


@dataclass(frozen=True)
class MarginTest:
    """Is a difference above (or below) a margin? One-sided bounds and p-values of ``diff``.

    ``lower`` and ``upper`` are the one-sided ``level`` confidence bounds of ``diff``;
    ``p_above`` tests H0 diff <= margin (small: diff > margin), ``p_below`` tests H0
    diff >= margin (small: diff < margin). :attr:`above` (lower >= margin, i.e.
    ``p_above <= 1 - level``) supports "larger by at least the margin"; :attr:`below`
    (upper < margin) refutes it. ``statistic`` = (diff - margin) / standard error.
    """

    test: str
    diff: float
    margin: float
    level: float
    lower: float
    upper: float
    p_above: float
    p_below: float
    statistic: float
    n: int
    df: float

    @property
    def above(self) -> bool:
        return self.lower >= self.margin

    @property
    def below(self) -> bool:
        return self.upper < self.margin

    def to_json(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = json_float(value)
        return data


def margin_test(
    a: object,
    b: object | None = None,
    margin: float = 0.0,
    *,
    paired: bool = False,
    level: float = 0.95,
) -> MarginTest:
    """Compare a difference with ``margin`` by one-sided t bounds (see :class:`MarginTest`).

    ``diff`` = mean(a) - mean(b) with Welch's standard error and df (``b`` given); with
    ``paired=True`` the mean of the per-pair differences, t on the differences; with ``b=None``
    mean(a), one-sample t. At least 2 values per side. Without spread (standard error 0) the
    bounds equal ``diff`` and each p-value is 0 or 1 as ``diff`` lies strictly beyond the margin
    or not (at the margin both are 1), as in the module docstring.
    """
    level = check_level(level, "margin_test")
    if not math.isfinite(margin):
        raise StatsInputError(f"margin_test: margin must be a finite number, got {margin!r}")
    x = sample(a, "margin_test (first sample)", 2)
    if b is None:
        if paired:
            raise StatsInputError("margin_test: paired=True needs the second sample b")
        diffs, name = x, "one_sample_t"
    elif paired:
        y = sample(b, "margin_test (second sample)", 2)
        if x.size != y.size:
            raise StatsInputError(
                f"margin_test: paired samples differ in length ({x.size} vs {y.size}): pair "
                f"each seed's two runs"
            )
        diffs, name = x - y, "paired_t"
    else:
        y = sample(b, "margin_test (second sample)", 2)
        diff, se, df = _welch_parts(x, y)
        return _margin("welch", diff, se, df, x.size + y.size, margin, level)
    se = float(diffs.std(ddof=1)) / math.sqrt(diffs.size)
    return _margin(name, float(diffs.mean()), se, float(diffs.size - 1), diffs.size, margin, level)


def _margin(
    name: str, diff: float, se: float, df: float, n: int, margin: float, level: float
) -> MarginTest:
    if se > 0:
        t = (diff - margin) / se
        half = _t_ppf(level, df) * se
        bounds, p_above, p_below = (diff - half, diff + half), _t_sf(t, df), _t_cdf(t, df)
    else:  # no spread: the point estimate decides (strictly beyond the margin or not)
        gap = diff - margin
        t = math.copysign(math.inf, gap) if gap != 0 else 0.0
        bounds, p_above, p_below = (diff, diff), float(gap <= 0), float(gap >= 0)
    return MarginTest(name, diff, margin, level, *bounds, p_above, p_below, t, n, df)
