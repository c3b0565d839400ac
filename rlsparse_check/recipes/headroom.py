"""The base model's eval accuracy on a task, measured before anything trains, and whether it
leaves room for the claims to be decided (:func:`rlsparse_check.tasks.headroom_message`).

The measurement is the run's own "before" evaluation (:func:`~rlsparse_check.recipes.sampling.
evaluate`: sampled completions of the task's eval split with the task's prompts and verifier,
greedy accuracy beside them) on the stored base checkpoint, so it equals ``run.json``'s
``eval.before`` of every run of that base.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from rlsparse_check.models import resolve_device, resolve_model
from rlsparse_check.recipes.base import base_checkpoint
from rlsparse_check.recipes.cache import CacheArg
from rlsparse_check.tasks import default_task, get_task, headroom_message

__all__ = ["PLAN_PROBLEMS", "PLAN_SEED", "base_accuracy", "base_eval", "check_headroom"]

#: Folder of the run cache that keeps each base's eval ("before" of every run of that base).
EVALS = "evals"
#: A plan's bounded eval: at most this many eval problems (a seeded subset), one greedy answer
#: each, so that ``--plan`` on a real model on a CPU takes minutes, not the hours of the full eval.
PLAN_PROBLEMS = 16
#: Seed of the bounded eval's subset of problems.
PLAN_SEED = 4321
#: Wall-clock budget of the bounded eval (seconds): problems are decoded :data:`PLAN_CHUNK` at a
#: time, no chunk starts once the budget is spent, and a chunk still decoding when it runs out
#: stops there (its answers are scored as written, as a completion cut at ``max_new_tokens`` is).
#: A harness reason: the whole plan of a 135 M model must show in under 5 minutes on 2 cores.
PLAN_SECONDS = 60.0
#: Problems decoded together by the bounded eval.
PLAN_CHUNK = 4


def base_eval(
    folder: Path,
    weights_sha256: str,
    spec: Any,
    device: str,
    cache_root: Path,
    *,
    limit: int | None = None,
    seconds: float = PLAN_SECONDS,
) -> dict[str, Any]:
    """The eval of the stored base ``folder`` (weights ``weights_sha256``) on ``spec``'s task
    and sample count: computed by the first run of that base, task, count and device and read
    by the others (the eval draws from its own seeded generator, so a run trains the same
    bits whether it computed the eval or read it). The one store of a base's eval: the
    session's headroom line reads it too.

    ``limit``: the bounded eval of a plan instead, at most ``limit`` eval problems drawn with
    :data:`PLAN_SEED`, one greedy answer each, within ``seconds`` (:data:`PLAN_SECONDS`):
    ``accuracy`` is their greedy accuracy, ``n`` the problems done, ``cut`` those stopped by the
    time cap, ``of`` the size of the eval split, ``bounded`` says it."""
    import torch

    from rlsparse_check.atomic import write_json
    from rlsparse_check.models import load_model
    from rlsparse_check.recipes.quiet import quiet
    from rlsparse_check.recipes.sampling import EVAL_SEED, evaluate

    identity = [weights_sha256, spec.task, spec.to_dict().get("task_identity"), spec.eval_samples]
    identity += [device, EVAL_SEED, torch.__version__]
    if limit is not None:
        identity += ["bounded", limit, PLAN_SEED, seconds, PLAN_CHUNK]
    key = hashlib.sha256(json.dumps(identity).encode()).hexdigest()
    stored = Path(cache_root) / EVALS / f"{key}.json"
    try:
        return json.loads(stored.read_text())
    except (OSError, ValueError):
        pass
    task = get_task(spec.task)
    with quiet():  # no loading bar between the plan's progress lines
        net, tokenizer = load_model(folder, device)
    if limit is None:
        result = evaluate(net, tokenizer, task.eval, task, spec.eval_samples)
    else:
        result = _bounded(net, tokenizer, task, limit, seconds)
    stored.parent.mkdir(parents=True, exist_ok=True)
    write_json(stored, result)
    return result


def _bounded(net: Any, tokenizer: Any, task: Any, limit: int, seconds: float) -> dict[str, Any]:
    import time

    from rlsparse_check.recipes.batched import generate_batched
    from rlsparse_check.recipes.progress import Phase
    from rlsparse_check.recipes.sampling import generate
    from rlsparse_check.tasks.problem import draw
    from rlsparse_check.tasks.prompts import rendered

    pool = list(task.eval)
    chosen = rendered(task, draw(pool, min(limit, len(pool)), PLAN_SEED), tokenizer)
    what = f"plan eval on at most {len(chosen)} of {len(pool)} {task.name} problems"
    phase = Phase(f"{what} (greedy, capped at {seconds:.0f} s)", "answers")
    began = time.perf_counter()
    solved, cut = [], 0
    for start in range(0, len(chosen), PLAN_CHUNK):
        left = seconds - (time.perf_counter() - began)
        if solved and left <= 0:
            break
        chunk = chosen[start : start + PLAN_CHUNK]
        prompts, tokens = [p.prompt for p in chunk], task.max_new_tokens
        called = time.perf_counter()
        if task.kind == "builtin":
            out = generate(net, tokenizer, prompts, max_new_tokens=tokens, use_cache=True)
        else:  # batched decoding, stopped inside the chunk when the budget runs out
            budget = max(left, 1.0)
            out = generate_batched(net, tokenizer, prompts, max_new_tokens=tokens, max_time=budget)
            cut += len(chunk) * (time.perf_counter() - called >= budget)
        solved += [task.score(c[0], p) for c, p in zip(out, chunk, strict=True)]
        phase(len(solved), len(chosen))
    phase.end()
    accuracy = sum(solved) / len(solved) if solved else 0.0
    return {
        "accuracy": accuracy,
        "greedy": accuracy,
        "n": len(solved),
        "cut": cut,
        "of": len(pool),
        "seconds": round(time.perf_counter() - began, 1),
        "bounded": True,
    }


def base_accuracy(
    model: str,
    task: str | None = None,
    *,
    device: str = "auto",
    save_dtype: str = "bfloat16",
    cache: CacheArg = "default",
) -> dict[str, Any]:
    """Eval of the base of ``model`` on ``task`` (None: the model's default task):
    ``{"task", "accuracy", "n", "rewards"}``."""
    from rlsparse_check.models import load_model
    from rlsparse_check.recipes.quiet import quiet
    from rlsparse_check.recipes.sampling import evaluate

    name = task or default_task(resolve_model(model).is_builtin, model)
    chosen = get_task(name)
    with quiet():
        folder = base_checkpoint(model, save_dtype, cache=cache)
        net, tokenizer = load_model(folder, resolve_device(device))
        result = evaluate(net, tokenizer, chosen.eval, chosen)
    return {"task": name, **result}


def check_headroom(model: str, task: str | None = None, **options: Any) -> tuple[float, str | None]:
    """``(base eval accuracy, headroom_message(...))``: the message is None when the task
    leaves room, else says why not and which ``--task`` setting changes the difficulty."""
    result = base_accuracy(model, task, **options)
    return result["accuracy"], headroom_message(result["task"], result["accuracy"])
