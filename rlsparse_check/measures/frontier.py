"""The sparsity-learning frontier (C2): sparsity against eval gain along a ladder of step counts,
and the sparsity of each seed's frontier at one matched gain (pure functions).

"RL is sparser than SFT" at each one's usual rate compares learning rates as much as algorithms;
at the same per-step rate, more steps mean more gain and less sparsity for both. Comparing the
two at the same eval gain asks the question the claim is about.

* :func:`matched_gain`: the middle of the gain range both algorithms' mean frontiers cover (the
  mean over seeds of each rung), or None when they do not overlap;
* :func:`sparsity_at`: one seed's frontier, linearly interpolated in gain (points ordered by
  gain, equal gains averaged); outside the seed's own range it takes the nearest end point, and
  :func:`covers` says whether that happened;
* :func:`paired_differences`: RL seed i and SFT seed i as one replicate: the pair's own matched
  gain (the middle of the gains both of its frontiers cover) and the sparsity difference there.
  The matched gain is chosen anew in every pair, so the spread of the differences over pairs
  holds the uncertainty of choosing it and the eval noise of every gain; a t interval over the
  pairs carries both (tests/test_measures_frontier.py checks its coverage by simulation);
* :func:`rise_at`: is a frontier still rising where the gain is matched? The two rungs
  around the matched gain: the upper rung's per-problem after-rewards against the lower rung's,
  paired on the shared eval draws, averaged over seeds, one-sided t over problems (the learning
  test of :func:`rlsparse_check.measures.learning.paired_gain_test` between two rungs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Point",
    "Frontier",
    "frontier_of",
    "plot",
    "Matched",
    "at_matched_gain",
    "matched_gain",
    "sparsity_at",
    "covers",
    "paired_differences",
    "Rise",
    "rise_at",
    "headline",
]

Point = tuple[float, float]  # (eval gain, sparsity)


def _mean_rungs(seeds: Sequence[Sequence[Point]]) -> np.ndarray:
    """Mean gain of each rung over seeds (every seed has the same rungs, in ladder order)."""
    return np.mean(np.array([[g for g, _ in seed] for seed in seeds], dtype=float), axis=0)


def matched_gain(frontiers: Mapping[str, Sequence[Sequence[Point]]]) -> float | None:
    """``frontiers``: ``{algorithm: [one seed's points in ladder order, ...]}``."""
    lows, highs = [], []
    for seeds in frontiers.values():
        if not seeds or not seeds[0]:
            return None
        gains = _mean_rungs(seeds)
        lows.append(float(gains.min()))
        highs.append(float(gains.max()))
    low, high = max(lows), min(highs)
    return None if low > high else (low + high) / 2


def _ordered(points: Sequence[Point]) -> tuple[np.ndarray, np.ndarray]:
    gains = np.array([g for g, _ in points], dtype=float)
    values = np.array([s for _, s in points], dtype=float)
    unique, inverse = np.unique(gains, return_inverse=True)
    means = np.bincount(inverse, weights=values) / np.bincount(inverse)
    return unique, means


def sparsity_at(points: Sequence[Point], gain: float) -> float:
    """The seed's sparsity at ``gain`` along its frontier."""
    gains, values = _ordered(points)
    return float(np.interp(gain, gains, values))


def covers(points: Sequence[Point], gain: float) -> bool:
    """Whether ``gain`` lies within the seed's own range of gains (no end-point holding)."""
    gains = [g for g, _ in points]
    return min(gains) <= gain <= max(gains)


def paired_differences(
    first: Sequence[Sequence[Point]], second: Sequence[Sequence[Point]]
) -> tuple[list[float], list[float]]:
    """``(matched gains, first - second sparsity there)``, one per seed pair (pairs whose
    frontiers share no gain are left out)."""
    gains, diffs = [], []
    for a, b in zip(first, second, strict=True):
        g = matched_gain({"a": [a], "b": [b]})
        if g is not None:
            gains.append(g)
            diffs.append(sparsity_at(a, g) - sparsity_at(b, g))
    return gains, diffs


@dataclass(frozen=True)
class Rise:
    """The rise of a mean frontier's gain across the two rungs around ``gain``."""

    what: str
    gain: float
    rungs: tuple[int, int] | None  # ladder indices around the gain; None: outside the curve
    rise: float
    p: float | None  # one-sided, paired over problems, seeds averaged (rise > 0)
    se: float | None = None  # its paired standard error over problems

    def figures(self) -> dict:
        return {"rungs": self.rungs, "rise": self.rise, "se": self.se, "p": self.p}


def rise_at(
    what: str, seeds: Sequence[Sequence[Point]], gain: float, rewards: Sequence[Sequence]
) -> Rise:
    """Where ``gain`` falls on the mean curve (rungs in ladder order) and whether the gain rises
    across that segment: ``rewards`` per seed, per rung ``(before, after)`` per-problem rewards;
    the upper rung's after-rewards are tested against the lower rung's, paired on the shared
    draws (:func:`~rlsparse_check.measures.learning.paired_gain_test`)."""
    from rlsparse_check.measures.learning import paired_gain_test

    per_seed = np.array([[g for g, _ in seed] for seed in seeds], dtype=float)
    means = per_seed.mean(axis=0)
    for k in range(len(means) - 1):
        if min(means[k], means[k + 1]) <= gain <= max(means[k], means[k + 1]):
            test = paired_gain_test([(r[k][1], r[k + 1][1]) for r in rewards])
            return Rise(what, gain, (k, k + 1), float(test["mean"]), test["p"], test["se"])
    return Rise(what, gain, None, 0.0, None)


@dataclass(frozen=True)
class Frontier:
    """C2's evidence: ``points`` ``{algo: [per seed: [(gain, sparsity) per rung]]}``, each
    run's eval standard error (``ses``, by label), the report's ``rows`` and ``rewards``
    ``{algo: [per seed: [(before, after) per-problem rewards per rung]]}``."""

    points: dict
    ses: dict
    rows: dict
    rewards: dict


def frontier_of(runs: Mapping[str, Sequence], sparsity, rewards) -> Frontier:
    """``runs``: ``{algo: [(steps, seed cases), ...]}``; ``sparsity(case) -> float``;
    ``rewards(case) -> (before, after)`` per-problem eval rewards."""
    points, ses, rows, kept = {}, {}, {}, {}
    for algo, rungs in runs.items():
        n = len(rungs[0][1])
        gain = {c.label: float(c.meta["gain"]["gain"]) for _, cases in rungs for c in cases}
        value = {c.label: sparsity(c) for _, cases in rungs for c in cases}
        points[algo] = [
            [(gain[cs[i].label], value[cs[i].label]) for _, cs in rungs] for i in range(n)
        ]
        kept[algo] = [[rewards(cs[i]) for _, cs in rungs] for i in range(n)]
        rows[algo] = []
        for steps, cases in rungs:
            for c in cases:
                ev = c.meta["record"]["eval"]
                se = float(ev["after"].get("se", float("nan")))
                ses[c.label] = se
                rows[algo].append(
                    {
                        "lr": c.meta["record"]["spec"]["lr"],
                        "steps": steps,
                        "seed": c.meta["seed"],
                        "eval_gain": gain[c.label],
                        "eval_gain_se": c.meta["gain"].get("se"),
                        "eval_after_se": se,
                        "sparsity": value[c.label],
                    }
                )
    return Frontier(points, ses, rows, kept)


def plot(points: Mapping[str, Sequence[Sequence[Point]]], gain: float | None) -> dict:
    """The report's ``frontier`` plot: seeds as points, the mean curve per algorithm."""
    series = {}
    for algo, seeds in points.items():
        arr = np.array(seeds, dtype=float)  # seed x rung x (gain, sparsity)
        series[algo] = {
            "points": [
                {"x": g, "y": y, "seed": i} for i, seed in enumerate(seeds) for g, y in seed
            ],
            "curve": {"x": arr[:, :, 0].mean(0).tolist(), "y": arr[:, :, 1].mean(0).tolist()},
        }
    return {
        "x_label": "eval reward gain",
        "y_label": "bitwise sparsity",
        "matched_gain": gain,
        "series": series,
    }


@dataclass(frozen=True)
class Matched:
    """The comparison at matched gain: per seed pair the matched gain and the first minus
    second sparsity there; ``gain`` their mean; ``rises`` of both mean curves at ``gain``;
    ``reached``: ``{algo: per-seed (before, after) rewards of the rung just above the matched
    gain}`` (the runs whose learning the guard tests)."""

    gains: list[float]
    diffs: list[float]
    gain: float | None
    rises: list[Rise]
    reached: dict[str, list]
    shared: dict[str, tuple[float, list[float]]]  # {algo: (slope, per-problem gains)}


def at_matched_gain(
    points: Mapping[str, Sequence[Sequence[Point]]],
    first: str,
    second: str,
    rewards: Mapping[str, Sequence[Sequence]],
) -> Matched:
    """``rewards``: :attr:`Frontier.rewards` (the rise tests and the learning guard read them)."""
    gains, diffs = paired_differences(points[first], points[second])
    gain = sum(gains) / len(gains) if gains else None
    rises = (
        [] if gain is None else [rise_at(a, points[a], gain, rewards[a]) for a in (first, second)]
    )
    reached = {
        r.what: [seed[r.rungs[1]] for seed in rewards[r.what]] for r in rises if r.rungs is not None
    }
    shared = {a: _shared_noise(points[a], r.rungs, reached[a]) for a, r in zip((first, second),
              rises, strict=False) if r.rungs is not None}  # fmt: skip
    return Matched(gains, diffs, gain, rises, reached, shared)


def _shared_noise(seeds: Sequence[Sequence[Point]], rungs: tuple[int, int], rewards) -> tuple:
    """What carries the eval noise every seed of a frontier shares (same problems, same draws)
    into the sparsity read at the matched gain: the mean curve's slope there (sparsity per unit
    gain) and the per-problem gains at the rung above it, averaged over seeds."""
    arr = np.array(seeds, dtype=float).mean(axis=0)  # rung x (gain, sparsity)
    (g0, s0), (g1, s1) = arr[rungs[0]], arr[rungs[1]]
    slope = float((s1 - s0) / (g1 - g0)) if g1 != g0 else 0.0
    gains = np.mean([np.subtract(after, before) for before, after in rewards], axis=0)
    return slope, [float(g) for g in gains]


@dataclass(frozen=True)
class Headroom:
    """How far each arm's mean sparsity sits above the ``floor`` (the mean sparsity of the
    densest run: SFT at its usual rate for the full budget, which no comparison of the design
    can go below); ``room``: the sparser arm's, the most any difference between arms can show."""

    floor: float
    arms: dict[str, float]

    @property
    def room(self) -> float:
        return max(self.arms.values())

    def figures(self) -> dict:
        return {
            "floor": self.floor,
            "floor_run": "SFT at its usual rate, full budget (the densest run)",
            "above_floor": self.arms,
            "room": self.room,
        }


def headroom(arms: Mapping[str, Sequence[float]], floor: Sequence[float]) -> Headroom:
    low = float(np.mean(floor))
    return Headroom(low, {k: float(np.mean(v)) - low for k, v in arms.items()})


def published_style(usual: Mapping[str, Sequence[float]], rl_lr: float, sft_lr: float) -> dict:
    """C2's comparison beside the frontier: each at its usual rate, same data budget (``usual``:
    ``{"rl", "sft": per-seed sparsity}``), with the rate ratio named as its confound."""
    mean = {k: float(np.mean(v)) for k, v in usual.items()}
    return {
        "rl_lr": rl_lr,
        "sft_lr": sft_lr,
        **{k: list(v) for k, v in usual.items()},
        "beside": f"published style, each at its usual rate (RL {rl_lr:g}, SFT {sft_lr:g}; the "
        f"{sft_lr / rl_lr:g}x rate ratio is its confound): RL {100 * mean['rl']:.2f}% vs SFT "
        f"{100 * mean['sft']:.2f}% unchanged",
    }


def headline(gain: float, diff: float | None, verdict: str) -> str:
    """C2's one sentence: the sparsity difference at the matched gain, and the verdict."""
    said = verdict.replace("_", " ") + "."
    if diff is None:
        return said
    return f"At matched gain {gain:+.2f}, RL minus SFT is {100 * diff:+.1f} points: {said}"
