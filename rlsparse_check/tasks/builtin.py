"""The built-in synthetic tasks of the embedded tiny models.

Two distinct data sets (for claims that compare runs across data sets):

* ``add``: ``a+b=`` with operands 0-19 (answer 0-38);
* ``sub``: ``a-b=`` with 0 <= b <= a <= 19 (answer 0-19).

Prompts and answers use only digits and ``+-=``, so the character-level tokenizer of the embedded
models covers them; hub models see the same plain-text prompts. The reward is exact (see
:func:`reward`).
"""

from __future__ import annotations

import random

from rlsparse_check.tasks.problem import SPLIT_SEED, Problem, Task, reward

__all__ = ["TASKS", "EVAL_FRACTION", "MAX_NEW_TOKENS", "build", "reward"]

EVAL_FRACTION = 0.25
MAX_NEW_TOKENS = 4  # answers have at most 2 digits, plus end-of-sequence and one spare


def _addition() -> list[Problem]:
    return [Problem(f"{a}+{b}=", str(a + b)) for a in range(20) for b in range(20)]


def _subtraction() -> list[Problem]:
    return [Problem(f"{a}-{b}=", str(a - b)) for a in range(20) for b in range(a + 1)]


_BUILDERS = {
    "add": (_addition, "addition a+b, operands 0-19"),
    "sub": (_subtraction, "subtraction a-b, 0 <= b <= a <= 19"),
}
TASKS = tuple(_BUILDERS)


def build(name: str) -> Task:
    """The built-in task ``name`` (one of :data:`TASKS`) with its fixed seeded split."""
    make, description = _BUILDERS[name]
    problems = make()
    random.Random(f"{SPLIT_SEED}:{name}").shuffle(problems)
    n_eval = round(len(problems) * EVAL_FRACTION)
    return Task(
        name,
        description,
        tuple(problems[n_eval:]),
        tuple(problems[:n_eval]),
        max_new_tokens=MAX_NEW_TOKENS,
    )
