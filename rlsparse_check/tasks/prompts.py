"""Prompts that fit the model, and the answer the verifier reads from a completion.

Built-in tasks keep their exact plain prompts (``"3+4="``): the embedded models read nothing
else. Other tasks ask for the final answer in ``<answer></answer>``: through the tokenizer's chat
template when it has one (a system instruction and the question as the user's message, with the
generation prompt), otherwise as a plain prompt (the instruction, the question, ``Answer:``).
The verifier reads the last ``<answer>...</answer>`` of a completion (as reasoning-gym's
``extract_answer`` does); a completion without one scores 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rlsparse_check.tasks.problem import Problem, Task

__all__ = ["INSTRUCTION", "render", "rendered", "extract_answer"]

INSTRUCTION = (
    "Solve the problem. You may reason briefly first; then give only the final answer "
    "inside <answer></answer> tags, for example <answer>42</answer>."
)
_ANSWER = re.compile(r"<answer>\s?(.*?)\s?</answer>", re.DOTALL)


def render(task: Task, question: str, tokenizer: Any) -> str:
    """The prompt text of ``question`` for a model with ``tokenizer``."""
    if task.kind == "builtin":
        return question
    if getattr(tokenizer, "chat_template", None):
        messages = [
            {"role": "system", "content": INSTRUCTION},
            {"role": "user", "content": question},
        ]
        try:
            return str(_chat(tokenizer, messages))
        except Exception:  # templates without a system role (jinja raises its own errors)
            return str(
                _chat(tokenizer, [{"role": "user", "content": f"{INSTRUCTION}\n\n{question}"}])
            )
    return f"{INSTRUCTION}\n\n{question}\nAnswer: "


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
