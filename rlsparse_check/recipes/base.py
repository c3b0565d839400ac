"""Base models: where a model's original weights come from, its base checkpoint in a storage
dtype, and the versions that can change a run's bits.

The built-in models' weights ship in ``rlsparse_check/data/<name>/`` (rebuilt bit for bit by
:mod:`rlsparse_check.recipes.pretrain` when missing); local folders and cached hub models are used
as they are. :func:`base_checkpoint` stores a copy in ``bfloat16`` or ``float32``, cached by the
source's weights hash, so base and tuned checkpoints are saved alike.
"""

from __future__ import annotations

import platform
from pathlib import Path

from rlsparse_check import models
from rlsparse_check.models import ModelSpec
from rlsparse_check.recipes.cache import CacheArg, RunCache, cache_key, resolve_cache, throwaway
from rlsparse_check.recipes.store import recorded_weights_sha256, save_checkpoint

__all__ = [
    "DATA",
    "RECIPE_VERSION",
    "base_checkpoint",
    "base_entry",
    "source_weights",
    "versions",
]

RECIPE_VERSION = 3  # bump when a recipe changes results, so cached runs are not reused
DATA = Path(__file__).resolve().parent.parent / "data"


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


def _model(model: ModelSpec | str | None) -> ModelSpec:
    return model if isinstance(model, ModelSpec) else models.resolve_model(model)


def source_weights(model: ModelSpec | str, cache: RunCache) -> Path:
    """The folder of the model's original weights (built-ins: shipped, else rebuilt)."""
    spec = _model(model)
    if not spec.is_builtin:
        assert spec.path is not None  # local and hub models always have their folder
        return spec.path
    shipped = DATA / spec.name
    if (shipped / "model.safetensors").is_file():
        return shipped
    from rlsparse_check.recipes.pretrain import PRETRAIN, build_base

    key = cache_key(
        {"kind": "pretrain", "model": spec.name, "recipe": PRETRAIN, "versions": versions()}
    )
    return cache.get_or_build(key, lambda tmp: build_base(spec.name, tmp))[0]


def base_entry(
    model: ModelSpec, save_dtype: str, cache: RunCache, *, verified: bool = True
) -> tuple[Path, str]:
    """``(folder, weights sha256)`` of the base checkpoint of ``model`` in ``save_dtype``.

    Hashes come from what the folders record (the source's build record or snapshot, the
    entry's manifest), not from reading weights again. ``verified=False`` takes an entry
    already in place at its manifest's word without reading its files (enough for a cache key;
    whoever reads the weights asks for the verified entry)."""
    source = source_weights(model, cache)
    key = cache_key(
        {"kind": "base", "source": recorded_weights_sha256(source), "save_dtype": save_dtype}
    )

    def build(tmp: Path) -> None:
        from rlsparse_check.phase import Phase
        from rlsparse_check.recipes.quiet import quiet

        with Phase(f"base checkpoint of {model.name} in {save_dtype}").running(), quiet():
            net, tokenizer = models.load_model(source, "cpu")
            save_checkpoint(net, tokenizer, tmp, save_dtype)

    folder = None if verified else cache.listed(key)
    if folder is None:
        folder = cache.get_or_build(key, build)[0]
    return folder, recorded_weights_sha256(folder)


def base_checkpoint(
    model: ModelSpec | str = "tiny-qwen2",
    save_dtype: str = "bfloat16",
    *,
    cache: CacheArg = "default",
) -> Path:
    """Folder of the base checkpoint of ``model`` stored in ``save_dtype`` (cached)."""
    cache = resolve_cache(cache)
    spec = _model(model)
    if cache is None:
        return throwaway(lambda c: base_entry(spec, save_dtype, c)[0], None)
    return base_entry(spec, save_dtype, cache)[0]
