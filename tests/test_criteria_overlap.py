"""C3 and C5's overlap rule (criteria/overlap.py): a single pair by its entry-level bound, two or
more pairs with pairs of runs as the replicates.

Calibration: pair excesses simulated as run effects plus pair noise, ``mu + u_a + u_b + e_ab``
(seeds disagree: u has a spread), at the threshold (the null) and well above it, for all pairs
of k runs (dependent pairs: jackknife over runs) and for disjoint pairs (t over pairs), k = 3
included. The broken variant treats the ~5e5 entries of a pair as the replicates (the
entry-level bound on the mean): under the null it reproduces about half the time.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from rlsparse_check.criteria import overlap_above_chance, overlap_over_pairs
from rlsparse_check.criteria.overlap import excess_over_pairs
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
