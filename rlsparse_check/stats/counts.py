"""Tests on paired binary outcomes: McNemar's exact test, and agreement beyond chance (kappa).

Two binary raters of the same items (e.g. "the half-ULP rule predicts unchanged" and "the entry
is unchanged") are summarised by their 2x2 table: ``both`` (both say yes), ``first_only``,
``second_only`` and ``neither``. Raw agreement rewards a rater that always gives the majority
answer; Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` measures agreement beyond what the two base
rates give by chance (``p_e``), so a constant rater has kappa exactly 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rlsparse_check.errors import StatsInputError
from rlsparse_check.stats.result import json_float

__all__ = ["mcnemar_greater", "cohen_kappa", "agreement", "Agreement"]


def mcnemar_greater(before: Sequence[float], after: Sequence[float]) -> tuple[float, int, int]:
    """Exact one-sided McNemar test that ``after`` solves more problems than ``before``.

    Rewards are 0/1 per problem, in the same order. Returns ``(p, gained, lost)`` where
    ``gained`` counts problems solved only after, ``lost`` only before; no discordant problem
    gives p = 1."""
    from scipy.stats import binomtest

    if len(before) != len(after):
        raise StatsInputError(
            f"paired rewards differ in length: {len(before)} vs {len(after)}: score the same "
            f"problems before and after"
        )
    gained = sum(1 for b, a in zip(before, after, strict=True) if a > b)
    lost = sum(1 for b, a in zip(before, after, strict=True) if b > a)
    if gained + lost == 0:
        return 1.0, 0, 0
    p = float(binomtest(gained, gained + lost, 0.5, alternative="greater").pvalue)
    return p, gained, lost


@dataclass(frozen=True)
class Agreement:
    """Agreement of two binary raters: ``observed`` = p_o (share of items they agree on),
    ``chance`` = p_e (agreement expected from their base rates alone), ``kappa``, and the
    counts. ``kappa`` is NaN when ``chance`` is 1 (both raters constant and equal: there is no
    variation to agree on beyond chance), and for an empty table."""

    n: int
    both: int
    first_only: int
    second_only: int
    neither: int
    observed: float
    chance: float
    kappa: float

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("observed", "chance", "kappa"):
            data[key] = json_float(data[key])
        return data


def agreement(both: int, first_only: int, second_only: int, neither: int) -> Agreement:
    """:class:`Agreement` from the 2x2 counts (non-negative integers)."""
    counts = (both, first_only, second_only, neither)
    for value in counts:
        if isinstance(value, bool) or int(value) != value or value < 0:
            raise StatsInputError(f"agreement counts must be non-negative integers, got {counts}")
    a, b, c, d = (int(v) for v in counts)
    n = a + b + c + d
    if n == 0:
        return Agreement(0, 0, 0, 0, 0, math.nan, math.nan, math.nan)
    first_yes, second_yes = a + b, a + c
    chance = (first_yes * second_yes + (n - first_yes) * (n - second_yes)) / (n * n)
    # kappa = 2 (ad - bc) / ((a+b)(b+d) + (a+c)(c+d)), in integers: exactly 0 for a constant rater
    denominator = (a + b) * (b + d) + (a + c) * (c + d)
    kappa = 2 * (a * d - b * c) / denominator if denominator else math.nan
    return Agreement(n, a, b, c, d, (a + d) / n, chance, kappa)


def cohen_kappa(both: int, first_only: int, second_only: int, neither: int) -> float:
    """Cohen's kappa of two binary raters from their 2x2 counts (see :class:`Agreement` for the
    degenerate cases: NaN when chance agreement is 1 or the table is empty; 0 when exactly one
    rater is constant)."""
    return agreement(both, first_only, second_only, neither).kappa
