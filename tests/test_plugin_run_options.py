"""The options of where and how runs train: durations, executor, devices, runs per device."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.plugin.options import build_settings
from rlsparse_check.plugin.run_options import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("20m", 1200), ("2h", 7200), ("1h30m", 5400), ("1h2m3s", 3723), ("45", 45)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration("budget", text) == seconds


@pytest.mark.parametrize("text", ["", "ten minutes", "20x", "m20", "1h 30m"])
def test_a_bad_duration_names_the_option_and_the_forms(text: str) -> None:
    with pytest.raises(OptionError, match=r"--budget: .* write e\.g\. 90s, 20m, 2h, 1h30m"):
        parse_duration("budget", text)


def test_run_options_reach_the_settings(tmp_path: Path) -> None:
    values = {
        "plan": True,
        "budget": "1h30m",
        "executor": "Ray",
        "ray-address": "10.0.0.1:6379",
        "ray-timeout": "10m",
        "devices": "0, 2",
        "runs-per-device": "2",
    }
    s = build_settings(values, base_dir=tmp_path)
    assert (s.plan, s.budget, s.executor, s.ray_address) == (True, 5400, "ray", "10.0.0.1:6379")
    assert (s.ray_timeout, s.devices, s.runs_per_device) == (600, ("0", "2"), 2)
    defaults = build_settings({}, base_dir=tmp_path)
    assert (defaults.plan, defaults.budget, defaults.executor) == (False, None, "local")
    assert (defaults.ray_address, defaults.devices, defaults.runs_per_device) == ("auto", (), 1)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("executor", "slurm", "--executor: 'slurm' is not one of local, ray"),
        ("runs-per-device", "0", "--runs-per-device: 0 is out of range"),
        ("devices", ",", "--devices: ',' names no device"),
        ("budget", "0s", "--budget: '0s' must be longer than 0 s"),
    ],
)
def test_bad_run_options_say_what_to_do(
    name: str, value: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(OptionError, match=message):
        build_settings({name: value}, base_dir=tmp_path)
