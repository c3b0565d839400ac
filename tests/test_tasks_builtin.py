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


#: Run cache keys of built-in specs as they were before other kinds of tasks existed: runs
#: already in users' caches stay hits.
BUILTIN_KEYS = {
    (("algo", "grpo"),): "c792f1581a2f98a5e424a7a14f8ac0a478d338cbcfba809610840de9e8860287",
    (("algo", "dpo"), ("seed", 3), ("task", "sub")): (
        "f8a23df8ca3f4ed55f8998c97eaf3fa202dfa4b67abbd06620fb53935b6a7ebc"
    ),
}


@pytest.mark.parametrize("fields, key", BUILTIN_KEYS.items())
def test_built_in_specs_keep_their_cache_keys(fields, key):
    from rlsparse_check.recipes.cache import cache_key
    from rlsparse_check.recipes.spec import RunSpec

    spec = RunSpec(**dict(fields)).resolved(builtin=True)
    assert "task_identity" not in spec.to_dict()
    assert cache_key(spec.to_dict()) == key


def test_built_in_tasks_complete_in_four_tokens_and_train_on_bare_answers():
    task = get_task("add")
    assert task.max_new_tokens == 4 and task.kind == "builtin"
    assert task.target(task.train[0]) == task.train[0].answer
    assert task.score(task.train[0].answer, task.train[0]) == 1.0
