"""Benchmark: the streamed diff engine against two full-load baselines, in the same run.

* ``reference_style``: what the published reference does -- load both checkpoints whole, convert
  every tensor to float32, concatenate all parameters into one vector per side and count
  ``~isclose`` (the naive full-load baseline of the speed target);
* ``lean_full_load``: a careful full load -- both files loaded whole with safetensors + torch and
  compared tensor by tensor in the storage dtype (a stronger baseline, shown beside it).

The pair is generated, not shipped: a Qwen2-0.5B-shaped bf16 base (494 M entries, 0.99 GB) and a
tuned copy with the lowest bit flipped in a seeded 20% of entries (see
``fixtures.planted.write_bit_flip_pair``). Both sides answer with per-tensor changed counts, and
both must equal the planted counts. The figures (engine and baseline times, speedup, peak RSS of
each in its own process) go to ``extra_info``.

    pytest benchmarks/bench_diff.py                      # full size, about 2 GB in a temp dir
    RLSPARSE_BENCH_SCALE=0.1 pytest benchmarks/bench_diff.py   # smaller pair for a quick look

Asserted (ratios of medians in the same run, never an absolute time): the engine at least
:data:`MIN_SPEEDUP` times faster than each baseline -- 12x against the reference style, the
target; measured 36x at scale 0.1 on two shared cores -- and its peak RSS under 1 GiB.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import pytest

from fixtures.planted import qwen2_0_5b_shapes, write_bit_flip_pair
from rlsparse_check.diff import diff_checkpoints

SCALE = float(os.environ.get("RLSPARSE_BENCH_SCALE", "1"))
GIB = 1 << 30
#: Against the lean full load: measured 8.2x (scale 0.1, two shared cores); held at half.
LEAN_SPEEDUP = 4.0
_MEDIANS: dict[str, float] = {}
#: The engine's speedup over each baseline, at least.
MIN_SPEEDUP = {"reference_style": 12.0, "lean_full_load": LEAN_SPEEDUP}

ENGINE = """
import sys
from rlsparse_check.diff import diff_checkpoints
result = diff_checkpoints(sys.argv[1], sys.argv[2])
answer = {name: t.changed for name, t in result.tensors.items()}
"""
# The peak of the process's own memory since exec: VmHWM on Linux. (ru_maxrss of a child started
# by a big parent counts the parent's pages too: exec records the old image's high-water mark.)
REPORT = """
import json, resource, sys
unit = 1 if sys.platform == "darwin" else 1024
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak = int(status.split()[0]) * 1024
except (OSError, IndexError):
    pass
print(json.dumps({"answer": answer, "peak": peak}))
"""


def reference_style(base: str, tuned: str) -> dict[str, int]:
    """Load both whole, float32, one concatenated vector per side, count ``~isclose``."""
    import torch
    from safetensors.torch import load_file

    a, b = load_file(base), load_file(tuned)
    names = sorted(a)
    flat_a = torch.cat([a[n].float().flatten() for n in names])
    flat_b = torch.cat([b[n].float().flatten() for n in names])
    changed = ~torch.isclose(flat_a, flat_b, rtol=0.0, atol=0.0)
    parts = changed.split([a[n].numel() for n in names])
    return {name: int(part.sum()) for name, part in zip(names, parts, strict=True)}


def lean_full_load(base: str, tuned: str) -> dict[str, int]:
    """Load both whole (safetensors + torch), compare tensor by tensor in the storage dtype."""
    import torch
    from safetensors.torch import load_file

    a, b = load_file(base), load_file(tuned)
    return {name: int(torch.count_nonzero(a[name] != b[name])) for name in sorted(a)}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qwen2-0.5b-shaped")
    expected = write_bit_flip_pair(folder, qwen2_0_5b_shapes(SCALE), density=0.2, seed=0)
    yield str(folder / "base.safetensors"), str(folder / "tuned.safetensors"), expected
    shutil.rmtree(folder, ignore_errors=True)  # do not leave 2 GB behind


def _describe(benchmark, base: str, expected: dict[str, int]) -> None:
    benchmark.extra_info.update(
        scale=SCALE,
        tensors=len(expected),
        entries=_entries(base),
        bytes_per_side=os.path.getsize(base),
        changed=sum(expected.values()),
    )


def _entries(base: str) -> int:
    from rlsparse_check.checkpoints import open_checkpoint

    with open_checkpoint(base) as ckpt:
        return sum(ckpt.spec(n).numel for n in ckpt.names)


def _peak_rss(script: str, *args: str) -> tuple[int, dict]:
    """Run ``script`` (which sets ``answer``) in a fresh interpreter: its peak RSS and answer."""
    done = subprocess.run(
        [sys.executable, "-c", script + REPORT, *args], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout)
    return report["peak"], report["answer"]


def test_streamed_engine(benchmark, pair):
    base, tuned, expected = pair
    benchmark.group = "diff: Qwen2-0.5B-shaped bf16 pair"
    result = benchmark.pedantic(diff_checkpoints, args=(base, tuned), rounds=5, warmup_rounds=1)
    assert {name: t.changed for name, t in result.tensors.items()} == expected
    rss, answer = _peak_rss(ENGINE, base, tuned)
    assert answer == expected
    _describe(benchmark, base, expected)
    benchmark.extra_info.update(peak_rss_bytes=rss, peak_rss_gib=round(rss / GIB, 3))
    _MEDIANS["engine"] = benchmark.stats.stats.median
    assert rss < GIB, f"engine peak RSS {rss / GIB:.2f} GiB is over the 1 GiB target"


@pytest.mark.parametrize("baseline", [reference_style, lean_full_load], ids=lambda f: f.__name__)
def test_full_load_baseline(benchmark, pair, baseline):
    base, tuned, expected = pair
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    benchmark.group = "diff: Qwen2-0.5B-shaped bf16 pair"
    answer = benchmark.pedantic(baseline, args=(base, tuned), rounds=3, warmup_rounds=0)
    assert answer == expected  # the same answers as the engine's
    script = inspect.getsource(baseline) + (
        f"import sys\nanswer = {baseline.__name__}(sys.argv[1], sys.argv[2])\n"
    )
    rss, baseline_answer = _peak_rss(script, base, tuned)
    assert baseline_answer == expected
    _describe(benchmark, base, expected)
    benchmark.extra_info.update(peak_rss_bytes=rss, peak_rss_gib=round(rss / GIB, 3))
    if "engine" not in _MEDIANS:  # the engine's test did not run first: time it here
        _MEDIANS["engine"] = _median_seconds(diff_checkpoints, base, tuned)
    speedup = benchmark.stats.stats.median / _MEDIANS["engine"]
    benchmark.extra_info["speedup_of_engine"] = round(speedup, 1)
    print(
        f"\nengine {_MEDIANS['engine']:.3f} s, {baseline.__name__} "
        f"{benchmark.stats.stats.median:.3f} s ({rss / GIB:.2f} GiB): {speedup:.1f}x"
    )
    assert speedup >= MIN_SPEEDUP[baseline.__name__], speedup


def _median_seconds(call, *args, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        call(*args)
        times.append(time.perf_counter() - began)
    return statistics.median(times)
