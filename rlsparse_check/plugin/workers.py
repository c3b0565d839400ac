"""The workers of a session: this machine's devices (``--executor local``, the default) or a Ray
cluster (``--executor ray``), chosen from the options.

Locally, :func:`rlsparse_check.recipes.slots.local_slots` gives one worker per core for the
built-in tiny models on the CPU, one per GPU (``--runs-per-device`` per GPU), or one for other
models on the CPU. On Ray, each run asks for one GPU (a ``--runs-per-device`` share of one) when
the session trains on GPUs or declares ``--devices``, else one CPU; how many run at once follows
from the cluster's resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from rlsparse_check.recipes.slots import Slot, local_slots

__all__ = ["Workers"]


class Workers:
    def __init__(self, settings: Any) -> None:
        from rlsparse_check.models import resolve_device, resolve_model

        self.settings = settings
        self.builtin = resolve_model(settings.model).is_builtin
        self.device = resolve_device(settings.device)
        self.tiny = self.builtin and self.device == "cpu"
        self.gpu = self.device == "cuda" or bool(settings.devices)

    def slots(self, runs: int | None) -> list[Slot]:
        s = self.settings
        return local_slots(
            device=self.device,
            tiny=self.tiny,
            runs=runs or 1 << 20,
            declared=s.devices,
            per_device=s.runs_per_device,
        )

    def probe_slot(self) -> Slot:
        return self.slots(1)[0]

    @cached_property
    def ray(self) -> Any:
        from rlsparse_check.recipes.executor_ray import connect

        return connect(self.settings.ray_address, gpus=len(self.settings.devices) or None)

    @property
    def request(self) -> dict[str, Any]:
        from rlsparse_check.recipes.executor_ray import request_for

        return request_for(gpu=self.gpu, tiny=self.tiny, per_device=self.settings.runs_per_device)

    def count(self, runs: int | None) -> int:
        """How many runs train at once."""
        if self.settings.executor == "ray":
            from rlsparse_check.recipes.executor_ray import cluster_slots

            return cluster_slots(self.ray, self.request)
        return len(self.slots(runs))

    def describe(self, runs: int | None) -> str:
        if self.settings.executor == "ray":
            return f"Ray at {self.settings.ray_address}, {self.count(runs)} at once, {self.request}"
        slots = self.slots(runs)
        devices = sorted({slot.device for slot in slots})
        return f"{len(slots)} local worker(s) on {', '.join(devices)}"

    def train(self, tasks: Sequence[tuple[str, Any]], cache_root: Path, on_event: Any) -> dict:
        if self.settings.executor == "ray":
            from rlsparse_check.recipes.executor_ray import train_all_ray

            return train_all_ray(
                tasks,
                cache_root=cache_root,
                ray=self.ray,
                request=self.request,
                timeout=self.settings.ray_timeout,
                threads=1 if self.tiny else None,
                on_event=on_event,
            )
        from rlsparse_check.recipes.pool import train_all

        return train_all(
            tasks, cache_root=cache_root, slots=self.slots(len(tasks)), on_event=on_event
        )
