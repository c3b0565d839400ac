"""C7 and C8's rules (criteria/structure.py): known answers, and C7's rule for a stored update
calibrated on planted bf16 updates of known structure."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.criteria import (
    full_rank,
    norms_spared,
    rank_against_reference,
    spread_across_blocks,
)
from rlsparse_check.measures.rank import planted_references, stored, stored_rank_ratio
from rlsparse_check.results import Verdict

R, N, U = Verdict.REPRODUCED, Verdict.NOT_REPRODUCED, Verdict.INCONCLUSIVE
ALPHA, MARGIN = 0.05, 0.05
ULP = 2.0**-13  # bf16 ULP of values in [2**-6, 2**-5), e.g. 0.02


def test_full_rank_reaches_every_verdict():
    kw = {"matrices": 3, "published_style": 0.99, "random_reference": 1.0}
    assert full_rank(0.995, 0.99, **kw).verdict is R
    assert full_rank(0.01, 0.99, **kw).verdict is N
    assert (
        full_rank(None, 0.99, matrices=0, published_style=None, random_reference=None).verdict is U
    )
    assert "says little of structure" in full_rank(0.995, 0.99, **kw).reason


def test_rank_against_reference_reaches_every_verdict():
    def verdict(measured, full, one):
        return rank_against_reference(measured, full, one, MARGIN, matrices=2).verdict

    assert verdict(0.96, 0.97, 0.02) is R
    assert verdict(0.02, 0.97, 0.02) is N
    assert verdict(0.0, 0.0, 0.016) is U
    assert verdict(None, None, None) is U
    assert verdict(0.93, 0.97, 0.02) is R  # within the margin of the reference


def stored_verdict(rng, structure, ulps, shape=(64, 64), reference=True):
    """The rule on one planted bf16 update (``reference=False``: the broken variant, the stored
    ratio against 0.99 alone)."""
    w0 = stored(rng.normal(0, 0.02, shape), "bfloat16")
    if structure == "iid":
        update = rng.normal(0, ulps * ULP, shape)
    else:
        update = ulps * ULP * np.outer(rng.normal(size=shape[0]), rng.normal(size=shape[1]))
    w1 = stored(w0 + update, "bfloat16")
    measured = stored_rank_ratio(w0, w1, "bfloat16", rounded_base=False)
    if not reference:
        return full_rank(measured, 0.99, matrices=1, published_style=None, random_reference=None)
    full, one = planted_references(w0, w1, "bfloat16", seed=int(rng.integers(1 << 30)))
    return rank_against_reference(measured, full, one, MARGIN, matrices=1)


@pytest.mark.parametrize("ulps", [0.35, 3.0, 30.0])
def test_a_full_rank_update_is_rarely_refuted_and_against_099_alone_it_always_is(ulps):
    rng = np.random.default_rng(int(ulps * 100))
    verdicts = [stored_verdict(rng, "iid", ulps).verdict for _ in range(100)]
    refuted = sum(v is N for v in verdicts) / len(verdicts)
    broken = [stored_verdict(rng, "iid", ulps, reference=False).verdict for _ in range(20)]
    print(f"iid at {ulps} ULP: refuted {refuted:.2f}, against 0.99 alone {broken.count(N) / 20}")
    assert refuted <= 0.03
    assert broken.count(N) == 20  # a square iid update loses its smallest values to the floor
    if ulps < 1:
        assert verdicts.count(U) == len(verdicts)  # too small to show rank above rounding
    if ulps >= 30:
        assert verdicts.count(R) >= 97


@pytest.mark.parametrize("ulps", [3.0, 30.0])
def test_a_rank_one_update_of_several_ulps_is_refuted(ulps):
    rng = np.random.default_rng(7)
    verdicts = [stored_verdict(rng, "rank1", ulps).verdict for _ in range(50)]
    assert verdicts.count(N) == len(verdicts)


def spread(densities):
    return spread_across_blocks(densities, active_fraction=0.25, min_active=0.9, max_cv=0.5)


def test_spread_uses_active_blocks_and_the_coefficient_of_variation():
    assert spread([0.2, 0.21, 0.19, 0.2])[0].verdict is R
    assert spread([0.2, 0.0, 0.0, 0.0])[0].verdict is N  # one block carries the update
    decision, figures = spread([0.1, 0.3, 0.1, 0.3, 0.05, 0.4])  # all take part, uneven
    assert decision.verdict is N and figures["block_density_cv"] > 0.5
    assert spread([0.0, 0.0])[0].verdict is U


def test_norms_must_be_spared_beyond_what_their_magnitude_explains():
    spared = {"entries": 5000, "expected_fraction": 0.2, "p": 1e-9}
    alike = {"entries": 5000, "expected_fraction": 0.001, "p": 0.6}
    assert norms_spared(0.0, 0.05, spared, ALPHA).verdict is R
    assert norms_spared(0.0, 0.05, alike, ALPHA).verdict is U
    assert norms_spared(0.3, 0.05, spared, ALPHA).verdict is N
    assert norms_spared(0.0, 0.05, {"entries": 0}, ALPHA).verdict is U
    assert norms_spared(None, 0.05, spared, ALPHA).verdict is U


def test_the_fp32_master_is_quoted_beside_the_stored_update_never_deciding():
    for master in (0.999, 0.01):
        d = rank_against_reference(0.0, 0.0, 0.016, MARGIN, matrices=2, master=master)
        assert d.verdict is U and "fp32 master update" in d.reason


def _master(moved, below, entries=1000):
    return {"entries": entries, "moved_fraction": moved, "below_half_ulp_fraction": below,
            "max_movement_in_half_ulps": 0.05}  # fmt: skip


def test_in_training_mode_the_fp32_master_decides_whether_norms_are_spared():
    alike = {"entries": 0}  # no matched |w|: bf16 counts alone would be inconclusive
    assert norms_spared(0.0, 0.05, alike, ALPHA).verdict is U
    moved = norms_spared(0.0, 0.05, alike, ALPHA, _master(0.998, 0.998))
    assert moved.verdict is N and "storage precision hides it" in moved.reason
    assert norms_spared(0.0, 0.05, alike, ALPHA, _master(0.0, 0.0)).verdict is R
    assert norms_spared(0.0, 0.05, alike, ALPHA, _master(0.04, 0.04)).verdict is R
    assert norms_spared(0.3, 0.05, alike, ALPHA, _master(0.0, 0.0)).verdict is N  # bf16 first


def test_a_bf16_only_reading_calls_norms_spared_that_the_master_shows_moved():
    broken = norms_spared(0.0, 0.05, {"entries": 10, "expected_fraction": 0.5, "p": 1e-6}, ALPHA)
    fixed = norms_spared(0.0, 0.05, {"entries": 10, "expected_fraction": 0.5, "p": 1e-6}, ALPHA,
                         _master(0.9, 0.9))  # fmt: skip
    assert broken.verdict is R and fixed.verdict is N
