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


def test_the_runs_of_a_base_evaluate_it_once_and_train_the_same_bits(tmp_path, monkeypatch):
    from rlsparse_check.recipes import RunCache, RunSpec, sampling, train

    calls = []
    real = sampling.evaluate
    monkeypatch.setattr(sampling, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    cache = RunCache(tmp_path / "c")
    spec = RunSpec(algo="sft", steps=2, device="cpu")
    first = train(spec, cache=cache)
    assert len(calls) == 2  # the base once, the run once
    again = train(spec, cache=None)  # a fresh cache evaluates the base again
    other = train(RunSpec(algo="sft", steps=2, device="cpu", seed=3), cache=cache)
    assert len(calls) == 5  # 2 + 2 + the other run alone
    assert first.record.eval["before"] == other.record.eval["before"] == again.record.eval["before"]
    assert first.weights.read_bytes() == again.weights.read_bytes()
    assert len(list((tmp_path / "c" / "evals").glob("*.json"))) == 1
    cheap = train(RunSpec(algo="sft", steps=2, device="cpu", eval_samples=2), cache=cache)
    assert cheap.record.eval["before"]["samples"] == 2  # another count: another stored eval
    assert len(list((tmp_path / "c" / "evals").glob("*.json"))) == 2


def test_the_bounded_eval_of_a_plan_stops_at_its_time_budget(monkeypatch):
    """Problems decoded four at a time; no chunk starts past the budget and the one running
    when it ends is stopped (the batched decoder's time cap) and counted as cut."""
    import time
    from types import SimpleNamespace

    from rlsparse_check.recipes import batched, headroom
    from rlsparse_check.tasks import prompts

    now = [0.0]
    caps = []

    def decode(net, tokenizer, texts, *, max_new_tokens, max_time):
        caps.append(max_time)
        now[0] += min(10.0, max_time)  # a chunk takes 10 s unless the cap stops it
        return [[text] for text in texts]

    monkeypatch.setattr(time, "perf_counter", lambda: now[0])
    monkeypatch.setattr(batched, "generate_batched", decode)
    monkeypatch.setattr(prompts, "rendered", lambda task, problems, tokenizer: problems)
    pool = [SimpleNamespace(prompt=str(i), answer=str(i % 2)) for i in range(40)]
    task = SimpleNamespace(
        eval=pool, kind="rg", name="x", max_new_tokens=256, score=lambda c, p: float(p.answer)
    )
    result = headroom._bounded(None, None, task, 16, 25.0)
    assert caps == [25.0, 15.0, 5.0]
    assert (result["n"], result["cut"], result["of"], result["bounded"]) == (12, 4, 40, True)
    assert result["seconds"] == 25.0 and 0 <= result["accuracy"] <= 1
    assert result["accuracy"] == result["greedy"]
