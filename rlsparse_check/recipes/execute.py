"""One training run, start to finish: evaluate the base, train with the recipe's trainer
(inside a mask if given), save in the storage dtype, evaluate again and write ``run.json``.

Called by :func:`rlsparse_check.recipes.run.train` inside a cache entry's temporary folder. Under
``accelerate launch`` every process trains; they must end with identical weights (checked), and
only the main process writes the folder.
"""

from __future__ import annotations

import gc
import hashlib
import math
import os
import platform
import shutil
import time
from pathlib import Path
from typing import Any

from rlsparse_check.errors import TrainingError
from rlsparse_check.recipes.base import base_entry, versions
from rlsparse_check.recipes.cache import RunCache
from rlsparse_check.recipes.record import RunRecord
from rlsparse_check.recipes.resolved import ResolvedRun
from rlsparse_check.recipes.store import save_checkpoint, weights_sha256

__all__ = ["MASTER", "execute"]

#: Sub-folder of a run that holds its fp32 master weights (``RunSpec.keep_master``).
MASTER = "master"
#: RunSpec fields that say what and where a run trains, or how it is measured, not how.
NOT_HYPERPARAMETERS = frozenset(
    "model algo task task_identity seed mask device eval_samples".split()
)


def execute(run: ResolvedRun, tmp: Path, progress: bool, cache: RunCache) -> None:
    import torch
    from transformers import set_seed

    from rlsparse_check.models import load_model
    from rlsparse_check.recipes.headroom import base_eval
    from rlsparse_check.recipes.masked import MaskGuard, load_mask
    from rlsparse_check.recipes.quiet import quiet
    from rlsparse_check.recipes.sampling import evaluate, paired_gain
    from rlsparse_check.recipes.trainer import Job, drop_printer
    from rlsparse_check.tasks import get_task

    spec, device = run.spec, run.device
    began = time.perf_counter()
    if device == "cuda":  # deterministic cuBLAS needs a fixed workspace (set before its first use)
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    set_seed(spec.seed)
    task = get_task(spec.task)
    problems = task.eval
    start, start_sha256 = base_entry(run.model, "float32", cache)
    if start_sha256 != run.start_sha256:
        raise TrainingError(
            f"the fp32 base of {spec.model} in {cache} changed since the run was resolved "
            f"({run.start_sha256[:12]} -> {start_sha256[:12]}): start the run again"
        )
    stored_base, base_sha256 = base_entry(run.model, spec.save_dtype, cache)
    before = base_eval(stored_base, base_sha256, spec, device, cache.root)
    net, tokenizer = load_model(start, device)
    guard = MaskGuard(net, load_mask(spec.mask)) if spec.mask else None
    job = Job(
        spec=spec,
        model=net,
        tokenizer=tokenizer,
        base_path=start,
        device=device,
        workdir=tmp,
        progress=progress,
        callbacks=[guard.callback()] if guard else [],
    )
    shown = None
    if progress:
        from rlsparse_check.recipes.progress import Progress

        shown = Progress(f"{spec.algo} seed {spec.seed}")
        job.callbacks.append(shown)
    builder = _builders()[spec.algo]
    trained = time.perf_counter()
    with quiet():
        try:
            trainer = drop_printer(builder(job))
            trainer.train()
        except (ValueError, TypeError, RuntimeError) as error:
            raise TrainingError(f"{spec.algo} on {spec.model}: training failed: {error}") from error
        finally:
            if shown is not None:
                shown.stop()  # a failed run's progress thread ends with it
    train_time = time.perf_counter() - trained
    model = trainer.accelerator.unwrap_model(trainer.model)
    args, history = trainer.args, trainer.state.log_history
    data_used = getattr(trainer, "data_used", {})
    del trainer, job  # optimizers and the recipe's other models: not needed from here on
    _collect(run)
    if guard is not None:
        guard.restore()
        guard.remove()
    shutil.rmtree(tmp / "trainer", ignore_errors=True)
    world, rank, rank_hashes = _processes(model)
    if len(set(rank_hashes)) > 1:
        raise TrainingError(
            f"{spec.algo}: the {world} processes ended with different weights ({rank_hashes}); "
            "the run is not reproducible here, train it in one process"
        )
    if rank != 0:
        return
    save_checkpoint(model, tokenizer, tmp, spec.save_dtype)
    master = spec.keep_master and spec.save_dtype != "float32"
    if master:
        save_checkpoint(model, tokenizer, tmp / MASTER, "float32")
    del model, net
    _collect(run)
    saved, _ = load_model(tmp, device)
    after = evaluate(saved, tokenizer, problems, task, spec.eval_samples, "eval after training")
    record = {
        "algo": spec.algo,
        "model": spec.model,
        "task": spec.task,
        "seed": spec.seed,
        "spec": spec.to_dict(),
        "hyperparameters": {
            k: v for k, v in spec.to_dict().items() if k not in NOT_HYPERPARAMETERS
        },
        "save_dtype": spec.save_dtype,
        "master": MASTER if master else None,
        "mask": None
        if spec.mask is None
        else {"path": str(spec.mask), "sha256": run.mask_sha256, "trainable": guard.trainable},
        "device": {
            "kind": device,
            "name": _device_name(device),
            "bf16_autocast": bool(args.bf16),
            "threads": torch.get_num_threads(),
            **({"processes": world, "rank_weights_sha256": rank_hashes} if world > 1 else {}),
        },
        "versions": versions(),
        "wall_time_s": time.perf_counter() - began,
        "train_time_s": train_time,
        "eval": {
            "split": "eval",
            "before": before,
            "after": after,
            **{k if k == "gain" else f"gain_{k}": v for k, v in paired_gain(before, after).items()},
        },
        "weights_sha256": weights_sha256(tmp),
        "base": {
            "path": str(stored_base),
            "weights_sha256": base_sha256,
            "start_weights_sha256": start_sha256,
        },
        "data": {
            "examples_per_step": spec.batch_size,
            "steps": spec.steps,
            "examples": spec.batch_size * spec.steps,
            **data_used,
        },
        "trainer_args": _trainer_args(args),
        "log_history": [_numbers(entry) for entry in history],
        "cache_key": run.key,
    }
    RunRecord.from_json(record).write(tmp)


