"""Where the runs of a session train on this machine: one :class:`Slot` per worker process.

* built-in tiny models on the CPU: one slot per core, each pinned to one thread (the
  0.8 M-parameter model gains nothing from more, and busy-waiting pools larger than the free
  cores make it many times slower);
* GPUs (``--devices 0,1``, else every visible one: ``CUDA_VISIBLE_DEVICES`` or
  ``torch.cuda.device_count()``): ``runs_per_device`` slots per GPU, each worker seeing only its
  GPU (``CUDA_VISIBLE_DEVICES`` is set in the worker before torch starts CUDA there);
* other models on the CPU: one slot (the run uses every core).

Declared ids need no real GPU: on a CPU-only machine ``--devices 0,1`` still gives two workers,
each with its own ``CUDA_VISIBLE_DEVICES``, which is how the assignment is tested here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Slot", "local_slots", "visible_gpus", "cores"]


@dataclass(frozen=True)
class Slot:
    """One worker process: its device name, the environment it starts with, and the threads
    torch and the BLAS pools are pinned to (None: left alone)."""

    device: str
    env: tuple[tuple[str, str], ...] = ()
    threads: int | None = None


def cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def visible_gpus() -> tuple[str, ...]:
    """The GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` when set, else one per device
    torch counts (none without a driver; torch is only imported when a driver is present)."""
    given = os.environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        return tuple(part.strip() for part in given.split(",") if part.strip())
    if not os.path.exists("/proc/driver/nvidia/version"):
        return ()
    import torch

    return tuple(str(i) for i in range(torch.cuda.device_count()))


def local_slots(
    *, device: str, tiny: bool, runs: int, declared: tuple[str, ...] = (), per_device: int = 1
) -> list[Slot]:
    """The slots for ``runs`` runs on ``device`` (resolved: "cpu" or "cuda")."""
    threads = 1 if tiny else None
    ids = declared or (visible_gpus() if device == "cuda" else ())
    if ids:
        slots = [
            Slot(f"cuda:{i}", (("CUDA_VISIBLE_DEVICES", i),), threads)
            for i in ids
            for _ in range(per_device)
        ]
        return slots[: max(1, runs)]
    if tiny:
        return [Slot(f"cpu{k}", (), 1) for k in range(max(1, min(runs, cores())))]
    return [Slot("cpu")]
