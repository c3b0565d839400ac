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
    data = json.loads((report / "report.json").read_text())
    data["progress"] = {
        kind: done.stdout.count(f"train {kind}") for kind in ("start ", "trained ", "cached ")
    }
    return seconds, done.returncode, data


#: Cold (training) seconds over warm (cached) seconds, at least: the smoke profile measured
#: about 3.8 (1,100 s cold, 293 s warm on two heavily shared cores), the default one far more.
MIN_SPEEDUP = 2.0


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
    runs = len(cold["regime"]["runs"])  # the progress lines: trained cold, cached warm
    assert cold["progress"] == {"start ": runs, "trained ": runs, "cached ": 0}
    assert report["progress"] == {"start ": 0, "trained ": 0, "cached ": runs}
    assert code == cold_code and verdicts == {c["id"]: c["verdict"] for c in cold["claims"]}
    assert cold_s / warm_s >= MIN_SPEEDUP, (cold_s, warm_s)
