"""Tests of prompt formatting (chat template, plain instruction, built-in prompts untouched) and
of the answer-tag extraction the verifiers share."""

from __future__ import annotations

import pytest
from tasks_support import CHAT_TEMPLATE, bpe_tokenizer

from rlsparse_check.tasks import get_task
from rlsparse_check.tasks.problem import Problem, Task
from rlsparse_check.tasks.prompts import (
    INSTRUCTION,
    demonstrations,
    extract_answer,
    prompt_identity,
    render,
    rendered,
)

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


SHOWN = (Problem("What is 1 + 1?", "2", "train/5"), Problem("What is 2 + 5?", "7", "train/9"))
SHOWING = Task("rg:y", "", (), (), kind="rg", shots=SHOWN)
DEMO = (
    "<|user|>\nWhat is 1 + 1?\n<|assistant|>\n<answer>2</answer>\n"
    "<|user|>\nWhat is 2 + 5?\n<|assistant|>\n<answer>7</answer>\n"
)


def test_demonstrations_come_as_turns_between_the_instruction_and_the_question(chat):
    text = render(SHOWING, QUESTION, chat)
    assert text == f"<|system|>\n{INSTRUCTION}\n{DEMO}<|user|>\n{QUESTION}\n<|assistant|>\n"


def test_plain_prompts_show_the_demonstrations_as_answered_blocks(plain):
    text = render(SHOWING, QUESTION, plain)
    blocks = (
        "What is 1 + 1?\nAnswer: <answer>2</answer>\n\nWhat is 2 + 5?\nAnswer: <answer>7</answer>"
    )
    assert text == f"{INSTRUCTION}\n\n{blocks}\n\n{QUESTION}\nAnswer: "


def test_without_a_system_role_the_instruction_opens_the_first_demonstration():
    tokenizer = bpe_tokenizer(chat=False)
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}"
        "{{ raise_exception('no system role') }}{% endif %}"
        "[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}[assistant] "
    )
    text = render(SHOWING, QUESTION, tokenizer)
    assert text.startswith(
        f"[user] {INSTRUCTION}\n\nWhat is 1 + 1?\n[assistant] <answer>2</answer>"
    )
    assert text.endswith(f"[user] {QUESTION}\n[assistant] ")


def test_demonstrations_are_a_fixed_draw_and_leave_train_with_their_repeats():
    train = [Problem(f"q{i % 25}", str(i % 25), f"train/{i}") for i in range(50)]  # each twice
    shown, rest = demonstrations(train, 3)
    assert len(shown) == 3 and demonstrations(train, 3) == (shown, rest)
    asked = {p.prompt for p in shown}
    assert not asked & {p.prompt for p in rest}
    assert len(rest) == len(train) - 2 * len(asked)
    assert demonstrations(train, 0) == ((), tuple(train))
    assert prompt_identity(3) != prompt_identity(2)
