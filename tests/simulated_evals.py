"""Simulated evals for the learning and C2 calibrations: every run scored on the same problems
with the same sampling draws (common random numbers), as ``EVAL_SEED`` makes the real ones.

Each problem has a base solve rate; training moves it by the planted gain plus a shift shared
by every seed (what training on the same data does to that problem, mean zero over problems)
plus a seed's own shift (mean zero). A run's reward on a problem is the share of the shared
uniform draws below its rate. Rates stay inside (0, 1) for gains up to 0.15, so the planted
gain is exactly the mean rate change. The default spreads give a single run's per-problem gain
a standard deviation of about 0.08 at gain 0.02 and seeds that correlate about 0.9 per problem,
as the default run's cached evals show (0.075 at gain 0.025, correlations 0.8-1.0).
"""

from __future__ import annotations

import numpy as np

PROBLEMS, SAMPLES = 100, 8  # the default eval: 100 add problems x 8 samples


def scored(draws: np.ndarray, rates: np.ndarray) -> list[float]:
    """Each problem's reward: the share of its draws below its rate."""
    return (draws < rates[:, None]).mean(axis=1).tolist()


def problems(rng, n: int = PROBLEMS, samples: int = SAMPLES):
    """``(draws, base rates)`` of one eval: uniforms shared by every run, rates in (0.25, 0.7)."""
    return rng.random((n, samples)), rng.uniform(0.25, 0.7, n)


def trained_rates(rng, base, gains, seeds=3, common=0.08, own=0.02):
    """Per seed, per rung: the rates after training (``gains``: the planted gain per rung; the
    shared shift grows with the gain's rung like the training that makes it)."""
    shift = rng.uniform(-common, common, base.size)
    out = []
    for _ in range(seeds):
        mine = rng.uniform(-own, own, base.size)
        out.append([base + g + shift * (k + 1) / len(gains) + mine for k, g in enumerate(gains)])
    return out


def run_set(rng, gain, seeds=3, n=PROBLEMS, samples=SAMPLES, common=0.08, own=0.02):
    """Per seed ``(before, after)`` per-problem rewards of one run set with planted ``gain``."""
    draws, base = problems(rng, n, samples)
    before = scored(draws, base)
    rates = trained_rates(rng, base, [gain], seeds, common, own)
    return [(before, scored(draws, r[0])) for r in rates]
