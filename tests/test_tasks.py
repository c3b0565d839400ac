"""Tests of the task API: names, settings, the model-dependent default and the headroom check."""

from __future__ import annotations

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.tasks import (
    DEFAULT_HUB_TASK,
    MAX_HEADROOM,
    MIN_HEADROOM,
    MODEL_TASKS,
    default_task,
    get_task,
    headroom_message,
    parse_settings,
)


def test_settings_are_parsed_as_int_float_bool_or_text():
    parsed = parse_settings("t", "a=3, b=0.5,c=true,d=False,e=words,f=-2")
    assert parsed == {"a": 3, "b": 0.5, "c": True, "d": False, "e": "words", "f": -2}
    assert type(parsed["a"]) is int and type(parsed["b"]) is float
    assert parse_settings("t", "") == {}


def test_unknown_kinds_name_the_choices():
    with pytest.raises(OptionError, match=r"--task 'gsm8k': choose one of add, sub, rg:NAME"):
        get_task("gsm8k")


def test_built_in_models_default_to_add_and_others_to_a_many_term_chain_sum():
    assert default_task(True) == "add" and RunSpec().resolved(builtin=True).task == "add"
    assert RunSpec(model="x").resolved(builtin=False).task == DEFAULT_HUB_TASK
    assert DEFAULT_HUB_TASK.startswith("rg:chain_sum:") and "min_digits=2" in DEFAULT_HUB_TASK
    task = get_task(DEFAULT_HUB_TASK)
    assert min(p.prompt.count("+") + p.prompt.count("-") for p in task.eval) >= 3


def test_a_small_real_model_has_its_own_default_task():
    first, second = MODEL_TASKS["smollm2-135m"]
    assert default_task(False, "SmolLM2-135M") == first != DEFAULT_HUB_TASK
    assert default_task(False, "other/model") == DEFAULT_HUB_TASK == default_task(False)
    assert default_task(True, "smollm2-135m") == "add"
    assert RunSpec(model="smollm2-135m").resolved(builtin=False).task == first
    assert RunSpec(model="smollm2-135m", task=second).resolved(builtin=False).task == second
    assert get_task(first).max_new_tokens == get_task(second).max_new_tokens == 32


@pytest.mark.parametrize("accuracy", [MIN_HEADROOM, 0.3, MAX_HEADROOM])
def test_no_message_when_the_base_leaves_room(accuracy):
    assert headroom_message(DEFAULT_HUB_TASK, accuracy) is None


def test_a_base_near_zero_is_told_to_make_the_task_easier():
    message = headroom_message(DEFAULT_HUB_TASK, 0.02)
    assert "0.02" in message and f"below {MIN_HEADROOM}" in message
    assert "cannot be decided" in message and "--task rg:chain_sum:min_terms=2" in message


def test_a_base_near_one_is_told_to_make_the_task_harder():
    message = headroom_message("add", 0.97)
    assert f"above {MAX_HEADROOM}" in message and f"--task {DEFAULT_HUB_TASK}" in message
    message = headroom_message("rg:chain_sum:min_terms=3", 0.95)
    assert "--task rg:chain_sum:min_terms=6" in message
    assert "rg:leg_counting:KEY=VALUE" in headroom_message("rg:leg_counting", 0.99)
