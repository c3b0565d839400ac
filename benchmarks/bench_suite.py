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


#: Cold (training) seconds over warm (cached) seconds, at least: the smoke profile's measured
#: ratio is about WARM_MEASURED (see the module docstring), the default profile's far larger.
MIN_SPEEDUP = 2.0


def cached_flags(report: dict) -> list[bool]:
    """The ``cached`` flag of every run of the regime's run list."""

    def find(node):
        if isinstance(node, dict):
            if "cached" in node:
                return node["cached"]
            return next((f for f in map(find, node.values()) if f is not None), None)
        return None

    return [find(run) for run in report["regime"]["runs"]]


def test_claims_suite_cold_then_warm_from_the_cache(benchmark, tmp_path_factory):
    cache = tmp_path_factory.mktemp("suite-cache")
    benchmark.group = f"claims suite ({PROFILE} profile)"
    cold_s, cold_code, cold = run_suite(cache, tmp_path_factory.mktemp("cold"))
    warm_s, code, report = benchmark.pedantic(
        run_suite, args=(cache, tmp_path_factory.mktemp("warm")), rounds=1
    )
    verdicts = {c["id"]: c["verdict"] for c in report["claims"]}
    benchmark.extra_info.update(
        profile=PROFILE,
        cold_seconds=round(cold_s, 1),
        warm_seconds=round(warm_s, 1),
        speedup_of_warm=round(cold_s / warm_s, 2),
        exit_status=code,
        runs=len(report["regime"]["runs"]),
        verdicts=verdicts,
    )
    print(f"\ncold {cold_s:.1f} s, warm {warm_s:.1f} s: {cold_s / warm_s:.1f}x")
    assert cached_flags(cold) == [False] * len(cold["regime"]["runs"])
    assert cached_flags(report) == [True] * len(report["regime"]["runs"])
    assert code == cold_code and verdicts == {c["id"]: c["verdict"] for c in cold["claims"]}
    assert cold_s / warm_s >= MIN_SPEEDUP, (cold_s, warm_s)
