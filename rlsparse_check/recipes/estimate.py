"""How long and how much memory the runs of a plan will take, from a short probe.

The probe trains :data:`PROBE_STEPS` steps of the primary algorithm and of SFT on the chosen
model and device, in a worker process set up like the session's workers, and measures per
algorithm the seconds per step (the trainer's own ``step_time`` where it logs one, else training
time / steps, set-up included), the seconds of a run beyond its steps (trainer set-up,
evaluation before and after, saving), the seconds a worker needs to start
(imports), and the peak memory of the process: ``torch.cuda.max_memory_allocated`` on CUDA,
the peak resident set (``resource.getrusage``) on the CPU. Its record is kept under
``<cache>/probes/`` keyed by model, device, thread pinning and library versions, so a second plan
is instant. The probe's own runs are removed from the cache.

A run's estimate is ``per-step x steps + overhead`` of its algorithm's probe (SFT and
self-distillation from SFT's, every other algorithm from the primary's: a rough figure for the
algorithms not probed). The wall time of a plan places the runs, wave after wave, on the
earliest free of ``workers`` workers, and adds one worker start.
"""

from __future__ import annotations

import heapq
import json
import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

from rlsparse_check.recipes.slots import Slot

__all__ = [
    "NOMINAL",
    "PROBE_STEPS",
    "Probe",
    "probe",
    "cached_probe",
    "run_seconds",
    "wall_seconds",
]

PROBE_STEPS = 2
#: Seed of the probe's runs (far from the seeds of a session, whose runs it must not touch).
PROBE_SEED = 90001


@dataclass(frozen=True)
class Probe:
    """What the probe measured (seconds, bytes)."""

    model: str
    device: str
    per_step: dict[str, float]
    overhead: dict[str, float]
    startup: float
    peak_bytes: int
    memory: str  # "cuda max_memory_allocated" or "cpu peak RSS"
    seconds: float  # how long the probe took


#: The relative cost of runs before any probe (tiny-qwen2 on one CPU thread: an online RL step
#: generates, scores and updates, about six SFT steps): orders a wave's runs, longest first.
NOMINAL = Probe("nominal", "cpu", {"grpo": 6.0, "sft": 1.0}, {"grpo": 0.0, "sft": 0.0}, 0, 0, "", 0)


def _family(algo: str, probe: Probe) -> str:
    if algo.startswith("sft"):
        return "sft"
    return next(a for a in probe.per_step if not a.startswith("sft"))


def run_seconds(probe: Probe, algo: str, steps: int) -> float:
    family = _family(algo, probe)
    return probe.per_step[family] * steps + probe.overhead[family]


def wall_seconds(waves: Sequence[Sequence[float]], workers: int, startup: float) -> float:
    """Wall time of runs of these durations, wave after wave, each on the earliest free of
    ``workers`` workers (plus one worker start when anything runs)."""
    total = 0.0
    for wave in waves:
        free = [0.0] * max(1, workers)
        for seconds in wave:
            heapq.heappush(free, heapq.heappop(free) + seconds)
        total += max(free)
    return total + (startup if any(waves) else 0.0)


def _key(model: str, device: str, slot: Slot) -> str:
    from rlsparse_check.models import resolve_model
    from rlsparse_check.recipes.base import versions
    from rlsparse_check.recipes.cache import cache_key

    name = resolve_model(model).name
    return cache_key(
        {
            "kind": "probe",
            "model": name,
            "device": device,
            "threads": slot.threads,
            "steps": PROBE_STEPS,
            "versions": versions(),
        }
    )


def _path(cache_root: Path, model: str, device: str, slot: Slot) -> Path:
    return Path(cache_root) / "probes" / f"{_key(model, device, slot)}.json"


def cached_probe(cache_root: Path, model: str, device: str, slot: Slot) -> Probe | None:
    """The stored probe of this model and device, if any."""
    path = _path(cache_root, model, device, slot)
    try:
        return Probe(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _measure(model: str, device: str, algos: tuple[str, ...], cache_root: str) -> dict:
    """The probe itself, in a fresh worker (so its imports and peak memory are its own)."""
    import resource

    began = time.perf_counter()
    import torch  # noqa: F401  (a worker's imports count as its start, not as a run's)
    import transformers  # noqa: F401
    import trl  # noqa: F401

    from rlsparse_check.recipes import RunCache, RunSpec, train
    from rlsparse_check.recipes.execute import _builders
    from rlsparse_check.recipes.sampling import evaluate  # noqa: F401

    _builders()
    startup = time.perf_counter() - began
    per_step, overhead = {}, {}
    for algo in algos:
        spec = RunSpec(model=model, algo=algo, seed=PROBE_SEED, steps=PROBE_STEPS, device=device)
        run = train(spec, cache=RunCache(cache_root))
        record = run.record
        timed = [e["step_time"] for e in record.log_history if "step_time" in e]
        per_step[algo] = sum(timed) / len(timed) if timed else record.train_time_s / PROBE_STEPS
        overhead[algo] = max(0.0, record.wall_time_s - per_step[algo] * PROBE_STEPS)
        if not run.cached:
            shutil.rmtree(run.path, ignore_errors=True)
    if device == "cuda":
        import torch

        peak, memory = int(torch.cuda.max_memory_allocated()), "cuda max_memory_allocated"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
        memory = "cpu peak RSS"
    return {
        "per_step": per_step,
        "overhead": overhead,
        "startup": startup,
        "peak_bytes": peak,
        "memory": memory,
    }


def _init(env: tuple[tuple[str, str], ...], threads: int | None) -> None:
    os.environ.update(dict(env))
    if threads is not None:
        from rlsparse_check.recipes.threads import pin_threads

        pin_threads(threads)


def probe(
    cache_root: Path, model: str, device: str, primary: str, slot: Slot, *, fresh: bool = False
) -> Probe:
    """The probe of ``model`` on ``device`` (resolved), from its record or measured now."""
    from rlsparse_check.atomic import write_json

    if not fresh and (found := cached_probe(cache_root, model, device, slot)) is not None:
        return found
    algos = tuple(dict.fromkeys((primary, "sft")))
    began = time.perf_counter()
    with ProcessPoolExecutor(
        1, mp_context=get_context("spawn"), initializer=_init, initargs=(slot.env, slot.threads)
    ) as pool:
        measured = pool.submit(_measure, model, device, algos, str(cache_root)).result()
    result = Probe(model, device, **measured, seconds=time.perf_counter() - began)
    path = _path(cache_root, model, device, slot)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, asdict(result))
    return result
