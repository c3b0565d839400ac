"""End-to-end recipe tests on the embedded model: learning, records, determinism, cache, dtype."""

from __future__ import annotations

import json

import pytest
import recipes_support

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes import RUN_JSON_KEYS, RunSpec, base_checkpoint, train
from rlsparse_check.tasks import get_task

#: A 20-step GRPO run of seed 0 measured +0.21 greedy eval accuracy (0.46 -> 0.67) and +0.054
#: sampled eval reward (0.418 -> 0.471, standard error 0.023); the margins leave room for other
#: machines' float differences while still proving it learned.
GRPO_MIN_GAIN = 0.08
GRPO_MIN_SAMPLED_GAIN = 0.02

run_cache = recipes_support.run_cache  # session fixtures shared by the recipe tests
trained = recipes_support.trained


def test_grpo_improves_eval_reward_over_a_short_run(trained):
    run = trained(algo="grpo", steps=20, lr=2e-5)
    ev = run.record.eval
    assert ev["after"]["greedy"] - ev["before"]["greedy"] >= GRPO_MIN_GAIN, ev
    assert run.gain >= GRPO_MIN_SAMPLED_GAIN and ev["after"]["se"] <= 0.02, ev


def test_the_run_folder_holds_weights_config_tokenizer_and_a_full_record(trained):
    run = trained(algo="grpo", steps=20, lr=2e-5)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "run.json"):
        assert (run.path / name).is_file(), name
    record = json.loads((run.path / "run.json").read_text())
    assert set(RUN_JSON_KEYS) <= set(record)
    assert record["hyperparameters"]["lr"] == 2e-5 and record["hyperparameters"]["beta"] == 0.0
    n_eval = len(get_task("add").eval)
    for side in ("before", "after"):
        assert len(record["eval"][side]["rewards"]) == n_eval
        assert record["eval"][side]["accuracy"] == sum(record["eval"][side]["rewards"]) / n_eval
    assert set(record["versions"]) >= {"torch", "transformers", "trl"}
    assert record["device"]["kind"] == "cpu" and record["device"]["threads"] >= 1
    assert json.loads((run.path / "config.json").read_text())["dtype"] == "bfloat16"


def test_a_second_request_for_the_same_spec_is_a_cache_hit(trained):
    first = trained(algo="grpo", steps=20, lr=2e-5)
    again = trained(algo="grpo", steps=20, lr=2e-5)
    assert again.cached and again.path == first.path


def test_the_same_seed_gives_bitwise_identical_weights_and_another_seed_does_not():
    spec = RunSpec(algo="grpo", steps=2, device="cpu", seed=5)
    one, two = train(spec, cache=None), train(spec, cache=None)
    other = train(RunSpec(algo="grpo", steps=2, device="cpu", seed=6), cache=None)
    assert one.record.weights_sha256 == two.record.weights_sha256
    assert one.weights.read_bytes() == two.weights.read_bytes()
    assert other.record.weights_sha256 != one.record.weights_sha256


def test_a_bf16_saved_run_is_sparser_than_the_same_run_saved_in_fp32(trained, run_cache):
    from rlsparse_check.diff import diff_checkpoints

    sparsity = {}
    for dtype in ("bfloat16", "float32"):
        run = trained(algo="grpo", steps=20, save_dtype=dtype)
        base = base_checkpoint("tiny-qwen2", dtype, cache=run_cache)
        sparsity[dtype] = diff_checkpoints(base, run.path).sparsity
    assert sparsity["bfloat16"] > sparsity["float32"] + 0.05, sparsity


def test_out_receives_a_copy_of_the_cached_run(trained, run_cache, tmp_path):
    run = trained(algo="grpo", steps=20, lr=2e-5)
    copy = train(
        RunSpec(algo="grpo", steps=20, lr=2e-5, device="cpu"), cache=run_cache, out=tmp_path / "out"
    )
    assert copy.path == (tmp_path / "out").resolve() and copy.cached
    assert copy.weights.read_bytes() == run.weights.read_bytes()
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(OptionError, match="not a checkpoint folder"):
        train(RunSpec(algo="grpo", steps=20, device="cpu"), cache=run_cache, out=tmp_path / "other")


