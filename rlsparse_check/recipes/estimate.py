"""How long and how much memory the runs of a plan will take, from a short, bounded probe.

The probe trains :data:`PROBE_STEPS` steps of the primary algorithm and of SFT on the chosen
model and device, in a worker process set up like the session's workers, with the session's
task, batch and sample settings, without evaluations or a cache entry. It measures per
algorithm the seconds per step (the trainer's own ``step_time`` where it logs one, else training
time / steps), the seconds of a run beyond its steps and its eval (loading the model, building
the trainer, saving a checkpoint), the seconds a worker needs to start (imports), the seconds
per eval completion (a few eval problems decoded as a run's eval decodes them), and the peak
memory of the process: ``torch.cuda.max_memory_allocated`` on CUDA, the peak
resident set (``resource.getrusage``) on the CPU.

On the built-in tiny models the probe steps are the session's own. On other models, so that
a plan takes minutes on a CPU, it is bounded: online RL steps draw :data:`PROBE_PROMPTS` prompts
x at most :data:`PROBE_GENERATIONS` completions, completions (training and eval) stop at
:data:`PROBE_TOKENS` new tokens, and the seconds are scaled linearly to the session's
completions per step and ``max_new_tokens`` (an upper bound when completions run to the cap, as
they do while every reward is 0); :attr:`Probe.scaled` says what was scaled, and the plan says
it. The peak memory is the bounded probe's (the session's longer completions reach higher).

Its record is kept under ``<cache>/probes/`` keyed by model, device, thread pinning, library
versions and the probed runs' settings, so a second plan is instant.

A run's estimate is ``per-step x steps + overhead + seconds per eval completion x the
completions of its eval`` (SFT and self-distillation from SFT's rate, every other algorithm
from the primary's: a rough figure for the algorithms not probed). The wall time of a plan
places the runs, wave after wave, on the earliest free of ``workers`` workers, and adds one
worker start.
"""

from __future__ import annotations

import dataclasses
import heapq
import json
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rlsparse_check.recipes.slots import Slot

__all__ = [
    "NOMINAL",
    "PROBE_STEPS",
    "Probe",
    "probe",
    "cached_probe",
    "probe_specs",
    "run_seconds",
    "wall_seconds",
]

PROBE_STEPS = 2
#: Seed of the probe's runs (far from the seeds of a session, whose runs it must not touch).
PROBE_SEED = 90001
#: Bounds of the probe on models other than the built-ins (harness reasons: a 135 M model's plan
#: in minutes on 2 CPU cores). Prompts and completions per prompt of an online RL probe step
#: (2 x 4: one micro-batch of :data:`rlsparse_check.recipes.spec.MICRO_BATCH`, so the probe
#: trains the way the session's runs do, in micro-batches, with checkpointing).
PROBE_PROMPTS, PROBE_GENERATIONS = 2, 4
#: New tokens a completion of the probe stops at: the length of the short-answer tasks a CPU can
#: train (smollm2-135m's default task), so those are probed at their own length and only longer
#: tasks (the hub default's 256) are scaled, linearly: an upper bound.
PROBE_TOKENS = 32
#: The algorithms whose step cost grows with the completions per step.
_ONLINE = ("grpo", "rloo", "ppo", "prime")


@dataclass(frozen=True)
class Probe:
    """What the probe measured (seconds, bytes), scaled as :attr:`scaled` says."""

    model: str
    device: str
    per_step: dict[str, float]
    overhead: dict[str, float]
    startup: float
    peak_bytes: int
    memory: str  # "cuda max_memory_allocated" or "cpu peak RSS"
    seconds: float  # how long the probe took
    decode: float = 0.0  # seconds per eval completion
    scaled: str = ""  # what the bounded probe scaled ("": measured at the session's settings)


#: The relative cost of runs before any probe (tiny-qwen2 on one CPU thread: an online RL step
#: generates, scores and updates, about six SFT steps): orders a wave's runs, longest first.
NOMINAL = Probe("nominal", "cpu", {"grpo": 6.0, "sft": 1.0}, {"grpo": 0.0, "sft": 0.0}, 0, 0, "", 0)


def _family(algo: str, probe: Probe) -> str:
    if algo.startswith("sft"):
        return "sft"
    return next(a for a in probe.per_step if not a.startswith("sft"))


def run_seconds(probe: Probe, algo: str, steps: int, evals: int = 0) -> float:
    """Seconds of a run of ``steps`` steps whose eval decodes ``evals`` completions."""
    family = _family(algo, probe)
    return probe.per_step[family] * steps + probe.overhead[family] + probe.decode * evals


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


def _capped(task: str, tokens: int) -> str:
    """``task`` with its completions stopped at ``tokens`` new tokens (``max_new_tokens``)."""
    head, _, last = task.rpartition(":")
    if "=" not in last or head.count(":") < 1:
        head, last = task, ""
    kept = [p for p in last.split(",") if p.strip() and p.split("=")[0].strip() != "max_new_tokens"]
    return f"{head}:{','.join([*kept, f'max_new_tokens={tokens}'])}"


