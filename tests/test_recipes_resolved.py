"""A run is resolved once: how often one run's walk enters model resolution and hashes weights.

Every function of :mod:`rlsparse_check.models` that resolves something, and
:func:`rlsparse_check.recipes.store.weights_sha256`, are wrapped wherever the package holds them;
a fresh run and a cache hit of the same spec are counted exactly.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from rlsparse_check import models
from rlsparse_check.recipes import RunCache, RunSpec, resolve, store, train

COUNTED = {
    "resolve_model": models,
    "resolve_device": models,
    "_cached_snapshot": models,
    "load_model": models,
    "weights_sha256": store,
}


@pytest.fixture
def calls(monkeypatch):
    """A Counter of calls to the :data:`COUNTED` functions, however they were imported."""
    counts: Counter[str] = Counter()
    for name, home in COUNTED.items():
        original = getattr(home, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("rlsparse_check"):
                if getattr(module, name, None) is original:
                    monkeypatch.setattr(module, name, counted)
    return counts


def test_a_run_resolves_once_and_a_cache_hit_reads_no_weights(calls, tmp_path):
    cache = RunCache(tmp_path / "cache")
    spec = RunSpec(algo="sft", steps=1, device="cpu", seed=3)
    fresh = train(spec, cache=cache)
    assert not fresh.cached
    assert (calls["resolve_model"], calls["resolve_device"], calls["_cached_snapshot"]) == (1, 1, 0)
    # the tuned weights, once; the bases' hashes come from the build record and manifests
    assert calls["weights_sha256"] == 1
    # the fp32 and bf16 bases built from the source; the base (eval), the start (training)
    # and the saved run (eval)
    assert calls["load_model"] == 5
    assert fresh.record.base_weights_sha256 == store.weights_sha256(Path(fresh.record.base["path"]))
    calls.clear()
    hit = train(spec, cache=cache)
    assert hit.cached and hit.path == fresh.path and hit.record == fresh.record
    assert (calls["resolve_model"], calls["resolve_device"], calls["_cached_snapshot"]) == (1, 1, 0)
    assert (calls["weights_sha256"], calls["load_model"]) == (0, 0)


def test_the_start_hash_resolved_from_the_manifest_is_the_hash_of_its_weights(tmp_path):
    cache = RunCache(tmp_path / "cache")
    run = resolve(RunSpec(algo="grpo", device="cpu"), cache)
    assert run.start_sha256 == store.weights_sha256(run.start)
    assert (run.spec.lr, run.spec.steps) == (2e-6, 150)
    assert run.key == resolve(RunSpec(algo="grpo", device="cpu", steps=150), cache).key
    assert run.key != resolve(RunSpec(algo="grpo", device="cpu", seed=1), cache).key


@pytest.mark.slow
def test_a_session_resolves_its_model_once_and_reads_no_weights_for_a_cached_run(calls, tmp_path):
    from rlsparse_check.design import Condition
    from rlsparse_check.plugin.options import Settings
    from rlsparse_check.recipes.factory import RunFactory

    cache = RunCache(tmp_path / "cache")
    settings = Settings(model="tiny-qwen2", device="cpu", seeds=1, steps=1, algos=("sft",))
    factory = RunFactory(settings, cache)
    # the factory's model and device, and the design's model (rlsparse_check.design)
    assert (calls["resolve_model"], calls["resolve_device"]) == (2, 1)
    train(factory.spec(Condition("sft"), 3), cache=cache)  # the run, trained before the session
    calls.clear()
    case = factory.case(Condition("sft"), 3)
    assert case.meta["record"]["cached"] is True
    assert sum(calls.values()) == 0  # no resolution, no weights hash, no model loaded


def test_the_run_key_holds_the_device_and_the_mask_by_content(tmp_path):
    cache = RunCache(tmp_path / "cache")
    spec = RunSpec(algo="sft", steps=1, device="cpu")
    assert resolve(spec, cache, device="cpu").key != resolve(spec, cache, device="cuda").key
    mask = tmp_path / "mask.npz"
    mask.write_bytes(b"one mask")
    first = resolve(RunSpec(algo="sft", steps=1, device="cpu", mask=str(mask)), cache).key
    mask.write_bytes(b"another mask")  # the same path, other contents: another run
    second = resolve(RunSpec(algo="sft", steps=1, device="cpu", mask=str(mask)), cache).key
    assert first != second
