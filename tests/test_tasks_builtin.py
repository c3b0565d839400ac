"""Tests of the synthetic verifiable tasks and the data sets built from them."""

from __future__ import annotations

from collections import Counter

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.tasks import (
    TASKS,
    Problem,
    draw,
    get_task,
    kto_examples,
    preference_pairs,
    reward,
    self_sft_examples,
    sft_examples,
)


def test_there_are_at_least_two_distinct_data_sets():
    assert len(TASKS) >= 2
    prompts = [{p.prompt for p in get_task(name).train} for name in TASKS]
    assert not prompts[0] & prompts[1]


@pytest.mark.parametrize("name, size", [("add", 400), ("sub", 210)])
def test_every_problem_has_its_exact_answer(name, size):
    task = get_task(name)
    problems = task.train + task.eval
    assert len(problems) == size
    for p in problems:
        a, b = (int(x) for x in p.prompt[:-1].replace("+", " ").replace("-", " ").split())
        assert p.answer == str(a + b if name == "add" else a - b)


@pytest.mark.parametrize("name", TASKS)
def test_train_and_eval_splits_are_disjoint_and_fixed(name):
    task = get_task(name)
    assert not set(task.train) & set(task.eval)
    assert len(task.eval) == round(0.25 * (len(task.train) + len(task.eval)))
    get_task.cache_clear()
    assert get_task(name) == task


def test_unknown_task_names_the_option():
    with pytest.raises(OptionError, match="--task 'mul'"):
        get_task("mul")


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("17", 1.0),
        (" 17 ", 1.0),
        ("17\n3+4=", 1.0),
        ("171", 0.0),
        ("17+", 0.0),
        ("1 7", 0.0),
        ("", 0.0),
        ("16", 0.0),
        ("-17", 0.0),
    ],
)
def test_reward_is_the_exact_leading_number(completion, expected):
    assert reward(completion, "17") == expected


def test_draw_is_seeded_and_covers_problems_evenly():
    problems = get_task("add").train
    first = draw(problems, 2 * len(problems) + 5, seed=3)
    assert first == draw(problems, 2 * len(problems) + 5, seed=3)
    assert first != draw(problems, 2 * len(problems) + 5, seed=4)
    counts = Counter(first)
    assert set(counts.values()) <= {2, 3}


PROBLEMS = [Problem("1+1=", "2"), Problem("2+2=", "4"), Problem("3+3=", "6")]
SAMPLES = [["2", "3", "2"], ["5", "5"], ["6", "6"]]


def test_preference_pairs_take_a_correct_chosen_and_an_incorrect_rejected_sample():
    assert preference_pairs(PROBLEMS, SAMPLES) == [
        {"prompt": "1+1=", "chosen": "2", "rejected": "3"}
    ]


def test_kto_examples_are_balanced_labelled_samples():
    assert kto_examples(PROBLEMS, SAMPLES) == [
        {"prompt": "1+1=", "completion": "2", "label": True},
        {"prompt": "1+1=", "completion": "3", "label": False},
    ]


def test_in_distribution_sft_uses_only_the_models_own_correct_samples():
    assert self_sft_examples(PROBLEMS, SAMPLES) == [
        {"prompt": "1+1=", "completion": "2"},
        {"prompt": "3+3=", "completion": "6"},
    ]


def test_external_sft_uses_the_true_answers():
    assert sft_examples(PROBLEMS[:1]) == [{"prompt": "1+1=", "completion": "2"}]
