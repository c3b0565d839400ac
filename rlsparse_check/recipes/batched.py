"""Batched decoding with left padding, as the field does it: transformers' ``generate`` (which
keeps the positions and the key/value cache of padded rows right) on batches of prompts sorted
by length, each row stopping at end-of-sequence or once the task's answer is closed
(:data:`STOP`).

Sampling is seeded: the draws come from torch's generator seeded with ``seed`` inside
``torch.random.fork_rng``, so the same prompts give the same completions and the caller's
random state (a run's training draws) is left as it was. The rows of a batch pass once over what
their prompts share (:func:`_shared`: the instruction and the demonstrations, most of an eval's
tokens). Used for the tasks other than the
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
        "num_return_sequences": 1,  # _shared lays out a sampled prompt's k rows
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
    was_training = model.training
    model.eval()
    devices = [device] if device.type == "cuda" else []
    width = 1 if greedy else k  # rows decoded per prompt
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            for start in range(0, len(order), per_batch):
                members = order[start : start + per_batch]
                inputs = _shared(model, [encoded[i] for i in members], width, pad, device)
                length = inputs["input_ids"].shape[1]
                criteria = [_Closed(tokenizer, stop, length)] if stop else []
                made = model.generate(
                    **inputs, generation_config=config, stopping_criteria=criteria
                )
                for row_index, row in enumerate(made[:, length:].tolist()):
                    text = tokenizer.decode(until_eos(row, eos), skip_special_tokens=True)
                    copies = k if greedy else 1
                    out[members[row_index // width]].extend([text] * copies)
                if report is not None:
                    report(min(start + per_batch, len(order)) * k, len(order) * k)
    finally:
        model.train(was_training)
    return out


def _shared(
    model: Any, prompts: Sequence[Sequence[int]], k: int, pad: int, device: Any
) -> dict[str, Any]:
    """The inputs of ``k`` rows per prompt that pass once over what the prompts share.

    The prompts' common leading tokens (the instruction and the demonstrations: most of an eval
    prompt) go through the model once, and its key/value cache is repeated for every row;
    each row then holds that prefix, left padding, and its own rest of the prompt, repeated
    ``k`` times in place (the row order of ``num_return_sequences``). ``generate`` reads the
    rest (at least each prompt's last token) past the cache; the positions it gives are the
    attention mask's count, so every token sits where it sits in its prompt alone."""
    import torch

    first, shortest = prompts[0], min(len(p) for p in prompts)
    common = 0
    while common < shortest - 1 and all(p[common] == first[common] for p in prompts):
        common += 1
    rests = [list(p[common:]) for p in prompts]
    width = max(len(r) for r in rests)
    ids = torch.tensor([[pad] * (width - len(r)) + r for r in rests], device=device)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rests], device=device)
    ids, mask = ids.repeat_interleave(k, dim=0), mask.repeat_interleave(k, dim=0)
    if common == 0:
        return {"input_ids": ids, "attention_mask": mask}
    rows = ids.shape[0]
    head = torch.tensor([list(first[:common])], device=device)
    cache = model(input_ids=head, use_cache=True, logits_to_keep=1).cache
    cache.batch_repeat_interleave(rows)
    return {
        "input_ids": torch.cat([head.expand(rows, common), ids], dim=1),
        "attention_mask": torch.cat([torch.ones_like(head).expand(rows, common), mask], dim=1),
        "cache": cache,
    }


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
