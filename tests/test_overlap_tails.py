"""Tests of rlsparse_check.overlap.tails: the p-value of a sum of hypergeometric counts against
brute force (sequential convolution of the full distributions), in the regime where a normal
tail is anti-conservative (many strata, small expected counts), in the far tail, and at the
variance where the Edgeworth expansion takes over."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from rlsparse_check.overlap import hypergeometric_sum_test, tails


def strata(kind: str, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``k`` random strata (only those that can vary): ``skewed`` (small a/n and b/n: the sum
    is Poisson-like; ``skewed-equal-sizes`` the same with n = 300), ``balanced`` (about half of
    each stratum in each mask) or ``single`` (one A entry per stratum, rare B)."""
    rng = np.random.default_rng(seed)
    if kind == "skewed":
        n = rng.integers(200, 400, k)
        a, b = rng.binomial(n, 0.02), rng.binomial(n, 0.05)
    elif kind == "skewed-equal-sizes":  # few distinct strata: a cheap exact reference
        n = np.full(k, 300)
        a, b = rng.binomial(n, 0.02), rng.binomial(n, 0.05)
    elif kind == "balanced":
        n = rng.integers(40, 80, k)
        a, b = rng.binomial(n, 0.5), rng.binomial(n, 0.5)
    else:
        n = rng.integers(20, 200, k)
        a, b = np.ones(k, np.int64), rng.binomial(n, 0.001 * rng.integers(1, 10, k))
    live = np.minimum(a, b) > np.maximum(0, a + b - n)
    return n[live].astype(np.int64), a[live].astype(np.int64), b[live].astype(np.int64)


def brute_force(s: int, n, a, b) -> float:
    """P(sum >= s) by sequential convolution of each stratum's full pmf (relative precision)."""
    dist, lo_total = np.ones(1), 0
    for nk, ak, bk in zip(n, a, b, strict=True):
        lo, hi = max(0, ak + bk - nk), min(ak, bk)
        dist = np.convolve(dist, sps.hypergeom.pmf(np.arange(lo, hi + 1), nk, ak, bk))
        lo_total += lo
    return float(dist[max(s - lo_total, 0) :].sum())


def moments(n, a, b) -> tuple[float, float]:
    c = tails.hypergeometric_cumulants(n, a, b).sum(axis=1)
    return float(c[0]), math.sqrt(c[1])


# --- the regime of many strata with small expected counts ----------------------------------------


def test_four_thousand_strata_of_one_rare_entry_get_the_exact_binomial_tail():
    """Each stratum: 1000 entries, one in A, one in B: x_k ~ Bernoulli(0.001), the sum is
    Binomial(4001, 0.001) with mean 4.0; observed 8."""
    k = 4001
    x = np.zeros(k, np.int64)
    x[:8] = 1
    result = hypergeometric_sum_test(x, np.full(k, 1000), np.ones(k), np.ones(k))
    exact = sps.binom.sf(7, k, 0.001)
    assert result.p_value == pytest.approx(exact, rel=1e-9) and result.method == "exact"
    assert result.p_value == pytest.approx(0.051, abs=5e-4)
    normal = sps.norm.sf((8 - 0.5 - result.expected) / math.sqrt(result.variance))
    assert normal == pytest.approx(0.040, abs=5e-4)  # what the normal tail would have said


def test_the_exact_tail_keeps_the_size_at_most_alpha_where_the_normal_tail_exceeds_it():
    """The size of 'reject when p < 0.05' under Binomial(4001, 0.001), summed over outcomes."""
    k, support = 4001, np.arange(0, 30)
    pmf = sps.binom.pmf(support, k, 0.001)
    ones = np.ones(k, np.int64)
    p_exact = [tails.upper_tail(int(s), np.full(k, 1000), ones, ones)[0] for s in support]
    p_normal = sps.norm.sf((support - 0.5 - 4.001) / math.sqrt(k * 0.001 * 0.999))
    assert pmf[np.array(p_exact) < 0.05].sum() <= 0.05
    assert pmf[p_normal < 0.05].sum() > 0.05


@pytest.mark.parametrize(("kind", "k"), [("skewed", 300), ("balanced", 120), ("single", 3000)])
def test_fft_path_equals_brute_force(kind, k, monkeypatch):
    n, a, b = strata(kind, k)
    monkeypatch.setattr(tails, "DIRECT_MAX_SUPPORT", 0)  # force the FFT convolution
    mean, sd = moments(n, a, b)
    for z in (-1.0, 0.0, 1.0, 2.0, 3.0, 4.0):
        s = math.ceil(mean + z * sd)
        p, log10_p, method = tails.upper_tail(s, n, a, b)
        assert method == "exact"
        assert p == pytest.approx(brute_force(s, n, a, b), rel=1e-8, abs=1e-13), (kind, z)
        assert log10_p == pytest.approx(math.log10(p))


