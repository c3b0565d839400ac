"""Benchmark: sparse update patches of a Qwen2-0.5B-shaped pair, against shipping it whole.

The pair is generated, not shipped: a bf16 base of random finite values (494 M entries, 0.99 GB,
``fixtures.planted.write_bit_flip_pair``) and a tuned copy with the lowest bit flipped -- a move
of one ULP up or down -- in a seeded 20% of entries. Measured, in one run:

* ``test_make_patch`` / ``test_apply_patch``: ``rlsparse-check delta`` and ``apply`` through the
  API (apply's output is checked byte for byte against TUNED), each with its peak RSS in a fresh
  process (the process's own VmHWM);
* ``test_estimate_patch_bytes``: the size without writing the patch, from the masks of a diff;
* baselines: copying TUNED's file whole, and compressing it whole with the same codec (zstd at
  the patch's level) then decompressing it: the two ways to ship a checkpoint without a patch.

Sizes and ratios (patch or compressed file / TUNED's file) and the speedups go to ``extra_info``
and are printed; nothing asserts a wall-clock time. The size target (patch at most 15% of TUNED)
and the memory target (peak RSS under 1 GiB) are asserted.

    pytest benchmarks/bench_delta.py --benchmark-only               # full size, ~3 GB in a temp dir
    RLSPARSE_BENCH_SCALE=0.1 pytest benchmarks/bench_delta.py --benchmark-only   # a quick look
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys

import pytest
import zstandard

from fixtures.planted import qwen2_0_5b_shapes, write_bit_flip_pair
from rlsparse_check.delta import apply_patch, estimate_patch_bytes, make_patch
from rlsparse_check.delta.codec import LEVEL
from rlsparse_check.diff import diff_checkpoints

SCALE = float(os.environ.get("RLSPARSE_BENCH_SCALE", "1"))
GIB = 1 << 30
#: The size target: a 20%-changed one-ULP update ships in at most 15% of the checkpoint's bytes.
MAX_RATIO = 0.15
GROUP_MAKE = "delta export: Qwen2-0.5B-shaped bf16 pair, 20% one-ULP moves"
GROUP_APPLY = "delta apply: Qwen2-0.5B-shaped bf16 pair, 20% one-ULP moves"

PEAK = """
import json, re, sys
from rlsparse_check.cli import main
code = main(sys.argv[1:])
with open("/proc/self/status") as f:  # this process's own peak; ru_maxrss would include the
    peak = int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1)) * 1024  # parent's at fork
print(json.dumps({"code": code, "peak": peak, "torch": "torch" in sys.modules}))
"""


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qwen2-0.5b-shaped")
    write_bit_flip_pair(folder, qwen2_0_5b_shapes(SCALE), density=0.2, seed=0)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)  # do not leave 3 GB behind


def _peak_rss(*argv: str) -> int:
    """Run ``rlsparse-check ARGV`` in a fresh interpreter; its peak RSS (torch must stay out)."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *argv], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0 and not report["torch"], done.stderr
    return report["peak"]


def _fresh(path) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


#: Each patch step and the baselines it is compared with (median time ratios in extra_info).
_AGAINST = {"make": ("copy", "compress"), "apply": ("copy", "decompress")}
_DONE: dict[str, object] = {}


def _record(benchmark, key: str) -> None:
    """Remember this step's result; relate every patch step to the baselines measured so far."""
    _DONE[key] = benchmark
    for step, baselines in _AGAINST.items():
        for baseline in baselines:
            if step in _DONE and baseline in _DONE:
                ours, theirs = _DONE[step].stats.stats.median, _DONE[baseline].stats.stats.median
                _DONE[step].extra_info[f"time_vs_{baseline}"] = round(ours / theirs, 2)


