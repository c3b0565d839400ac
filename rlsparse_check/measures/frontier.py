"""The sparsity-learning frontier (C2): sparsity against eval gain along a ladder of step counts,
and the sparsity of each seed's frontier at one matched gain (pure functions).

"RL is sparser than SFT" at each one's usual rate compares learning rates as much as algorithms;
at the same per-step rate, more steps mean more gain and less sparsity for both. Comparing the
two at the same eval gain asks the question the claim is about.

* :func:`matched_gain`: the middle of the gain range both algorithms' mean frontiers cover (the
  mean over seeds of each rung), or None when they do not overlap;
* :func:`sparsity_at`: one seed's frontier, linearly interpolated in gain (points ordered by
  gain, equal gains averaged); outside the seed's own range it takes the nearest end point, and
  :func:`covers` says whether that happened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["Point", "matched_gain", "sparsity_at", "covers"]

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
