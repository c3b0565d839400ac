"""Tests of the ``base`` and ``train`` subcommands."""

from __future__ import annotations

import json

import pytest

from rlsparse_check.cli import main
from rlsparse_check.recipes.base import DATA


def _err_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_base_writes_the_shipped_bf16_base(tmp_path, capsys):
    out = tmp_path / "base"
    assert main(["base", "--out", str(out), "--cache-dir", str(tmp_path / "c")]) == 0
    shipped = DATA / "tiny-qwen2" / "model.safetensors"
    assert (out / "model.safetensors").read_bytes() == shipped.read_bytes()
    assert (out / "tokenizer.json").is_file() and (out / "config.json").is_file()


def test_base_in_float32_holds_exactly_the_bf16_values(tmp_path):
    from rlsparse_check.checkpoints import open_checkpoint

    out = tmp_path / "base32"
    assert main(["base", "--save-dtype", "float32", "--out", str(out), "--no-cache"]) == 0
    wide, narrow = open_checkpoint(out), open_checkpoint(DATA / "tiny-qwen2")
    assert wide.names == narrow.names
    for name in wide.names:
        assert wide.spec(name).dtype == "float32"
        assert (wide.values(name) == narrow.values(name)).all(), name


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["train", "--algo", "reinforce", "--out", "x"], "--algo"),
        (["train", "--algo", "grpo", "--lr", "-1", "--out", "x"], "--lr"),
        (
            ["train", "--algo", "grpo", "--no-clip", "--max-grad-norm", "1", "--out", "x"],
            "--no-clip",
        ),
        (["train", "--algo", "grpo", "--save-dtype", "float16", "--out", "x"], "--save-dtype"),
        (["train", "--algo", "grpo"], "--out"),
    ],
)
def test_bad_options_exit_2_with_one_line(argv, needle, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    lines = _err_lines(capsys)
    assert exit_.value.code == 2 and len(lines) == 1 and needle in lines[0], lines


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--algo", "grpo", "--gamma", "0.9"], "--gamma: applies to ppo only"),
        (["--algo", "prime", "--ppo-epochs", "0"], "--ppo-epochs 0"),
        (["--algo", "grpo", "--model", "Qwen/NotCachedAnywhere-0B"], "huggingface-cli download"),
        (["--algo", "grpo", "--mask", "missing.npz"], "--mask missing.npz"),
        (["--algo", "grpo", "--task", "mul"], "--task 'mul'"),
        (["--algo", "grpo", "--steps", "0"], "--steps 0"),
    ],
)
def test_unusable_requests_exit_2_naming_the_problem(extra, needle, tmp_path, capsys):
    argv = ["train", *extra, "--steps", "1", "--no-cache", "--device", "cpu"]
    if "--steps" in extra:
        argv = ["train", *extra, "--no-cache", "--device", "cpu"]
    assert main([*argv, "--out", str(tmp_path / "o")]) == 2
    lines = _err_lines(capsys)
    assert len(lines) == 1 and needle in lines[0], lines


def test_train_writes_the_run_and_a_second_call_is_served_from_the_cache(tmp_path, capsys):
    argv = [
        "train",
        "--algo",
        "grpo",
        "--seed",
        "1",
        "--steps",
        "2",
        "--device",
        "cpu",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert main([*argv, "--out", str(tmp_path / "b")]) == 0
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["weights_sha256"] == second["weights_sha256"]
    record = json.loads((tmp_path / "b" / "run.json").read_text())
    assert record["spec"]["steps"] == 2 and record["seed"] == 1


@pytest.mark.parametrize("algo", ["ppo", "prime"])
def test_ppo_and_prime_train_from_the_command_line_bit_for_bit_per_seed(algo, tmp_path, capsys):
    argv = ["train", "--algo", algo, "--steps", "2", "--lr", "1e-4", "--device", "cpu"]
    hashes = []
    for seed, out in (("3", "a"), ("3", "b"), ("4", "c")):
        code = main([*argv, "--seed", seed, "--no-cache", "--out", str(tmp_path / out)])
        assert code == 0
        hashes.append(
            json.loads(capsys.readouterr().out.strip().splitlines()[-1])["weights_sha256"]
        )
    assert hashes[0] == hashes[1] != hashes[2]
    record = json.loads((tmp_path / "a" / "run.json").read_text())
    assert record["algo"] == algo and record["spec"]["clip_range"] == 0.2
    assert record["trainer_args"]["max_steps"] == 2
