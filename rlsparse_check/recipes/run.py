"""Top level of the recipes: :func:`train` a run and :func:`base_checkpoint`, both cached.

A run folder holds ``model.safetensors`` (weights rounded to ``save_dtype``), ``config.json``,
``generation_config.json``, the tokenizer files, ``run.json`` (see :data:`RUN_JSON_KEYS`) and the
cache's ``MANIFEST.json``. Training starts from the base weights as fp32 master weights and keeps
them in fp32; only the saved copy is rounded, exactly as the base is.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rlsparse_check.errors import OptionError
from rlsparse_check.models import resolve_device, resolve_model
from rlsparse_check.recipes.cache import RunCache, cache_key
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.recipes.store import save_checkpoint, sha256_file, weights_sha256

__all__ = [
    "Run",
    "train",
    "base_checkpoint",
    "publish",
    "versions",
    "RUN_JSON_KEYS",
    "RECIPE_VERSION",
]

RECIPE_VERSION = 2  # bump when a recipe changes results, so cached runs are not reused
DATA = Path(__file__).resolve().parent.parent / "data"
RUN_JSON_KEYS = (
    "algo",
    "model",
    "task",
    "seed",
    "spec",
    "hyperparameters",
    "save_dtype",
    "mask",
    "device",
    "versions",
    "wall_time_s",
    "train_time_s",
    "eval",
    "weights_sha256",
    "base",
    "data",
    "trainer_args",
    "log_history",
    "cache_key",
)
CacheArg = RunCache | Literal["default"] | None


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


def versions() -> dict[str, str]:
    """Versions that can change a run's bits (they enter the cache key)."""
    import accelerate
    import torch
    import transformers
    import trl

    from rlsparse_check import __version__

    return {
        "rlsparse_check": __version__,
        "recipes": str(RECIPE_VERSION),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "trl": trl.__version__,
        "accelerate": accelerate.__version__,
        "python": platform.python_version(),
    }


def _cache(cache: CacheArg) -> RunCache | None:
    return RunCache() if cache == "default" else cache


def _cached(cache: RunCache, key: str, build: Any) -> tuple[Path, bool]:
    return cache.get_or_build(key, build)


def _uncached(call: Any, out: str | Path | None) -> Path:
    """``cache=None``: work in a throwaway cache, keep only the result (in ``out`` or a new
    temporary folder that the caller owns)."""
    target = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="rlsparse-"))
    with tempfile.TemporaryDirectory(prefix="rlsparse-scratch-") as scratch:
        return publish(call(RunCache(scratch)), target)


def _source(model: str, cache: RunCache | None) -> Path:
    """The folder of the model's original weights (built-ins: shipped, else rebuilt)."""
    spec = resolve_model(model)
    if not spec.is_builtin:
        return spec.path
    shipped = DATA / spec.name
    if (shipped / "model.safetensors").is_file():
        return shipped
    from rlsparse_check.recipes.pretrain import PRETRAIN, build_base

    key = cache_key(
        {"kind": "pretrain", "model": spec.name, "recipe": PRETRAIN, "versions": versions()}
    )
    return _cached(cache, key, lambda tmp: build_base(spec.name, tmp))[0]


def base_checkpoint(
    model: str = "tiny-qwen2", save_dtype: str = "bfloat16", *, cache: CacheArg = "default"
) -> Path:
    """Folder of the base checkpoint of ``model`` stored in ``save_dtype`` (cached)."""
    cache = _cache(cache)
    if cache is None:
        return _uncached(lambda c: base_checkpoint(model, save_dtype, cache=c), None)
    source = _source(model, cache)
    key = cache_key({"kind": "base", "source": weights_sha256(source), "save_dtype": save_dtype})

    def build(tmp: Path) -> None:
        from rlsparse_check.models import load_model
        from rlsparse_check.recipes.common import quiet

        with quiet():
            net, tokenizer = load_model(source, "cpu")
            save_checkpoint(net, tokenizer, tmp, save_dtype)

    return _cached(cache, key, build)[0]


def train(
    spec: RunSpec,
    *,
    cache: CacheArg = "default",
    out: str | Path | None = None,
    progress: bool = False,
) -> Run:
    """Train ``spec`` (or reuse the cached run) and return it; copy it to ``out`` if given.

    ``cache``: a :class:`RunCache`, ``"default"`` (``$RLSPARSE_CACHE`` or
    ``~/.cache/rlsparse-check``) or None (train afresh; nothing is kept but the result).
    """
    cache = _cache(cache)
    model = resolve_model(spec.model)
    spec = spec.resolved(builtin=model.is_builtin)
    device = resolve_device(spec.device)
    mask_hash = None
    if spec.mask is not None:
        if not Path(spec.mask).is_file():
            raise OptionError(f"--mask {spec.mask}: no such file; write one with diff --masks")
        mask_hash = sha256_file(Path(spec.mask))
    if spec.algo == "ppo":
        from rlsparse_check.recipes.rl import check_ppo

        check_ppo()
    if cache is None:
        folder = _uncached(lambda c: train(spec, cache=c, progress=progress).path, out)
        return Run(folder, json.loads((folder / "run.json").read_text()), cached=False)
    start = base_checkpoint(spec.model, "float32", cache=cache)
    keyed = {**spec.to_dict(), "model": model.name, "mask": mask_hash, "device": device}
    key = cache_key(
        {"kind": "run", "spec": keyed, "base": weights_sha256(start), "versions": versions()}
    )

    def build(tmp: Path) -> None:
        from rlsparse_check.recipes.common import quiet
        from rlsparse_check.recipes.execute import execute

        with quiet():
            execute(spec, start, device, tmp, progress, key, mask_hash, cache)

    folder, hit = _cached(cache, key, build)
    if out is not None:
        folder = publish(folder, Path(out))

    return Run(folder, json.loads((folder / "run.json").read_text()), cached=hit)


def publish(folder: Path, out: Path) -> Path:
    """Copy a run folder to ``out`` atomically (an existing run folder there is replaced)."""
    out = out.expanduser().resolve()
    if out.exists() and any(out.iterdir()) and not (out / "config.json").exists():
        raise OptionError(f"--out {out}: exists and is not a checkpoint folder; choose another")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    shutil.copytree(folder, tmp, dirs_exist_ok=True)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out
