"""Top level of the recipes: :func:`train` a run (cached) and return it as a :class:`Run`.

A run folder holds ``model.safetensors`` (weights rounded to ``save_dtype``), ``config.json``,
``generation_config.json``, the tokenizer files, ``run.json`` (a
:class:`~rlsparse_check.recipes.record.RunRecord`) and the cache's ``MANIFEST.json``. The spec is
resolved once, here (:func:`~rlsparse_check.recipes.resolved.resolve`), and the
:class:`~rlsparse_check.recipes.resolved.ResolvedRun` goes down to the run's execution. Training
starts from the base weights as fp32 master weights and keeps them in fp32; only the saved copy
is rounded, exactly as the base is. Under ``accelerate launch`` every process trains and the main
one writes the run (and ``out``); the others wait for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rlsparse_check import models
from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.cache import CacheArg, RunCache, resolve_cache, throwaway
from rlsparse_check.recipes.execute import execute
from rlsparse_check.recipes.record import RunRecord
from rlsparse_check.recipes.resolved import ResolvedRun, resolve
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.recipes.store import publish

__all__ = ["Run", "train", "lookup"]


@dataclass(frozen=True)
class Run:
    """A finished run: its folder and its record (``run.json``)."""

    path: Path
    record: RunRecord
    cached: bool = False

    @property
    def weights(self) -> Path:
        return self.path / "model.safetensors"

    @property
    def gain(self) -> float:
        return self.record.gain


def train(
    spec: RunSpec | ResolvedRun,
    *,
    cache: CacheArg = "default",
    out: str | Path | None = None,
    progress: bool = False,
) -> Run:
    """Train ``spec`` (or reuse the cached run) and return it; copy it to ``out`` if given.

    ``cache``: a :class:`~rlsparse_check.recipes.cache.RunCache`, ``"default"``
    (``$RLSPARSE_CACHE`` or ``~/.cache/rlsparse-check``) or None (train afresh; nothing is kept
    but the result). ``spec`` may come resolved already (against the same cache).
    """
    cache = resolve_cache(cache)
    if cache is None:
        if isinstance(spec, ResolvedRun):
            raise OptionError("a resolved run trains in the cache it was resolved against")
        if _launched():
            raise OptionError(
                "--no-cache under accelerate launch: the processes share their run through the "
                "cache; give --cache-dir DIR (a folder every process can read) instead"
            )
        model = models.resolve_model(spec.model)
        device = models.resolve_device(spec.device)
        folder = throwaway(
            lambda c: _train(resolve(spec, c, model=model, device=device), c, None, progress).path,
            out,
        )
        return Run(folder, RunRecord.read(folder), cached=False)
    run = spec if isinstance(spec, ResolvedRun) else resolve(spec, cache)
    return _train(run, cache, out, progress)


def _train(run: ResolvedRun, cache: RunCache, out: str | Path | None, progress: bool) -> Run:
    def build(tmp: Path) -> None:
        from rlsparse_check.recipes.quiet import quiet

        with quiet():
            execute(run, tmp, progress, cache)

    folder, hit = cache.get_or_build(run.key, build)
    main = _wait_for_main()
    if out is not None and main:
        folder = publish(folder, Path(out))
    _wait_for_main()
    return Run(folder, RunRecord.read(folder), cached=hit)


def lookup(spec: RunSpec, cache: RunCache) -> Run | None:
    """The cached run of ``spec`` if the cache holds it (verified), else None; trains nothing."""
    if spec.mask is not None and not Path(spec.mask).is_file():
        return None
    folder = cache.get(resolve(spec, cache).key)
    if folder is None:
        return None
    return Run(folder, RunRecord.read(folder), cached=True)


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
