"""Simulated evals for the learning and C2 calibrations: every run scored on the same problems
with the same sampling draws (common random numbers), as ``EVAL_SEED`` makes the real ones.

Each problem has a base solve rate; training moves it by the planted gain plus a shift shared
by every seed (what training on the same data does to that problem, mean zero over problems)
plus a seed's own shift (mean zero). A run's reward on a problem is the share of the shared
uniform draws below its rate. Rates stay inside (0, 1) for gains up to 0.07, so the planted
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


def trained_rates(rng, base, gains, seeds=3, common=0.08, own=0.02, ref=0.02, shift=None):
    """Per seed, per rung: the rates after training (``gains``: the planted gain per rung). The
    shifts (shared by the seeds, and each seed's own) are drawn once per seed and grow with
    the rung's gain as sqrt(gain / ``ref``), never below their size at ``ref``; ``shift``: the
    shared one given (two algorithms trained on the same task move the same problems)."""
    shift = rng.uniform(-common, common, base.size) if shift is None else shift
    out = []
    for _ in range(seeds):
        mine = rng.uniform(-own, own, base.size)
        out.append([base + g + (shift + mine) * (max(g, ref) / ref) ** 0.5 for g in gains])
    return out


def run_set(rng, gain, seeds=3, n=PROBLEMS, samples=SAMPLES, common=0.08, own=0.02):
    """Per seed ``(before, after)`` per-problem rewards of one run set with planted ``gain``."""
    draws, base = problems(rng, n, samples)
    before = scored(draws, base)
    rates = trained_rates(rng, base, [gain], seeds, common, own)
    return [(before, scored(draws, r[0])) for r in rates]


def eval_se(rewards: list[float], samples: int = SAMPLES) -> float:
    """The eval's sampling standard error, as ``recipes.sampling.evaluate`` computes it."""
    var = sum(r * (1 - r) * samples / (samples - 1) / samples for r in rewards)
    return var**0.5 / len(rewards)


#: C2's ladder of planted gains (10 to 150 steps) per arm and the slope of sparsity in gain,
#: as the default run shows them (gains +0.002 to +0.06; sparsity 0.88 to 0.33 over them).
LADDER = {"rl": (0.003, 0.008, 0.025, 0.04, 0.056), "sft": (0.003, 0.01, 0.029, 0.04, 0.061)}
SLOPE = -10.0


def frontier(rng, delta: float, seeds: int = 3, slope: float = SLOPE):
    """A simulated C2 frontier (:class:`~rlsparse_check.measures.frontier.Frontier`): both arms
    on the same problems and draws, moving mostly the same problems (per-problem gains of the
    two arms correlate about 0.9, as in the default run); each run's sparsity falls linearly
    with its planted gain, RL - SFT = ``delta`` at every gain, seed noise 0.01."""
    from rlsparse_check.measures.frontier import Frontier

    draws, base = problems(rng)
    before = scored(draws, base)
    task = rng.uniform(-0.07, 0.07, base.size)
    points, ses, rewards = {}, {}, {}
    for algo, gains in LADDER.items():
        shift = task + rng.uniform(-0.025, 0.025, base.size)
        points[algo], rewards[algo] = [], []
        for s, rungs in enumerate(trained_rates(rng, base, gains, seeds, shift=shift)):
            after = [scored(draws, q) for q in rungs]
            offset = 0.0 if algo == "rl" else delta
            points[algo].append(
                [
                    (
                        float(np.mean(a) - np.mean(before)),
                        0.9 + slope * g - offset + rng.normal(0, 0.01),
                    )
                    for a, g in zip(after, gains, strict=True)
                ]
            )
            rewards[algo].append([(before, a) for a in after])
            ses.update({f"{algo}-{k}-seed{s}": eval_se(a) for k, a in enumerate(after)})
    return Frontier(points, ses, {}, rewards)
