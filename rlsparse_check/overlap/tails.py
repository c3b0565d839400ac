"""Upper tail ``P(S >= s)`` of a sum of independent hypergeometric counts, chosen by cost.

``S = sum_k X_k`` with ``X_k ~ Hypergeom(n_k entries, a_k in A, b_k drawn as B)`` independent (one
term per stratum that can vary). Every method is symmetric in ``a`` and ``b`` (they are sorted
first), so swapping the two masks gives the same p-value to the last bit.

In order of preference:

* ``"exact"``, one stratum: ``scipy.stats.hypergeom.sf``; small total support (at most
  :data:`DIRECT_MAX_SUPPORT` points): the per-stratum distributions convolved one by one (tails
  keep their relative precision).
* ``"bound"``: where Bernstein's inequality already puts the tail below :data:`WINDOW_MASS`, that
  bound is reported (a conservative p-value, far below any threshold). The inequality holds
  because a hypergeometric count is dominated in convex order by the binomial with the same
  mean (Hoeffding 1963, Thm 4): ``P(S - mean >= u) <= exp(-u^2 / (2 (V + u/3)))``, ``V`` the sum
  of the smallest dominating binomial variances.
* ``"edgeworth"``: when the exact path below would cost more than :data:`FFT_MAX_COST` (groups x
  circle length) or :data:`WINDOW_MAX_POINTS` (pmf evaluations), the sum's variance is at least
  :data:`EDGEWORTH_MIN_VARIANCE` and the expansion's own error estimate (its second-order terms
  relative to the tail) is at most :data:`EDGEWORTH_TOLERANCE`: the continuity-corrected
  second-order Edgeworth expansion with the exact third and fourth cumulants of every stratum.
  This is the model-scale path (millions of strata); tests/test_overlap_tails.py checks it
  against the exact tail wherever the rule accepts it (its error is well inside the tolerance).
* ``"exact"``, FFT: identical strata are grouped (one transform raised to the group's
  multiplicity), each stratum is truncated to its Bernstein window (outside it, less than
  :data:`WINDOW_MASS` probability), and the groups are multiplied in the frequency domain on a
  circle that holds the sum's own window. The error of the tail (truncation plus wrap-around) is
  at most ``2 WINDOW_MASS (1 + strata)`` plus floating-point rounding, about 1e-13. A costly sum
  that the Edgeworth rule declines (small variance, or a far tail) still takes this path, at its
  cost.
* ``"saddlepoint"``: where the FFT tail falls below :data:`FFT_RESOLUTION` (rounding would
  dominate it), the Lugannani-Rice formula with Daniels' second continuity correction for
  lattice sums (Daniels 1987, Int. Stat. Rev. 55) on the exact cumulant generating function of
  the same windows: relative error about 1e-4 or less in the tests, no underflow noise.

The normal approximation is never used: with many strata and small expected counts the sum is
right-skewed and its normal tail is anti-conservative.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import fft as spfft
from scipy import stats as sps

from rlsparse_check.overlap.edgeworth import edgeworth as _edgeworth
from rlsparse_check.overlap.edgeworth import mills as _mills

__all__ = [
    "upper_tail",
    "hypergeometric_cumulants",
    "DIRECT_MAX_SUPPORT",
    "FFT_MAX_COST",
    "WINDOW_MAX_POINTS",
    "FFT_RESOLUTION",
    "EDGEWORTH_MIN_VARIANCE",
    "EDGEWORTH_TOLERANCE",
    "WINDOW_MASS",
]

#: Largest total support for the direct (sequential) convolution.
DIRECT_MAX_SUPPORT = 4000
#: Largest ``groups x circle length`` for the FFT convolution when the Edgeworth expansion is an
#: alternative (a few tens of milliseconds of numpy work).
FFT_MAX_COST = 1 << 18
#: Largest number of window points (pmf evaluations) for the exact path when the Edgeworth
#: expansion is an alternative.
WINDOW_MAX_POINTS = 1 << 18
#: FFT tails below this are recomputed by the saddlepoint (rounding noise of the FFT ~1e-14).
FFT_RESOLUTION = 1e-9
#: Smallest variance of the sum at which the Edgeworth expansion may replace a costly exact path.
EDGEWORTH_MIN_VARIANCE = 1000.0
#: Largest estimated relative error (the size of its second-order terms) of an Edgeworth tail.
EDGEWORTH_TOLERANCE = 0.01
#: Probability mass left outside each stratum's window (and the sum's circle) in the FFT path.
WINDOW_MASS = 1e-25
_LOG_MASS = math.log(2 / WINDOW_MASS)


def _bernstein_halfwidth(binomial_variance: np.ndarray | float) -> np.ndarray:
    """Half-width ``u`` with ``2 exp(-u^2 / (2 (V + u/3))) = WINDOW_MASS``."""
    v = np.asarray(binomial_variance, dtype=np.float64)
    return _LOG_MASS / 3 + np.sqrt(_LOG_MASS**2 / 9 + 2 * v * _LOG_MASS)


def hypergeometric_cumulants(n: object, a: object, b: object) -> np.ndarray:
    """Cumulants ``kappa_1..kappa_4`` of ``Hypergeom(n, a, b)`` elementwise, shape ``(4, k)``.

    Closed forms for ``n >= 4`` (from the mean, variance, skewness and excess kurtosis of the
    hypergeometric law, with ``A = a (n - a)``, ``B = b (n - b)``):
    ``kappa_2 = A B / (n^2 (n - 1))``, ``kappa_3 = kappa_2 (n - 2a)(n - 2b) / (n (n - 2))``,
    ``kappa_4 = kappa_2 (n (n + 1) - 6 A - 6 B + 6 kappa_2 (5n - 6)) / ((n - 2)(n - 3))``;
    smaller strata have at most two support points, ``lo + Bernoulli(q)``.
    """
    n, a, b = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (n, a, b))
    out = np.empty((4, n.size))
    span_a, span_b = a * (n - a), b * (n - b)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(a * b, np.where(n > 0, n, 1.0), out=out[0])
        np.divide(span_a * span_b, n * n * (n - 1), out=out[1])
        np.multiply(out[1], (n - 2 * a) * (n - 2 * b) / (n * (n - 2)), out=out[2])
        bracket = n * (n + 1) - 6 * (span_a + span_b) + 6 * out[1] * (5 * n - 6)
        np.multiply(out[1], bracket / ((n - 2) * (n - 3)), out=out[3])
    small = n < 4  # at most two support points: lo + Bernoulli(q)
    if small.any():
        lo = np.maximum(0.0, a[small] + b[small] - n[small])
        q = out[0, small] - lo
        v = q * (1 - q)
        out[:, small] = np.stack([out[0, small], v, v * (1 - 2 * q), v * (1 - 6 * v)])
    return out


def _cumulant_sums(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The four cumulants of the sum, in cache-sized chunks."""
    step = 1 << 16
    parts = [
        hypergeometric_cumulants(n[i : i + step], a[i : i + step], b[i : i + step])
        for i in range(0, n.size, step)
    ]
    return np.sum([p.sum(axis=1) for p in parts], axis=0)


