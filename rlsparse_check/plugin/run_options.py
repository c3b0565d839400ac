"""Options of where and how the runs of a claims session train: ``--plan``, ``--budget``, the
executor (this machine or a Ray cluster) and the devices. Registered beside the other options
of :mod:`rlsparse_check.plugin.options`, which validates them through :func:`run_option`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from rlsparse_check.errors import OptionError

__all__ = ["RUN_OPTIONS", "EXECUTORS", "add_run_options", "parse_duration", "run_option"]

RUN_OPTIONS: dict[str, tuple[str, str]] = {
    "budget": (
        "DURATION",
        "stop before training when the estimate of the runs to train is over DURATION "
        "(90s, 20m, 2h, 1h30m): exit status 2 with the options that would fit",
    ),
    "executor": ("NAME", "local (default: the devices of this machine) or ray (a Ray cluster)"),
    "ray-address": (
        "ADDR",
        "--executor ray: the cluster (default auto: the one this machine belongs to; "
        "local: start a private one here; or host:port)",
    ),
    "ray-timeout": (
        "DURATION",
        "--executor ray: give up when no run finishes for this long (default 4h)",
    ),
    "devices": (
        "LIST",
        "GPU ids to train on, e.g. 0,1 (default: every visible GPU); one worker per id",
    ),
    "runs-per-device": ("N", "runs trained at once on each GPU (default 1)"),
}
EXECUTORS = ("local", "ray")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def add_run_options(group: Any, dest: Callable[[str], str]) -> None:
    group.addoption(
        "--plan",
        dest=dest("plan"),
        action="store_true",
        default=None,
        help="print the runs the selected claims need, with an estimate of time and memory "
        "from a short probe, and exit without training or testing",
    )
    for name, (metavar, help_text) in RUN_OPTIONS.items():
        group.addoption(f"--{name}", dest=dest(name), default=None, metavar=metavar, help=help_text)


def parse_duration(name: str, value: Any) -> float:
    """Seconds of ``90s``, ``20m``, ``2h``, ``1h30m`` or a plain number of seconds."""
    text = str(value).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise OptionError(f"--{name}: {value!r} is not a duration; write e.g. 90s, 20m, 2h, 1h30m")
    return sum(float(n) * _UNITS[u] for n, u in parts)


def run_option(name: str, value: Any) -> Any:
    """The validated value of one of these options (OptionError naming it when bad)."""
    if name == "plan":
        return bool(value)
    if name in ("budget", "ray-timeout"):
        seconds = parse_duration(name, value)
        if seconds <= 0:
            raise OptionError(f"--{name}: {value!r} must be longer than 0 s")
        return seconds
    if name == "executor":
        choice = str(value).lower()
        if choice not in EXECUTORS:
            raise OptionError(f"--{name}: {value!r} is not one of {', '.join(EXECUTORS)}")
        return choice
    if name == "devices":
        parts = value.split(",") if isinstance(value, str) else list(value)
        ids = tuple(str(p).strip() for p in parts if str(p).strip())
        if not ids:
            raise OptionError(f"--devices: {value!r} names no device; give ids such as 0,1")
        return ids
    if name == "runs-per-device":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise OptionError(f"--{name}: expected an int, got {value!r}") from None
        if number < 1:
            raise OptionError(f"--{name}: {number} is out of range: at least 1")
        return number
    return str(value)
