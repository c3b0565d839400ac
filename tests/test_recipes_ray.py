"""Runs on a Ray cluster: resource requests, the wait that would never end, failures reported
with their label, Ray missing or no cluster to attach to, and a small plan trained on a local
Ray instance with two declared GPUs giving the same claims as the same plan trained here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes import RunSpec
from rlsparse_check.recipes import executor_ray as executor
from rlsparse_check.recipes.pool import Outcome

ROOT = Path(__file__).resolve().parents[1]


class FakeRay:
    """Just enough of ``ray`` for the executor: results are given per label's seed."""

    def __init__(self, resources: dict[str, float], results: dict[int, Any] | None = None):
        self.resources, self.results, self.cancelled = resources, results, []
        self.asked: dict[str, Any] = {}
        self.threads: list[Any] = []

    def cluster_resources(self) -> dict[str, float]:
        return self.resources

    def remote(self, function: Any) -> Any:
        ray = self

        class Task:
            def options(self, **request: Any) -> Any:
                ray.asked = request
                return self

            def remote(self, spec: RunSpec, cache_root: str, threads: Any) -> int:
                ray.threads.append(threads)
                return spec.seed

        return Task()

    def wait(self, refs: list, num_returns: int, timeout: float) -> tuple[list, list]:
        if self.results is None:
            return [], refs
        return refs[:1], refs[1:]

    def get(self, ref: int) -> Any:
        if isinstance(self.results[ref], Exception):
            raise self.results[ref]
        return self.results[ref]

    def cancel(self, ref: int, force: bool) -> None:
        self.cancelled.append(ref)


def events_of(tasks: list, ray: FakeRay, request: dict, timeout: float = 5.0) -> tuple:
    events: list = []
    outcome = executor.train_all_ray(
        tasks,
        cache_root=Path("/nowhere"),
        ray=ray,
        request=request,
        timeout=timeout,
        on_event=lambda kind, label, spec, detail: events.append((kind, label, detail)),
        skip_cached=False,
    )
    return outcome, events


def test_requests_one_gpu_per_run_on_gpus_and_one_cpu_for_tiny_models() -> None:
    assert executor.request_for(gpu=True, tiny=False) == {"num_gpus": 1.0, "num_cpus": 1}
    assert executor.request_for(gpu=True, tiny=True, per_device=2) == {
        "num_gpus": 0.5,
        "num_cpus": 1,
    }
    assert executor.request_for(gpu=False, tiny=True) == {"num_cpus": 1}
    assert executor.request_for(gpu=False, tiny=False) == {"num_cpus": 1}


def test_cluster_slots_and_a_request_the_cluster_cannot_meet() -> None:
    ray = FakeRay({"CPU": 4.0, "GPU": 2.0})
    assert executor.cluster_slots(ray, {"num_gpus": 1.0, "num_cpus": 1}) == 2
    assert executor.cluster_slots(ray, {"num_gpus": 0.5, "num_cpus": 1}) == 4
    with pytest.raises(OptionError, match="asks for num_gpus=1 but the cluster has 0 GPU"):
        executor.cluster_slots(FakeRay({"CPU": 8.0}), {"num_gpus": 1.0, "num_cpus": 1})


def test_no_run_finishing_in_time_cancels_the_rest_with_a_clear_error() -> None:
    tasks = [(f"grpo-seed{s}", RunSpec(seed=s)) for s in range(2)]
    ray = FakeRay({"CPU": 4.0, "GPU": 2.0})
    outcome, events = events_of(tasks, ray, {"num_gpus": 1.0, "num_cpus": 1}, timeout=3)
    assert outcome == {"grpo-seed0": "failed", "grpo-seed1": "failed"}
    assert sorted(ray.cancelled) == [0, 1]
    failed = [detail for kind, _, detail in events if kind == "failed"]
    assert len(failed) == 2 and failed[0].startswith("TimeoutError: no run finished in 3 s")
    assert "--ray-timeout" in failed[0]


