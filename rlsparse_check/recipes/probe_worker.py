"""The probe of :mod:`rlsparse_check.recipes.estimate`, in its own worker process: a few steps
of each probed run trained as a run trains them (same recipe, same micro-batches, same
determinism), without evals or a cache entry, then a few eval problems decoded as the eval
decodes them; progress lines go back to the session through a queue.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["PROBE_EVAL_PROBLEMS", "PROBE_EVAL_SAMPLES", "init", "measure"]

#: Eval problems the probe decodes on models other than the built-ins (all of them on the
#: built-ins, whose eval takes a second), and completions sampled for each (plus one greedy):
#: 4 x 15 fill one batch of the batched decoder, as a run's eval does (64 rows).
PROBE_EVAL_PROBLEMS, PROBE_EVAL_SAMPLES = 4, 15
#: A probed run stops after the step that ends past this many seconds of training (so a run of
#: long steps is timed on its first step alone; a harness reason: a plan in minutes on a CPU).
PROBE_SECONDS = 60.0
_LINES: Any = None  # the worker's queue of progress lines, set by :func:`_init`


def measure(specs: list[Any], scale: dict[str, float], decode_scale: float, root: str) -> dict:
    """The probe itself, in a fresh worker (so its imports and peak memory are its own)."""
    import resource

    began = time.perf_counter()
    import torch
    import transformers  # noqa: F401  (a worker's imports count as its start, not as a run's)
    import trl  # noqa: F401

    from rlsparse_check.recipes.cache import RunCache
    from rlsparse_check.recipes.execute import _builders
    from rlsparse_check.recipes.progress import use_sink

    _builders()
    startup = time.perf_counter() - began
    per_step, overhead, decode = {}, {}, 0.0
    with use_sink(_LINES.put if _LINES is not None else print):
        for spec in specs:
            step, other, net, tokenizer, task = _steps(spec, RunCache(root))
            per_step[spec.algo] = step * scale.get(spec.algo, 1.0)
            overhead[spec.algo] = other
        decode = _decode(net, tokenizer, task) * decode_scale
    if specs[0].device == "cuda":
        peak, memory = int(torch.cuda.max_memory_allocated()), "cuda max_memory_allocated"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
        memory = "cpu peak RSS"
    return {
        "per_step": per_step,
        "overhead": overhead,
        "decode": decode,
        "startup": startup,
        "peak_bytes": peak,
        "memory": memory,
    }


def _steps(spec: Any, cache: Any) -> tuple[float, float, Any, Any, Any]:
    """Train ``spec`` as a run trains it, without its evals: ``(seconds per step, seconds of
    loading, building and saving, the trained model, its tokenizer, the task)``."""
    import torch
    from transformers import TrainerCallback, set_seed

    from rlsparse_check.models import load_model
    from rlsparse_check.recipes.base import base_entry
    from rlsparse_check.recipes.execute import _builders
    from rlsparse_check.recipes.progress import Phase, announce
    from rlsparse_check.recipes.quiet import quiet
    from rlsparse_check.recipes.resolved import resolve
    from rlsparse_check.recipes.store import save_checkpoint
    from rlsparse_check.recipes.trainer import Job, drop_printer
    from rlsparse_check.tasks import get_task

    run = resolve(spec, cache)
    trained = time.perf_counter()  # reset when training starts
    what = f"probe: {run.spec.algo} on {run.model.name}"
    if not run.model.is_builtin:
        announce(f"{what}, {run.spec.steps} steps of {run.spec.batch_size} prompts or examples")
    phase = Phase(what, "steps")

    class Steps(TrainerCallback):
        """Progress, and the end of the probed run once a step has run and the budget is spent."""

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            phase(state.global_step, state.max_steps)
            if time.perf_counter() - trained >= PROBE_SECONDS:
                control.should_training_stop = True

    began = time.perf_counter()
    torch.use_deterministic_algorithms(True)
    set_seed(run.spec.seed)
    start, _ = base_entry(run.model, "float32", cache)
    with quiet(), tempfile.TemporaryDirectory(prefix="rlsparse-probe-") as tmp:
        net, tokenizer = load_model(start, run.device)
        job = Job(run.spec, net, tokenizer, start, run.device, Path(tmp), callbacks=[Steps()])
        trainer = drop_printer(_builders()[run.spec.algo](job))
        trained = time.perf_counter()
        trainer.train()
        train_time = time.perf_counter() - trained
        done = max(1, trainer.state.global_step)
        model, history = trainer.accelerator.unwrap_model(trainer.model), trainer.state.log_history
        del trainer, job
        save_checkpoint(model, tokenizer, Path(tmp) / "saved", run.spec.save_dtype)
    phase.end()
    timed = [e["step_time"] for e in history if "step_time" in e]
    step = sum(timed) / len(timed) if timed else train_time / done
    other = max(0.0, time.perf_counter() - began - step * done)
    return step, other, model, tokenizer, get_task(run.spec.task)


def _decode(net: Any, tokenizer: Any, task: Any) -> float:
    """Seconds per eval completion: :data:`PROBE_EVAL_PROBLEMS` eval problems (all on the
    built-in tasks) evaluated as a run's eval evaluates (sampled completions, a greedy one)."""
    from rlsparse_check.recipes.sampling import evaluate

    problems = list(task.eval)
    problems = problems if task.kind == "builtin" else problems[:PROBE_EVAL_PROBLEMS]
    began = time.perf_counter()
    evaluate(net, tokenizer, problems, task, PROBE_EVAL_SAMPLES, label="probe eval")
    return (time.perf_counter() - began) / (len(problems) * (PROBE_EVAL_SAMPLES + 1))


def init(env: tuple[tuple[str, str], ...], threads: int | None, lines: Any = None) -> None:
    global _LINES
    _LINES = lines
    os.environ.update(dict(env))
    if threads is not None:
        from rlsparse_check.recipes.threads import pin_threads

        pin_threads(threads)
