"""Tests of JSONL tasks: splits, math-verify answers in number and LaTeX forms, one clear error
per bad input (file and line) that stops the command line with exit 2 before anything is
written, and (slow) GRPO and PPO runs of a tiny BPE model on a small file."""

from __future__ import annotations

import json

import pytest
import tasks_support
from tasks_support import sums, write_jsonl

from rlsparse_check.cli import main
from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.tasks import get_task, jsonl

tiny_bpe_model = tasks_support.tiny_bpe_model


@pytest.fixture(autouse=True)
def fresh_tasks():
    get_task.cache_clear()
    yield
    get_task.cache_clear()


def test_lines_without_a_split_are_split_with_a_fixed_seed(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", sums(40))
    task = get_task(f"jsonl:{path}")
    assert (len(task.train), len(task.eval), len(task.shots)) == (28, 10, 2)  # 30 train: 2 shown
    assert not set(task.train) & set(task.eval) and not set(task.shots) & set(task.train)
    get_task.cache_clear()
    assert get_task(f"jsonl:{path}").eval == task.eval
    assert task.kind == "jsonl" and task.max_new_tokens == jsonl.MAX_NEW_TOKENS


def test_split_fields_are_kept_and_settings_follow_the_path(tmp_path):
    rows = [{**row, "split": "eval"} for row in sums(12)] + sums(20)[12:]
    path = write_jsonl(tmp_path / "p.jsonl", rows)
    task = get_task(f"jsonl:{path}:max_new_tokens=32,shots=0")
    assert len(task.eval) == 12 + 2 and len(task.train) == 6  # 8 unsplit lines: 2 to eval
    assert {p.prompt for p in task.eval} >= {r["prompt"] for r in rows[:12]}
    assert task.max_new_tokens == 32 and task.shots == ()
    shown = get_task(f"jsonl:{path}:shots=4")
    assert len(shown.shots) == 4 and len(shown.train) == 2 and shown.eval == task.eval
    with pytest.raises(OptionError, match="1 train problems \\(after the 5 shown"):
        get_task(f"jsonl:{path}:shots=5")
    with pytest.raises(OptionError, match="only max_new_tokens and shots"):
        get_task(f"jsonl:{path}:tries=5")


@pytest.mark.parametrize(
    "gold, prediction, expected",
    [
        ("\\frac{1}{2}", "0.5", True),
        ("0.5", "\\frac{1}{2}", True),
        ("1/2", "$\\frac{1}{2}$", True),
        ("72", "72", True),
        ("72", "72.0", True),
        ("72", "73", False),
        ("\\frac{1}{2}", "0.25", False),
        ("72", "seventy", False),
    ],
)
def test_math_verify_compares_numbers_and_latex(gold, prediction, expected):
    assert jsonl.verify_answer(gold, prediction) is expected


@pytest.mark.parametrize(
    "completion, expected",
    [
        ("so <answer>\\frac{1}{2}</answer>", 1.0),
        ("<answer>0.5</answer>", 1.0),
        ("<answer>0.4</answer>", 0.0),
        ("0.5", 0.0),  # no tags
        ("<answer></answer>", 0.0),
    ],
)
def test_the_reward_is_math_verify_on_the_last_answer_tag(tmp_path, completion, expected):
    rows = [{"prompt": f"q{i}", "answer": "\\frac{1}{2}"} for i in range(40)]
    task = get_task(f"jsonl:{write_jsonl(tmp_path / 'h.jsonl', rows)}")
    assert task.score(completion, task.eval[0]) == expected


GOOD = json.dumps({"prompt": "What is 1+1?", "answer": "2"})
BAD_INPUTS = [
    ([GOOD, "{not json"], "line 2: not valid JSON"),
    ([GOOD, json.dumps({"answer": "2"})], "line 2: 'prompt' is missing or empty"),
    ([json.dumps({"prompt": "q", "answer": " "})], "line 1: 'answer' is missing or empty"),
    ([GOOD, GOOD, json.dumps({"prompt": "q", "answer": "1", "split": "test"})], 'line 3: "split"'),
    ([GOOD, "[1, 2]"], "line 2: expected an object"),
    ([], "no problems (empty file)"),
    ([GOOD] * 8, "2 eval problems, at least 10 needed"),
]


@pytest.mark.parametrize("lines, needle", BAD_INPUTS)
def test_each_bad_input_is_one_error_naming_the_file_and_line(tmp_path, lines, needle):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(OptionError) as error:
        RunSpec(model="local", task=f"jsonl:{path}")
    assert str(path) in str(error.value) and needle in str(error.value)
    assert "\n" not in str(error.value)


def test_a_missing_file_names_it_and_the_format(tmp_path):
    with pytest.raises(OptionError, match=r"cannot read .*nowhere\.jsonl.*\"prompt\""):
        get_task(f"jsonl:{tmp_path / 'nowhere.jsonl'}")


@pytest.mark.parametrize("lines, needle", BAD_INPUTS[:2])
def test_the_command_line_exits_2_before_anything_is_written(
    tmp_path, capsys, tiny_bpe_model, lines, needle
):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    out, cache = tmp_path / "out", tmp_path / "cache"
    argv = ["train", "--model", str(tiny_bpe_model), "--algo", "grpo", "--task", f"jsonl:{path}"]
    code = main([*argv, "--device", "cpu", "--cache-dir", str(cache), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and needle in err[0] and str(path) in err[0]
    assert not out.exists() and not cache.exists()


def test_the_claims_suite_option_is_checked_up_front(tmp_path):
    from rlsparse_check.plugin.options import build_settings

    path = tmp_path / "bad.jsonl"
    path.write_text(GOOD + "\n{oops\n")
    with pytest.raises(OptionError, match="line 2: not valid JSON"):
        build_settings({"task": f"jsonl:{path}"}, base_dir=tmp_path)
    good = write_jsonl(tmp_path / "good.jsonl", sums(40))
    assert build_settings({"task": f"jsonl:{good}"}, base_dir=tmp_path).task == f"jsonl:{good}"


def test_the_cache_key_follows_the_file_content(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", sums(40))
    identity = RunSpec(task=f"jsonl:{path}").to_dict()["task_identity"]
    write_jsonl(path, sums(41))
    get_task.cache_clear()
    assert RunSpec(task=f"jsonl:{path}").to_dict()["task_identity"]["sha256"] != identity["sha256"]


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_a_tiny_bpe_model_trains_two_steps_on_a_jsonl_task(algo, tiny_bpe_model, tmp_path):
    from rlsparse_check.recipes import RunCache, train

    path = write_jsonl(tmp_path / "p.jsonl", sums(40))
    task = f"jsonl:{path}:max_new_tokens=8"
    spec = RunSpec(
        model=str(tiny_bpe_model),
        algo=algo,
        task=task,
        steps=2,
        batch_size=2,
        num_generations=2,
        device="cpu",
    )
    record = train(spec, cache=RunCache(tmp_path / "cache")).record.to_json()
    assert record["task"] == task and record["eval"]["before"]["n"] == 10
    assert record["trainer_args"]["max_steps"] == 2
    steps = [entry for entry in record["log_history"] if "reward" in entry]
    assert len(steps) == 2 and all(entry["reward"] == 0.0 for entry in steps)  # random: no tags
    moved = record["weights_sha256"] != record["base"]["weights_sha256"]
    assert moved == (algo == "ppo")  # GRPO: all-wrong groups have no advantage; PPO's critic does