def test_a_failing_run_is_reported_with_its_label_and_the_others_go_on() -> None:
    class TaskError(Exception):
        cause = FileNotFoundError("no.npz: no such mask")

    results = {0: Outcome(False, 2.0, "cuda:0"), 1: TaskError("wrapped"), 2: Outcome(False, 2.0)}
    ray = FakeRay({"CPU": 2.0}, results)
    tasks = [(f"grpo-seed{s}", RunSpec(seed=s)) for s in range(3)]
    outcome, events = events_of(tasks, ray, {"num_cpus": 1})
    assert outcome == {"grpo-seed0": "trained", "grpo-seed1": "failed", "grpo-seed2": "trained"}
    assert ("failed", "grpo-seed1", "FileNotFoundError: no.npz: no such mask") in events
    assert ray.asked == {"num_cpus": 1, "max_retries": 0}


def test_without_ray_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(OptionError, match=r"pip install -e '\.\[ray\]'"):
        executor.import_ray()


def claims_session(tmp: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "claims/test_c8_layers.py", "-p", "no:randomly"]
    command += ["--algos", "grpo", "--steps", "4", "--report-dir", str(tmp / "report"), *args]
    environment = {**os.environ, "RAY_AUTH_MODE": "disabled", **(env or {})}
    environment.pop("RAY_ADDRESS", None)
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=environment,
    )


def test_executor_ray_without_ray_installed_exits_2(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked" / "ray"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text("raise ImportError('ray blocked for this test')\n")
    done = claims_session(
        tmp_path,
        "--seeds",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--executor",
        "ray",
        env={"PYTHONPATH": str(blocked.parent)},
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pip install -e '.[ray]'" in done.stdout + done.stderr
    assert not (tmp_path / "cache").exists()


def test_ray_address_auto_without_a_cluster_exits_2_saying_what_to_do(tmp_path: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="rsp-", dir="/tmp") as short:
        done = claims_session(
            tmp_path,
            "--seeds",
            "1",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--executor",
            "ray",
            env={"RAY_TMPDIR": short},
        )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--ray-address auto: no Ray cluster found" in done.stdout + done.stderr
    assert "--ray-address local" in done.stdout + done.stderr


def comparable(claims: Any, cache: str) -> Any:
    """The claims section less timings and cache-state flags, cache paths made relative."""
    if isinstance(claims, dict):
        return {
            k: comparable(v, cache)
            for k, v in claims.items()
            if not (k.endswith("time_s") or k in ("cached", "seconds"))
        }
    if isinstance(claims, list):
        return [comparable(v, cache) for v in claims]
    if isinstance(claims, str):
        return claims.replace(cache, "<cache>")
    return claims


@pytest.mark.slow
def test_a_plan_on_local_ray_with_two_declared_gpus_gives_the_same_claims(tmp_path: Path) -> None:
    here, there = tmp_path / "here", tmp_path / "ray"
    local = claims_session(here, "--seeds", "2", "--cache-dir", str(here / "cache"))
    assert local.returncode in (0, 1), local.stdout + local.stderr
    with tempfile.TemporaryDirectory(prefix="rsp-", dir="/tmp") as short:
        remote = claims_session(
            there,
            "--seeds",
            "2",
            "--cache-dir",
            str(there / "cache"),
            "--executor",
            "ray",
            "--ray-address",
            "local",
            "--devices",
            "0,1",
            env={"RAY_TMPDIR": short},
        )
    assert remote.returncode == local.returncode, remote.stdout + remote.stderr
    trained = [line for line in remote.stdout.splitlines() if line.startswith("train trained")]
    assert len(trained) == 2
    assert {line.split(" on ")[1].split(",")[0] for line in trained} == {"cuda:0", "cuda:1"}
    claims = [
        comparable(
            json.loads((d / "report" / "report.json").read_text())["claims"], str(d / "cache")
        )
        for d in (here, there)
    ]
    assert claims[0] == claims[1]
    assert claims[0][0]["id"] == "C8" and len(claims[0][0]["cases"]) == 2


def test_each_ray_task_pins_the_threads_it_is_given() -> None:
    results = {0: Outcome(False, 1.0), 1: Outcome(False, 1.0)}
    tasks = [(f"sft-seed{s}", RunSpec(seed=s)) for s in range(2)]
    for threads in (1, None):
        ray = FakeRay({"CPU": 2.0}, results)
        executor.train_all_ray(
            tasks,
            cache_root=Path("/nowhere"),
            ray=ray,
            request={"num_cpus": 1},
            timeout=5,
            threads=threads,
            skip_cached=False,
        )
        assert ray.threads == [threads, threads]
