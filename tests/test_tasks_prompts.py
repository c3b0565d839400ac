"""Tests of prompt formatting (chat template, plain instruction, built-in prompts untouched) and
of the answer-tag extraction the verifiers share."""

from __future__ import annotations

import pytest
from tasks_support import CHAT_TEMPLATE, bpe_tokenizer

from rlsparse_check.tasks import get_task
from rlsparse_check.tasks.problem import Problem, Task
from rlsparse_check.tasks.prompts import INSTRUCTION, extract_answer, render, rendered

OTHER = Task("rg:x", "", (), (), kind="rg")
QUESTION = "What is 12 + 30?"


@pytest.fixture(scope="module")
def chat():
    return bpe_tokenizer(chat=True)


@pytest.fixture(scope="module")
def plain():
    return bpe_tokenizer(chat=False)


def test_built_in_tasks_keep_their_exact_prompts(chat):
    task = get_task("add")
    assert rendered(task, task.eval, chat) == list(task.eval)
    assert render(task, "3+4=", chat) == "3+4="


def test_a_tokenizer_with_a_chat_template_gets_system_and_user_messages(chat):
    text = render(OTHER, QUESTION, chat)
    assert text == f"<|system|>\n{INSTRUCTION}\n<|user|>\n{QUESTION}\n<|assistant|>\n"


def test_a_tokenizer_without_one_gets_a_plain_instruction(plain):
    assert render(OTHER, QUESTION, plain) == f"{INSTRUCTION}\n\n{QUESTION}\nAnswer: "


def test_a_template_without_a_system_role_gets_the_instruction_in_the_user_message():
    tokenizer = bpe_tokenizer(chat=False)
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('no system role') }}{% endif %}"
        "[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}[assistant] "
    )
    assert render(OTHER, QUESTION, tokenizer) == f"[user] {INSTRUCTION}\n\n{QUESTION}\n[assistant] "


def test_rendering_keeps_answers_and_refs(chat):
    (problem,) = rendered(OTHER, [Problem(QUESTION, "42", "eval/3")], chat)
    assert (problem.answer, problem.ref) == ("42", "eval/3")
    assert problem.prompt.endswith("<|assistant|>\n") and CHAT_TEMPLATE


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("<answer>42</answer>", "42"),
        ("x <answer> 1 </answer> y <answer>\n 7 \n</answer>", "7"),
        ("<answer>a\nb</answer>", "a\nb"),
        ("42", None),
        ("<answer>42", None),
        ("<answer></answer>", ""),
    ],
)
def test_the_last_answer_tag_is_read_as_reasoning_gym_reads_it(completion, expected):
    from reasoning_gym.utils import extract_answer as library

    assert extract_answer(completion) == expected == library(completion)
