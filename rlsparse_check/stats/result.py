"""The result record of a test and the input checks every test shares."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from rlsparse_check.errors import StatsInputError

__all__ = ["TestResult", "ALTERNATIVES", "json_float", "sample", "check_alternative", "check_level"]

ALTERNATIVES = ("two-sided", "greater", "less")


@dataclass(frozen=True)
class TestResult:
    """One test: ``effect`` is the estimated difference (or effect size, see each test),
    ``ci`` an interval for it (None where the test has none), ``n`` the total sample size.
    ``method`` says how the p-value was computed where a test has a choice (``"exact"`` or
    ``"monte_carlo"``); None where there is only one way."""

    __test__ = False  # not a pytest test class

    name: str
    statistic: float
    p_value: float
    effect: float
    ci: tuple[float, float] | None
    n: int
    alternative: str
    method: str | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("statistic", "p_value", "effect"):
            data[key] = json_float(data[key])
        if self.ci is not None:
            data["ci"] = [json_float(v) for v in self.ci]
        return data


def json_float(x: float) -> float | None:
    """``x`` as a float, or None where it is not finite (strict JSON has no inf or NaN)."""
    return float(x) if math.isfinite(x) else None


def sample(x: object, what: str, min_n: int) -> np.ndarray:
    """``x`` as a flat float64 array of at least ``min_n`` finite values, else a clear error."""
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if arr.size < min_n:
        raise StatsInputError(
            f"{what}: needs at least {min_n} values, got {arr.size}: add replicates (seeds) "
            f"or report the result as inconclusive"
        )
    if not np.all(np.isfinite(arr)):
        raise StatsInputError(f"{what}: values must be finite (got NaN or inf): drop failed runs")
    return arr


def check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise StatsInputError(f"alternative={alternative!r}: use one of {', '.join(ALTERNATIVES)}")
    return alternative


def check_level(level: float, what: str) -> float:
    if not 0 < level < 1:
        raise StatsInputError(f"{what}: level must lie in (0, 1), got {level!r}")
    return float(level)
