"""The estimate of a plan: per-run seconds from the probe, wall time over the workers, and the
probe's stored record."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from rlsparse_check.recipes import RunSpec, estimate
from rlsparse_check.recipes.estimate import Probe, cached_probe, run_seconds, wall_seconds
from rlsparse_check.recipes.slots import Slot

PROBE = Probe(
    model="tiny-qwen2",
    device="cpu",
    per_step={"grpo": 1.5, "sft": 0.5},
    overhead={"grpo": 4.0, "sft": 2.0},
    startup=7.0,
    peak_bytes=600 * 1024**2,
    memory="cpu peak RSS",
    seconds=30.0,
)


def test_a_run_costs_its_steps_at_its_family_rate_plus_its_overhead_and_its_eval() -> None:
    assert run_seconds(PROBE, "grpo", 10) == pytest.approx(19.0)
    decoding = dataclasses.replace(PROBE, decode=0.25)
    assert run_seconds(decoding, "grpo", 10, evals=1200) == pytest.approx(19.0 + 300.0)
    assert run_seconds(decoding, "sft", 10, evals=300) == pytest.approx(7.0 + 75.0)
    assert run_seconds(PROBE, "dpo", 10) == pytest.approx(19.0)  # the primary's rate
    assert run_seconds(PROBE, "sft", 10) == pytest.approx(7.0)
    assert run_seconds(PROBE, "sft-self", 4) == pytest.approx(4.0)


def test_wall_time_places_runs_on_the_earliest_free_worker_wave_after_wave() -> None:
    assert wall_seconds([[3, 3, 3]], workers=1, startup=1) == pytest.approx(10)
    assert wall_seconds([[3, 3, 3]], workers=2, startup=1) == pytest.approx(7)
    assert wall_seconds([[3, 3, 3]], workers=3, startup=1) == pytest.approx(4)
    assert wall_seconds([[5, 1, 1, 1, 1]], workers=2, startup=0) == pytest.approx(5)
    assert wall_seconds([[4], [2, 2]], workers=2, startup=0) == pytest.approx(6)  # waves add up
    assert wall_seconds([[], []], workers=2, startup=9) == 0.0


def test_a_stored_probe_is_read_back_for_the_same_model_device_and_pinning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        estimate, "_key", lambda model, device, slot, specs: f"{model}-{device}-{slot.threads}"
    )
    slot = Slot("cpu0", (), 1)
    assert cached_probe(tmp_path, "tiny-qwen2", "cpu", slot) is None
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "tiny-qwen2-cpu-1.json").write_text(json.dumps(asdict(PROBE)))
    assert cached_probe(tmp_path, "tiny-qwen2", "cpu", slot) == PROBE
    assert cached_probe(tmp_path, "tiny-qwen2", "cpu", Slot("cpu")) is None
    assert estimate.probe(tmp_path, "tiny-qwen2", "cpu", "grpo", slot) == PROBE  # no new probe


def test_the_probe_key_holds_the_model_the_device_and_the_threads() -> None:
    one, two = Slot("cpu0", (), 1), Slot("cpu0", (), 2)
    key = estimate._key("tiny-qwen2", "cpu", one)
    assert key == estimate._key("tiny-qwen2", "cpu", Slot("cpu1", (), 1))
    assert key != estimate._key("tiny-qwen2", "cuda", one)
    assert key != estimate._key("tiny-qwen2", "cpu", two)
    assert key != estimate._key("tiny-qwen2", "cpu", Slot("cpu0"))
    assert key != estimate._key("tiny-llama", "cpu", one)


def test_the_probe_key_holds_the_settings_of_the_probed_runs() -> None:
    slot = Slot("cpu0", (), 1)
    grpo = RunSpec(algo="grpo", device="cpu").resolved()
    key = estimate._key("tiny-qwen2", "cpu", slot, estimate.probe_specs(grpo, True)[0])
    fewer = dataclasses.replace(grpo, num_generations=4)
    assert key != estimate._key("tiny-qwen2", "cpu", slot, estimate.probe_specs(fewer, True)[0])
    assert key == estimate._key("tiny-qwen2", "cpu", slot, estimate.probe_specs(grpo, True)[0])


def test_the_built_in_models_probe_the_session_runs_unbounded() -> None:
    grpo = RunSpec(algo="grpo", device="cpu", eval_samples=2).resolved()
    specs, scale, decode_scale, scaled = estimate.probe_specs(grpo, True)
    assert [s.algo for s in specs] == ["grpo", "sft"]
    assert specs[0] == dataclasses.replace(grpo, seed=estimate.PROBE_SEED, steps=2)
    assert (specs[1].batch_size, specs[1].task, specs[1].eval_samples) == (8, "add", 2)
    assert (scale, decode_scale, scaled) == ({}, 1.0, "")


def test_other_models_probe_fewer_and_shorter_completions_and_scale_them_up() -> None:
    task = "rg:chain_sum:min_terms=2,max_terms=2"  # 256 new tokens by default
    grpo = RunSpec(model="some/hub-model", algo="grpo", task=task).resolved(builtin=False)
    specs, scale, decode_scale, scaled = estimate.probe_specs(grpo, False)
    rl, sft = specs
    assert (rl.batch_size, rl.num_generations, rl.micro_batch, rl.steps) == (2, 4, 8, 2)
    assert rl.task == sft.task == f"{task},max_new_tokens={estimate.PROBE_TOKENS}"
    assert scale == {"grpo": 64 / 8 * 256 / 32, "sft": 1.0} and decode_scale == 256 / 32
    assert scaled == "grpo steps of 8 of 64 completions, completions at most 32 of 256 tokens"


def test_a_short_answer_task_is_probed_at_its_own_length_and_only_its_rows_scaled() -> None:
    task = "rg:chain_sum:min_terms=2,max_terms=2,max_new_tokens=32"
    grpo = RunSpec(model="some/hub-model", algo="grpo", task=task).resolved(builtin=False)
    (rl, sft), scale, decode_scale, scaled = estimate.probe_specs(grpo, False)
    assert rl.task == sft.task == task and (rl.batch_size, rl.num_generations) == (2, 4)
    assert (scale, decode_scale) == ({"grpo": 64 / 8, "sft": 1.0}, 1.0)
    assert scaled == "grpo steps of 8 of 64 completions"


@pytest.mark.parametrize(
    ("task", "capped"),
    [
        ("rg:leg_counting", "rg:leg_counting:max_new_tokens=16"),
        ("rg:chain_sum:max_new_tokens=256,a=1", "rg:chain_sum:a=1,max_new_tokens=16"),
        ("jsonl:/data/x.jsonl", "jsonl:/data/x.jsonl:max_new_tokens=16"),
        ("jsonl:/data/x.jsonl:answer=y", "jsonl:/data/x.jsonl:answer=y,max_new_tokens=16"),
    ],
)
def test_a_task_is_capped_by_its_own_max_new_tokens_setting(task: str, capped: str) -> None:
    assert estimate._capped(task, 16) == capped


def test_the_probe_trains_without_any_eval_and_times_a_bounded_decode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A probe that ran a run's evals (its base eval, its eval after training) would call the
    store of base evals or evaluate more than once."""
    from rlsparse_check.recipes import headroom, probe_worker, sampling

    def no_eval(*args: object, **kwargs: object) -> None:
        raise AssertionError("the probe ran a run's eval")

    calls = []
    real = sampling.evaluate
    monkeypatch.setattr(headroom, "base_eval", no_eval)
    monkeypatch.setattr(
        sampling,
        "evaluate",
        lambda net, tok, problems, task, samples, **k: (
            calls.append((len(problems), samples)) or real(net, tok, problems, task, samples, **k)
        ),
    )
    grpo = RunSpec(algo="grpo", device="cpu").resolved()
    specs, scale, decode_scale, _ = estimate.probe_specs(grpo, True)
    measured = probe_worker.measure(specs, scale, decode_scale, str(tmp_path))
    assert calls == [(100, probe_worker.PROBE_EVAL_SAMPLES)]  # one bounded decode, no run eval
    assert set(measured["per_step"]) == {"grpo", "sft"}
    assert all(0 < v < 5 for v in measured["per_step"].values())
    assert 0 < measured["decode"] < 0.05 and measured["peak_bytes"] > 0
    assert not list(tmp_path.glob("entries/*/run.json"))  # no run was written
