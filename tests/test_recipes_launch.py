"""The recipes under ``accelerate launch``: two processes on the CPU (gloo), as on several GPUs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def launch(algo: str, cache: Path, out: Path) -> subprocess.CompletedProcess:
    """``accelerate launch`` (torchrun underneath) of a 2-step run with 2 CPU processes."""
    launcher = [sys.executable, "-m", "accelerate.commands.launch"]
    launcher += "--multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no".split()
    launcher += ["--dynamo_backend", "no", "--main_process_port", str(_free_port())]
    command = f"-m rlsparse_check train --algo {algo} --steps 2 --seed 1 --device cpu".split()
    command += ["--cache-dir", str(cache), "--out", str(out)]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [*launcher, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_two_processes_write_the_run_once_with_identical_weights_and_again_the_same_bits(
    algo, tmp_path
):
    records = []
    for attempt in ("first", "second"):  # separate caches: the second launch trains again
        cache, out = tmp_path / attempt / "cache", tmp_path / attempt / "out"
        done = launch(algo, cache, out)
        assert done.returncode == 0, done.stderr[-4000:]
        summaries = [line for line in done.stdout.splitlines() if line.startswith("{")]
        assert len(summaries) == 1 and json.loads(summaries[0])["out"] == str(out.resolve())
        runs = [e for e in (cache / "entries").iterdir() if (e / "run.json").is_file()]
        assert len(runs) == 1 and not any((cache / "tmp").iterdir())
        record = json.loads((out / "run.json").read_text())
        assert record == json.loads((runs[0] / "run.json").read_text())
        ranks = record["device"]["rank_weights_sha256"]
        assert record["device"]["processes"] == 2 and len(ranks) == 2 and ranks[0] == ranks[1]
        records.append((record, (out / "model.safetensors").read_bytes()))
    (first, first_bytes), (second, second_bytes) = records
    assert first["weights_sha256"] == second["weights_sha256"] and first_bytes == second_bytes
    assert first["algo"] == algo and first["data"]["steps"] == 2