@pytest.mark.parametrize(("kind", "k"), [("skewed", 300), ("single", 3000)])
def test_far_tails_below_the_fft_resolution_come_from_the_saddlepoint(kind, k, monkeypatch):
    n, a, b = strata(kind, k)
    monkeypatch.setattr(tails, "DIRECT_MAX_SUPPORT", 0)
    mean, sd = moments(n, a, b)
    for z in (9.0, 12.0):
        s = math.ceil(mean + z * sd)
        p, log10_p, method = tails.upper_tail(s, n, a, b)
        truth = brute_force(s, n, a, b)
        assert method == "saddlepoint" and truth < tails.FFT_RESOLUTION
        assert p == pytest.approx(truth, rel=0.01), (kind, z)
        assert log10_p == pytest.approx(math.log10(truth), abs=0.01)


@pytest.mark.parametrize(("kind", "k"), [("skewed", 300), ("single", 3000)])
def test_beyond_the_windows_the_bernstein_bound_is_reported_and_is_conservative(
    kind, k, monkeypatch
):
    n, a, b = strata(kind, k)
    monkeypatch.setattr(tails, "DIRECT_MAX_SUPPORT", 0)
    mean, sd = moments(n, a, b)
    s = math.ceil(mean + 30 * sd)
    p, log10_p, method = tails.upper_tail(s, n, a, b)
    assert method == "bound" and p < tails.WINDOW_MASS and log10_p == pytest.approx(math.log10(p))
    assert p >= brute_force(s, n, a, b)


def test_the_p_value_is_identical_with_the_two_masks_swapped(monkeypatch):
    n, a, b = strata("skewed", 300, seed=3)
    mean, sd = moments(n, a, b)
    s = math.ceil(mean + 2 * sd)
    assert tails.upper_tail(s, n, a, b) == tails.upper_tail(s, n, b, a)
    monkeypatch.setattr(tails, "DIRECT_MAX_SUPPORT", 0)
    assert tails.upper_tail(s, n, a, b) == tails.upper_tail(s, n, b, a)


# --- model scale: the Edgeworth expansion -------------------------------------------------------


EDGEWORTH_CASES = [
    ("skewed", 6000),
    ("skewed-equal-sizes", 4000),
    ("skewed-equal-sizes", 60000),
    ("balanced", 400),
    ("balanced", 1500),
]


def test_edgeworth_is_within_its_tolerance_wherever_the_rule_accepts_it(
    monkeypatch, record_property
):
    """Over skewed and balanced sums with variances from 1,000 to 20,000 and z from -3 to 9:
    wherever the expansion's error estimate accepts it, it is compared with the exact tail."""
    monkeypatch.setattr(tails, "FFT_MAX_COST", 1 << 40)  # the exact path as the reference
    monkeypatch.setattr(tails, "WINDOW_MAX_POINTS", 1 << 40)
    worst, accepted = 0.0, 0
    for kind, k in EDGEWORTH_CASES:
        n, a, b = strata(kind, k)
        cumulants = tails.hypergeometric_cumulants(n, a, b).sum(axis=1)
        mean, sd = float(cumulants[0]), math.sqrt(cumulants[1])
        assert cumulants[1] >= tails.EDGEWORTH_MIN_VARIANCE
        for z in np.arange(-3.0, 9.0, 0.5):
            s = math.ceil(mean + z * sd)
            approx, _, error = tails._edgeworth(s, cumulants)
            if error > tails.EDGEWORTH_TOLERANCE:
                continue
            exact, _, method = tails.upper_tail(s, n, a, b)
            assert method in ("exact", "saddlepoint")
            worst, accepted = max(worst, abs(approx / exact - 1)), accepted + 1
    record_property("edgeworth_accepted_points", accepted)
    record_property("edgeworth_worst_relative_error", float(worst))
    assert accepted > 60 and worst < tails.EDGEWORTH_TOLERANCE


def test_model_scale_sums_take_the_edgeworth_path():
    k = 200_000
    rng = np.random.default_rng(2)
    n = rng.integers(200, 300, k)
    a, b = rng.binomial(n, 0.2), rng.binomial(n, 0.2)
    x = np.clip(np.round(a * b / n), np.maximum(0, a + b - n), np.minimum(a, b))
    result = hypergeometric_sum_test(x, n, a, b)
    assert result.method == "edgeworth" and not result.exact
    # the exact tail of this sum (the FFT path with its cost limits lifted: 32 s on one core)
    assert result.p_value == pytest.approx(0.5529597756896274, rel=1e-6)


def test_cumulants_match_scipy_including_tiny_strata():
    rng = np.random.default_rng(4)
    n = np.r_[rng.integers(1, 4, 20), rng.integers(4, 500, 200)]
    a, b = rng.integers(0, n + 1), rng.integers(0, n + 1)
    c = tails.hypergeometric_cumulants(n, a, b)
    for i in range(n.size):
        x = np.arange(0, min(a[i], b[i]) + 1)
        p = sps.hypergeom.pmf(x, n[i], a[i], b[i])
        m = p @ x
        central = [p @ (x - m) ** r for r in (2, 3, 4)]
        expected = (m, central[0], central[1], central[2] - 3 * central[0] ** 2)
        assert c[:, i] == pytest.approx(expected, rel=1e-7, abs=1e-9), (n[i], a[i], b[i])
