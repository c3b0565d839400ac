"""Verifiable tasks: seeded problems, 0/1 rewards, fixed train/eval splits, and the data sets the
recipes build from them. No torch here: sampling lives in :mod:`rlsparse_check.recipes.sampling`.

``--task`` values (:func:`get_task`):

* ``add`` / ``sub``: the built-in synthetic tasks of the embedded models
  (:mod:`~rlsparse_check.tasks.builtin`), their default;
* ``rg:NAME[:key=value,...]``: a reasoning-gym data set (:mod:`~rlsparse_check.tasks.gym`),
  settings parsed as int, float, bool or text, e.g. ``rg:chain_sum:min_terms=3,max_terms=5``;
* ``jsonl:PATH``: your own problems (:mod:`~rlsparse_check.tasks.jsonl`).

``max_new_tokens=N`` among the settings sets the completion length (default 256).

Default for hub and local models (:data:`DEFAULT_HUB_TASK`): reasoning-gym ``chain_sum`` with 4
to 6 terms of 2 to 3 digits, the direct generalisation of the built-in ``a+b`` with a difficulty
dial. A pretrained 0.5B model solves nearly all of ``add``, so RL would have nothing to learn;
many-term multi-digit sums are meant to start 0.5B-1.5B base and instruct models well below their
ceiling. No published accuracies of such models on it exist (reasoning-gym 0.1.25 gives none;
the GSM8K figures of their model cards, 44-73 %, are the nearest): measure the base with
:func:`rlsparse_check.recipes.headroom.base_accuracy` and check it with :func:`headroom_message`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.tasks.builtin import TASKS, reward
from rlsparse_check.tasks.data import (
    kto_examples,
    preference_pairs,
    self_sft_examples,
    sft_examples,
)
from rlsparse_check.tasks.problem import SPLIT_SEED, Problem, Task, draw

__all__ = [
    "TASKS",
    "DEFAULT_TASK",
    "DEFAULT_HUB_TASK",
    "MODEL_TASKS",
    "TASK_HELP",
    "SPLIT_SEED",
    "MIN_HEADROOM",
    "MAX_HEADROOM",
    "Problem",
    "Task",
    "default_task",
    "check_task",
    "get_task",
    "task_identity",
    "is_builtin_task",
    "parse_settings",
    "headroom_message",
    "reward",
    "draw",
    "sft_examples",
    "self_sft_examples",
    "preference_pairs",
    "kto_examples",
]

DEFAULT_TASK = "add"
DEFAULT_HUB_TASK = "rg:chain_sum:min_terms=4,max_terms=6,min_digits=2,max_digits=3"
#: Real models too small for the default sums: their default task and C3's second data set,
#: chosen by their measured base accuracy. SmolLM2-135M-Instruct (``--model smollm2-135m``)
#: solves none of DEFAULT_HUB_TASK's eval problems; on two one-digit terms its sampled eval
#: accuracy is within [MIN_HEADROOM, MAX_HEADROOM] (README, "A real model on a CPU", gives the
#: figures). Their answers are a few tokens, so completions stop at 32.
MODEL_TASKS = {
    "smollm2-135m": (
        "rg:chain_sum:min_terms=2,max_terms=2,min_digits=1,max_digits=1,max_new_tokens=32",
        "rg:basic_arithmetic:min_terms=2,max_terms=2,min_digits=1,max_digits=1,max_new_tokens=32",
    ),
}
#: What ``--task`` takes and its defaults: one text for ``train --help`` and ``pytest --help``.
TASK_HELP = (
    "add or sub (built-in models; default add), rg:NAME[:key=value,...] (reasoning-gym) or "
    "jsonl:PATH (defaults for other models: "
    + "; ".join(f"{name}: {tasks[0]}" for name, tasks in MODEL_TASKS.items())
    + f"; any other: {DEFAULT_HUB_TASK})"
)
#: Base eval accuracies outside [MIN_HEADROOM, MAX_HEADROOM] leave the claims undecidable: below,
#: a group of 8 samples is all wrong with probability >= 0.95^8 = 0.66, so GRPO sees no
#: advantage in most groups and the run barely moves; above, a group is all right with
#: probability >= 0.9^8 = 0.43 and the gain has under 0.1 of room, too little to tell a run
#: that learned from one that did not.
MIN_HEADROOM = 0.05
MAX_HEADROOM = 0.9


def default_task(builtin: bool, model: str | None = None) -> str:
    """The task of a run that names none: ``add`` on the built-in models, the first of
    :data:`MODEL_TASKS` for the real models named there, else :data:`DEFAULT_HUB_TASK`."""
    if builtin:
        return DEFAULT_TASK
    return MODEL_TASKS.get(str(model).lower(), (DEFAULT_HUB_TASK,))[0]


def is_builtin_task(name: str) -> bool:
    return name in TASKS


@cache
def get_task(name: str = DEFAULT_TASK) -> Task:
    """The task ``name`` with its fixed seeded split; :class:`OptionError` for unknown names,
    bad settings or bad input files (raised here, before anything trains)."""
    if name in TASKS:
        from rlsparse_check.tasks.builtin import build

        return build(name)
    kind, _, rest = str(name).partition(":")
    if kind == "rg" and rest:
        from rlsparse_check.tasks.gym import build as build_gym

        return build_gym(name, *_gym_parts(name))
    if kind == "jsonl" and rest:
        from rlsparse_check.tasks.jsonl import build as build_jsonl

        path, _, settings = rest.rpartition(":")
        if not path or "=" not in settings:
            path, settings = rest, ""
        return build_jsonl(name, path, parse_settings(name, settings))
    raise OptionError(
        f"--task {name!r}: choose one of {', '.join(TASKS)}, rg:NAME[:key=value,...] "
        "(a reasoning-gym data set) or jsonl:PATH"
    )


def check_task(name: str) -> None:
    """Raise :class:`OptionError` for a bad task name, settings or input file, before anything
    runs; cheap for reasoning-gym tasks (their problems are drawn only by :func:`get_task`)."""
    kind, _, rest = str(name).partition(":")
    if kind == "rg" and rest:
        from rlsparse_check.tasks.gym import check

        check(name, *_gym_parts(name))
    else:
        get_task(name)


def task_identity(name: str) -> dict[str, str]:
    """What besides its name makes the task (a library version, a file's hash), for cache keys;
    empty for the built-in tasks."""
    if str(name).startswith("rg:"):
        from rlsparse_check.tasks.gym import RG_VERSION
        from rlsparse_check.tasks.prompts import SHOTS, prompt_identity

        check_task(name)
        shots = _gym_parts(name)[1].get("shots", SHOTS)
        return dict([("reasoning-gym", RG_VERSION), prompt_identity(shots)])
    return dict(get_task(name).identity)


def _gym_parts(name: str) -> tuple[str, dict[str, Any]]:
    """``rg:NAME[:settings]`` -> the data set's name and its parsed settings."""
    data_set, _, settings = str(name).partition(":")[2].partition(":")
    return data_set, parse_settings(name, settings)


def parse_settings(name: str, text: str) -> dict[str, Any]:
    """``"a=3,b=0.5,c=true,d=x"`` -> ``{"a": 3, "b": 0.5, "c": True, "d": "x"}``."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise OptionError(f"--task {name}: setting {part!r} is not key=value")
        out[key.strip()] = _value(value.strip())
    return out


def _value(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def headroom_message(task: str, accuracy: float) -> str | None:
    """None when a base's eval ``accuracy`` on ``task`` leaves room for the claims to be
    decided, else a sentence saying why not and which option changes the difficulty."""
    if MIN_HEADROOM <= accuracy <= MAX_HEADROOM:
        return None
    low = accuracy < MIN_HEADROOM
    side = f"below {MIN_HEADROOM}" if low else f"above {MAX_HEADROOM}"
    why = (
        "almost every sampled group is all wrong, so RL gets no signal"
        if low
        else "almost every sampled group is all right, so there is no gain left to measure"
    )
    easier, harder = _dials(task)
    return (
        f"base eval accuracy {accuracy:.2f} on task {task} is {side}: {why}, and the claims "
        f"cannot be decided; make the task {'easier' if low else 'harder'}, e.g. "
        f"--task {easier if low else harder}"
    )


def _dials(task: str) -> tuple[str, str]:
    """An easier and a harder variant of ``task`` to suggest."""
    if task.startswith("rg:chain_sum"):
        return (
            "rg:chain_sum:min_terms=2,max_terms=3,min_digits=1,max_digits=2",
            "rg:chain_sum:min_terms=6,max_terms=8,min_digits=3,max_digits=4",
        )
    if task.startswith("rg:"):
        name = task.split(":")[1]
        hint = f"rg:{name}:KEY=VALUE (settings of reasoning-gym's {name} config)"
        return hint, hint
    if task in TASKS:
        return "add", DEFAULT_HUB_TASK
    return "jsonl:PATH with easier problems", "jsonl:PATH with harder problems"
