"""RL recipes through TRL: GRPO, RLOO (online, verifier reward) and DPO, KTO, SimPO, ORPO
(offline, preference data from the model's own samples scored by the verifier).

Each builder takes a :class:`~rlsparse_check.recipes.trainer.Job` and returns a ready trainer. Data
budget: ``steps x batch_size`` prompts (GRPO/RLOO, each with ``num_generations`` completions),
pairs (DPO/SimPO/ORPO) or labelled samples (KTO). PPO and PRIME are not in TRL 1.x: they live in
:mod:`rlsparse_check.recipes.ppo` and :mod:`rlsparse_check.recipes.prime`.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.errors import TrainingError
from rlsparse_check.recipes.sampling import max_length, own_samples
from rlsparse_check.recipes.trainer import Job, chunk_rows, trainer_kwargs
from rlsparse_check.tasks import Problem, Task, draw, get_task, kto_examples, preference_pairs
from rlsparse_check.tasks.prompts import rendered

__all__ = ["BUILDERS"]


def _verifier_of(task: Task) -> Any:
    """TRL reward function: the task verifier's reward of each completion against the
    ``answer`` and ``ref`` columns (logged by TRL as ``rewards/_verifier``)."""

    def _verifier(
        completions: list[Any], answer: list[str], ref: list[str], **_: Any
    ) -> list[float]:
        texts = [c if isinstance(c, str) else c[-1]["content"] for c in completions]
        rows = zip(texts, answer, ref, strict=True)
        return [task.score(text, Problem("", gold, key)) for text, gold, key in rows]

    return _verifier


def _prompts(job: Job) -> Any:
    from datasets import Dataset

    spec = job.spec
    task = get_task(spec.task)
    problems = draw(task.train, spec.steps * spec.batch_size, spec.seed)
    rows = [
        {"prompt": p.prompt, "answer": p.answer, "ref": p.ref}
        for p in rendered(task, problems, job.tokenizer)
    ]
    return Dataset.from_list(rows)


def _fit_logprob_tiles(vocab_size: int) -> None:
    """TRL's fused log-prob head allocates a ``[tokens, 32768]`` tile buffer on every forward
    and backward pass, whatever the vocabulary: for a model whose vocabulary is smaller, tiles
    as wide as the vocabulary do the same arithmetic (one tile either way, the same bits) without
    the allocation (on the 16-token built-in models it was a seventh of GRPO's step time).
    Larger vocabularies keep TRL's width."""
    from trl.trainer import utils

    default = getattr(utils, "_TRL_CHUNK_SIZE", getattr(utils, "_CHUNKED_LOGPROB_CHUNK_SIZE", None))
    if default is None:  # a TRL without the fused head: nothing to fit
        return
    utils._TRL_CHUNK_SIZE = default
    utils._CHUNKED_LOGPROB_CHUNK_SIZE = min(default, max(1, vocab_size))


def _logprob_tile() -> int:
    """Width of TRL's fused log-prob tile (the widest logits block one pass holds)."""
    from trl.trainer import utils

    return int(getattr(utils, "_CHUNKED_LOGPROB_CHUNK_SIZE", 1 << 30))


def _online(job: Job, config_cls: Any, trainer_cls: Any) -> Any:
    """GRPO/RLOO: one generation batch of ``batch_size x num_generations`` completions per
    step, trained in one pass, or in micro-batches of ``micro_batch`` completions with gradient
    accumulation and gradient checkpointing (the same effective batch: TRL normalises the loss
    over the whole generation batch)."""
    spec = job.spec
    _fit_logprob_tiles(job.model.get_output_embeddings().weight.shape[0])
    total = spec.batch_size * spec.num_generations
    micro = spec.micro_batch or total
    args = config_cls(
        **trainer_kwargs(
            job,
            per_device_batch=micro,
            accumulation=total // micro,
            checkpointing=spec.micro_batch is not None,
        ),
        num_generations=spec.num_generations,
        max_completion_length=get_task(spec.task).max_new_tokens,
        temperature=1.0,
        beta=spec.beta,
        num_iterations=spec.iterations,
        log_completions=False,
    )
    return trainer_cls(
        model=job.model,
        reward_funcs=_verifier_of(get_task(spec.task)),
        args=args,
        train_dataset=_prompts(job),
        processing_class=job.tokenizer,
        callbacks=job.callbacks,
    )


def _ratio_logged(trainer_cls: Any) -> Any:
    """``trainer_cls`` (TRL's GRPO) that also logs ``importance_ratio/abs_dev_mean``, the mean
    |pi / pi_old - 1| over completion tokens of each update (0 on-policy): what shows that
    off-policy updates (``iterations`` > 1) took effect. Training itself is unchanged."""

    class RatioLogged(trainer_cls):  # type: ignore[misc, valid-type]
        _last_logps = None

        def _get_per_token_logps_and_entropies(
            self, model: Any, input_ids: Any, *args: Any, **kwargs: Any
        ) -> Any:
            import torch

            if not torch.is_grad_enabled():  # old/reference log-probs: rows in chunks
                rows = kwargs.get("batch_size") or input_ids.shape[0]
                vocab = min(self.model.config.vocab_size, _logprob_tile())
                kwargs["batch_size"] = chunk_rows(rows, input_ids.shape[1], vocab)
            out = super()._get_per_token_logps_and_entropies(model, input_ids, *args, **kwargs)
            self._last_logps = out[0]
            return out

        def _compute_loss(self, model: Any, inputs: Any) -> Any:
            loss = super()._compute_loss(model, inputs)
            old, new = inputs.get("old_per_token_logps"), self._last_logps
            spread = 0.0
            if old is not None and new is not None and new.shape == old.shape:
                mask = inputs["completion_mask"]
                dev = ((new.detach() - old).exp() - 1).abs() * mask
                spread = float(dev.sum() / mask.sum().clamp(min=1))
            mode = "train" if self.model.training else "eval"
            self._metrics[mode]["importance_ratio/abs_dev_mean"].append(spread)
            return loss

    return RatioLogged


def _grpo(job: Job) -> Any:
    from trl import GRPOConfig, GRPOTrainer

    return _online(job, GRPOConfig, _ratio_logged(GRPOTrainer))


def _rloo(job: Job) -> Any:
    from trl import RLOOConfig, RLOOTrainer

    return _online(job, RLOOConfig, RLOOTrainer)


def _offline_data(job: Job, build: Any) -> Any:
    from datasets import Dataset

    spec = job.spec
    rows = build(*own_samples(job), get_task(spec.task).score)
    if len(rows) < 2:
        raise TrainingError(
            f"{spec.algo}: the model's samples gave {len(rows)} usable examples on task "
            f"{spec.task!r} (it solves all or none of the problems); use another base or task"
        )
    return Dataset.from_list(draw(rows, spec.steps * spec.batch_size, spec.seed))


def _offline(job: Job, config_cls: Any, trainer_cls: Any, build: Any, **options: Any) -> Any:
    """A preference trainer on pairs or labelled samples built from the model's own samples.

    ``ref_model`` (in ``options``) goes to the trainer, everything else to its config.
    """
    spec = job.spec
    trainer_options = {k: options.pop(k) for k in ("ref_model",) if k in options}
    args = config_cls(
        **trainer_kwargs(job, per_device_batch=spec.batch_size),
        beta=spec.beta,
        max_length=max_length(get_task(spec.task)),
        **options,
    )
    return trainer_cls(
        model=job.model,
        args=args,
        train_dataset=_offline_data(job, build),
        processing_class=job.tokenizer,
        callbacks=job.callbacks,
        **trainer_options,
    )


def _dpo(job: Job) -> Any:
    from trl import DPOConfig, DPOTrainer

    return _offline(job, DPOConfig, DPOTrainer, preference_pairs, ref_model=None)


def _kto(job: Job) -> Any:
    from trl import KTOConfig, KTOTrainer

    return _offline(job, KTOConfig, KTOTrainer, kto_examples, ref_model=None)


def _simpo(job: Job) -> Any:
    from trl.experimental.cpo import CPOConfig, CPOTrainer

    simpo = {"loss_type": "simpo", "cpo_alpha": 0.0, "simpo_gamma": 0.5}
    return _offline(job, CPOConfig, CPOTrainer, preference_pairs, **simpo)


def _orpo(job: Job) -> Any:
    from trl.experimental.orpo import ORPOConfig, ORPOTrainer

    return _offline(job, ORPOConfig, ORPOTrainer, preference_pairs)


BUILDERS = {
    "grpo": _grpo,
    "rloo": _rloo,
    "dpo": _dpo,
    "kto": _kto,
    "simpo": _simpo,
    "orpo": _orpo,
}
