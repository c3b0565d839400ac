"""Decoding from a model for evaluation and for building data from its own samples.

Prompts are grouped by token length, so no padding (and no position-id subtleties) is needed;
greedy decoding is exact, sampling draws from a seeded CPU generator, so both are deterministic
on any device. Completions stop at the end-of-sequence token.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rlsparse_check.tasks import Problem, reward

__all__ = ["generate", "evaluate"]

MAX_NEW_TOKENS = 4  # answers have at most 2 digits, plus end-of-sequence and one spare


def generate(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    k: int = 1,
    greedy: bool = True,
    seed: int = 0,
    max_new_tokens: int = MAX_NEW_TOKENS,
    temperature: float = 1.0,
) -> list[list[str]]:
    """``k`` completions per prompt (greedy: ``k`` identical ones), decoded without specials."""
    import torch

    device = next(model.parameters()).device
    generator = torch.Generator(device="cpu").manual_seed(seed)
    eos = tokenizer.eos_token_id
    groups: dict[int, list[int]] = defaultdict(list)
    encoded = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    for index, ids in enumerate(encoded):
        groups[len(ids)].append(index)
    out: list[list[str]] = [[] for _ in prompts]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for length in sorted(groups):
            members = groups[length]
            ids = torch.tensor([encoded[i] for i in members for _ in range(k)], device=device)
            done = torch.zeros(len(ids), dtype=torch.bool, device=device)
            new = []
            for _ in range(max_new_tokens):
                logits = model(input_ids=ids).logits[:, -1, :].float()
                if greedy:
                    token = logits.argmax(-1)
                else:
                    probs = torch.softmax(logits / temperature, -1).cpu()
                    token = torch.multinomial(probs, 1, generator=generator)[:, 0].to(device)
                token = torch.where(done, torch.full_like(token, eos), token)
                new.append(token)
                done |= token == eos
                ids = torch.cat([ids, token[:, None]], dim=1)
                if bool(done.all()):
                    break
            rows = torch.stack(new, dim=1).tolist()
            for row_index, row in enumerate(rows):
                cut = row.index(eos) if eos in row else len(row)
                text = tokenizer.decode(row[:cut], skip_special_tokens=True)
                out[members[row_index // k]].append(text)
    model.train(was_training)
    return out


def evaluate(model: Any, tokenizer: Any, problems: Sequence[Problem]) -> dict[str, Any]:
    """Greedy exact-match evaluation: mean reward (= accuracy) and the per-example rewards."""
    completions = generate(model, tokenizer, [p.prompt for p in problems], greedy=True)
    rewards = [reward(c[0], p.answer) for c, p in zip(completions, problems, strict=True)]
    mean = sum(rewards) / len(rewards) if rewards else 0.0
    return {"reward": mean, "accuracy": mean, "n": len(rewards), "rewards": rewards}
