"""What every task is made of: :class:`Problem`, :class:`Task`, the seeded :func:`draw` and the
integer settings of a task spec (:func:`int_setting`)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rlsparse_check.errors import OptionError

__all__ = ["SPLIT_SEED", "Problem", "Task", "draw", "int_setting"]

SPLIT_SEED = 20250517  # fixed: the train/eval split is part of the task, not of a run


@dataclass(frozen=True)
class Problem:
    """One question with its reference answer. For the built-in tasks ``prompt + answer`` is
    the full solved text; other tasks format ``prompt`` for the model
    (:mod:`rlsparse_check.tasks.prompts`). ``ref`` names the data set entry its verifier reads
    (empty for tasks whose verifier needs only ``answer``)."""

    prompt: str
    answer: str
    ref: str = ""


@dataclass(frozen=True)
class Task:
    """A named data set with a fixed train/eval split and its verifier.

    ``kind``: "builtin", "rg" (reasoning-gym) or "jsonl". ``scorer(completion, problem)`` is the
    0/1 reward; ``max_new_tokens`` the completion length of its runs; ``shots`` the solved
    problems every prompt shows before its question (drawn from the train split and removed from
    it, :func:`rlsparse_check.tasks.prompts.demonstrations`); ``identity`` what, beyond
    the name, makes the data and the verifier (a library version, a file's hash): it enters the
    run cache key (empty for the built-in tasks, whose keys never change).
    """

    name: str
    description: str
    train: tuple[Problem, ...]
    eval: tuple[Problem, ...]
    kind: str = "builtin"
    max_new_tokens: int = 4
    shots: tuple[Problem, ...] = ()
    identity: tuple[tuple[str, str], ...] = ()
    scorer: Callable[[str, Problem], float] | None = field(default=None, compare=False)

    def split(self, name: str) -> tuple[Problem, ...]:
        if name not in ("train", "eval"):
            raise OptionError(f"split {name!r}: choose train or eval")
        return self.train if name == "train" else self.eval

    def score(self, completion: str, problem: Problem) -> float:
        """The verifier's reward of ``completion`` for ``problem``: 1.0 or 0.0."""
        if self.scorer is None:
            return reward(completion, problem.answer)
        return self.scorer(completion, problem)

    def target(self, problem: Problem) -> str:
        """The reference completion SFT trains on (the answer in the form the verifier reads)."""
        return problem.answer if self.kind == "builtin" else f"<answer>{problem.answer}</answer>"


def draw(problems: Sequence[Problem], n: int, seed: int) -> list[Problem]:
    """``n`` problems in a seeded order: whole shuffled passes, so every problem appears
    equally often (up to one pass) whatever ``n`` is."""
    rng = random.Random(seed)
    out: list[Problem] = []
    while len(out) < n:
        order = list(problems)
        rng.shuffle(order)
        out.extend(order)
    return out[:n]


_LEADING_NUMBER = re.compile(r"\s*(-?\d+)(?:\s|$)")


def reward(completion: str, answer: str) -> float:
    """Exact reward: 1.0 when the completion's leading number (after optional whitespace) is
    exactly ``answer`` and nothing but whitespace or the end follows it, else 0.0. So "17",
    " 17" and "17\n3+4" (a hub model running on) score for 17; "171", "17+" and "" do not."""
    match = _LEADING_NUMBER.match(completion)
    return 1.0 if match is not None and match.group(1) == answer else 0.0


def int_setting(spec: str, settings: dict[str, Any], name: str, default: int, least: int) -> int:
    """Pop the integer setting ``name`` of task ``spec`` (``default`` when absent);
    :class:`OptionError` unless it is an integer of at least ``least``."""
    value = settings.pop(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        kind = "a positive integer" if least == 1 else f"an integer of at least {least}"
        raise OptionError(f"--task {spec}: {name}={value}: {kind}")
    return value
