"""The run record: run.json read and written through one type, keys unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.record import RUN_JSON_KEYS, RunRecord

EXAMPLE = Path(__file__).resolve().parents[1] / "reports" / "example" / "report.json"


def _run_json() -> dict:
    side = {"reward": 0.5, "accuracy": 0.5, "rewards": [1.0, 0.0]}
    return {
        "algo": "grpo",
        "model": "tiny-qwen2",
        "task": "add",
        "seed": 2,
        "spec": {"algo": "grpo", "lr": 2e-6, "steps": 150},
        "hyperparameters": {"lr": 2e-6, "steps": 150},
        "save_dtype": "bfloat16",
        "master": None,
        "mask": None,
        "device": {"kind": "cpu", "name": "x86_64", "threads": 1},
        "versions": {"torch": "2"},
        "wall_time_s": 3.0,
        "train_time_s": 2.0,
        "eval": {"split": "eval", "before": side, "after": {**side, "reward": 0.75}, "gain": 0.25},
        "weights_sha256": "a" * 64,
        "base": {"path": "/b", "weights_sha256": "b" * 64, "start_weights_sha256": "c" * 64},
        "data": {"examples_per_step": 8, "steps": 150, "examples": 1200},
        "trainer_args": {"learning_rate": 2e-6},
        "log_history": [{"loss": 0.1}],
        "cache_key": "d" * 64,
    }


def test_a_record_reads_and_writes_run_json_unchanged(tmp_path):
    data = {**_run_json(), "later_field": {"kept": True}}
    (tmp_path / "run.json").write_text(json.dumps(data))
    record = RunRecord.read(tmp_path)
    assert (record.algo, record.seed, record.gain, record.master) == ("grpo", 2, 0.25, None)
    assert record.extra == {"later_field": {"kept": True}}
    (tmp_path / "copy").mkdir()
    record.write(tmp_path / "copy")
    assert json.loads((tmp_path / "copy" / "run.json").read_text()) == data
    assert set(RUN_JSON_KEYS) == set(_run_json())


def test_a_record_written_before_master_existed_reads_with_none():
    data = _run_json()
    del data["master"]
    assert RunRecord.from_json(data).master is None


def test_an_incomplete_record_names_its_file_and_the_missing_key(tmp_path):
    data = _run_json()
    del data["cache_key"]
    (tmp_path / "run.json").write_text(json.dumps(data))
    with pytest.raises(OptionError, match=r"run\.json: .*missing cache_key"):
        RunRecord.read(tmp_path)
    (tmp_path / "run.json").write_text("[]")
    with pytest.raises(OptionError, match="not a run record"):
        RunRecord.read(tmp_path)


def test_the_summary_has_the_shape_of_the_committed_example_reports_runs():
    summary = RunRecord.from_json(_run_json()).summary("/runs/x", cached=True)
    assert summary["eval"] == {
        "before": {"reward": 0.5, "accuracy": 0.5},
        "after": {"reward": 0.75, "accuracy": 0.5},
        "gain": 0.25,
    }
    assert (summary["device"], summary["base_weights_sha256"]) == ("cpu", "b" * 64)
    assert (summary["path"], summary["cached"]) == ("/runs/x", True)
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("record"), dict):
                found.append(node["record"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(EXAMPLE.read_text()))
    assert len(found) > 10
    assert all(set(record) == set(summary) for record in found)
