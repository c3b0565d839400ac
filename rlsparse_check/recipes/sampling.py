"""Decoding from a model for evaluation and for building data from its own samples.

The built-in tasks' prompts are grouped by token length, so no padding (and no position-id
subtleties) is needed; greedy decoding is exact, sampling draws from a seeded CPU generator, so
both are deterministic on any device, and completions stop at the end-of-sequence token. Their
prompts have a handful of lengths, and the run cache holds the bits of runs decoded this way.
The other tasks (chat-template prompts of many lengths, long completions) are decoded in
left-padded batches by :func:`rlsparse_check.recipes.batched.generate_batched`, which also stops
a completion once its answer is closed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from rlsparse_check.recipes.batched import until_eos
from rlsparse_check.tasks import Problem, Task, draw, get_task
from rlsparse_check.tasks.prompts import rendered

__all__ = [
    "MAX_LENGTH",
    "MAX_NEW_TOKENS",
    "eval_samples",
    "evaluate",
    "max_length",
    "paired_gain",
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
    use_cache: bool = False,
) -> list[list[list[int]]]:
    """``k`` continuations of each prompt (token ids), as generated: a row stops growing at
    ``eos`` (later positions repeat ``eos``) and rows are at most ``max_new_tokens`` long.
    Sampling (``greedy=False``) draws from ``generator``, a seeded CPU ``torch.Generator``.
    ``use_cache`` decodes with the model's key/value cache (the eval: several times faster)."""
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
            new, past, step = [], None, ids
            for _ in range(max_new_tokens):
                if use_cache:  # feed only the new token, the keys and values of the rest kept
                    result = model(input_ids=step, cache=past, use_cache=True)
                    past = result.cache
                else:
                    result = model(input_ids=ids, logits_to_keep=1)
                logits = result.logits[:, -1, :].float()
                if greedy:
                    token = logits.argmax(-1)
                else:
                    probs = torch.softmax(logits / temperature, -1).cpu()
                    token = torch.multinomial(probs, 1, generator=generator)[:, 0].to(device)
                token = torch.where(done, torch.full_like(token, eos), token)
                new.append(token)
                done |= token == eos
                ids = torch.cat([ids, token[:, None]], dim=1)
                step = token[:, None]
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
    use_cache: bool = False,
    batched: bool = False,
    report: Any = None,
) -> list[list[str]]:
    """``k`` completions per prompt (greedy: ``k`` identical ones), decoded without specials:
    ``batched`` in left-padded batches (:mod:`rlsparse_check.recipes.batched`, ``report(done,
    total)`` after each), else by exact prompt length."""
    import torch

    if batched:
        from rlsparse_check.recipes.batched import generate_batched  # patched in tests

        return generate_batched(
            model,
            tokenizer,
            prompts,
            k=k,
            greedy=greedy,
            seed=seed,
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            report=report,
        )

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
        use_cache=use_cache,
    )
    return [
        [tokenizer.decode(until_eos(row, eos), skip_special_tokens=True) for row in group]
        for group in rows
    ]


#: The eval's standard error must stay at most this (C2's ``--max-eval-se`` default).
MAX_EVAL_SE = 0.02
#: The eval's sampling seed: the same for every run, so before/after and runs share draws.
EVAL_SEED = 1234


def eval_samples(problems: int, max_se: float = MAX_EVAL_SE) -> int:
    """Completions to sample per problem so that the eval's standard error on ``problems``
    fixed problems is at most ``max_se`` whatever their solve rates: the worst case is
    ``sqrt(0.25 / ((k - 1) n))`` (every rate 1/2), so ``k = ceil(0.25 / (n max_se^2)) + 1``
    (8 on the 100 add problems, 14 on the 52 sub problems; one greedy answer per problem has
    about 0.05)."""
    return max(2, math.ceil(0.25 / (max(problems, 1) * max_se**2) - 1e-9) + 1)


def evaluate(
    model: Any,
    tokenizer: Any,
    problems: Sequence[Problem],
    task: Task | None = None,
    samples: int | None = None,
    label: str = "eval",
) -> dict[str, Any]:
    """Sampled evaluation on the fixed eval problems: ``reward`` (= ``accuracy``), the mean
    reward over ``samples`` completions per problem; ``rewards``, each problem's mean; ``se``,
    its standard error from the sampling of completions (the eval noise on these problems);
    ``greedy``, the greedy exact-match accuracy beside it. ``samples``: by default
    :func:`eval_samples` of the number of problems. Prompts and verifier are ``task``'s (the
    built-in exact reward when None). Tasks other than the built-in ones decode in batches and
    print progress (``label``: what is evaluated) once the eval takes more than a few seconds."""
    from rlsparse_check.recipes.progress import Phase

    task = task or get_task("add")
    samples = eval_samples(len(problems)) if samples is None else samples
    problems = rendered(task, problems, tokenizer)
    prompts = [p.prompt for p in problems]
    batched = task.kind != "builtin"
    length = {"max_new_tokens": task.max_new_tokens, "use_cache": True, "batched": batched}
    phase = Phase(f"{label} on {len(prompts)} {task.name} problems", "completions")
    rows = len(prompts) * (samples + 1)

    def sampled(done: int, total: int) -> None:
        phase(done, rows)

    def greedily(done: int, total: int) -> None:
        phase(len(prompts) * samples + done, rows)

    with phase.running():  # between batches too: one batch of a real model can take minutes
        drawn = generate(
            model,
            tokenizer,
            prompts,
            k=samples,
            greedy=False,
            seed=EVAL_SEED,
            report=sampled,
            **length,
        )
        greedy = generate(model, tokenizer, prompts, greedy=True, report=greedily, **length)
    rewards, variance = [], 0.0
    for group, p in zip(drawn, problems, strict=True):
        r = [task.score(c, p) for c in group]
        rate = sum(r) / len(r)
        rewards.append(rate)
        if len(r) > 1:
            variance += rate * (1 - rate) * len(r) / (len(r) - 1) / len(r)
    n = len(rewards)
    mean = sum(rewards) / n if n else 0.0
    solved = [task.score(c[0], p) for c, p in zip(greedy, problems, strict=True)]
    return {
        "reward": mean,
        "accuracy": mean,
        "n": n,
        "samples": samples,
        "se": variance**0.5 / n if n else 0.0,
        "rewards": rewards,
        "greedy": sum(solved) / n if n else 0.0,
    }


def paired_gain(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """The eval gain on the same problems: ``gain``; ``se``, the eval noise of the gain
    (before and after sampled independently); ``se_problems``, the paired standard error over
    problems (the spread of the per-problem gains, which also holds the choice of problems)."""
    diffs = [a - b for a, b in zip(after["rewards"], before["rewards"], strict=True)]
    n = len(diffs)
    mean = sum(diffs) / n if n else 0.0
    spread = sum((d - mean) ** 2 for d in diffs) / (n - 1) if n > 1 else 0.0
    return {
        "gain": after["reward"] - before["reward"],
        "se": (before.get("se", 0.0) ** 2 + after.get("se", 0.0) ** 2) ** 0.5,
        "se_problems": (spread / n) ** 0.5 if n else 0.0,
    }


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
        batched=task.kind != "builtin",
    )
    return problems, samples
