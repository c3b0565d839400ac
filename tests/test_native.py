"""Native verl FSDP and DeepSpeed ZeRO checkpoints: recognised from any folder a user may pass,
refused with one line naming the folder and the converting command (library, diff, claims)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.planted import write_planted_pair
from rlsparse_check.checkpoints import open_checkpoint
from rlsparse_check.cli import main
from rlsparse_check.errors import CheckpointError
from rlsparse_check.native import native_hint

ROOT = Path(__file__).resolve().parents[1]


def write_verl_run(root: Path) -> Path:
    """verl's layout: two saved steps, actor and critic sharded over 2 ranks, weightless HF
    folder; returns the run root."""
    for step in (2, 5):
        for role in ("actor", "critic"):
            folder = root / f"global_step_{step}" / role
            (folder / "huggingface").mkdir(parents=True)
            for rank in range(2):
                for kind in ("model", "optim", "extra_state"):
                    (folder / f"{kind}_world_size_2_rank_{rank}.pt").write_bytes(b"\x80shard")
            (folder / "fsdp_config.json").write_text('{"FSDP_version": 1, "world_size": 2}')
            (folder / "huggingface" / "config.json").write_text('{"model_type": "qwen2"}')
            (folder / "huggingface" / "tokenizer_config.json").write_text("{}")
    (root / "latest_checkpointed_iteration.txt").write_text("5")
    return root


def write_zero_checkpoint(root: Path) -> Path:
    """DeepSpeed ZeRO's layout (two ranks, one model-parallel rank); returns the folder."""
    step = root / "global_step30"
    step.mkdir(parents=True)
    (step / "mp_rank_00_model_states.pt").write_bytes(b"\x80states")
    for rank in range(2):
        (step / f"bf16_zero_pp_rank_{rank}_mp_rank_00_optim_states.pt").write_bytes(b"\x80o")
    (root / "latest").write_text("global_step30")
    (root / "zero_to_fp32.py").write_text("# consolidates ZeRO shards\n")
    return root


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("native")
    return write_verl_run(root / "verl"), write_zero_checkpoint(root / "zero"), root


def _verl_paths(run: Path) -> dict[str, Path]:
    actor = run / "global_step_5" / "actor"
    return {
        "run root": run,
        "step folder": run / "global_step_5",
        "actor": actor,
        "huggingface": actor / "huggingface",
        "shard": actor / "model_world_size_2_rank_1.pt",
    }


@pytest.mark.parametrize("given", ["run root", "step folder", "actor", "huggingface", "shard"])
def test_every_folder_of_a_verl_run_names_the_merger_command(layouts, given):
    run = layouts[0]
    path = _verl_paths(run)[given]
    with pytest.raises(CheckpointError) as error:
        open_checkpoint(path)
    message = str(error.value)
    actor = run / "global_step_5" / "actor"
    command = (
        f"python -m verl.model_merger merge --backend fsdp --local_dir {actor} --target_dir OUT"
    )
    assert message.startswith(f"{path}: a verl FSDP checkpoint") and command in message
    assert "\n" not in message and "2 ranks" in message


@pytest.mark.parametrize("given", ["folder", "step folder", "states file"])
def test_every_folder_of_a_zero_checkpoint_names_zero_to_fp32(layouts, given):
    zero = layouts[1]
    path = {
        "folder": zero,
        "step folder": zero / "global_step30",
        "states file": zero / "global_step30" / "mp_rank_00_model_states.pt",
    }[given]
    with pytest.raises(CheckpointError) as error:
        open_checkpoint(path)
    message = str(error.value)
    tag = "" if given == "folder" else " --tag global_step30"
    command = f"python {zero / 'zero_to_fp32.py'} {zero} OUT{tag}"
    assert message.startswith(f"{path}: a DeepSpeed ZeRO checkpoint") and command in message
    assert "\n" not in message


def test_a_zero_folder_without_its_script_points_at_deepspeeds_module(tmp_path):
    zero = write_zero_checkpoint(tmp_path / "zero")
    (zero / "zero_to_fp32.py").unlink()
    assert f"python -m deepspeed.utils.zero_to_fp32 {zero} OUT" in native_hint(zero)


def test_a_hugging_face_folder_beside_zero_states_opens_as_usual(tmp_path):
    pair = write_planted_pair(tmp_path / "pair", layers=1, seed=1)
    write_zero_checkpoint(pair.tuned)  # the transformers Trainer's DeepSpeed checkpoint-N/
    tuned = open_checkpoint(pair.tuned)
    assert sorted(tuned.names) == sorted(pair.moves)
    assert {n: tuned.spec(n).shape for n in tuned.names} == {
        n: moves.shape for n, moves in pair.moves.items()
    }


def test_other_folders_and_files_are_not_native(layouts, tmp_path):
    pair = write_planted_pair(tmp_path / "pair", layers=1, seed=1)
    (tmp_path / "empty").mkdir()
    for path in (pair.base, pair.base / "model.safetensors", tmp_path / "empty"):
        assert native_hint(path) is None
    with pytest.raises(CheckpointError, match="no checkpoint found"):
        open_checkpoint(tmp_path / "empty")


@pytest.mark.parametrize("which", ["verl", "zero"])
def test_diff_exits_2_with_the_hint_on_one_line(layouts, which, tmp_path, capsys):
    pair = write_planted_pair(tmp_path / "pair", layers=1, seed=1)
    native = layouts[0] if which == "verl" else layouts[1]
    assert main(["diff", str(pair.base), str(native)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert ("verl.model_merger" if which == "verl" else "zero_to_fp32.py") in captured.err


@pytest.mark.parametrize("which", ["verl", "zero"])
@pytest.mark.parametrize("side", ["base", "tuned"])
def test_checkpoint_mode_exits_2_with_the_hint_before_any_test(layouts, which, side, tmp_path):
    pair = write_planted_pair(tmp_path / "pair", layers=1, seed=1)
    native = layouts[0] if which == "verl" else layouts[1]
    base, tuned = (native, pair.tuned) if side == "base" else (pair.base, native)
    args = [
        sys.executable,
        "-m",
        "pytest",
        "claims/",
        "-q",
        "-p",
        "no:cacheprovider",
        "--base",
        str(base),
        "--tuned",
        str(tuned),
        "--report-dir",
        str(tmp_path / "r"),
    ]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    hint = native_hint(native)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if hint in line]
    assert len(lines) == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert not (tmp_path / "r").exists()
