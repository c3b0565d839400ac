"""Prompts that fit the model, and the answer the verifier reads from a completion.

Built-in tasks keep their exact plain prompts (``"3+4="``): the embedded models read nothing
else. Other tasks ask for the final answer in ``<answer></answer>`` and show it done: the
instruction, then the task's demonstrations (:data:`SHOTS` solved train problems, each question
answered with its tagged answer alone, as few-shot evaluation does), then the question. Through
the tokenizer's chat template when it has one (a system instruction, each demonstration as a
user and an assistant message, the question as the last user message, with the generation
prompt), otherwise as a plain prompt (the instruction, then ``question\\nAnswer: ...`` blocks).

Why demonstrations: the instruction alone is not followed by a small instruct model. SmolLM2-
135M-Instruct answered all 32 sampled chain_sum questions in prose ("The answer is 6.") and wrote
no tag, so every reward was 0 and RL had nothing to learn from; with two demonstrations it tagged
32 of 32 greedy answers (measured on this project's 2-term 1-digit chain_sum eval problems).

The verifier reads the last ``<answer>...</answer>`` of a completion (as reasoning-gym's
``extract_answer`` does); a completion without one scores 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rlsparse_check.tasks.problem import Problem, Task, draw

__all__ = [
    "INSTRUCTION",
    "SHOTS",
    "SHOT_SEED",
    "demonstrations",
    "prompt_identity",
    "render",
    "rendered",
    "extract_answer",
]

INSTRUCTION = (
    "Solve the problem. You may reason briefly first; then give only the final answer "
    "inside <answer></answer> tags, for example <answer>42</answer>."
)
#: Demonstrations per prompt (the ``shots=N`` task setting; 0 shows none).
SHOTS = 2
#: Seed of the draw of the demonstrations from the train split (fixed: part of the task).
SHOT_SEED = 20_240_601
_ANSWER = re.compile(r"<answer>\s?(.*?)\s?</answer>", re.DOTALL)


def demonstrations(
    train: Sequence[Problem], shots: int
) -> tuple[tuple[Problem, ...], tuple[Problem, ...]]:
    """``(demonstrations, rest of train)``: ``shots`` train problems drawn with
    :data:`SHOT_SEED`, and the train split without them (no run trains on a question whose
    prompt shows its answer)."""
    shown = tuple(draw(train, shots, SHOT_SEED)) if shots else ()
    asked = {p.prompt for p in shown}
    return shown, tuple(p for p in train if p.prompt not in asked)


def prompt_identity(shots: int) -> tuple[str, str]:
    """The prompt format of a task with ``shots`` demonstrations, for the run cache key."""
    return ("prompt", f"answer tags, {shots} shots")


def render(task: Task, question: str, tokenizer: Any) -> str:
    """The prompt text of ``question`` for a model with ``tokenizer``."""
    if task.kind == "builtin":
        return question
    shown = [(shot.prompt, task.target(shot)) for shot in task.shots]
    if getattr(tokenizer, "chat_template", None):
        turns = []
        for asked, answered in shown:
            turns += [
                {"role": "user", "content": asked},
                {"role": "assistant", "content": answered},
            ]
        last = {"role": "user", "content": question}
        try:
            return str(_chat(tokenizer, [{"role": "system", "content": INSTRUCTION}, *turns, last]))
        except Exception:  # templates without a system role (jinja raises its own errors)
            if turns:
                turns[0] = {"role": "user", "content": f"{INSTRUCTION}\n\n{turns[0]['content']}"}
            else:
                last = {"role": "user", "content": f"{INSTRUCTION}\n\n{question}"}
            return str(_chat(tokenizer, [*turns, last]))
    blocks = [f"{asked}\nAnswer: {answered}\n\n" for asked, answered in shown]
    return f"{INSTRUCTION}\n\n{''.join(blocks)}{question}\nAnswer: "


def _chat(tokenizer: Any, messages: list[dict[str, str]]) -> Any:
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def rendered(task: Task, problems: Sequence[Problem], tokenizer: Any) -> list[Problem]:
    """``problems`` with their prompts rendered for ``tokenizer`` (answers and refs kept)."""
    if task.kind == "builtin":
        return list(problems)
    return [replace(p, prompt=render(task, p.prompt, tokenizer)) for p in problems]


def extract_answer(completion: str) -> str | None:
    """The stripped text of the last ``<answer>...</answer>``, None without one."""
    matches = _ANSWER.findall(completion)
    return matches[-1].strip() if matches else None
