"""Benchmark: overlap statistics of a Qwen2-0.5B-shaped pair, against a naive permutation test.

The checkpoints are generated, not shipped: a bf16 base of random finite values (494 M entries,
see ``fixtures.planted.write_bit_flip_pair``) and two tuned copies whose lowest bit is flipped
where a seeded draw says so, independently for the two, with a probability that falls smoothly
with |w| (the magnitude-only dependence the stratified null must absorb). Measured:

* ``test_overlap_of_mask_sets``: the overlap stage alone (masks in memory, base on disk);
* ``test_overlap_checkpoints_end_to_end``: what ``rlsparse-check overlap`` does (two streamed
  diffs, then the pair), with its peak RSS in a fresh process;
* ``test_analytic_p_against_the_naive_permutation_baseline``: the analytic stratified p-value
  of a slice of the model (the benchmark), against a stratified permutation test of the same
  slice (shuffle B within the same bins, count overlaps) timed in the same run at
  :data:`PERMUTATIONS` permutations and scaled to 999.

Asserted (a ratio, never an absolute time): on the same slice the analytic p-value is at least
:data:`MIN_SPEEDUP` times faster than 999 permutations, and the two p-values agree within the
permutation test's resolution. Other figures go to ``extra_info``.

    pytest benchmarks/bench_overlap.py                           # full size, ~3 GB in a temp dir
    RLSPARSE_BENCH_SCALE=0.1 pytest benchmarks/bench_overlap.py  # smaller model, quick look
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from fixtures.planted import qwen2_0_5b_shapes, write_bit_flip_pair
from rlsparse_check.checkpoints import open_checkpoint, write_safetensors
from rlsparse_check.masks import MaskSet
from rlsparse_check.overlap import (
    nulls,
    overlap_arrays,
    overlap_checkpoints,
    overlap_masksets,
    tensor_overlap,
)

SCALE = float(os.environ.get("RLSPARSE_BENCH_SCALE", "1"))
SLICE_ENTRIES = 500_000  # entries in the naive baseline's slice
PERMUTATIONS = 49
GROUP = "overlap: Qwen2-0.5B-shaped bf16 pair"
#: 999 permutations' time over the analytic p-value's, at least, on the same slice (measured
#: about 6,800x: 0.35 s against ~2,400 s, scale 0.1, two shared cores).
MIN_SPEEDUP = 1000.0

ENGINE = """
import json, re, sys
from rlsparse_check.overlap import overlap_checkpoints
data = overlap_checkpoints(sys.argv[1], sys.argv[2:]).to_json()
with open("/proc/self/status") as f:  # this process's own peak; ru_maxrss would include the
    peak = int(re.search(r"VmHWM:\\s+(\\d+)", f.read()).group(1)) * 1024  # parent's at fork
