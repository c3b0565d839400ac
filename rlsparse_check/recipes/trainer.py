"""What every trainer of the recipes shares: the job it is built from and the training arguments.

The arguments pin what the claims depend on: constant learning rate (so lr x steps is the
distance budget), explicit clipping (``max_grad_norm=None`` -> 0, i.e. off), seeds everywhere and
``full_determinism``, fp32 master weights (bf16 autocast only on GPUs that support it), no
checkpoints, no reporting. Gradient checkpointing and gradient accumulation over micro-batches
(the same effective batch) only when a run asks for micro-batches (``RunSpec.micro_batch``: real
models; the built-in tiny models train their whole batch at once, as they always have).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Job",
    "LOGP_CHUNK_BYTES",
    "trainer_kwargs",
    "bf16_autocast",
    "chunk_rows",
    "drop_printer",
]

#: Largest logits buffer (bytes) one log-prob forward pass without gradients may hold: rows are
#: taken in chunks that fit it. 256 MiB: a 49,152-token vocabulary's fp32 logits for 5 rows of
#: 256 tokens; the built-in 16-token models never reach it (one chunk, the same bits as before).
LOGP_CHUNK_BYTES = 256 * 2**20


@dataclass
class Job:
    """Everything a recipe needs to build its trainer (``spec`` has lr/beta resolved)."""

    spec: Any
    model: Any
    tokenizer: Any
    base_path: Path
    device: str
    workdir: Path
    progress: bool = False
    callbacks: list[Any] = field(default_factory=list)


def bf16_autocast(device: str) -> bool:
    """bf16 autocast (fp32 master weights) on CUDA devices that support it."""
    if device != "cuda":
        return False
    import torch

    return bool(torch.cuda.is_bf16_supported())


def chunk_rows(rows: int, tokens: int, vocab: int, budget: int = LOGP_CHUNK_BYTES) -> int:
    """Rows per log-prob chunk so that ``rows x tokens x vocab`` fp32 logits stay in ``budget``
    (at least one row; all ``rows`` when they fit)."""
    return max(1, min(rows, budget // max(1, tokens * vocab * 4)))


def trainer_kwargs(
    job: Job, *, per_device_batch: int, accumulation: int = 1, checkpointing: bool = False
) -> dict[str, Any]:
    """Keyword arguments shared by every TRL config class of the recipes: ``per_device_batch``
    rows per forward/backward pass, ``accumulation`` passes per optimizer step."""
    spec = job.spec
    return dict(
        output_dir=str(job.workdir / "trainer"),
        max_steps=spec.steps,
        per_device_train_batch_size=per_device_batch,
        gradient_accumulation_steps=accumulation,
        learning_rate=spec.lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        weight_decay=spec.weight_decay,
        max_grad_norm=spec.max_grad_norm or 0.0,
        optim="adamw_torch",
        seed=spec.seed,
        data_seed=spec.seed,
        full_determinism=True,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=job.device == "cpu",
        bf16=bf16_autocast(job.device),
        fp16=False,
        gradient_checkpointing=checkpointing,
        disable_tqdm=True,  # progress, when asked for, is recipes.progress.Progress
        dataloader_num_workers=0,
    )


def drop_printer(trainer: Any) -> Any:
    """Without a progress bar, transformers prints every log dict: remove that printer."""
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)
    return trainer
