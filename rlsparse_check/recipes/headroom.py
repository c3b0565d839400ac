"""The base model's eval accuracy on a task, measured before anything trains, and whether it
leaves room for the claims to be decided (:func:`rlsparse_check.tasks.headroom_message`).

The measurement is the run's own "before" evaluation (:func:`~rlsparse_check.recipes.sampling.
evaluate`: sampled completions of the task's eval split with the task's prompts and verifier,
greedy accuracy beside them) on the stored base checkpoint, so it equals ``run.json``'s
``eval.before`` of every run of that base.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.models import resolve_device, resolve_model
from rlsparse_check.recipes.base import base_checkpoint
from rlsparse_check.recipes.cache import CacheArg
from rlsparse_check.tasks import default_task, get_task, headroom_message

__all__ = ["base_accuracy", "check_headroom"]


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

    name = task or default_task(resolve_model(model).is_builtin)
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
