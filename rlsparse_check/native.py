"""Native checkpoints of the engines that train at scale, recognised so that the error can say
how to convert them (their weights are sharded or wrapped; they are not read here).

* verl (FSDP): ``<run>/global_step_N/actor/model_world_size_W_rank_R.pt`` (+ optimizer and extra
  state shards, ``fsdp_config.json`` and a ``huggingface/`` folder with config and tokenizer but
  no weights); verl's model merger writes a Hugging Face folder.
* DeepSpeed ZeRO (also OpenRLHF's and the transformers Trainer's DeepSpeed checkpoints):
  ``<dir>/latest``, ``<dir>/zero_to_fp32.py``, ``<dir>/global_stepN/*_model_states.pt`` and
  ``*_optim_states.pt``; ``zero_to_fp32.py`` consolidates them.

:func:`native_hint` takes the path a user gave (the run root, a step folder, ``actor/``, its
``huggingface/`` folder or a shard file) and returns one line naming the checkpoint and the
converting command, or None for anything else.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["native_hint"]

_VERL_SHARD = re.compile(r"model_world_size_(\d+)_rank_\d+\.pt$")
_ZERO_STATES = re.compile(r".*_(model|optim)_states\.pt$")
_STEP = re.compile(r"global_step_?(\d+)$")


def native_hint(path: str | Path) -> str | None:
    """One line on how to convert the native checkpoint at ``path``; None when it is not one."""
    path = Path(path)
    actor = _verl_actor(path)
    if actor is not None:
        world = _VERL_SHARD.match(next(_shards(actor)).name).group(1)
        return (
            f"{path}: a verl FSDP checkpoint (model sharded over {world} ranks in {actor}), not a "
            "Hugging Face folder: convert it with `python -m verl.model_merger merge --backend "
            f"fsdp --local_dir {actor} --target_dir OUT` and pass OUT"
        )
    found = _zero_root(path)
    if found is not None:
        root, tag = found
        script = root / "zero_to_fp32.py"
        run = f"python {script}" if script.is_file() else "python -m deepspeed.utils.zero_to_fp32"
        tagged = f" --tag {tag}" if tag else ""
        return (
            f"{path}: a DeepSpeed ZeRO checkpoint (partitioned model and optimizer states), not a "
            f"Hugging Face folder: convert it with `{run} {root} OUT{tagged}` and pass OUT"
        )
    return None


def _shards(folder: Path):
    return (p for p in sorted(folder.glob("model_world_size_*_rank_*.pt")) if p.is_file())


def _has_shards(folder: Path) -> bool:
    return folder.is_dir() and next(_shards(folder), None) is not None


def _verl_actor(path: Path) -> Path | None:
    """The folder of verl's actor shards for any of the paths a user may give."""
    if path.is_file():
        return path.parent if _VERL_SHARD.search(path.name) else None
    for candidate in (path, path.parent, path / "actor"):
        if _has_shards(candidate):
            return candidate
    steps = [p for p in path.glob("global_step_*") if _STEP.search(p.name)]
    for step in sorted(steps, key=lambda p: int(_STEP.search(p.name).group(1)), reverse=True):
        if _has_shards(step / "actor"):
            return step / "actor"
    return None


def _zero_step(folder: Path) -> bool:
    return folder.is_dir() and any(_ZERO_STATES.match(p.name) for p in folder.glob("*.pt"))


def _zero_root(path: Path) -> tuple[Path, str | None] | None:
    """``(checkpoint folder for zero_to_fp32, step tag or None for the latest)``."""
    if path.is_file():
        if not _ZERO_STATES.match(path.name):
            return None
        path = path.parent
    if _zero_step(path):
        return path.parent, path.name
    markers = (path / "latest").is_file() or (path / "zero_to_fp32.py").is_file()
    steps = [p for p in path.glob("global_step*") if _STEP.search(p.name) and _zero_step(p)]
    return (path, None) if markers and steps else None
