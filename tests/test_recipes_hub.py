"""``--model Qwen2-0.5B`` end to end without a download: a randomly initialised model with
Qwen2-0.5B's exact configuration and a locally built tokenizer sit in a temporary Hugging Face
cache (the layout ``models.resolve_model`` reads offline); one GRPO step trains on the CPU
through the command line, the hub model's own path, on a small JSONL task with two eval samples
per problem (the default eval would take most of the test's time). The run's peak memory (the
process's maximum resident set) and seconds per optimizer step are printed: 22.5 s and 10.3 GiB
here. PPO on this shape measured 43.1 s a step and 17.1 GiB (policy, value and reference models
with the Adam states of two): too much memory beside a second test worker, so PPO's path on a
Qwen2-shaped model is tested on the small BPE model of tests/test_tasks_gym.py and
tests/test_tasks_jsonl.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HUB_ID = "Qwen/Qwen2-0.5B"
#: Qwen/Qwen2-0.5B's config.json (architecture fields).
QWEN2_0_5B = {
    "hidden_size": 896,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "intermediate_size": 4864,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
    "max_position_embeddings": 131072,
    "max_window_layers": 24,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-06,
    "hidden_act": "silu",
    "use_sliding_window": False,
    "bos_token_id": 151643,
    "eos_token_id": 151643,
}
EOS = "<|endoftext|>"
#: Runs a command line in a child process and reports its peak resident memory.
MEASURED = """
import json, resource, sys
from rlsparse_check.cli import main
code = main(sys.argv[1:])
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({"peak_rss_gib": round(peak, 2)}), file=sys.stderr)
sys.exit(code)
"""


def local_tokenizer(vocab_size: int):
    """A character-level tokenizer over Qwen2's whole vocabulary size, end-of-text at Qwen2's
    id, so every id the random model generates decodes."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = [*"0123456789+-= ", "<|unk|>"]
    vocab = {token: index for index, token in enumerate(chars)}
    vocab.update({f"<|extra_{i}|>": i for i in range(len(chars), vocab_size)})
    vocab = {token: index for token, index in vocab.items() if index != 151643}
    vocab[EOS] = 151643
    core = Tokenizer(models.WordLevel(vocab, unk_token="<|unk|>"))
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), "isolated")
    core.decoder = decoders.Fuse()
    core.add_special_tokens([EOS])
    return PreTrainedTokenizerFast(
        tokenizer_object=core, eos_token=EOS, pad_token=EOS, unk_token="<|unk|>"
    )


def write_hub_cache(hf_home: Path) -> Path:
    """The snapshot folder of ``HUB_ID`` in an HF cache at ``hf_home`` (random bf16 weights)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    repo = hf_home / "hub" / ("models--" + HUB_ID.replace("/", "--"))
    commit = "0123456789abcdef0123456789abcdef01234567"
    snapshot = repo / "snapshots" / commit
    torch.manual_seed(0)
    config = Qwen2Config(**QWEN2_0_5B)
    config.architectures = ["Qwen2ForCausalLM"]
    model = Qwen2ForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(str(snapshot))
    local_tokenizer(config.vocab_size).save_pretrained(str(snapshot))
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("hf-home")
    write_hub_cache(home)
    return home


def small_task(tmp: Path) -> str:
    """A JSONL task of sums in the tokenizer's characters: 10 eval problems (the fewest a task
    takes) with 4 new tokens each, so that eval on a 0.5B model on the CPU stays short."""
    lines = [
        json.dumps({"prompt": f"{a}+{b}=", "answer": str(a + b), "split": split})
        for split, count in (("train", 8), ("eval", 10))
        for a, b in [(k, k + 1) for k in range(count)]
    ]
    path = tmp / "sums.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return f"jsonl:{path}:max_new_tokens=4"


def train_one_step(algo: str, hf_home: Path, tmp: Path) -> tuple[dict, float]:
    args = f"train --model Qwen2-0.5B --algo {algo} --steps 1 --batch-size 2".split()
    args += ["--task", small_task(tmp), "--eval-samples", "2"]
    args += ["--num-generations", "2", "--device", "cpu", "--cache-dir", str(tmp / "cache")]
    args += ["--out", str(tmp / algo)]
    env = {**os.environ, "HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", MEASURED, *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-4000:]
    peak = json.loads(done.stderr.strip().splitlines()[-1])["peak_rss_gib"]
    return json.loads((tmp / algo / "run.json").read_text()), peak


@pytest.mark.slow
def test_qwen2_0_5b_from_the_local_hub_cache_trains_one_grpo_step(hf_home, tmp_path, capsys):
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.recipes.spec import DEFAULTS, PUBLISHED_LR, RunSpec

    algo = "grpo"
    record, peak = train_one_step(algo, hf_home, tmp_path)
    final = record["log_history"][-1]
    with capsys.disabled():
        print(
            f"\n{algo} on Qwen2-0.5B (random weights), CPU: {final['train_runtime']:.1f} s "
            f"per step, peak memory {peak} GiB, whole run {record['wall_time_s']:.0f} s"
        )
    assert record["base"]["path"] and record["data"]["steps"] == 1
    # hub models take the published per-step rate (1e-6), not the built-in one
    rate = RunSpec(algo=algo).resolved(builtin=False).lr
    assert rate == PUBLISHED_LR[algo] != DEFAULTS[algo]["lr"]
    assert record["trainer_args"]["learning_rate"] == rate
    config = json.loads((tmp_path / algo / "config.json").read_text())
    assert {k: config[k] for k in QWEN2_0_5B if k in config} == {
        k: v for k, v in QWEN2_0_5B.items() if k in config
    }
    tuned = open_checkpoint(tmp_path / algo)
    assert tuned.spec("model.embed_tokens.weight").shape == (151936, 896)
    after = record["eval"]["after"]
    assert (after["n"], after["samples"], len(after["rewards"])) == (10, 2, 10)
