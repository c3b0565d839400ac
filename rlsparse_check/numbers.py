"""How a number reads, wherever it is printed: claim reasons, the terminal summary, the report page.

One reading per kind of figure:

* a share (sparsity, overlap, agreement, ...) as a percentage with one decimal: ``0.2114`` ->
  ``21.1%``. A share that is not 0 but would read ``0.0%`` keeps two significant digits
  (``0.00029`` -> ``0.029%``), and one that is not 1 but would read ``100.0%`` keeps the decimals
  that show it is below (``0.99997`` -> ``99.997%``), so no figure reads as exactly none or all
  when it is not;
* a difference of shares in percentage points with one decimal and a sign: ``+14.0 pp``;
* a p-value with 3 significant digits (``0.0345``, ``2.48e-07``), ``< 1e-300`` where it
  underflowed to 0.0;
* any other number with 3 significant digits, integers in full (``790,656``); ``None`` and
  NaN read ``n/a``, booleans ``yes``/``no``;
* an interval ``a to b`` in the reading of its figure.

Which reading a number gets follows from the key it is found under (:func:`share_mode`): a key
with one of :data:`SHARE_WORDS` is a share, one with a difference word (``sparsity_difference``)
is in points, one with :data:`NOT_SHARE_WORDS` (``ratio``, ``n``, ``lr``) stays plain.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "SHARE_WORDS",
    "NOT_SHARE_WORDS",
    "SUMMARY_KEYS",
    "percent",
    "points",
    "p_value",
    "number",
    "interval",
    "share_mode",
    "is_share",
    "is_p_value",
    "reading",
    "scalar",
]

SHARE_WORDS = frozenset(
    {
        "sparsity",
        "density",
        "overlap",
        "share",
        "fraction",
        "agreement",
        "excess",
        "jaccard",
        "chance",
        "attainable",
        "accuracy",
        "equal",
        "unchanged",
    }
)
#: Keys that summarise the figure above them and so read as it does (``sparsity.ci``).
SUMMARY_KEYS = frozenset(
    {
        "value",
        "values",
        "ci",
        "per_seed",
        "per_run",
        "mean",
        "median",
        "min",
        "max",
        "lo",
        "hi",
        "lower",
        "upper",
        "std",
        "sd",
        "se",
    }
)
NOT_SHARE_WORDS = frozenset({"ratio", "cv", "n", "count", "entries", "lr", "steps", "blocks"})
_DIFFERENCE_WORDS = frozenset({"difference", "diff", "delta"})
_NUMERIC_KEY = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?")
#: Decimals a share near 1 may take before it reads 100.0%.
_MAX_PERCENT_DECIMALS = 6


def _missing(value: float | None) -> bool:
    return value is None or not math.isfinite(value)


def percent(share: float | None) -> str:
    """A share in [0, 1] as a percentage with one decimal (see the module doc for 0 and 1)."""
    if _missing(share):
        return "n/a"
    value = 100 * float(share)  # type: ignore[arg-type]
    text = f"{value:.1f}"
    if value != 0 and float(text) == 0:
        return f"{value:.2g}%"
    if value < 100 and float(text) >= 100:
        decimals = 1
        while decimals < _MAX_PERCENT_DECIMALS and float(f"{value:.{decimals}f}") >= 100:
            decimals += 1
        text = f"{value:.{decimals}f}"
    return f"{'0.0' if text == '-0.0' else text}%"


def points(difference: float | None) -> str:
    """A difference of two shares in percentage points: ``+14.0 pp``."""
    if _missing(difference):
        return "n/a"
    text = f"{100 * float(difference):+.1f}"  # type: ignore[arg-type]
    return f"{'0.0' if text in ('+0.0', '-0.0') else text} pp"


def p_value(p: float | None) -> str:
    """A p-value with 3 significant digits; ``< 1e-300`` where it underflowed to 0.0."""
    if _missing(p):
        return "n/a"
    return "< 1e-300" if p == 0 else number(p)


def number(value: float | None) -> str:
    """A plain number: 3 significant digits, integers in full (thousands separated)."""
    if _missing(value):
        return "n/a"
    value = float(value)  # type: ignore[arg-type]
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    return f"{value:.3g}"


def _words(key: Any) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", str(key).lower()) if w}


def is_p_value(key: Any) -> bool:
    """``p``, ``p_adjusted``, ``p_value``, ``p_independent_adjusted_max``, ``gain_p``, ..."""
    text = str(key).lower()
    return text in ("p", "pvalue") or text.startswith(("p_", "p-")) or text.endswith("_p")


def share_mode(key: Any, inherited: str | None = None, breakdown: bool = False) -> str | None:
    """How numbers under ``key`` read: ``"share"`` (percent), ``"points"`` (a difference of
    shares, in percentage points) or None (plain).

    ``inherited`` is the mode of the enclosing key. It passes to a key that names a summary of
    the enclosing figure (:data:`SUMMARY_KEYS`, or a number such as a layer or a rate), and to
    every key of a ``breakdown`` (a mapping of plain numbers under a share key, e.g. sparsity per
    module kind); the fields of records (a pair's ``both``, ``union``, ``numel``) keep their own.
    """
    words = _words(key)
    if is_p_value(key) or words & NOT_SHARE_WORDS:
        return None
    if words & SHARE_WORDS:
        return "points" if words & _DIFFERENCE_WORDS or inherited == "points" else "share"
    text = str(key).lower()
    if inherited and (breakdown or text in SUMMARY_KEYS or _NUMERIC_KEY.fullmatch(text)):
        return "points" if words & _DIFFERENCE_WORDS else inherited
    return None


def is_share(key: Any) -> bool:
    """Whether numbers under ``key`` are shares (percentages or percentage points)."""
    return share_mode(key) is not None


def scalar(value: Any, key: Any = "", mode: str | None = None) -> str:
    """One value under ``key`` read in ``mode`` (``"share"``, ``"points"`` or None); text
    passes through unchanged."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if is_p_value(key):
            return p_value(value)
        if mode == "points":
            return points(value)
        if mode == "share":
            return percent(value)
        return number(value)
    return str(value)


def reading(value: Any, key: Any = "", inherited: str | None = None) -> str:
    """``value`` found under ``key`` as it reads everywhere (``inherited``: the reading of the
    enclosing key, see :func:`share_mode`)."""
    return scalar(value, key, share_mode(key, inherited))


def interval(lo: float | None, hi: float | None, key: Any = "", mode: str | None = None) -> str:
    """``a to b``; a one-sided interval (one bound None) as ``>= a`` or ``<= b``."""
    if lo is None and hi is not None:
        return f"<= {scalar(hi, key, mode)}"
    if hi is None and lo is not None:
        return f">= {scalar(lo, key, mode)}"
    return f"{scalar(lo, key, mode)} to {scalar(hi, key, mode)}"
