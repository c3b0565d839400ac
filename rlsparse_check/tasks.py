"""Synthetic verifiable tasks: seeded problems, exact rewards, train/eval splits, and the data
sets the recipes build from them (SFT targets, preference pairs, labelled samples).

Two distinct data sets (for claims that compare runs across data sets):

* ``add``: ``a+b=`` with operands 0-19 (answer 0-38);
* ``sub``: ``a-b=`` with 0 <= b <= a <= 19 (answer 0-19).

Prompts and answers use only digits and ``+-=``, so the character-level tokenizer of the embedded
models covers them; hub models see the same plain-text prompts. The reward is exact (see
:func:`reward`). No torch here: sampling from a model lives in
:mod:`rlsparse_check.recipes.sampling`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from rlsparse_check.errors import OptionError

__all__ = [
    "TASKS",
    "DEFAULT_TASK",
    "Problem",
    "Task",
    "get_task",
    "reward",
    "draw",
    "sft_examples",
    "self_sft_examples",
    "preference_pairs",
    "kto_examples",
]

DEFAULT_TASK = "add"
SPLIT_SEED = 20250517  # fixed: the train/eval split is part of the task, not of a run
EVAL_FRACTION = 0.25
_LEADING_NUMBER = re.compile(r"\s*(-?\d+)(?:\s|$)")


@dataclass(frozen=True)
class Problem:
    """One prompt with its exact answer (``prompt + answer`` is the full solved text)."""

    prompt: str
    answer: str


@dataclass(frozen=True)
class Task:
    """A named data set with a fixed train/eval split."""

    name: str
    description: str
    train: tuple[Problem, ...]
    eval: tuple[Problem, ...]

    def split(self, name: str) -> tuple[Problem, ...]:
        if name not in ("train", "eval"):
            raise OptionError(f"split {name!r}: choose train or eval")
        return self.train if name == "train" else self.eval


def _addition() -> list[Problem]:
    return [Problem(f"{a}+{b}=", str(a + b)) for a in range(20) for b in range(20)]


def _subtraction() -> list[Problem]:
    return [Problem(f"{a}-{b}=", str(a - b)) for a in range(20) for b in range(a + 1)]


_BUILDERS = {
    "add": (_addition, "addition a+b, operands 0-19"),
    "sub": (_subtraction, "subtraction a-b, 0 <= b <= a <= 19"),
}
TASKS = tuple(_BUILDERS)


@cache
def get_task(name: str = DEFAULT_TASK) -> Task:
    """The task ``name`` with its fixed seeded split; :class:`OptionError` for unknown names."""
    if name not in _BUILDERS:
        raise OptionError(f"--task {name!r}: choose one of {', '.join(TASKS)}")
    build, description = _BUILDERS[name]
    problems = build()
    random.Random(f"{SPLIT_SEED}:{name}").shuffle(problems)
    n_eval = round(len(problems) * EVAL_FRACTION)
    return Task(name, description, tuple(problems[n_eval:]), tuple(problems[:n_eval]))


def reward(completion: str, answer: str) -> float:
    """Exact reward: 1.0 when the completion's leading number (after optional whitespace) is
    exactly ``answer`` and nothing but whitespace or the end follows it, else 0.0. So "17",
    " 17" and "17\n3+4" (a hub model running on) score for 17; "171", "17+" and "" do not."""
    match = _LEADING_NUMBER.match(completion)
    return 1.0 if match is not None and match.group(1) == answer else 0.0


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


def sft_examples(problems: Sequence[Problem]) -> list[dict[str, str]]:
    """SFT on external targets: each prompt with its true answer."""
    return [{"prompt": p.prompt, "completion": p.answer} for p in problems]


def self_sft_examples(
    problems: Sequence[Problem], samples: Sequence[Sequence[str]]
) -> list[dict[str, str]]:
    """In-distribution SFT: each prompt with the model's own first correct sample (prompts the
    model never solved are left out)."""
    out = []
    for problem, completions in zip(problems, samples, strict=True):
        correct = [c for c in completions if reward(c, problem.answer) == 1.0]
        if correct:
            out.append({"prompt": problem.prompt, "completion": correct[0]})
    return out


def preference_pairs(
    problems: Sequence[Problem], samples: Sequence[Sequence[str]]
) -> list[dict[str, str]]:
    """DPO/SimPO/ORPO pairs from the model's own samples: chosen = a correct sample, rejected =
    an incorrect one. Prompts whose samples are all correct or all wrong give no pair."""
    out = []
    for problem, completions in zip(problems, samples, strict=True):
        good = [c for c in completions if reward(c, problem.answer) == 1.0]
        bad = [c for c in completions if reward(c, problem.answer) == 0.0]
        if good and bad:
            out.append({"prompt": problem.prompt, "chosen": good[0], "rejected": bad[0]})
    return out


def kto_examples(
    problems: Sequence[Problem], samples: Sequence[Sequence[str]]
) -> list[dict[str, object]]:
    """KTO data: the model's own samples labelled by the verifier (one correct and one incorrect
    per prompt where both exist, so the labels stay balanced)."""
    out: list[dict[str, object]] = []
    for pair in preference_pairs(problems, samples):
        out.append({"prompt": pair["prompt"], "completion": pair["chosen"], "label": True})
        out.append({"prompt": pair["prompt"], "completion": pair["rejected"], "label": False})
    return out
