"""Numbers of a report for reading: shares as percentages, p-values, intervals, short lists.

How a number reads depends on its key and the keys above it:

* a share (a key with one of :data:`SHARE_WORDS` in it, e.g. ``sparsity``, ``overlap_ab``,
  ``flip_share``) reads as a percentage: ``0.2114`` -> ``21.1%``; a difference of shares
  (``sparsity_difference``) in percentage points: ``+14.0 pp``. Under a share key, its summaries
  (:data:`SUMMARY_KEYS` such as ``value``, ``ci``, ``per_seed``; numeric keys such as layers or
  rates) and the entries of a mapping of plain numbers (sparsity per module kind) read the same;
  fields of records keep their own reading. Keys with one of :data:`NOT_SHARE_WORDS` (``ratio``,
  ``n``, ``cv``, ...) stay plain numbers;
* a p-value (``p``, ``p_adjusted``, ``p_value``, ``..._p``) with 3 significant digits, and as
  ``< 1e-300`` where it underflowed to 0.0;
* any other number with 3 significant digits (integers in full); ``None`` reads ``n/a``,
  booleans ``yes``/``no``;
* an interval (a key with the word ``ci``, ``ci90``, ``interval`` or ``range``, two numbers)
  reads ``a to b``, a one-sided one ``<= b`` or ``>= a``; more than :data:`LONG_LIST` numbers read
  as count, min, median, max; more than 20 words as the first 20 and a count;
* a Python list or dict literal inside a text is written out (:func:`plain_text`).
"""

from __future__ import annotations

import ast
import math
import re
from statistics import median
from typing import Any

__all__ = [
    "SHARE_WORDS",
    "NOT_SHARE_WORDS",
    "SUMMARY_KEYS",
    "LONG_LIST",
    "share_mode",
    "is_share",
    "is_p_value",
    "label",
    "plain_text",
    "scalar_text",
    "list_text",
    "format_scalar",
    "format_value",
    "is_number",
    "is_breakdown",
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
_NUMERIC_KEY = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?")
NOT_SHARE_WORDS = frozenset({"ratio", "cv", "n", "count", "entries", "lr", "steps", "blocks"})
_DIFFERENCE_WORDS = frozenset({"difference", "diff", "delta"})
LONG_LIST = 8
_LONG_TEXT_LIST = 20


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
        own = "points" if words & _DIFFERENCE_WORDS or inherited == "points" else "share"
        return own
    text = str(key).lower()
    if inherited and (breakdown or text in SUMMARY_KEYS or _NUMERIC_KEY.fullmatch(text)):
        return "points" if words & _DIFFERENCE_WORDS else inherited
    return None


def is_share(key: Any) -> bool:
    """Whether numbers under ``key`` are shares (percentages or percentage points)."""
    return share_mode(key) is not None


def label(key: Any) -> str:
    """A key as a label: underscores read as spaces."""
    return str(key).replace("_", " ")


_REPR = re.compile(r"[\[{]'[^\]}]*[\]}]")


def plain_text(text: str) -> str:
    """``text`` with any Python list or dict literal of strings in it written out for reading
    (``"variants ['a', 'b']"`` -> ``"variants a, b"``)."""

    def readable(match: re.Match[str]) -> str:
        try:
            value = ast.literal_eval(match.group())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return match.group()
        return format_value(value)

    return _REPR.sub(readable, text) if "'" in text else text


def _sig(value: float) -> str:
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    return f"{value:.3g}"


def scalar_text(value: Any, key: Any, mode: str | None) -> str:
    """One scalar under ``key`` read in ``mode`` (see :func:`share_mode`)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "n/a"
        if is_p_value(key):
            return "< 1e-300" if value == 0 else _sig(float(value))
        if mode == "points":
            return f"{value * 100:+.3g} pp"
        if mode == "share":
            return f"{_sig(value * 100)}%"
        return _sig(value)
    return plain_text(str(value))


def format_scalar(value: Any, key: Any = "", share: str | None = None) -> str:
    """One scalar found under ``key`` for reading (see the module doc); ``share``: the mode of
    the enclosing key (:func:`share_mode`)."""
    return scalar_text(value, key, share_mode(key, share))


def is_number(value: Any) -> bool:
    """A real number or None (booleans are not numbers here)."""
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _is_interval(key: Any, value: list[Any]) -> bool:
    named = any(re.fullmatch(r"(ci|interval|range)\d*", w) for w in _words(key))
    return named and len(value) == 2 and all(is_number(v) for v in value)


def list_text(key: Any, value: list[Any], mode: str | None) -> str | None:
    """A list of scalars found under ``key`` as one line, or None when it needs a table."""
    if not value:
        return "none"
    if _is_interval(key, value):
        lo, hi = (scalar_text(v, key, mode) for v in value)
        if value[0] is None and value[1] is not None:
            return f"<= {hi}"
        if value[1] is None and value[0] is not None:
            return f">= {lo}"
        return f"{lo} to {hi}"
    if all(is_number(v) for v in value):
        if len(value) <= LONG_LIST:
            return ", ".join(scalar_text(v, key, mode) for v in value)
        numbers = [float(v) for v in value if v is not None]
        missing = len(value) - len(numbers)
        tail = f" ({missing} n/a)" if missing else ""
        if not numbers:
            return f"{len(value)} values, all n/a"
        if min(numbers) == max(numbers):
            return f"{len(value)} values, all {scalar_text(numbers[0], key, mode)}{tail}"
        lo, mid, hi = (
            scalar_text(v, key, mode) for v in (min(numbers), median(numbers), max(numbers))
        )
        return f"{len(value)} values: min {lo}, median {mid}, max {hi}{tail}"
    if all(isinstance(v, str | bool) for v in value):
        shown = [scalar_text(v, key, mode) for v in value[:_LONG_TEXT_LIST]]
        more = len(value) - len(shown)
        return ", ".join(shown) + (f" and {more} more (see report.json)" if more else "")
    return None


def format_value(
    value: Any, key: Any = "", share: str | None = None, breakdown: bool = False
) -> str:
    """A value as one line of text: scalars and flat lists as above, mappings as
    ``label: value`` items joined by semicolons (for the terminal and for table cells)."""
    mode = share_mode(key, share, breakdown)
    if isinstance(value, dict):
        if not value:
            return "none"
        split = is_breakdown(value)
        return "; ".join(f"{label(k)}: {format_value(v, k, mode, split)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        text = list_text(key, list(value), mode)
        if text is not None:
            return text
        return "; ".join(format_value(v, key, share, breakdown) for v in value)
    return scalar_text(value, key, mode)


def is_breakdown(value: dict[str, Any]) -> bool:
    """A mapping of plain numbers (or lists of them): each entry is a part of one figure."""
    return all(
        is_number(v) or (isinstance(v, list) and all(is_number(x) for x in v))
        for v in value.values()
    )