def test_make_patch(benchmark, pair):
    base, tuned, patch = pair / "base.safetensors", pair / "tuned.safetensors", pair / "p"
    benchmark.group = GROUP_MAKE

    def make():
        _fresh(patch)
        return make_patch(base, tuned, patch)

    summary = benchmark.pedantic(make, rounds=3, warmup_rounds=1)
    _fresh(pair / "rss.patch")
    rss = _peak_rss("delta", str(base), str(tuned), "--out", str(pair / "rss.patch"))
    benchmark.extra_info.update(
        scale=SCALE,
        entries=summary.compared,
        changed=summary.changed,
        tuned_bytes=summary.checkpoint_bytes,
        patch_bytes=summary.patch_bytes,
        ratio=round(summary.ratio, 4),
        peak_rss_gib=round(rss / GIB, 3),
    )
    _record(benchmark, "make")
    print(f"\n{summary.line()}\nmake_patch peak RSS {rss / GIB:.3f} GiB")
    assert summary.ratio <= MAX_RATIO, f"patch is {summary.ratio:.1%} of TUNED"
    assert rss < GIB, f"make_patch peak RSS {rss / GIB:.2f} GiB is over 1 GiB"


def test_apply_patch(benchmark, pair):
    base, tuned, patch, out = (
        pair / n for n in ("base.safetensors", "tuned.safetensors", "p", "o")
    )
    if not patch.exists():
        make_patch(base, tuned, patch)
    benchmark.group = GROUP_APPLY
    benchmark.pedantic(
        apply_patch, args=(base, patch, out), setup=lambda: _fresh(out), rounds=3, warmup_rounds=1
    )
    assert filecmp.cmp(out / "tuned.safetensors", tuned, shallow=False)
    _fresh(out)
    rss = _peak_rss("apply", str(base), str(patch), "--out", str(out))
    assert filecmp.cmp(out / "tuned.safetensors", tuned, shallow=False)
    _fresh(out)
    benchmark.extra_info.update(scale=SCALE, peak_rss_gib=round(rss / GIB, 3))
    _record(benchmark, "apply")
    print(f"\napply_patch peak RSS {rss / GIB:.3f} GiB")
    assert rss < GIB, f"apply_patch peak RSS {rss / GIB:.2f} GiB is over 1 GiB"


def test_estimate_patch_bytes(benchmark, pair):
    base, tuned = pair / "base.safetensors", pair / "tuned.safetensors"
    benchmark.group = GROUP_MAKE
    masks = diff_checkpoints(base, tuned, keep_masks=True).masks
    estimate = benchmark.pedantic(
        estimate_patch_bytes, args=(base, tuned), kwargs={"masks": masks}, rounds=3
    )
    if (pair / "p").exists():
        assert estimate.patch_bytes == (pair / "p").stat().st_size
    benchmark.extra_info.update(scale=SCALE, patch_bytes=estimate.patch_bytes)


def _copy(source, target) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 22)
        dst.flush()
        os.fsync(dst.fileno())


def _compress(source, target) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        zstandard.ZstdCompressor(level=LEVEL).copy_stream(src, dst)
        dst.flush()
        os.fsync(dst.fileno())


def _decompress(source, target) -> None:
    with open(source, "rb") as src, open(target, "wb") as dst:
        zstandard.ZstdDecompressor().copy_stream(src, dst)
        dst.flush()
        os.fsync(dst.fileno())


@pytest.mark.parametrize("step", ["copy", "compress", "decompress"])
def test_ship_the_whole_checkpoint_baseline(benchmark, pair, step):
    tuned, whole = pair / "tuned.safetensors", pair / "tuned.safetensors.zst"
    if step == "decompress" and not whole.exists():
        _compress(tuned, whole)
    source, target, run = {
        "copy": (tuned, pair / "copy.safetensors", _copy),
        "compress": (tuned, whole, _compress),
        "decompress": (whole, pair / "unzstd.safetensors", _decompress),
    }[step]
    benchmark.group = GROUP_APPLY if step == "decompress" else GROUP_MAKE
    benchmark.pedantic(run, args=(source, target), rounds=3, warmup_rounds=1)
    benchmark.extra_info.update(scale=SCALE, bytes=os.path.getsize(target))
    if step == "compress":
        ratio = os.path.getsize(target) / os.path.getsize(tuned)
        benchmark.extra_info["ratio"] = round(ratio, 4)
        print(f"\nTUNED compressed whole (zstd level {LEVEL}): {ratio:.2%} of its size")
    if step == "decompress":
        assert filecmp.cmp(target, tuned, shallow=False)
    if target != whole:
        _fresh(target)
    _record(benchmark, step)
