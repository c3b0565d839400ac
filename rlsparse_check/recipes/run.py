"""Top level of the recipes: :func:`train` a run (cached) and return it as a :class:`Run`.

A run folder holds ``model.safetensors`` (weights rounded to ``save_dtype``), ``config.json``,
``generation_config.json``, the tokenizer files, ``run.json`` (see
:data:`~rlsparse_check.recipes.execute.RUN_JSON_KEYS`) and the cache's ``MANIFEST.json``.
Training starts from the base weights as fp32 master weights and keeps them in fp32; only the
saved copy is rounded, exactly as the base is. Under ``accelerate launch`` every process trains
and the main one writes the run (and ``out``); the others wait for it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.models import resolve_device, resolve_model
from rlsparse_check.recipes.base import base_checkpoint, versions
from rlsparse_check.recipes.cache import CacheArg, cache_key, resolve_cache, throwaway
from rlsparse_check.recipes.execute import execute
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.recipes.store import publish, sha256_file, weights_sha256

__all__ = ["Run", "train", "lookup"]


@dataclass(frozen=True)
class Run:
    """A finished run: its folder and the parsed ``run.json``."""

    path: Path
    record: dict[str, Any]
    cached: bool = False

    @property
    def weights(self) -> Path:
        return self.path / "model.safetensors"

    @property
    def gain(self) -> float:
        return float(self.record["eval"]["gain"])


def train(
    spec: RunSpec,
    *,
    cache: CacheArg = "default",
    out: str | Path | None = None,
    progress: bool = False,
) -> Run:
    """Train ``spec`` (or reuse the cached run) and return it; copy it to ``out`` if given.

    ``cache``: a :class:`~rlsparse_check.recipes.cache.RunCache`, ``"default"``
    (``$RLSPARSE_CACHE`` or ``~/.cache/rlsparse-check``) or None (train afresh; nothing is kept
    but the result).
    """
    cache = resolve_cache(cache)
    model = resolve_model(spec.model)
    spec = spec.resolved(builtin=model.is_builtin)
    device = resolve_device(spec.device)
    if spec.mask is not None and not Path(spec.mask).is_file():
        raise OptionError(f"--mask {spec.mask}: no such file; write one with diff --masks")
    mask_hash = _mask_hash(spec)
    if cache is None:
        if _launched():
            raise OptionError(
                "--no-cache under accelerate launch: the processes share their run through the "
                "cache; give --cache-dir DIR (a folder every process can read) instead"
            )
        folder = throwaway(lambda c: train(spec, cache=c, progress=progress).path, out)
        return Run(folder, json.loads((folder / "run.json").read_text()), cached=False)
    start, key = _key(spec, cache, mask_hash)

    def build(tmp: Path) -> None:
        from rlsparse_check.recipes.quiet import quiet

        with quiet():
            execute(spec, start, device, tmp, progress, key, mask_hash, cache)

    folder, hit = cache.get_or_build(key, build)
    main = _wait_for_main()
    if out is not None and main:
        folder = publish(folder, Path(out))
    _wait_for_main()
    return Run(folder, json.loads((folder / "run.json").read_text()), cached=hit)


def _key(spec: RunSpec, cache: Any, mask_hash: str | None) -> tuple[Path, str]:
    """The fp32 start of a resolved spec and its run's cache key."""
    model = resolve_model(spec.model)
    device = resolve_device(spec.device)
    start = base_checkpoint(spec.model, "float32", cache=cache)
    keyed = {**spec.to_dict(), "model": model.name, "mask": mask_hash, "device": device}
    key = cache_key(
        {"kind": "run", "spec": keyed, "base": weights_sha256(start), "versions": versions()}
    )
    return start, key


def _mask_hash(spec: RunSpec) -> str | None:
    """The content hash of the mask a spec trains in (it enters the key), None without one."""
    return None if spec.mask is None else sha256_file(Path(spec.mask))


def lookup(spec: RunSpec, cache: Any) -> Run | None:
    """The cached run of ``spec`` if the cache holds it (verified), else None; trains nothing."""
    spec = spec.resolved(builtin=resolve_model(spec.model).is_builtin)
    if spec.mask is not None and not Path(spec.mask).is_file():
        return None
    folder = cache.get(_key(spec, cache, _mask_hash(spec))[1])
    if folder is None:
        return None
    return Run(folder, json.loads((folder / "run.json").read_text()), cached=True)


def _launched() -> bool:
    """Whether this process is one of several started by ``accelerate launch`` / torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def _wait_for_main() -> bool:
    """Wait for every process of a distributed run (a no-op otherwise); True on the main one."""
    if not _launched():
        return True
    import torch.distributed as dist

    if not dist.is_initialized():  # a cache hit: nothing was trained, nothing to wait for
        return int(os.environ.get("RANK", "0")) == 0
    dist.barrier()
    return dist.get_rank() == 0
