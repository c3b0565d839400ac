"""PPO with a learned critic (Schulman et al. 2017; the RLHF form of Ouyang et al. 2022 and of
TRL's PPOTrainer, which TRL deleted in 1.13).

* Models: the policy; a frozen reference copy of the start; a separate critic of the same
  architecture initialised from the start with a one-output token-classification head (as verl
  and OpenRLHF build theirs), trained by its own AdamW at ``critic_lr``.
* Reward of completion token ``t``: ``-beta * (log pi(y_t) - log pi_ref(y_t))`` (the k1 estimate
  of the KL to the reference), plus the task verifier's reward at the last token.
* Advantages: generalised advantage estimation (``gamma``, ``lam``) against the critic's values,
  whitened over the batch; returns = advantages + values.
* Losses: the clipped surrogate for the policy and the clipped value loss
  ``0.5 * max((V - R)^2, (clip(V, V_old +- clip) - R)^2)`` for the critic, token means;
  ``ppo_epochs`` epochs of ``mini_batches`` updates per rollout batch.

Defaults (:data:`rlsparse_check.recipes.spec.ONPOLICY`): TRL's PPOConfig (4 epochs, 1 mini-batch,
gamma 1, lambda 0.95, clip 0.2 for policy and value, KL coefficient 0.05) and verl's critic rate
(10 x the policy's). Deviations from TRL's recipe: no penalty for a missing end-of-sequence token
and no reward whitening (TRL's defaults off too); the critic has its own optimizer instead of
sharing one with the policy (as in verl and OpenRLHF).
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.recipes.onpolicy import OnPolicyTrainer, frozen_copy
from rlsparse_check.recipes.rollout import (
    Rollout,
    clipped_policy_loss,
    masked_mean,
    masked_whiten,
    token_logprobs,
    token_values,
)
from rlsparse_check.recipes.trainer import Job

__all__ = ["BUILDERS", "PPOTrainer", "gae", "kl_rewards", "clipped_value_loss"]


def kl_rewards(
    logp: Any, ref_logp: Any, scores: Any, mask: Any, last: Any, beta: float
) -> tuple[Any, Any]:
    """Per-token rewards ``-beta * kl + score at the last token`` and the per-token KL (k1)."""
    import torch

    kl = (logp - ref_logp) * mask
    rewards = -beta * kl
    rewards[torch.arange(len(scores), device=scores.device), last] += scores
    return rewards, kl


def gae(rewards: Any, values: Any, mask: Any, gamma: float, lam: float) -> tuple[Any, Any]:
    """Generalised advantage estimation over completion tokens (zero outside ``mask``).

    ``delta_t = r_t + gamma V_{t+1} - V_t`` (``V`` after the last token is 0) and
    ``A_t = delta_t + gamma lam A_{t+1}``; returns ``(advantages, advantages + values)``."""
    import torch

    rewards, values = rewards * mask, values * mask
    width = rewards.shape[1]
    running = torch.zeros_like(rewards[:, 0])
    out = []
    for t in reversed(range(width)):
        following = values[:, t + 1] if t + 1 < width else torch.zeros_like(running)
        delta = rewards[:, t] + gamma * following - values[:, t]
        running = delta + gamma * lam * running
        out.append(running)
    advantages = torch.stack(out[::-1], dim=1) * mask
    return advantages, (advantages + values) * mask


def clipped_value_loss(
    values: Any, old_values: Any, returns: Any, mask: Any, clip: float
) -> tuple[Any, Any]:
    """The clipped value loss (token mean over ``mask``) and the fraction of clipped tokens."""
    import torch

    clipped = old_values + torch.clamp(values - old_values, -clip, clip)
    plain, bounded = (values - returns) ** 2, (clipped - returns) ** 2
    loss = 0.5 * masked_mean(torch.maximum(plain, bounded), mask)
    return loss, masked_mean((bounded > plain).float(), mask)


class PPOTrainer(OnPolicyTrainer):
    """PPO on the run's task with the verifier's reward (see the module docstring)."""

    def setup(self) -> None:
        import torch
        from transformers import AutoModelForTokenClassification
        from trl.trainer.utils import disable_dropout_in_model

        job = self.job
        self.ref = frozen_copy(job)
        critic = AutoModelForTokenClassification.from_pretrained(
            str(job.base_path), num_labels=1, dtype=torch.float32, local_files_only=True
        ).to(job.device)
        critic.config.pad_token_id = job.tokenizer.pad_token_id
        disable_dropout_in_model(critic)
        self.critic, self.critic_optimizer = self.accelerator.prepare(
            critic, self.adamw(critic, self.args.critic_learning_rate)
        )

    def prepare(self, rollout: Rollout) -> dict[str, Any]:
        import torch

        a, mask = self.args, rollout.mask
        with torch.no_grad():
            old = token_logprobs(self.unwrapped(self.model), rollout)
            ref = token_logprobs(self.ref, rollout)
            values = token_values(self.unwrapped(self.critic), rollout) * mask
        rewards, kl = kl_rewards(old, ref, rollout.scores, mask, rollout.last, a.beta)
        advantages, returns = gae(rewards, values, mask, a.gamma, a.lam)
        return {
            "kl": kl.sum(1),
            "old_logp": old,
            "values": values,
            "returns": returns,
            "advantages": masked_whiten(advantages, mask) * mask,
        }

    def update(self, batch: Rollout, part: dict[str, Any]) -> dict[str, float]:
        a, mask = self.args, batch.mask
        logp = token_logprobs(self.model, batch)
        values = token_values(self.critic, batch)
        policy_loss, clipped = clipped_policy_loss(
            logp, part["old_logp"], part["advantages"], mask, a.cliprange
        )
        value_loss, value_clipped = clipped_value_loss(
            values, part["values"], part["returns"], mask, a.cliprange
        )
        self.accelerator.backward(policy_loss + value_loss)
        return {
            "loss": float(policy_loss),
            "grad_norm": self.step(self.model, self.optimizer),
            "value_loss": float(value_loss),
            "value_grad_norm": self.step(self.critic, self.critic_optimizer),
            "clip_ratio": float(clipped),
            "value_clip_ratio": float(value_clipped),
            "kl": float(part["kl"].mean()),
            "approx_kl": float(0.5 * masked_mean((logp - part["old_logp"]) ** 2, mask)),
        }


def _ppo(job: Job) -> PPOTrainer:
    return PPOTrainer(job)


BUILDERS = {"ppo": _ppo}