def _collect(run: ResolvedRun) -> None:
    """Free what the trainer held in reference cycles before the next model is loaded: on a
    large model that is gigabytes; on the 0.8 M-parameter built-in ones a collection costs more
    (about 0.2 s) than it frees."""
    if not run.model.is_builtin:
        gc.collect()


def _builders() -> dict[str, Any]:
    from rlsparse_check.recipes.ppo import BUILDERS as ppo
    from rlsparse_check.recipes.prime import BUILDERS as prime
    from rlsparse_check.recipes.rl import BUILDERS as rl
    from rlsparse_check.recipes.sft import BUILDERS as sft

    return {**rl, **sft, **ppo, **prime}


def _processes(model: Any) -> tuple[int, int, list[str]]:
    """``(world size, rank, sha256 of each process's weights)`` under torch.distributed;
    ``(1, 0, [])`` in a single process."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return 1, 0, []
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        flat = tensor.detach().to("cpu").contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    hashes: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(hashes, digest.hexdigest())
    return dist.get_world_size(), dist.get_rank(), hashes


TRAINER_ARGS = (
    "learning_rate",
    "max_steps",
    "per_device_train_batch_size",
    "max_grad_norm",
    "weight_decay",
    "lr_scheduler_type",
    "seed",
    "beta",
    "num_iterations",
    "num_generations",
    "loss_type",
    "bf16",
    "optim",
    "critic_learning_rate",
    "ppo_epochs",
    "num_mini_batches",
    "cliprange",
    "gamma",
    "lam",
)


def _trainer_args(args: Any) -> dict[str, Any]:
    """The trainer's own view of the knobs (what TRL actually used)."""
    out = {}
    for name in TRAINER_ARGS:
        value = getattr(args, name, None)
        if value is not None:
            out[name] = value if isinstance(value, int | float | str | bool) else str(value)
    return out


def _numbers(entry: dict[str, Any]) -> dict[str, float]:
    """The finite numbers of a log entry (run.json is strict JSON: no NaN tokens)."""
    return {
        k: float(v) for k, v in entry.items() if isinstance(v, int | float) and math.isfinite(v)
    }


def _device_name(device: str) -> str:
    if device == "cuda":
        import torch

        return torch.cuda.get_device_name(0)
    return platform.processor() or platform.machine()
