"""GRPO in micro-batches: the same effective batch as one pass (within float tolerance), the
built-in models' default path unchanged (one pass, no micro_batch in the spec or the key)."""

from __future__ import annotations

import numpy as np
import pytest
import recipes_support

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes import RunSpec, base_checkpoint
from rlsparse_check.recipes.spec import MICRO_BATCH
from rlsparse_check.recipes.trainer import chunk_rows

run_cache = recipes_support.run_cache
trained = recipes_support.trained


def weights(path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(path))


def update(run, base) -> np.ndarray:
    tuned = weights(run.weights)
    return np.concatenate([(tuned[k] - base[k]).ravel() for k in sorted(tuned)])


def logged(run, name: str) -> list[float]:
    return [row[name] for row in run.record.log_history if name in row]


def test_micro_batches_train_the_same_update_as_one_pass(trained, run_cache):
    fields = dict(algo="grpo", steps=3, seed=4, save_dtype="float32")
    whole = trained(**fields)
    micro = trained(**fields, micro_batch=16)  # 64 completions as 4 accumulated passes
    base = weights(base_checkpoint("tiny-qwen2", "float32", cache=run_cache) / "model.safetensors")
    one, four = update(whole, base), update(micro, base)
    assert np.linalg.norm(one) > 0
    assert np.linalg.norm(one - four) <= 1e-3 * np.linalg.norm(one)
    # the gradient norm sees a wrong loss scale (Adam's update would hide it)
    np.testing.assert_allclose(logged(micro, "grad_norm"), logged(whole, "grad_norm"), rtol=1e-4)
    np.testing.assert_allclose(logged(micro, "loss"), logged(whole, "loss"), rtol=1e-4, atol=1e-7)
    assert micro.record.eval["after"]["rewards"] == whole.record.eval["after"]["rewards"]
    assert micro.record.cache_key != whole.record.cache_key


@pytest.mark.slow
def test_one_micro_batch_alone_would_not_pass_the_same_check(trained, run_cache, monkeypatch):
    """The planted broken variant: micro-batches without accumulation (each pass its own
    optimizer step over a quarter of the batch) moves the weights elsewhere."""
    import rlsparse_check.recipes.rl as rl

    real = rl.trainer_kwargs
    monkeypatch.setattr(
        rl, "trainer_kwargs", lambda job, **kw: real(job, **{**kw, "accumulation": 1})
    )
    fields = dict(algo="grpo", steps=3, seed=4, save_dtype="float32")
    whole = trained(**fields)
    broken = trained(**fields, micro_batch=16, weight_decay=1e-12)  # its own cache entry
    base = weights(base_checkpoint("tiny-qwen2", "float32", cache=run_cache) / "model.safetensors")
    one, other = update(whole, base), update(broken, base)
    assert np.linalg.norm(one - other) > 1e-2 * np.linalg.norm(one)


def test_builtin_models_train_in_one_pass_with_an_unchanged_key():
    spec = RunSpec(algo="grpo").resolved(builtin=True)
    assert spec.micro_batch is None and "micro_batch" not in spec.to_dict()
    real = RunSpec(algo="grpo", model="some/model").resolved(builtin=False)
    assert real.micro_batch == MICRO_BATCH and real.to_dict()["micro_batch"] == MICRO_BATCH
    assert RunSpec(algo="sft").resolved(builtin=False).micro_batch is None


@pytest.mark.parametrize(
    "fields, message",
    [
        (dict(micro_batch=5), "must divide batch_size x num_generations"),
        (dict(micro_batch=0), "must divide"),
        (dict(algo="sft", micro_batch=8), "applies to grpo and rloo only"),
    ],
)
def test_a_bad_micro_batch_names_its_field(fields, message):
    with pytest.raises(OptionError, match=message):
        RunSpec(**fields)


def test_log_prob_chunks_hold_every_row_when_the_logits_fit():
    assert chunk_rows(64, 12, 16) == 64  # the built-in models: one chunk, the same bits
    assert chunk_rows(64, 257, 32768) == 7  # 256 MiB / (257 x 32768 x 4 bytes)
    assert chunk_rows(64, 10**6, 10**6) == 1