def probe_specs(spec: Any, builtin: bool) -> tuple[list[Any], dict[str, float], float, str]:
    """The probe's runs for the session's primary run ``spec`` (resolved): ``(specs, scale of
    each algorithm's step seconds, scale of the eval's seconds per completion, what was
    scaled)``; unbounded on the built-in models."""
    from rlsparse_check.recipes import RunSpec
    from rlsparse_check.tasks import get_task

    fixed = {"seed": PROBE_SEED, "steps": PROBE_STEPS}
    sft = RunSpec(model=spec.model, algo="sft", device=spec.device, task=spec.task, **fixed)
    sft = dataclasses.replace(sft, batch_size=spec.batch_size, eval_samples=spec.eval_samples)
    primary = dataclasses.replace(spec, mask=None, **fixed)
    tokens = get_task(spec.task).max_new_tokens
    if builtin or tokens <= PROBE_TOKENS and spec.algo not in _ONLINE:
        return [primary, sft][: 1 if spec.algo == "sft" else 2], {}, 1.0, ""
    task, text = spec.task, []
    if tokens > PROBE_TOKENS:
        task = _capped(spec.task, PROBE_TOKENS)
        text.append(f"completions at most {PROBE_TOKENS} of {tokens} tokens")
    scale = {"sft": 1.0, spec.algo: 1.0}
    if spec.algo in _ONLINE:
        generations = min(spec.num_generations, PROBE_GENERATIONS)
        rows, full = PROBE_PROMPTS * generations, spec.batch_size * spec.num_generations
        micro = spec.micro_batch if spec.micro_batch and rows % spec.micro_batch == 0 else None
        primary = dataclasses.replace(
            primary, batch_size=PROBE_PROMPTS, num_generations=generations, micro_batch=micro
        )
        scale[spec.algo] = full / rows * max(1.0, tokens / PROBE_TOKENS)
        text.insert(0, f"{spec.algo} steps of {rows} of {full} completions")
    primary = dataclasses.replace(primary, task=task)
    specs = [primary, dataclasses.replace(sft, task=task)][: 1 if spec.algo == "sft" else 2]
    return specs, scale, max(1.0, tokens / PROBE_TOKENS), ", ".join(text)


def _key(model: str, device: str, slot: Slot, specs: Sequence[Any] = ()) -> str:
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
            "runs": [s.to_dict() for s in specs],
        }
    )


def _path(cache_root: Path, model: str, device: str, slot: Slot, specs: Sequence[Any]) -> Path:
    return Path(cache_root) / "probes" / f"{_key(model, device, slot, specs)}.json"


def _default(model: str, device: str, primary: str) -> Any:
    from rlsparse_check.models import resolve_model
    from rlsparse_check.recipes import RunSpec

    builtin = resolve_model(model).is_builtin
    return RunSpec(model=model, algo=primary, device=device).resolved(builtin=builtin)


def _plan(model: str, device: str, primary: str, spec: Any) -> tuple[list, dict, float, str]:
    from rlsparse_check.models import resolve_model

    spec = spec if spec is not None else _default(model, device, primary)
    specs, scale, decode_scale, scaled = probe_specs(spec, resolve_model(model).is_builtin)
    return [dataclasses.replace(s, device=device) for s in specs], scale, decode_scale, scaled


def cached_probe(
    cache_root: Path, model: str, device: str, slot: Slot, spec: Any = None, primary: str = "grpo"
) -> Probe | None:
    """The stored probe of this model, device and primary run ``spec``, if any."""
    specs = _plan(model, device, primary, spec)[0]
    try:
        return Probe(**json.loads(_path(cache_root, model, device, slot, specs).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def probe(
    cache_root: Path,
    model: str,
    device: str,
    primary: str,
    slot: Slot,
    *,
    spec: Any = None,
    fresh: bool = False,
) -> Probe:
    """The probe of ``model`` on ``device`` (resolved) for the session's primary run ``spec``
    (None: the usual run of ``primary``), from its record or measured now; its workers's
    progress lines go to :func:`rlsparse_check.recipes.progress.sink` as they come."""
    from rlsparse_check.atomic import write_json
    from rlsparse_check.recipes.probe_worker import init, measure
    from rlsparse_check.recipes.progress import sink

    specs, scale, decode_scale, scaled = _plan(model, device, primary, spec)
    path = _path(cache_root, model, device, slot, specs)
    if not fresh and (found := cached_probe(cache_root, model, device, slot, spec, primary)):
        return found
    began, context = time.perf_counter(), get_context("spawn")
    lines = context.Queue()
    with ProcessPoolExecutor(
        1, mp_context=context, initializer=init, initargs=(slot.env, slot.threads, lines)
    ) as pool:
        future = pool.submit(measure, specs, scale, decode_scale, str(cache_root))
        while not future.done() or not lines.empty():
            _relay(lines, sink())
        measured = future.result()
    result = Probe(model, device, **measured, seconds=time.perf_counter() - began, scaled=scaled)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, asdict(result))
    return result


def _relay(lines: Any, write: Any) -> None:
    import queue

    try:
        write(lines.get(timeout=0.2))
    except queue.Empty:
        pass
