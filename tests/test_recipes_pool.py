"""Training many runs at once: one worker per slot, each pinned to its device; failures are
reported with their label and the other runs go on."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest

from rlsparse_check.recipes import RunSpec
from rlsparse_check.recipes.pool import Outcome, train_all
from rlsparse_check.recipes.slots import Slot, local_slots


def pretend(spec: RunSpec, cache_root: str) -> Outcome:
    """A stand-in for a run: holds its worker for a while, fails on a spec with a mask."""
    began = time.time()
    if spec.mask is not None:
        raise FileNotFoundError(f"{spec.mask}: no such mask")
    time.sleep(0.6)
    return Outcome(False, 0.6, f"cuda:{os.environ['CUDA_VISIBLE_DEVICES']}", began, time.time())


def collect(events: list) -> object:
    return lambda kind, label, spec, detail: events.append((kind, label, detail))


def assert_concurrent_runs_never_share_a_device(outcomes: list[Outcome]) -> None:
    overlapping = [
        (a, b)
        for a, b in itertools.combinations(outcomes, 2)
        if a.began < b.ended and b.began < a.ended
    ]
    assert overlapping, "the runs did not overlap: the check would prove nothing"
    assert all(a.device != b.device for a, b in overlapping)


def test_two_declared_devices_two_workers_never_shared(tmp_path: Path) -> None:
    slots = local_slots(device="cpu", tiny=False, runs=6, declared=("0", "1"))
    tasks = [(f"grpo-seed{s}", RunSpec(seed=s)) for s in range(5)]
    tasks.insert(2, ("grpo-masked-seed0", RunSpec(mask=str(tmp_path / "missing.npz"))))
    events: list = []
    outcome = train_all(
        tasks,
        cache_root=tmp_path,
        slots=slots,
        on_event=collect(events),
        work=pretend,
        skip_cached=False,
    )
    assert outcome == {label: "trained" for label, _ in tasks} | {"grpo-masked-seed0": "failed"}
    failed = [e for e in events if e[0] == "failed"]
    assert failed == [
        ("failed", "grpo-masked-seed0", f"FileNotFoundError: {tmp_path}/missing.npz: no such mask")
    ]
    done = [detail for kind, _, detail in events if kind == "done"]
    assert {d.device for d in done} == {"cuda:0", "cuda:1"}
    assert_concurrent_runs_never_share_a_device(done)
    started = {label: detail for kind, label, detail in events if kind == "start"}
    assert set(started.values()) == {"cuda:0", "cuda:1"}


@pytest.mark.slow
def test_real_runs_on_declared_devices_and_a_failing_one(tmp_path: Path) -> None:
    """Real tiny runs (one step each) on two declared devices; a bad mask path fails alone."""
    slots = [Slot(f"cuda:{i}", (("CUDA_VISIBLE_DEVICES", i),), 1) for i in ("0", "1")]
    tasks = [(f"grpo-seed{s}", RunSpec(seed=s, steps=1, device="cpu")) for s in (0, 1)]
    tasks.append(
        ("bad-mask", RunSpec(seed=0, steps=1, device="cpu", mask=str(tmp_path / "no.npz")))
    )
    events: list = []
    outcome = train_all(tasks, cache_root=tmp_path / "cache", slots=slots, on_event=collect(events))
    assert outcome == {"grpo-seed0": "trained", "grpo-seed1": "trained", "bad-mask": "failed"}
    failed = [(label, detail) for kind, label, detail in events if kind == "failed"]
    assert failed[0][0] == "bad-mask" and "no.npz: no such file" in failed[0][1]
    done = [detail for kind, _, detail in events if kind == "done"]
    assert_concurrent_runs_never_share_a_device(done)
    again = train_all(tasks[:2], cache_root=tmp_path / "cache", slots=slots)
    assert again == {"grpo-seed0": "cached", "grpo-seed1": "cached"}
