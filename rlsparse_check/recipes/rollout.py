"""Rollouts and per-token arithmetic shared by the on-policy recipes (PPO, PRIME).

A :class:`Rollout` holds ``N`` sampled sequences of the policy: prompts left-padded to width
``P``, completions right-padded to width ``T`` (a completion ends with its end-of-sequence token,
or after ``MAX_NEW_TOKENS``); position ids count real tokens only, so padding changes no logit.
``mask`` (N, T) is 1 on completion tokens; the log-probability of completion token ``t`` comes
from the logits at position ``P - 1 + t``. ``scores`` are the task verifier's rewards (0 or 1).

TRL 1.16 internals used here (not public API; pyproject pins the TRL minor version and
tests/test_recipes_rollout.py checks them): ``selective_log_softmax``, ``entropy_from_logits``,
``pad``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rlsparse_check.recipes.sampling import MAX_NEW_TOKENS, sample_tokens, until_eos
from rlsparse_check.recipes.trainer import chunk_rows
from rlsparse_check.tasks import Problem, Task, get_task

__all__ = [
    "Rollout",
    "roll_out",
    "token_logprobs",
    "token_values",
    "masked_mean",
    "masked_whiten",
    "clipped_policy_loss",
]


@dataclass(frozen=True)
class Rollout:
    """Sampled sequences as tensors; rows ``i * group .. (i + 1) * group - 1`` share a prompt."""

    input_ids: Any
    attention_mask: Any
    position_ids: Any
    mask: Any
    scores: Any
    prompt_width: int
    group: int

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def completions(self) -> Any:
        """Completion token ids, (N, T)."""
        return self.input_ids[:, self.prompt_width :]

    @property
    def last(self) -> Any:
        """Index of each row's last completion token, (N,)."""
        return self.mask.sum(1).long() - 1

    def rows(self, index: Any) -> Rollout:
        """The rows ``index`` (a mini-batch; no longer whole groups)."""
        return Rollout(
            self.input_ids[index],
            self.attention_mask[index],
            self.position_ids[index],
            self.mask[index],
            self.scores[index],
            self.prompt_width,
            group=1,
        )


def roll_out(
    model: Any,
    tokenizer: Any,
    problems: Sequence[Problem],
    *,
    k: int,
    generator: Any,
    max_new_tokens: int = MAX_NEW_TOKENS,
    task: Task | None = None,
) -> Rollout:
    """``k`` sampled completions (temperature 1) of each problem (prompts as given), scored by
    ``task``'s verifier (the built-in exact reward when None)."""
    import torch
    from trl.trainer.utils import pad

    task = task or get_task("add")
    device = next(model.parameters()).device
    eos, pad_id = tokenizer.eos_token_id, tokenizer.pad_token_id
    encoded = [tokenizer(p.prompt, add_special_tokens=False)["input_ids"] for p in problems]
    rows = sample_tokens(
        model,
        encoded,
        eos=eos,
        k=k,
        greedy=False,
        generator=generator,
        max_new_tokens=max_new_tokens,
    )
    prompts, completions, scores = [], [], []
    for problem, ids, group in zip(problems, encoded, rows, strict=True):
        for row in group:
            answer = until_eos(row, eos)
            completions.append(torch.tensor(row[: len(answer) + 1]))  # with its eos, if any
            prompts.append(torch.tensor(ids))
            text = tokenizer.decode(answer, skip_special_tokens=True)
            scores.append(task.score(text, problem))
    ones = [torch.ones(len(t), dtype=torch.long) for t in prompts]
    done = [torch.ones(len(t), dtype=torch.long) for t in completions]
    input_ids = torch.cat([pad(prompts, pad_id, "left"), pad(completions, pad_id, "right")], 1)
    attention = torch.cat([pad(ones, 0, "left"), pad(done, 0, "right")], 1)
    positions = (attention.cumsum(1) - 1).clamp(min=0)
    return Rollout(
        input_ids.to(device),
        attention.to(device),
        positions.to(device),
        pad(done, 0, "right").float().to(device),
        torch.tensor(scores, dtype=torch.float32, device=device),
        prompt_width=max(len(t) for t in prompts),
        group=k,
    )


def token_logprobs(model: Any, batch: Rollout, *, entropy: bool = False) -> Any:
    """Log-probability of each completion token under ``model`` (N, T), in float32; with
    ``entropy=True`` also the entropy of each of those next-token distributions. Without
    gradients the rows go in chunks whose logits fit
    :data:`~rlsparse_check.recipes.trainer.LOGP_CHUNK_BYTES` (one chunk on the built-in models)."""
    import torch

    width = batch.mask.shape[1]
    rows = len(batch)
    if torch.is_grad_enabled():
        step = rows
    else:
        step = chunk_rows(rows, width + 1, model.get_output_embeddings().weight.shape[0])
    parts = [
        _logprobs(model, batch.rows(slice(i, i + step)), entropy) for i in range(0, rows, step)
    ]
    if len(parts) == 1:
        return parts[0]
    if entropy:
        return tuple(torch.cat(p) for p in zip(*parts, strict=True))
    return torch.cat(parts)


def _logprobs(model: Any, batch: Rollout, entropy: bool) -> Any:
    from trl.trainer.utils import entropy_from_logits, selective_log_softmax

    width = batch.mask.shape[1]
    logits = (
        model(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            position_ids=batch.position_ids,
            logits_to_keep=width + 1,
            use_cache=False,
        )
        .logits[:, :-1]
        .float()
    )
    logp = selective_log_softmax(logits, batch.completions)
    return (logp, entropy_from_logits(logits)) if entropy else logp


def token_values(critic: Any, batch: Rollout) -> Any:
    """A one-output token classifier's value of the state before each completion token."""
    out = critic(
        input_ids=batch.input_ids,
        attention_mask=batch.attention_mask,
        position_ids=batch.position_ids,
    ).logits
    return out[:, batch.prompt_width - 1 : -1, 0].float()


def masked_mean(values: Any, mask: Any) -> Any:
    """Mean of ``values`` where ``mask`` is 1 (0 when the mask is empty)."""
    return (values * mask).sum() / mask.sum().clamp(min=1)


def masked_whiten(values: Any, mask: Any) -> Any:
    """``values`` shifted to mean 0 and scaled to unit (unbiased) variance over ``mask``."""
    import torch

    mean = masked_mean(values, mask)
    n = mask.sum()
    centred = values - mean
    if n < 2:
        return centred
    var = masked_mean(centred**2, mask) * n / (n - 1)
    return centred * torch.rsqrt(var + 1e-8)


def clipped_policy_loss(
    logp: Any, old_logp: Any, advantages: Any, mask: Any, clip: float
) -> tuple[Any, Any]:
    """PPO's clipped surrogate, token mean over ``mask``, and the fraction of clipped tokens.

    ``max(-A r, -A clip(r, 1 - clip, 1 + clip))`` with ``r = exp(logp - old_logp)``: a token whose
    ratio left the range in the direction its advantage favours contributes no gradient."""
    import torch

    ratio = torch.exp(logp - old_logp)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip, 1.0 + clip)
    loss = masked_mean(torch.maximum(unclipped, clipped), mask)
    return loss, masked_mean((clipped > unclipped).float(), mask)
