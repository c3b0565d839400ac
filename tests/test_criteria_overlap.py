"""C3 and C5's overlap rule (criteria/overlap.py): a single pair by its entry-level bound, two or
more pairs with pairs of runs as the replicates.

Calibration: pair excesses simulated as run effects plus pair noise, ``mu + u_a + u_b + e_ab``
(seeds disagree: u has a spread), at the threshold (the null) and well above it, for all pairs
of k runs (dependent pairs: jackknife over runs) and for disjoint pairs (t over pairs), k = 3
included. The broken variant treats the ~5e5 entries of a pair as the replicates (the
entry-level bound on the mean): under the null it reproduces about half the time.

The single-pair bound at its 95% level: 4,000 pairs drawn at the threshold in closed form (the
counts a mask pair would give, checked against :func:`overlap_arrays`), B taking entries in
pairs so that the pair's noise is the two-sided binomial view the bound assumes: the false
"reproduced" rate sits in a band of three standard errors around alpha, and the same rule at
the 90% level falls outside it.

C3's two-null rule (:func:`overlap_rule`): each null at its own threshold (the other part well
above) is rarely reproduced; both well above is, at n = 3 runs; a rule that reads only one null
(the broken variant) reproduces the other null's boundary case almost always.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rlsparse_check.criteria import overlap_above_chance, overlap_over_pairs
from rlsparse_check.criteria.overlap import excess_over_pairs, overlap_rule
from rlsparse_check.results import Verdict

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE
ALPHA, MIN, SIMS = 0.05, 0.375, 2000
MC = 3 * math.sqrt(ALPHA * (1 - ALPHA) / SIMS)


def rate(verdicts, verdict) -> float:
    return sum(v is verdict for v in verdicts) / len(verdicts)


# -- overlap (C3, C5) ------------------------------------------------------------------------


def overlap_row(excess: float, n: int, rng, density: float = 0.2) -> dict:
    """Masks of one tensor: A fixed; B draws each entry of A with probability q and each other
    entry with probability r, chosen so that E|B| = |A| and the expected excess is ``excess``."""
    from rlsparse_check.overlap import overlap_arrays

    a = np.zeros(n, bool)
    a[: int(density * n)] = True
    size = a.sum()
    chance = size * size / n
    k = chance + excess * (size - chance)
    q, r = k / size, (size - k) / (n - size)
    b = np.where(a, rng.random(n) < q, rng.random(n) < r)
    result = overlap_arrays(a, b)
    return {"a": "A", "b": "B", **result.summary()}


def overlap_verdict(row) -> Verdict:
    return overlap_above_chance(row, row["p_stratified"], 0.375, ALPHA).verdict


def test_overlap_reaches_every_verdict():
    rng = np.random.default_rng(0)
    assert overlap_verdict(overlap_row(0.8, 20000, rng)) is R
    assert overlap_verdict(overlap_row(0.0, 20000, rng)) is N
    assert overlap_verdict(overlap_row(0.375, 2000, rng)) is U


def test_overlap_at_exactly_the_threshold_is_rarely_reproduced():
    rng = np.random.default_rng(3)
    verdicts = [overlap_verdict(overlap_row(0.375, 5000, rng)) for _ in range(400)]
    assert rate(verdicts, R) <= ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / 400)


def test_overlap_at_chance_is_never_reproduced_and_a_large_excess_is():
    rng = np.random.default_rng(4)
    null = [overlap_verdict(overlap_row(0.0, 5000, rng)) for _ in range(200)]
    planted = [overlap_verdict(overlap_row(0.6, 5000, rng)) for _ in range(200)]
    print(f"overlap power at excess 0.6, 5000 entries: {rate(planted, R):.3f}")
    assert rate(null, R) == 0.0 and rate(planted, R) > 0.9


def test_overlap_is_the_same_whichever_mask_comes_first():
    from rlsparse_check.overlap import overlap_arrays

    rng = np.random.default_rng(5)
    a = rng.random((64, 32)) < 0.3
    b = a & (rng.random((64, 32)) < 0.5)  # B is a subset of A
    w = rng.normal(size=(64, 32))
    one, two = (overlap_arrays(x, y, w).summary() for x, y in ((a, b), (b, a)))
    for row in (one, two):
        row["a"], row["b"] = "first", "second"
    d1 = overlap_above_chance(one, one["p_stratified"], 0.375, ALPHA)
    d2 = overlap_above_chance(two, two["p_stratified"], 0.375, ALPHA)
    assert d1 == d2 and d1.verdict is R


def closed_form_rows(excess: float, n: int, sims: int, rng, density=0.2, step=2) -> list[dict]:
    """``sims`` rows of one tensor of ``n`` entries at once: A the first ``density * n``
    entries, B each ``step`` consecutive entries of A together with probability q and of the
    rest with probability r (E|B| = |A|, expected excess ``excess``); single stratum, so both
    nulls are the hypergeometric one."""
    a = int(density * n)
    chance = a * a / n
    q, r = (chance + excess * (a - chance)) / a, (a - chance - excess * (a - chance)) / (n - a)
    k = step * rng.binomial(a // step, q, sims)
    b = k + step * rng.binomial((n - a) // step, r, sims)
    expected, attainable = a * b / n, np.minimum(a, b)
    variance = a * b * (n - a) * (n - b) / (n * n * (n - 1.0))
    excess_ = (k - expected) / (attainable - expected)
    return [
        {"a": "A", "b": "B", "both": int(k[i]), "count_a": a, "count_b": int(b[i]),
         "attainable": int(attainable[i]), "p_stratified": 0.0,
         **{f"{f}_{null}": float(v[i]) for null in ("stratified", "independent")
            for f, v in (("expected", expected), ("variance", variance), ("excess", excess_))}}
        for i in range(sims)
    ]  # fmt: skip


def test_the_closed_form_rows_are_the_figures_of_the_masks():
    from rlsparse_check.overlap import overlap_arrays

    a, b = np.zeros(5000, bool), np.zeros(5000, bool)
    a[:1000], b[:400], b[1000:1700] = True, True, True
    found = overlap_arrays(a, b).summary()
    k, nb = 400, 1100
    assert (found["both"], found["count_b"]) == (k, nb)
    assert found["expected_stratified"] == pytest.approx(1000 * nb / 5000)
    assert found["variance_stratified"] == pytest.approx(1000 * nb * 4000 * 3900 / 5000**2 / 4999)
    assert found["excess_stratified"] == pytest.approx((k - 220) / (1000 - 220))


def test_the_single_pair_bound_is_one_sided_95_percent():
    row = {"a": "A", "b": "B", "both": 500, "count_a": 1000, "count_b": 1000, "attainable": 1000,
           "expected_stratified": 200.0, "variance_stratified": 128.0,
           "excess_stratified": 0.375}  # fmt: skip
    spread = 500 * 500 / 1000 * 2  # binomial view from either mask: above the null's 128
    half = 1.6448536 * math.sqrt(spread) / 800
    reason = overlap_above_chance(row, 0.0, 0.3, ALPHA).reason
    assert f"bounds {100 * (0.375 - half):.1f}% to {100 * (0.375 + half):.1f}%" in reason, reason


def test_the_single_pair_rule_at_the_threshold_keeps_its_size_and_the_90_percent_level_does_not():
    sims = 4000
    band = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / sims)
    rows = closed_form_rows(MIN, 20000, sims, np.random.default_rng(11))
    fixed = rate([overlap_above_chance(r, 0.0, MIN, ALPHA).verdict for r in rows], R)
    at_90 = rate([overlap_above_chance(r, 0.0, MIN, 2 * ALPHA).verdict for r in rows], R)
    print(f"single pair at the threshold, {sims} draws: {fixed:.4f} (90% level: {at_90:.4f})")
    assert fixed <= band, fixed
    assert at_90 > band, at_90


# -- C3: both nulls, each against its own threshold ---------------------------------------------

STRAT = 0.05  # the default --min-stratified-excess


def two_null_rows(rng, independent, stratified, runs=3, run_sd=0.04, pair_sd=0.02):
    """All pairs of ``runs`` runs with both excesses (shared run effects)."""
    rows = simulated_rows(rng, independent, runs, run_sd=run_sd, pair_sd=pair_sd)
    for row in rows:
        row["excess_independent"] = row["excess_stratified"]
        row["excess_stratified"] += stratified - independent + rng.normal(0, pair_sd)
        row["p_independent_adjusted"] = 1e-12
    return rows


def two_null_rates(independent, stratified, sims=1000, **kw):
    rng = np.random.default_rng(int(1000 * independent + 100 * stratified))
    groups = [two_null_rows(rng, independent, stratified, **kw) for _ in range(sims)]
    both = [overlap_rule(rows, MIN, STRAT, ALPHA)[0].verdict for rows in groups]
    one = {null: [overlap_over_pairs(rows, m, ALPHA, null=null)[0].verdict for rows in groups]
           for null, m in (("independent", MIN), ("stratified", STRAT))}  # fmt: skip
    return rate(both, R), rate(both, N), {k: rate(v, R) for k, v in one.items()}


def test_each_null_at_its_threshold_is_rarely_reproduced_and_one_null_alone_is_fooled():
    band = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / 1000)
    ind_null, _, alone = two_null_rates(MIN, 0.35)
    print(f"independent at 0.375: false reproduced {ind_null:.3f}; stratified alone {alone}")
    assert ind_null <= band and alone["stratified"] > 0.8
    strat_null, _, alone = two_null_rates(0.6, STRAT)
    print(f"stratified at {STRAT}: false reproduced {strat_null:.3f}; independent alone {alone}")
    assert strat_null <= band and alone["independent"] > 0.8


def test_both_excesses_well_above_reproduce_at_n_3_and_either_well_below_refutes():
    power, _, _ = two_null_rates(0.7, 0.3, run_sd=0.02)
    _, refuted_ind, _ = two_null_rates(0.1, 0.3, run_sd=0.02)
    _, refuted_strat, _ = two_null_rates(0.7, -0.2, run_sd=0.02)
    print(f"two-null rule at n=3: power {power:.3f}, refuted {refuted_ind:.3f} {refuted_strat:.3f}")
    assert power > 0.8 and refuted_ind > 0.8 and refuted_strat > 0.8


def test_the_two_null_rule_reports_both_and_names_each_part():
    rows = two_null_rows(np.random.default_rng(0), 0.7, 0.3, run_sd=0.01)
    decision, figures = overlap_rule(rows, MIN, STRAT, ALPHA)
    assert set(figures) == {"independent", "stratified"}
    assert figures["independent"]["value"] > figures["stratified"]["value"]
    assert "over independent chance (paper, 37.5%)" in decision.reason
    assert "over magnitude-stratified chance (harness, 5.0%)" in decision.reason


# -- pairs of runs as replicates ----------------------------------------------------------------


def simulated_rows(rng, mu, runs, *, all_pairs=True, run_sd=0.08, pair_sd=0.02):
    """Rows of a group: all pairs of ``runs`` runs, or ``runs`` disjoint pairs (2 runs each)."""
    if all_pairs:
        names = [f"r{i}" for i in range(runs)]
        pairs = list(itertools.combinations(names, 2))
    else:
        names = [f"{side}{i}" for i in range(runs) for side in "uv"]
        pairs = [(f"u{i}", f"v{i}") for i in range(runs)]
    effect = dict(zip(names, rng.normal(0, run_sd, len(names)), strict=True))
    return [
        {"a": a, "b": b, "p_stratified_adjusted": 1e-12,
         "excess_stratified": mu + effect[a] + effect[b] + rng.normal(0, pair_sd)}
        for a, b in pairs
    ]  # fmt: skip


def entry_level_verdict(rows):
    """The broken variant: the mean excess with an entry-level standard error (~5e5 entries)."""
    mean = sum(r["excess_stratified"] for r in rows) / len(rows)
    return R if mean - 1.645 * 0.5 / math.sqrt(5e5) >= MIN else U


@pytest.mark.parametrize(("runs", "all_pairs"), [(3, True), (5, True), (3, False), (6, False)])
def test_pairs_at_the_threshold_rarely_reproduce_and_entries_as_replicates_often_do(
    runs, all_pairs
):
    rng = np.random.default_rng(runs * 10 + all_pairs)
    groups = [simulated_rows(rng, MIN, runs, all_pairs=all_pairs) for _ in range(SIMS)]
    fixed = [overlap_over_pairs(rows, MIN, ALPHA)[0].verdict for rows in groups]
    broken = [entry_level_verdict(rows) for rows in groups]
    print(f"{runs} runs, all pairs {all_pairs}: false reproduced {rate(fixed, R):.3f}, "
          f"entries as replicates {rate(broken, R):.3f}")  # fmt: skip
    assert rate(fixed, R) <= ALPHA + MC
    assert rate(broken, R) > 0.3


@pytest.mark.parametrize(("runs", "all_pairs"), [(3, True), (3, False)])
def test_pairs_well_above_the_threshold_reproduce_and_well_below_refute(runs, all_pairs):
    rng = np.random.default_rng(runs)
    high = [overlap_over_pairs(simulated_rows(rng, 0.8, runs, all_pairs=all_pairs,
            run_sd=0.02), MIN, ALPHA)[0].verdict for _ in range(300)]  # fmt: skip
    low = [overlap_over_pairs(simulated_rows(rng, 0.0, runs, all_pairs=all_pairs,
           run_sd=0.02), MIN, ALPHA)[0].verdict for _ in range(300)]  # fmt: skip
    print(
        f"{runs} runs, all pairs {all_pairs}: power {rate(high, R):.3f}, refuted {rate(low, N):.3f}"
    )
    assert rate(high, R) > 0.8 and rate(low, N) > 0.8


def test_the_method_follows_whether_pairs_share_runs():
    shared = excess_over_pairs([0.5, 0.6, 0.7], [("a", "b"), ("a", "c"), ("b", "c")], 0.95)
    disjoint = excess_over_pairs([0.5, 0.6, 0.7], [("a", "b"), ("c", "d"), ("e", "f")], 0.95)
    assert shared["method"].startswith("jackknife") and disjoint["method"].startswith("t over")
    assert disjoint["ci"][0] == pytest.approx(0.6 - 2.919986 * 0.1 / math.sqrt(3), rel=1e-5)
    assert (shared["ci_level"], shared["ci_kind"]) == (0.95, "one-sided bounds")
    star = excess_over_pairs([0.5, 0.6], [("a", "b"), ("a", "c")], 0.95)
    assert star["ci"] is None  # deleting the shared run leaves no pair


def test_one_pair_is_decided_within_the_pair_and_says_n_is_one():
    rng = np.random.default_rng(0)
    row = overlap_row(0.8, 20000, rng)
    row["p_stratified_adjusted"] = row["p_stratified"]
    decision, figures = overlap_over_pairs([row], MIN, ALPHA)
    assert decision.verdict is R and decision.reason.startswith("n=1 pair")
    assert figures["n_pairs"] == 1


def test_a_family_widens_the_bounds():
    rows = simulated_rows(np.random.default_rng(2), 0.6, 4)
    one, five = (overlap_over_pairs(rows, MIN, ALPHA, family=k)[1]["ci"] for k in (1, 5))
    assert five[0] < one[0] and five[1] > one[1]
