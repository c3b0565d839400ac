"""Batched decoding with left padding, as the field does it: transformers' ``generate`` (which
keeps the positions and the key/value cache of padded rows right) on batches of prompts sorted
by length, each row stopping at end-of-sequence or once the task's answer is closed
(:data:`STOP`).

Sampling is seeded: the draws come from torch's generator seeded with ``seed`` inside
``torch.random.fork_rng``, so the same prompts give the same completions and the caller's
random state (a run's training draws) is left as it was. Used for the tasks other than the
built-in ones (chat-template prompts of many lengths); the built-in tasks keep the exact-length
path of :func:`rlsparse_check.recipes.sampling.sample_tokens`, whose prompts have a handful of
lengths and whose bits the run cache holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["ROWS", "STOP", "generate_batched", "until_eos"]

#: Rows (prompts x completions per prompt) decoded together: a 135 M model's key/value cache
#: for 64 rows of 500 tokens is about 1.5 GB in fp32.
ROWS = 64
#: A completion is over once the answer is closed (the verifier reads nothing after it).
STOP = ("</answer>",)
#: New tokens of a row decoded to look for a stop string (one character a token at worst).
TAIL = 16


def generate_batched(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    k: int = 1,
    greedy: bool = True,
    seed: int = 0,
    max_new_tokens: int = 256,
    temperature: float = 1.0,
    rows: int = ROWS,
    stop: Sequence[str] = STOP,
    report: Callable[[int, int], None] | None = None,
    max_time: float | None = None,
) -> list[list[str]]:
    """``k`` completions per prompt (greedy: ``k`` identical ones), decoded without specials.
    ``report(done, total)`` is called after each batch with the rows decoded so far.
    ``max_time``: seconds after which a batch's decoding stops (transformers' own time cap)."""
    import torch
    from transformers import GenerationConfig

    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    settings: dict[str, Any] = {
        "max_new_tokens": max_new_tokens,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "num_return_sequences": 1 if greedy else k,
        "do_sample": not greedy,
        "max_time": max_time,
    }
    if not greedy:  # the full distribution at ``temperature``, as the exact-length path draws
        settings.update(temperature=temperature, top_k=0, top_p=1.0)
    config = GenerationConfig(**settings)
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i]), i))
    per_batch = max(1, rows // (1 if greedy else k))
    device = next(model.parameters()).device
    out: list[list[str]] = [[] for _ in prompts]
    was_training, side = model.training, tokenizer.padding_side
    model.eval()
    tokenizer.padding_side = "left"
    devices = [device] if device.type == "cuda" else []
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            for start in range(0, len(order), per_batch):
                members = order[start : start + per_batch]
                batch = tokenizer.pad(
                    {"input_ids": [encoded[i] for i in members]}, return_tensors="pt"
                ).to(device)
                criteria = [_Closed(tokenizer, stop, batch["input_ids"].shape[1])] if stop else []
                made = model.generate(**batch, generation_config=config, stopping_criteria=criteria)
                new = made[:, batch["input_ids"].shape[1] :].tolist()
                width = 1 if greedy else k
                for row_index, row in enumerate(new):
                    text = tokenizer.decode(until_eos(row, eos), skip_special_tokens=True)
                    copies = k if greedy else 1
                    out[members[row_index // width]].extend([text] * copies)
                if report is not None:
                    report(min(start + per_batch, len(order)) * k, len(order) * k)
    finally:
        model.train(was_training)
        tokenizer.padding_side = side
    return out


class _Closed:
    """Per row: has the completion so far closed one of ``stop``? Decodes the last
    :data:`TAIL` new tokens of each row (transformers' own stop-string matcher needs a
    vocabulary it can index, which not every tokenizer gives)."""

    def __init__(self, tokenizer: Any, stop: Sequence[str], prompt_length: int) -> None:
        self.tokenizer, self.stop, self.start = tokenizer, tuple(stop), prompt_length

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        tails = input_ids[:, max(self.start, input_ids.shape[1] - TAIL) :].tolist()
        texts = self.tokenizer.batch_decode(tails, skip_special_tokens=True)
        done = [any(s in t for s in self.stop) for t in texts]
        return torch.tensor(done, dtype=torch.bool, device=input_ids.device)


def until_eos(row: Sequence[int], eos: int) -> list[int]:
    """The tokens of a generated row before its first ``eos``."""
    return list(row[: row.index(eos)] if eos in row else row)
