"""PRIME, Process Reinforcement through IMplicit rEwards (Cui et al. 2025, arXiv 2502.01456), as
verl's PRIME recipe runs it.

* Models: the policy; a frozen reference (the start); an implicit process reward model (PRM),
  initialised from the start and trained online by its own AdamW at ``critic_lr``.
* Each rollout batch: prompts whose samples' accuracy lies outside [0.2, 0.8] are left out (all
  right or all wrong: the outcome says nothing); the PRM takes one step of the cross-entropy
  loss ``BCE(sigmoid(beta * sum_t log(pi_prm(y_t) / pi_ref(y_t))), outcome)`` on the batch, then
  scores it (verl's ``update: before``): process reward of token t
  ``r_t = beta * log(pi_prm(y_t) / pi_ref(y_t))``, divided by the batch's largest absolute
  reverse cumulative sum (verl's ``prime_norm: batch_norm``), the last token's left at 0 (verl
  fills the others; the outcome reward sits there).
* Advantages (verl's ``rloo`` estimator): leave-one-out baselines for the process and the
  outcome rewards separately, each weighted 5 (``reward_dpo_coef``, ``reward_gt_coef``), summed,
  reverse cumulative sums into token-level returns, whitened.
* Policy loss: the clipped surrogate (clip 0.2) minus 0.001 x entropy; no KL term (verl's
  ``kl_coef`` 0); ``beta`` = 0.05 (``beta_train``); one update per rollout batch.

Where this recipe deviates from the published one: 8 samples per prompt by default (the suite's
setting for GRPO and RLOO; ``--num-generations 4`` is the published one); no oversampling to
refill a filtered batch (it trains on the prompts that pass; a batch where none passes is drawn
again); the PRM's cross-entropy is computed from the logit (same value, stable in float32).
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
)
from rlsparse_check.recipes.trainer import Job

__all__ = [
    "BUILDERS",
    "PrimeTrainer",
    "accuracy_filter",
    "implicit_token_rewards",
    "leave_one_out",
    "prm_loss",
    "process_rewards",
    "prime_returns",
]

ACCURACY_RANGE = (0.2, 0.8)  # verl PRIME: accuracy_lower_bound, accuracy_upper_bound
PROCESS_COEF = OUTCOME_COEF = 5.0  # verl PRIME: reward_dpo_coef, reward_gt_coef
ENTROPY_COEF = 0.001  # verl PRIME: actor.entropy_coeff


def accuracy_filter(scores: Any, group: int, bounds: tuple[float, float] = ACCURACY_RANGE) -> Any:
    """1.0 for the rows of prompts whose mean score lies within ``bounds``, else 0.0."""
    accuracy = scores.view(-1, group).mean(1)
    keep = (accuracy >= bounds[0]) & (accuracy <= bounds[1])
    return keep.repeat_interleave(group).float()


def implicit_token_rewards(prm_logp: Any, ref_logp: Any, mask: Any, beta: float) -> Any:
    """``beta * log(pi_prm / pi_ref)`` of each completion token (0 outside ``mask``); a
    sequence's implicit reward is their sum."""
    return beta * (prm_logp - ref_logp) * mask


def prm_loss(
    prm_logp: Any, ref_logp: Any, mask: Any, scores: Any, beta: float, weights: Any
) -> Any:
    """Cross-entropy of ``sigmoid(implicit reward)`` against the outcome, mean over the rows
    with weight 1."""
    import torch

    logit = implicit_token_rewards(prm_logp, ref_logp, mask, beta).sum(1)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(logit, scores, reduction="none")
    return (losses * weights).sum() / weights.sum().clamp(min=1)


def process_rewards(token_rewards: Any, last: Any) -> Any:
    """Token process rewards for the policy: the last token's set to 0, then divided by the
    batch's largest absolute reverse cumulative sum (plus 1e-6)."""
    import torch

    rewards = token_rewards.clone()
    rewards[torch.arange(len(rewards), device=rewards.device), last] = 0.0
    reverse = rewards.flip(1).cumsum(1).flip(1)
    return rewards / (reverse.abs().max() + 1e-6)


