"""The estimate of a plan: per-run seconds from the probe, wall time over the workers, and the
probe's stored record."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from rlsparse_check.recipes import estimate
from rlsparse_check.recipes.estimate import Probe, cached_probe, run_seconds, wall_seconds
from rlsparse_check.recipes.slots import Slot

PROBE = Probe(
    model="tiny-qwen2",
    device="cpu",
    per_step={"grpo": 1.5, "sft": 0.5},
    overhead={"grpo": 4.0, "sft": 2.0},
    startup=7.0,
    peak_bytes=600 * 1024**2,
    memory="cpu peak RSS",
    seconds=30.0,
)


def test_a_run_costs_its_steps_at_its_family_rate_plus_its_overhead() -> None:
    assert run_seconds(PROBE, "grpo", 10) == pytest.approx(19.0)
    assert run_seconds(PROBE, "dpo", 10) == pytest.approx(19.0)  # the primary's rate
    assert run_seconds(PROBE, "sft", 10) == pytest.approx(7.0)
    assert run_seconds(PROBE, "sft-self", 4) == pytest.approx(4.0)


def test_wall_time_places_runs_on_the_earliest_free_worker_wave_after_wave() -> None:
    assert wall_seconds([[3, 3, 3]], workers=1, startup=1) == pytest.approx(10)
    assert wall_seconds([[3, 3, 3]], workers=2, startup=1) == pytest.approx(7)
    assert wall_seconds([[3, 3, 3]], workers=3, startup=1) == pytest.approx(4)
    assert wall_seconds([[5, 1, 1, 1, 1]], workers=2, startup=0) == pytest.approx(5)
    assert wall_seconds([[4], [2, 2]], workers=2, startup=0) == pytest.approx(6)  # waves add up
    assert wall_seconds([[], []], workers=2, startup=9) == 0.0


def test_a_stored_probe_is_read_back_for_the_same_model_device_and_pinning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        estimate, "_key", lambda model, device, slot: f"{model}-{device}-{slot.threads}"
    )
    slot = Slot("cpu0", (), 1)
    assert cached_probe(tmp_path, "tiny-qwen2", "cpu", slot) is None
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "tiny-qwen2-cpu-1.json").write_text(json.dumps(asdict(PROBE)))
    assert cached_probe(tmp_path, "tiny-qwen2", "cpu", slot) == PROBE
    assert cached_probe(tmp_path, "tiny-qwen2", "cpu", Slot("cpu")) is None
    assert estimate.probe(tmp_path, "tiny-qwen2", "cpu", "grpo", slot) == PROBE  # no new probe


def test_the_probe_key_holds_the_model_the_device_and_the_threads() -> None:
    one, two = Slot("cpu0", (), 1), Slot("cpu0", (), 2)
    key = estimate._key("tiny-qwen2", "cpu", one)
    assert key == estimate._key("tiny-qwen2", "cpu", Slot("cpu1", (), 1))
    assert key != estimate._key("tiny-qwen2", "cuda", one)
    assert key != estimate._key("tiny-qwen2", "cpu", two)
    assert key != estimate._key("tiny-qwen2", "cpu", Slot("cpu0"))
    assert key != estimate._key("tiny-llama", "cpu", one)
