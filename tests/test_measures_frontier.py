"""The sparsity-learning frontier: the matched gain and interpolation along a seed's frontier."""

from __future__ import annotations

import numpy as np
import pytest

from rlsparse_check.measures.frontier import covers, headroom, matched_gain, sparsity_at


def test_the_matched_gain_is_the_middle_of_the_range_both_frontiers_cover():
    rl = [[(0.1, 0.9), (0.2, 0.7), (0.3, 0.5)]] * 2
    sft = [[(0.2, 0.6), (0.3, 0.4), (0.4, 0.2)]] * 2
    assert matched_gain({"rl": rl, "sft": sft}) == pytest.approx(0.25)
    assert matched_gain({"rl": rl, "sft": [[(0.5, 0.1), (0.6, 0.0)]]}) is None


def test_sparsity_is_interpolated_in_gain_and_held_beyond_the_ends():
    points = [(0.3, 0.5), (0.1, 0.9), (0.2, 0.7)]
    assert sparsity_at(points, 0.25) == pytest.approx(0.6)
    assert sparsity_at(points, 0.5) == pytest.approx(0.5)
    assert covers(points, 0.25) and not covers(points, 0.5)


def test_equal_gains_are_averaged():
    assert sparsity_at([(0.2, 0.4), (0.2, 0.6), (0.4, 0.0)], 0.2) == pytest.approx(0.5)


def _planted(rng, n, slope_rl=-0.5, slope_sft=-4.0, gap=0.3, noise=0.05):
    """Seeds of two frontiers: gain rises over five rungs (eval and seed noise ``noise``);
    sparsity is linear in the true gain, so the true difference at gain g is known."""
    true = np.array([0.03, 0.08, 0.15, 0.22, 0.26])

    def seeds(slope, base):
        out = []
        for _ in range(n):
            g = true + rng.normal(0, noise, true.size)
            out.append(
                [
                    (float(x), base + slope * t + rng.normal(0, 0.005))
                    for x, t in zip(g, true, strict=True)
                ]
            )
        return out

    return {"rl": seeds(slope_rl, 0.5 + gap), "sft": seeds(slope_sft, 0.5)}, slope_rl, slope_sft


def _covers(n, broken, sims=1500):
    from rlsparse_check.measures.frontier import at_matched_gain
    from rlsparse_check.stats import margin_test

    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(sims):
        points, a, b = _planted(rng, n)
        m = at_matched_gain(points, "rl", "sft", _no_rewards(points))
        if broken:  # one gain from the mean curves, then a t interval at that fixed gain
            g = matched_gain(points)
            diffs = [
                sparsity_at(x, g) - sparsity_at(y, g)
                for x, y in zip(points["rl"], points["sft"], strict=True)
            ]
            truth = 0.3 + (a - b) * g_true(points)
        else:
            diffs, truth = m.diffs, 0.3 + (a - b) * g_true(points)
        t = margin_test(diffs, None, 0.0, level=0.975)
        hits += t.lower <= truth <= t.upper
    return hits / sims


def _no_rewards(points):
    """Per-problem rewards (two problems, nothing moved) for tests that read only the points."""
    return {a: [[([0.5, 0.5], [0.5, 0.5]) for _ in seed] for seed in s] for a, s in points.items()}


def g_true(points):
    return (0.03 + 0.26) / 2  # the middle of the true gains both frontiers cover


@pytest.mark.parametrize("n", [3, 6])
def test_matching_each_seed_pair_covers_the_true_difference_at_about_95_percent(n):
    rate = _covers(n, broken=False)
    assert abs(rate - 0.95) < 4 * (0.05 * 0.95 / 1500) ** 0.5 + 0.01


def test_fixing_the_matched_gain_from_the_mean_curves_under_covers():
    assert _covers(6, broken=True) < 0.95 - 4 * (0.05 * 0.95 / 1500) ** 0.5


def test_the_rise_at_the_matched_gain_is_tested_paired_over_problems_not_over_seeds():
    from rlsparse_check.measures.frontier import rise_at

    rising = [[(0.05, 0.9), (0.15, 0.8), (0.2, 0.7)], [(0.06, 0.9), (0.16, 0.8), (0.2, 0.7)]] * 2
    low, high = [0.25] * 50 + [0.5] * 50, [0.375] * 50 + [0.5] * 50
    rewards = [[([0.2] * 100, low), ([0.2] * 100, high), ([0.2] * 100, high)]] * 4
    r = rise_at("rl", rising, 0.1, rewards)
    assert r.rungs == (0, 1) and r.rise == pytest.approx(0.0625) and r.p < 1e-6
    # the gains rise by 0.1 in every seed alike, but the rewards of rungs 2 and 3 are the same
    # draws scored the same: a plateau the paired test sees (the old t over seeds gave p = 0)
    flat = rise_at("rl", rising, 0.18, rewards)
    assert flat.rungs == (1, 2) and flat.rise == 0.0 and flat.p == 1.0
    assert rise_at("rl", rising, 0.5, rewards).rungs is None


def test_a_frontier_is_read_from_cases_with_their_eval_standard_errors():
    from types import SimpleNamespace

    from rlsparse_check.measures.frontier import frontier_of
    from rlsparse_check.measures.learning import case_rewards

    def case(label, gain, seed):
        ev = {"before": {"rewards": [0.0, 0.5]}, "after": {"se": 0.01, "rewards": [gain, 0.5]}}
        record = {"spec": {"lr": 2e-6}, "eval": ev}
        return SimpleNamespace(
            label=label, meta={"gain": {"gain": gain, "se": 0.014}, "record": record, "seed": seed}
        )

    runs = {
        "grpo": [
            (10, [case("a0", 0.05, 0), case("a1", 0.06, 1)]),
            (50, [case("b0", 0.2, 0), case("b1", 0.21, 1)]),
        ]
    }
    sparsity = {"a0": 0.9, "a1": 0.8, "b0": 0.5, "b1": 0.4}
    f = frontier_of(runs, lambda c: sparsity[c.label], case_rewards)
    assert f.rewards["grpo"][1][1] == ([0.0, 0.5], [0.21, 0.5])
    assert f.points["grpo"] == [[(0.05, 0.9), (0.2, 0.5)], [(0.06, 0.8), (0.21, 0.4)]]
    assert f.ses == {"a0": 0.01, "a1": 0.01, "b0": 0.01, "b1": 0.01}
    assert [r["steps"] for r in f.rows["grpo"]] == [10, 10, 50, 50]


def test_the_room_is_the_sparser_arms_one_arm_far_above_the_floor_one_near_it():
    """C6: with one arm 30 points above the floor and one at it, there is room for the margin
    (a refutation stands); the room computed with min instead of max would hide it."""
    from rlsparse_check.criteria.margins import with_room
    from rlsparse_check.results import Decision, Verdict

    room = headroom({"sft-self": [0.50, 0.52], "sft": [0.21, 0.21]}, [0.20, 0.20])
    assert room.room == pytest.approx(0.31) and room.arms["sft"] == pytest.approx(0.01)
    refuted = Decision(Verdict.NOT_REPRODUCED, "difference below the margin")
    assert with_room(refuted, room.room, 0.1) == refuted
    assert with_room(refuted, min(room.arms.values()), 0.1).verdict is Verdict.INCONCLUSIVE