@pytest.mark.parametrize(
    "fields, option",
    [
        ({"algo": "reinforce"}, "--algo"),
        ({"steps": 0}, "--steps"),
        ({"lr": -1.0}, "--lr"),
        ({"save_dtype": "float16"}, "--save-dtype"),
        ({"max_grad_norm": 0.0}, "--max-grad-norm"),
        ({"task": "mul"}, "--task"),
        ({"algo": "grpo", "gamma": 0.9}, "--gamma: applies to ppo only"),
        ({"algo": "dpo", "ppo_epochs": 2}, "--ppo-epochs: applies to ppo and prime only"),
        ({"algo": "ppo", "iterations": 2}, "--iterations"),
        ({"algo": "ppo", "lam": 1.5}, "--lam"),
        ({"algo": "prime", "mini_batches": 0}, "--mini-batches"),
        ({"algo": "prime", "critic_lr": 0.0}, "--critic-lr"),
    ],
)
def test_bad_spec_fields_name_their_option(fields, option):
    with pytest.raises(OptionError, match=option):
        RunSpec(**fields)


def test_ppo_and_prime_knobs_enter_only_their_own_specs():
    from rlsparse_check.recipes import DEFAULTS, ONPOLICY

    plain = RunSpec(algo="grpo").resolved().to_dict()
    assert not set(ONPOLICY["ppo"]) & set(plain)
    ppo = RunSpec(algo="ppo", lr=2e-6).resolved()
    assert ppo.lr == 2e-6 and ppo.beta == DEFAULTS["ppo"]["beta"]
    assert (ppo.ppo_epochs, ppo.critic_lr, ppo.lam) == (4, 2e-5, 0.95)
    prime = RunSpec(algo="prime", ppo_epochs=2).resolved()
    assert (prime.ppo_epochs, prime.critic_lr, prime.lr) == (2, 2e-6, 2e-6)
    assert "gamma" not in prime.to_dict() and "critic_lr" in prime.to_dict()


def test_the_master_weights_kept_beside_a_bf16_run_are_those_of_an_fp32_run(trained):
    kept = trained(algo="grpo", steps=3, seed=4, keep_master=True)
    bf16 = trained(algo="grpo", steps=3, seed=4)
    fp32 = trained(algo="grpo", steps=3, seed=4, save_dtype="float32")
    assert kept.record.master == "master" and bf16.record.master is None
    assert kept.weights.read_bytes() == bf16.weights.read_bytes()
    master = kept.path / "master" / "model.safetensors"
    assert master.read_bytes() == fp32.weights.read_bytes()
    assert "keep_master" in kept.record.spec and "keep_master" not in bf16.record.spec


def test_fewer_eval_samples_change_only_the_eval_and_the_key(trained):
    full = trained(algo="grpo", steps=3, seed=4)
    cheap = trained(algo="grpo", steps=3, seed=4, eval_samples=2)
    assert cheap.weights.read_bytes() == full.weights.read_bytes()
    assert cheap.record.cache_key != full.record.cache_key
    assert (cheap.record.eval["after"]["samples"], full.record.eval["after"]["samples"]) == (2, 8)
    assert cheap.record.spec["eval_samples"] == 2 and "eval_samples" not in full.record.spec
    assert "eval_samples" not in cheap.record.hyperparameters
    with pytest.raises(OptionError, match="--eval-samples 0"):
        RunSpec(eval_samples=0)


def test_grpo_log_prob_tiles_fit_the_vocabulary_with_the_same_bits(run_cache, monkeypatch):
    from trl.trainer import utils

    from rlsparse_check.recipes.rl import _fit_logprob_tiles

    spec = RunSpec(algo="grpo", steps=3, seed=7, device="cpu")
    fitted = train(spec, cache=None)
    assert utils._CHUNKED_LOGPROB_CHUNK_SIZE == 16  # the built-in vocabulary
    monkeypatch.setattr("rlsparse_check.recipes.rl._fit_logprob_tiles", lambda size: None)
    monkeypatch.setattr(utils, "_CHUNKED_LOGPROB_CHUNK_SIZE", utils._TRL_CHUNK_SIZE)
    wide = train(spec, cache=None)
    assert fitted.weights.read_bytes() == wide.weights.read_bytes()
    _fit_logprob_tiles(151936)  # a Qwen2 vocabulary keeps TRL's width
    assert utils._CHUNKED_LOGPROB_CHUNK_SIZE == utils._TRL_CHUNK_SIZE == 32768
