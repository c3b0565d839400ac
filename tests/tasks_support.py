"""Shared by the task tests: a Qwen2-shaped tiny model in a local folder with a byte-level BPE
tokenizer trained here (on task-like strings) and a simple chat template, as a real model's
checkpoint folder looks; and small JSONL task files."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CHAT_TEMPLATE", "EOS", "tiny_bpe_model", "write_jsonl", "bpe_tokenizer"]

EOS = "<|endoftext|>"
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def _corpus() -> list[str]:
    from rlsparse_check.tasks.prompts import INSTRUCTION

    rng = random.Random(0)
    out = [INSTRUCTION, "<|system|>", "<|user|>", "<|assistant|>", "Answer:"]
    for _ in range(300):
        terms = [str(rng.randint(0, 999)) for _ in range(rng.randint(2, 5))]
        expr = " + ".join(terms)
        out.append(f"State the final answer to the following arithmetic problem: {expr} =")
        out.append(f"What is {expr}? <answer>{rng.randint(0, 3000)}</answer>")
    return out


def bpe_tokenizer(chat: bool = True) -> Any:
    """A byte-level BPE tokenizer (vocabulary 400) with ``EOS``; a chat template if ``chat``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(_corpus(), trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        eos_token=EOS,
        pad_token=EOS,
        padding_side="left",
        chat_template=CHAT_TEMPLATE if chat else None,
    )


def write_model(folder: Path, chat: bool = True) -> Path:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = bpe_tokenizer(chat)
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    config.architectures = ["Qwen2ForCausalLM"]
    Qwen2ForCausalLM(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="session")
def tiny_bpe_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the tiny Qwen2-shaped model with a chat template."""
    return write_model(tmp_path_factory.mktemp("tiny-bpe") / "model")


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    """``rows`` (dicts, or raw strings written as they are) one per line."""
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def sums(n: int) -> list[dict[str, str]]:
    """``n`` small addition problems as JSONL rows."""
    return [{"prompt": f"What is {i} + {i + 1}?", "answer": str(2 * i + 1)} for i in range(n)]
