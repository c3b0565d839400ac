"""The Edgeworth expansion of a sum of hypergeometric counts' upper tail (from its first four
cumulants), used by :mod:`rlsparse_check.overlap.tails` where the exact sums are too large."""

from __future__ import annotations

import math

import numpy as np
import scipy.stats as sps

__all__ = ["edgeworth", "mills"]


def mills(w: float) -> float:
    """Mills ratio Q(w) / phi(w) for large ``w`` (asymptotic series)."""
    return (1 - 1 / w**2 + 3 / w**4 - 15 / w**6) / w


def edgeworth(s: int, cumulants: np.ndarray) -> tuple[float, float, float]:
    """Continuity-corrected second-order Edgeworth tail: ``(p, log10 p, error)``, where
    ``error`` is the size of the second-order terms relative to ``p`` (the estimate of the
    expansion's relative error that decides whether it is used)."""
    mean, k2, k3, k4 = cumulants
    sd = math.sqrt(k2)
    z = (s - 0.5 - mean) / sd
    g1, g2 = k3 / sd**3, k4 / k2**2
    he2, he3, he5 = z * z - 1, z**3 - 3 * z, z**5 - 10 * z**3 + 15 * z
    density = float(sps.norm.pdf(z))
    second = g2 / 24 * he3 + g1 * g1 / 72 * he5
    p = float(sps.norm.sf(z)) + density * (g1 / 6 * he2 + second)
    if not p > 0:
        return 0.0, -math.inf, math.inf
    error = density * (abs(g2 / 24 * he3) + abs(g1 * g1 / 72 * he5)) / p
    return min(p, 1.0), math.log10(min(p, 1.0)), error
