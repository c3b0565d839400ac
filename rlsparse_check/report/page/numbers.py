"""Report values as one line of text: labels, intervals, short lists, mappings, literals in text.

Numbers in them read as :mod:`rlsparse_check.numbers` says (the one reading of every figure);
this module adds what a value needs around its numbers:

* a key reads as a label (underscores as spaces);
* an interval (a key with the word ``ci``, ``ci90``, ``interval`` or ``range``, two numbers)
  reads ``a to b``, a one-sided one ``<= b`` or ``>= a``; more than :data:`LONG_LIST` numbers read
  as count, min, median, max; more than 20 words as the first 20 and a count;
* a mapping reads ``label: value`` items joined by semicolons;
* a Python list or dict literal inside a text is written out (:func:`plain_text`).
"""

from __future__ import annotations

import ast
import re
from statistics import median
from typing import Any

from rlsparse_check.numbers import interval, scalar, share_mode

__all__ = [
    "LONG_LIST",
    "label",
    "plain_text",
    "text_of",
    "list_text",
    "format_value",
    "is_number",
    "is_breakdown",
]

LONG_LIST = 8
_LONG_TEXT_LIST = 20


def _words(key: Any) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", str(key).lower()) if w}


def text_of(value: Any, key: Any, mode: str | None) -> str:
    """One scalar under ``key`` read in ``mode``, text with its literals written out."""
    if isinstance(value, str):
        return plain_text(value)
    return scalar(value, key, mode)


def label(key: Any) -> str:
    """A key as a label: underscores read as spaces."""
    return str(key).replace("_", " ")


_REPR = re.compile(r"[\[{]'[^\]}]*[\]}]")
_NUMBER = r"\s*-?\d[\d.e+-]*\s*"
_NUMBER_LIST = re.compile(rf"\[({_NUMBER}(?:,{_NUMBER})+)\]")


def plain_text(text: str) -> str:
    """``text`` with any Python list or dict literal in it written out for reading
    (``"variants ['a', 'b']"`` -> ``"variants a, b"``, ``"within [0.7, 0.95]"`` -> ``"within
    0.7 to 0.95"``, ``"[1, 2, 3]"`` -> ``"1, 2, 3"``)."""

    def readable(match: re.Match[str]) -> str:
        try:
            value = ast.literal_eval(match.group())
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return match.group()
        return format_value(value)

    def numbers(match: re.Match[str]) -> str:
        items = [item.strip() for item in match.group(1).split(",")]
        return " to ".join(items) if len(items) == 2 else ", ".join(items)

    text = _NUMBER_LIST.sub(numbers, text) if "[" in text else text
    return _REPR.sub(readable, text) if "'" in text else text


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
        return interval(value[0], value[1], key, mode)
    if all(is_number(v) for v in value):
        if len(value) <= LONG_LIST:
            return ", ".join(text_of(v, key, mode) for v in value)
        numbers = [float(v) for v in value if v is not None]
        missing = len(value) - len(numbers)
        tail = f" ({missing} n/a)" if missing else ""
        if not numbers:
            return f"{len(value)} values, all n/a"
        if min(numbers) == max(numbers):
            return f"{len(value)} values, all {text_of(numbers[0], key, mode)}{tail}"
        lo, mid, hi = (text_of(v, key, mode) for v in (min(numbers), median(numbers), max(numbers)))
        return f"{len(value)} values: min {lo}, median {mid}, max {hi}{tail}"
    if all(isinstance(v, str | bool) for v in value):
        shown = [text_of(v, key, mode) for v in value[:_LONG_TEXT_LIST]]
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
    return text_of(value, key, mode)


def is_breakdown(value: dict[str, Any]) -> bool:
    """A mapping of plain numbers (or lists of them): each entry is a part of one figure."""
    return all(
        is_number(v) or (isinstance(v, list) and all(is_number(x) for x in v))
        for v in value.values()
    )