print(json.dumps({"p_stratified": data["p_stratified"], "peak_rss_bytes": peak}))
"""


def update_probability(bits: np.ndarray) -> np.ndarray:
    """P(update) falling smoothly with the magnitude code (bf16 bits, top exponent bit clear)."""
    code = (bits & np.uint16(0x7FFF)).astype(np.float32)
    return 0.02 + 0.35 * (1.0 - code / np.float32(0x4000))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("qwen2-0.5b-shaped-overlap")
    write_bit_flip_pair(folder, qwen2_0_5b_shapes(SCALE), density=0.0, seed=0)
    (folder / "tuned.safetensors").unlink()  # only the base is used
    base = folder / "base.safetensors"
    masks, tuned = [], []
    with open_checkpoint(base) as ckpt:
        for i in range(2):
            rng = np.random.default_rng([1, i])
            dense, flipped = {}, {}
            for name in ckpt.names:
                bits = ckpt.raw(name)
                dense[name] = rng.random(bits.shape, dtype=np.float32) < update_probability(bits)
                flipped[name] = bits ^ dense[name].view(np.uint8).astype(np.uint16)
            tuned.append(
                str(write_safetensors(folder / f"tuned{i}.safetensors", flipped, dtype="bfloat16"))
            )
            masks.append(MaskSet.from_dense(dense))
            del dense, flipped
    yield str(base), tuned, masks
    shutil.rmtree(folder, ignore_errors=True)  # do not leave 3 GB behind


def _describe(benchmark, masks, data) -> None:
    benchmark.group = GROUP
    benchmark.extra_info.update(
        scale=SCALE,
        entries=masks[0].total_numel(),
        tensors=len(masks[0]),
        count_a=data["count_a"],
        count_b=data["count_b"],
        both=data["both"],
        strata=data["strata"],
        p_independent=data["p_independent"],
        p_stratified=data["p_stratified"],
        ratio_independent=data["ratio_independent"],
        ratio_stratified=data["ratio_stratified"],
        z_stratified=data["z_stratified"],
    )


def test_overlap_of_mask_sets(benchmark, model):
    base, _, masks = model
    with open_checkpoint(base) as ckpt:
        results = benchmark.pedantic(
            overlap_masksets, args=(masks, ckpt), kwargs={"labels": ["A", "B"]}, rounds=3
        )
        data = results[0].to_json()
    _describe(benchmark, masks, data)
    entries = masks[0].total_numel()
    benchmark.extra_info["entries_per_second"] = entries / benchmark.stats.stats.median
    assert data["p_independent"] < 1e-6  # magnitude-only dependence fools the uniform null


def test_overlap_checkpoints_end_to_end(benchmark, model):
    base, tuned, masks = model
    result = benchmark.pedantic(overlap_checkpoints, args=(base, tuned), rounds=3)
    data = result.to_json()
    assert data["count_a"] == masks[0].total_count()
    proc = subprocess.run(
        [sys.executable, "-c", ENGINE, base, *tuned], capture_output=True, text=True, check=True
    )
    answer = json.loads(proc.stdout)
    assert answer["p_stratified"] == pytest.approx(data["p_stratified"])
    _describe(benchmark, masks, data)
    benchmark.extra_info["peak_rss_gib"] = round(answer["peak_rss_bytes"] / 2**30, 3)


def test_analytic_p_against_the_naive_permutation_baseline(benchmark, model):
    """Stratified permutations on a slice (whole tensors up to SLICE_ENTRIES), against the
    analytic test of the same slice; the permutations' time is scaled to 999, not run."""
    base, _, masks = model
    a, b, w, total = {}, {}, {}, 0
    with open_checkpoint(base) as ckpt:
        for name in sorted(ckpt.names, key=lambda n: ckpt.spec(n).numel):
            if total + ckpt.spec(name).numel > SLICE_ENTRIES:
                break
            a[name], b[name] = masks[0].dense(name), masks[1].dense(name)
            w[name] = ckpt.values(name)
            total += ckpt.spec(name).numel
    benchmark.group = GROUP
    p_analytic = benchmark.pedantic(
        lambda: overlap_arrays(a, b, w).p_stratified, rounds=3, warmup_rounds=1
    )
    analytic_time = benchmark.stats.stats.median
    labels = []
    for i, name in enumerate(sorted(a)):
        _, found = tensor_overlap(a[name], b[name], w[name])
        labels.append(found.labels(nulls.magnitude_key(w[name])) + (i << 32))
    flat_a = np.concatenate([a[n].reshape(-1) for n in sorted(a)])
    flat_b = np.concatenate([b[n].reshape(-1) for n in sorted(a)])
    label = np.concatenate(labels)
    began = time.perf_counter()
    p_perm = nulls.stratified_permutation_p(flat_a, flat_b, label, PERMUTATIONS, 0)
    per_permutation = (time.perf_counter() - began) / PERMUTATIONS
    speedup = per_permutation * 999 / analytic_time
    full = masks[0].total_numel()
    benchmark.extra_info.update(
        slice_entries=total,
        slice_tensors=len(a),
        permutations=PERMUTATIONS,
        p_permutation=p_perm,
        p_analytic=p_analytic,
        seconds_per_permutation_on_slice=per_permutation,
        speedup_over_999_permutations=round(speedup, 1),
        extrapolated_seconds_999_permutations_full_model=per_permutation * 999 * full / total,
    )
    print(f"\nanalytic {analytic_time:.3f} s, 999 permutations ~{per_permutation * 999:.1f} s")
    # a permutation p-value from 49 draws is coarse: agree within its resolution
    assert abs(p_perm - p_analytic) < 0.3
    assert speedup >= MIN_SPEEDUP, speedup
