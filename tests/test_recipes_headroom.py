"""Tests of the base-accuracy measurement: it is the runs' own "before" evaluation."""

from __future__ import annotations

import pytest

from rlsparse_check.recipes.base import DATA
from rlsparse_check.recipes.headroom import base_accuracy, check_headroom


@pytest.mark.slow
def test_base_accuracy_is_the_eval_of_the_stored_base(tmp_path):
    from rlsparse_check.models import load_model
    from rlsparse_check.recipes import RunCache
    from rlsparse_check.recipes.sampling import evaluate
    from rlsparse_check.tasks import get_task

    cache = RunCache(tmp_path / "c")
    measured = base_accuracy("tiny-qwen2", device="cpu", cache=cache)
    model, tokenizer = load_model(DATA / "tiny-qwen2")
    direct = evaluate(model, tokenizer, get_task("add").eval)
    assert measured["task"] == "add" and measured["rewards"] == direct["rewards"]
    assert 0.2 <= measured["accuracy"] <= 0.8  # the shipped base: competent, imperfect
    accuracy, message = check_headroom("tiny-qwen2", "add", device="cpu", cache=cache)
    assert accuracy == measured["accuracy"] and message is None
