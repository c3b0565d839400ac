"""SFT recipes through TRL's SFTTrainer (loss on the completion only).

* ``sft``: external targets, each train prompt with its true answer;
* ``sft-self``: in-distribution targets, each prompt with the model's own correct sample
  (claim C6 compares the two at the same budget).

Data budget: ``steps x batch_size`` examples, as for the RL recipes.
"""

from __future__ import annotations

from typing import Any

from rlsparse_check.errors import TrainingError
from rlsparse_check.recipes.sampling import max_length, own_samples
from rlsparse_check.recipes.trainer import Job, trainer_kwargs
from rlsparse_check.tasks import draw, get_task, self_sft_examples, sft_examples
from rlsparse_check.tasks.prompts import rendered

__all__ = ["BUILDERS"]


def _trainer(job: Job, rows: list[dict[str, str]]) -> Any:
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    spec = job.spec
    args = SFTConfig(
        **trainer_kwargs(job, per_device_batch=spec.batch_size),
        max_length=max_length(get_task(spec.task)),
        packing=False,
        completion_only_loss=True,
    )
    data = Dataset.from_list(draw(rows, spec.steps * spec.batch_size, spec.seed))
    return SFTTrainer(
        model=job.model,
        args=args,
        train_dataset=data,
        processing_class=job.tokenizer,
        callbacks=job.callbacks,
    )


def _sft(job: Job) -> Any:
    task = get_task(job.spec.task)
    return _trainer(job, sft_examples(rendered(task, task.train, job.tokenizer), task.target))


def _sft_self(job: Job) -> Any:
    rows = self_sft_examples(*own_samples(job), get_task(job.spec.task).score)
    if not rows:
        raise TrainingError(
            f"sft-self: the model solved none of the {job.spec.task!r} train problems in its "
            "samples, so there is no in-distribution data; use a stronger base"
        )
    return _trainer(job, rows)


BUILDERS = {"sft": _sft, "sft-self": _sft_self}
