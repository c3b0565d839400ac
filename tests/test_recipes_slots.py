"""Where runs train on one machine: one slot per core (tiny models), per GPU, or one."""

from __future__ import annotations

import pytest

from rlsparse_check.recipes.slots import Slot, cores, local_slots, visible_gpus


def test_declared_devices_give_one_worker_each_seeing_only_its_gpu() -> None:
    slots = local_slots(device="cpu", tiny=False, runs=10, declared=("0", "1"))
    assert slots == [
        Slot("cuda:0", (("CUDA_VISIBLE_DEVICES", "0"),), None),
        Slot("cuda:1", (("CUDA_VISIBLE_DEVICES", "1"),), None),
    ]


def test_runs_per_device_repeats_each_gpu_and_never_exceeds_the_runs() -> None:
    slots = local_slots(device="cuda", tiny=False, runs=10, declared=("3", "5"), per_device=2)
    assert [s.device for s in slots] == ["cuda:3", "cuda:3", "cuda:5", "cuda:5"]
    assert (
        len(local_slots(device="cuda", tiny=False, runs=3, declared=("3", "5"), per_device=2)) == 3
    )


def test_visible_gpus_follow_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2, 7")
    assert visible_gpus() == ("2", "7")
    assert [s.device for s in local_slots(device="cuda", tiny=False, runs=5)] == [
        "cuda:2",
        "cuda:7",
    ]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpus() == ()


def test_tiny_models_on_cpu_take_one_pinned_worker_per_core() -> None:
    slots = local_slots(device="cpu", tiny=True, runs=1000)
    assert len(slots) == cores()
    assert {s.threads for s in slots} == {1} and all(not s.env for s in slots)
    assert len(local_slots(device="cpu", tiny=True, runs=1)) == 1


def test_other_models_on_cpu_take_one_worker_with_every_thread() -> None:
    assert local_slots(device="cpu", tiny=False, runs=8) == [Slot("cpu")]