def _binomial_variance(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest variance of a binomial that dominates ``Hypergeom(n, a, b)`` among its four
    symmetric forms (``a``/``b`` swapped, complements): Bernstein's variance term."""
    n, a, b = (np.asarray(v, dtype=np.float64) for v in (n, a, b))
    pa, pb = a / n, b / n
    return np.minimum(np.minimum(a, n - a) * pb * (1 - pb), np.minimum(b, n - b) * pa * (1 - pa))


def _window_points(binomial: np.ndarray, span: np.ndarray) -> float:
    """Points of every stratum's window (before identical strata are grouped)."""
    return float(np.minimum(2 * _bernstein_halfwidth(binomial) + 1, span + 1).sum())


def _direct(s: int, n: np.ndarray, a: np.ndarray, b: np.ndarray, lo: np.ndarray) -> float:
    """Sequential convolution of the full per-stratum distributions (small total support)."""
    sizes = a - lo + 1
    which = np.repeat(np.arange(n.size), sizes)  # one scipy call for every stratum
    support = lo[which] + np.arange(which.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    pmf = sps.hypergeom.pmf(support, n[which], a[which], b[which])
    dist = np.ones(1)
    for piece in np.split(pmf, np.cumsum(sizes)[:-1]):
        dist = np.convolve(dist, piece)
    return float(min(1.0, max(0.0, dist[max(s - int(lo.sum()), 0) :].sum())))


class _Windows:
    """Distinct strata (with multiplicities) and each one's pmf on its Bernstein window."""

    def __init__(self, n: np.ndarray, a: np.ndarray, b: np.ndarray, lo: np.ndarray) -> None:
        order = np.lexsort((b, a, n))
        key = np.stack([n[order], a[order], b[order]], 1)
        first = np.r_[True, np.any(key[1:] != key[:-1], axis=1)]
        starts = np.flatnonzero(first)
        self.count = np.diff(np.r_[starts, key.shape[0]])
        gn, ga, gb = key[starts].T
        glo = lo[order][starts]
        mean = ga * gb / gn
        half = _bernstein_halfwidth(_binomial_variance(gn, ga, gb))
        self.lo = np.maximum(glo, np.floor(mean - half).astype(np.int64))
        self.hi = np.minimum(ga, np.ceil(mean + half).astype(np.int64))
        sizes = self.hi - self.lo + 1
        self.seg = np.r_[0, np.cumsum(sizes)[:-1]]
        which = np.repeat(np.arange(starts.size), sizes)
        self.which = which
        self.x = (self.lo[which] + np.arange(which.size) - self.seg[which]).astype(np.float64)
        self.pmf = sps.hypergeom.pmf(self.x, gn[which], ga[which], gb[which])
        with np.errstate(divide="ignore"):
            self.logp = np.log(self.pmf)

    def _rows(self, groups: np.ndarray, width: int) -> np.ndarray:
        """The pmfs of ``groups``, one zero-padded row of ``width`` each."""
        sizes = (self.hi - self.lo + 1)[groups]
        block = np.zeros((groups.size, width))
        row = np.repeat(np.arange(groups.size), sizes)
        col = np.arange(row.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        block[row, col] = self.pmf[self.seg[groups][row] + col]
        return block

    def tail_fft(self, s: int, center: float, half: float, floor: int, top: int) -> float:
        """P(S >= s) by FFT convolution on a circle holding ``center +- half``.

        Groups seen once are first multiplied pairwise, all pairs at a time, until a row holds
        a sixteenth of the circle (cheaper than one circle-length FFT each); then every row is
        transformed on the circle, raised to its group's multiplicity and multiplied."""
        start = max(floor, math.floor(center - half))
        stop = min(top, math.ceil(center + half))
        sizes = self.hi - self.lo + 1
        length = spfft.next_fast_len(int(max(stop - start + 1, sizes.max())), real=True)
        once = np.flatnonzero(self.count == 1)
        merged = self._rows(once, int(sizes[once].max()) if once.size else 1)
        while merged.shape[0] > 1 and 2 * merged.shape[1] <= max(length // 16, 2):
            if merged.shape[0] % 2:
                merged = np.vstack([merged, np.eye(1, merged.shape[1])])
            n_fft = spfft.next_fast_len(2 * merged.shape[1], real=True)
            product = spfft.rfft(merged[0::2], n_fft, axis=1) * spfft.rfft(
                merged[1::2], n_fft, axis=1
            )
            merged = spfft.irfft(product, n_fft, axis=1)[:, : 2 * merged.shape[1] - 1]
        repeated = np.flatnonzero(self.count > 1)
        total = np.prod(spfft.rfft(merged, length, axis=1), axis=0)
        rows = max(1, (1 << 22) // length)
        for first in range(0, repeated.size, rows):
            groups = repeated[first : first + rows]
            spectra = spfft.rfft(self._rows(groups, int(sizes[groups].max())), length, axis=1)
            total *= np.prod(spectra ** self.count[groups, None], axis=0)
        circle = spfft.irfft(total, length)
        offset = int(np.dot(self.count, self.lo))
        values = start + np.mod(offset + np.arange(length) - start, length)
        return float(min(1.0, max(0.0, circle[values >= s].sum())))

    def _cgf(self, theta: float) -> tuple[float, float, float]:
        """K(theta), K'(theta), K''(theta) of the sum (exact on the windows)."""
        t = self.logp + theta * self.x
        top = np.maximum.reduceat(t, self.seg)
        e = np.exp(t - top[self.which])
        z = np.add.reduceat(e, self.seg)
        mean = np.add.reduceat(e * self.x, self.seg) / z
        dev = self.x - mean[self.which]
        var = np.add.reduceat(e * dev * dev, self.seg) / z
        k = float(np.dot(self.count, top + np.log(z)))
        return k, float(np.dot(self.count, mean)), float(np.dot(self.count, var))

    def tail_saddlepoint(self, s: int) -> tuple[float, float]:
        """Lugannani-Rice with Daniels' second continuity correction: (p, log10 p)."""
        target = s - 0.5
        if target >= float(np.dot(self.count, self.hi)):
            return 0.0, -math.inf
        lo_t, hi_t, theta = 0.0, 1.0, 0.0
        while self._cgf(hi_t)[1] < target:
            lo_t, hi_t = hi_t, 2 * hi_t
        for _ in range(200):
            k, k1, k2 = self._cgf(theta)
            if abs(k1 - target) < 1e-9 * (1 + abs(target)):
                break
            lo_t, hi_t = (theta, hi_t) if k1 < target else (lo_t, theta)
            step = theta - (k1 - target) / k2 if k2 > 0 else math.nan
            theta = step if lo_t < step < hi_t else (lo_t + hi_t) / 2
        k, _, k2 = self._cgf(theta)
        w = math.sqrt(max(2 * (theta * target - k), 0.0))
        u = 2 * math.sinh(theta / 2) * math.sqrt(k2)
        if w < 1e-6 or u <= 0:  # at the mean: the formula's limit is one half
            return 0.5, math.log10(0.5)
        mills = float(sps.norm.sf(w) / sps.norm.pdf(w)) if w < 30 else _mills(w)
        log_p = float(sps.norm.logpdf(w)) + math.log(max(mills + 1 / u - 1 / w, 1e-300))
        return math.exp(log_p), log_p / math.log(10)


def upper_tail(s: int, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, str]:
    """``(p, log10 p, method)`` for ``P(sum X_k >= s)`` over strata that can vary (see module).

    ``n``, ``a``, ``b``: int64 arrays of equal length, every stratum with
    ``max(0, a+b-n) < min(a, b)``; ``s`` the observed sum over these strata.
    """
    a, b = np.minimum(a, b), np.maximum(a, b)  # symmetric in the two masks
    lo = np.maximum(0, a + b - n)
    floor, top = int(lo.sum()), int(a.sum())
    if s <= floor:
        return 1.0, 0.0, "exact"
    if s > top:
        return 0.0, -math.inf, "exact"
    if n.size == 1:
        p = float(min(1.0, max(0.0, sps.hypergeom.sf(s - 1, n[0], a[0], b[0]))))
        return p, _log10(p), "exact"
    if top - floor + n.size <= DIRECT_MAX_SUPPORT:
        p = _direct(s, n, a, b, lo)
        return p, _log10(p), "exact"
    binomial = _binomial_variance(n, a, b)
    cumulants = _cumulant_sums(n, a, b)
    excess = s - float(cumulants[0])
    log_bound = -(excess**2) / (2 * (float(binomial.sum()) + excess / 3)) if excess > 0 else 0.0
    if log_bound < math.log(WINDOW_MASS):
        return math.exp(log_bound), log_bound / math.log(10), "bound"
    half = float(_bernstein_halfwidth(binomial.sum()))
    length = min(top - floor, 2 * half) + 1
    costly = n.size * length > FFT_MAX_COST or _window_points(binomial, a - lo) > WINDOW_MAX_POINTS
    if cumulants[1] >= EDGEWORTH_MIN_VARIANCE and costly:
        p, log10_p, error = _edgeworth(s, cumulants)
        if error <= EDGEWORTH_TOLERANCE:
            return p, log10_p, "edgeworth"
    windows = _Windows(n, a, b, lo)
    p = windows.tail_fft(s, float(cumulants[0]), half, floor, top)
    if p >= FFT_RESOLUTION:
        return p, _log10(p), "exact"
    p, log10_p = windows.tail_saddlepoint(s)
    return p, log10_p, "saddlepoint"


def _log10(p: float) -> float:
    return math.log10(p) if p > 0 else -math.inf
