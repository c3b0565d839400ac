"""Decoding from a model for evaluation and for building data from its own samples.

Prompts are grouped by token length, so no padding (and no position-id subtleties) is needed;
greedy decoding is exact, sampling draws from a seeded CPU generator, so both are deterministic
on any device. Completions stop at the end-of-sequence token.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rlsparse_check.tasks import Problem, Task, draw, get_task
from rlsparse_check.tasks.prompts import rendered

__all__ = [
    "MAX_LENGTH",
    "MAX_NEW_TOKENS",
    "evaluate",
    "max_length",
    "generate",
    "own_samples",
    "sample_tokens",
    "until_eos",
]

MAX_NEW_TOKENS = 4  # answers have at most 2 digits, plus end-of-sequence and one spare
MAX_LENGTH = 16  # prompt + completion tokens of the synthetic tasks, with room


def max_length(task: Task) -> int | None:
    """Longest prompt + completion the SFT and preference trainers keep: :data:`MAX_LENGTH`
    for the built-in tasks, no limit for the others (their completions stop at
    ``task.max_new_tokens``)."""
    return MAX_LENGTH if task.kind == "builtin" else None


def sample_tokens(
    model: Any,
    encoded: Sequence[Sequence[int]],
    *,
    eos: int,
    k: int = 1,
    greedy: bool = True,
    generator: Any = None,
    max_new_tokens: int = MAX_NEW_TOKENS,
    temperature: float = 1.0,
) -> list[list[list[int]]]:
    """``k`` continuations of each prompt (token ids), as generated: a row stops growing at
    ``eos`` (later positions repeat ``eos``) and rows are at most ``max_new_tokens`` long.
    Sampling (``greedy=False``) draws from ``generator``, a seeded CPU ``torch.Generator``."""
    import torch

    device = next(model.parameters()).device
    groups: dict[int, list[int]] = defaultdict(list)
    for index, ids in enumerate(encoded):
        groups[len(ids)].append(index)
    out: list[list[list[int]]] = [[] for _ in encoded]
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
            for row_index, row in enumerate(torch.stack(new, dim=1).tolist()):
                out[members[row_index // k]].append(row)
    model.train(was_training)
    return out


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

    eos = tokenizer.eos_token_id
    rows = sample_tokens(
        model,
        [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts],
        eos=eos,
        k=k,
        greedy=greedy,
        generator=torch.Generator(device="cpu").manual_seed(seed),
        max_new_tokens=max_new_tokens,
        temperature=temperature,
    )
    return [
        [tokenizer.decode(until_eos(row, eos), skip_special_tokens=True) for row in group]
        for group in rows
    ]


def until_eos(row: Sequence[int], eos: int) -> list[int]:
    """The tokens of a generated row before its first ``eos``."""
    return list(row[: row.index(eos)] if eos in row else row)


def evaluate(
    model: Any, tokenizer: Any, problems: Sequence[Problem], task: Task | None = None
) -> dict[str, Any]:
    """Greedy evaluation with ``task``'s prompts and verifier (the built-in exact reward when
    None): mean reward (= accuracy) and the per-example rewards."""
    task = task or get_task("add")
    problems = rendered(task, problems, tokenizer)
    completions = generate(
        model,
        tokenizer,
        [p.prompt for p in problems],
        greedy=True,
        max_new_tokens=task.max_new_tokens,
    )
    rewards = [task.score(c[0], p) for c, p in zip(completions, problems, strict=True)]
    mean = sum(rewards) / len(rewards) if rewards else 0.0
    return {"reward": mean, "accuracy": mean, "n": len(rewards), "rewards": rewards}


def own_samples(job: Any) -> tuple[list[Problem], list[list[str]]]:
    """``num_generations`` sampled completions (temperature 1, seeded) per train problem of a
    :class:`~rlsparse_check.recipes.trainer.Job` (all of a built-in task's, at most
    ``steps x batch_size`` of another's), with the problems as prompted."""
    spec = job.spec
    task = get_task(spec.task)
    problems = list(task.train)
    if task.kind != "builtin":  # large data sets: only as many problems as the run can use
        problems = draw(problems, min(len(problems), spec.steps * spec.batch_size), spec.seed)
    problems = rendered(task, problems, job.tokenizer)
    samples = generate(
        job.model,
        job.tokenizer,
        [p.prompt for p in problems],
        k=spec.num_generations,
        greedy=False,
        seed=spec.seed,
        max_new_tokens=task.max_new_tokens,
    )
    return problems, samples
