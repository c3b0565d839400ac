"""Benchmark: the claims suite end to end, cold (empty run cache) and warm (served from it).

``pytest claims/`` runs in a subprocess with a fresh cache, then again on the same cache; the
warm run is the baseline the cold one is measured against (the cost of training), both in the
same run. By default the smoke profile (``--seeds 2 --steps 4``, what the tests run); set
``RLSPARSE_BENCH_SUITE=default`` for the faithful default (3 seeds, the published-rate regime:
about a quarter of an hour on two cores). ``extra_info`` holds the seconds, the number of
training runs and the exit status; nothing asserts a time.

    pytest benchmarks/bench_suite.py --benchmark-only
    RLSPARSE_BENCH_SUITE=default pytest benchmarks/bench_suite.py --benchmark-only
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROFILE = os.environ.get("RLSPARSE_BENCH_SUITE", "smoke")
ARGS = [] if PROFILE == "default" else ["--seeds", "2", "--steps", "4"]


def run_suite(cache: Path, report: Path) -> tuple[float, int, dict]:
    args = [
        sys.executable,
        "-m",
        "pytest",
        "claims/",
        "-q",
        "-p",
        "no:cacheprovider",
        *ARGS,
        "--cache-dir",
        str(cache),
        "--report-dir",
        str(report),
    ]
    began = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-2000:]
    return seconds, done.returncode, json.loads((report / "report.json").read_text())


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("suite-cache")


@pytest.mark.parametrize("state", ["cold", "warm"])
def test_claims_suite(benchmark, cache, tmp_path, state):
    benchmark.group = f"claims suite ({PROFILE} profile)"
    seconds, code, report = benchmark.pedantic(run_suite, args=(cache, tmp_path / state), rounds=1)
    benchmark.extra_info.update(
        state=state,
        profile=PROFILE,
        seconds=round(seconds, 1),
        exit_status=code,
        runs=len(report["regime"]["runs"]),
        verdicts={c["id"]: c["verdict"] for c in report["claims"]},
    )