def leave_one_out(rewards: Any, mask: Any, group: int) -> Any:
    """verl's masked RLOO: within each group of ``n`` samples, every masked reward ``r`` of
    sample ``i`` becomes ``r * n / (n - 1) - sum_j mean_j / (n - 1)``, ``mean_j`` being sample
    ``j``'s mean masked reward (so a sample's mean moves to its leave-one-out advantage)."""
    means = (rewards * mask).sum(1) / mask.sum(1).clamp(min=1)
    baseline = means.view(-1, group).sum(1).repeat_interleave(group) / (group - 1)
    return (rewards * group / (group - 1) - baseline[:, None]) * mask


def prime_returns(process: Any, scores: Any, mask: Any, last: Any, group: int) -> Any:
    """Token-level returns: leave-one-out process and outcome rewards, weighted, summed and
    accumulated from the end (reverse cumulative sum)."""
    import torch

    rows = torch.arange(len(scores), device=scores.device)
    outcome, at_last = torch.zeros_like(mask), torch.zeros_like(mask)
    outcome[rows, last], at_last[rows, last] = scores, 1.0
    total = PROCESS_COEF * leave_one_out(process, mask, group) + OUTCOME_COEF * leave_one_out(
        outcome, at_last, group
    )
    return (total * mask).flip(1).cumsum(1).flip(1)


class PrimeTrainer(OnPolicyTrainer):
    """PRIME on the run's task with the verifier's outcome reward (see the module docstring)."""

    def setup(self) -> None:
        self.ref = frozen_copy(self.job)
        prm = frozen_copy(self.job).train().requires_grad_(True)
        self.prm, self.prm_optimizer = self.accelerator.prepare(
            prm, self.adamw(prm, self.args.critic_learning_rate)
        )

    def prepare(self, rollout: Rollout) -> dict[str, Any] | None:
        import torch

        a, mask, k = self.args, rollout.mask, rollout.group
        keep = accuracy_filter(rollout.scores, k)
        if float(self.accelerator.reduce(keep.sum(), "sum")) == 0:
            return None
        with torch.no_grad():
            ref = token_logprobs(self.ref, rollout)
        loss = prm_loss(token_logprobs(self.prm, rollout), ref, mask, rollout.scores, a.beta, keep)
        self.accelerator.backward(loss)
        self.prm_figures = {
            "prm_loss": float(loss),
            "prm_grad_norm": self.step(self.prm, self.prm_optimizer),
        }
        with torch.no_grad():
            scored = token_logprobs(self.unwrapped(self.prm), rollout)
        tokens = implicit_token_rewards(scored, ref, mask, a.beta)
        process = process_rewards(tokens, rollout.last)
        kept = mask * keep[:, None]
        returns = prime_returns(process, rollout.scores, mask, rollout.last, k)
        prepared = {
            "mask": kept,
            "advantages": masked_whiten(returns, kept) * kept,
            "kept": keep,
            "implicit_reward": tokens.sum(1),
        }
        if a.ppo_epochs * a.num_mini_batches > 1:
            with torch.no_grad():
                prepared["old_logp"] = token_logprobs(self.unwrapped(self.model), rollout)
        return prepared

    def update(self, batch: Rollout, part: dict[str, Any]) -> dict[str, float]:
        a, mask = self.args, part["mask"]
        logp, entropy = token_logprobs(self.model, batch, entropy=True)
        old = part["old_logp"] if "old_logp" in part else logp.detach()
        policy_loss, clipped = clipped_policy_loss(logp, old, part["advantages"], mask, a.cliprange)
        entropy = masked_mean(entropy, mask)
        self.accelerator.backward(policy_loss - ENTROPY_COEF * entropy)
        return {
            "loss": float(policy_loss),
            "grad_norm": self.step(self.model, self.optimizer),
            "entropy": float(entropy),
            "clip_ratio": float(clipped),
            "kept_fraction": float(part["kept"].mean()),
            "implicit_reward": float(part["implicit_reward"].mean()),
            **self.prm_figures,
        }


def _prime(job: Job) -> PrimeTrainer:
    return PrimeTrainer(job)


BUILDERS = {"prime": _prime}
