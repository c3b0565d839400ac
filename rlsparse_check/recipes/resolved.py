"""A run resolved once, at the entrance: :class:`ResolvedRun` and :func:`resolve`.

Everything a run's spec leaves open is settled here, once, and passed down: the model (built-in,
local folder or hub snapshot), the device, the spec with the algorithm's usual rate, steps and
coefficient filled in, the fp32 start checkpoint and its weights hash, the mask's content hash
and the run's cache key. Lower rooms (the cache, :mod:`~rlsparse_check.recipes.execute`, the
recipes) take what is resolved and never resolve, hash or load the same thing again. Hashes come
from what the folders record (a shipped base's build record, a hub snapshot's blob names, a
cache entry's manifest), so resolving the run of a cache hit reads no weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rlsparse_check import models
from rlsparse_check.errors import OptionError
from rlsparse_check.models import ModelSpec
from rlsparse_check.recipes.base import base_entry, versions
from rlsparse_check.recipes.cache import RunCache, cache_key
from rlsparse_check.recipes.spec import RunSpec
from rlsparse_check.recipes.store import sha256_file

__all__ = ["ResolvedRun", "resolve"]


@dataclass(frozen=True)
class ResolvedRun:
    """One run with nothing left open. ``spec`` has ``lr``, ``steps``, ``beta`` (and the PPO /
    PRIME knobs) filled in; ``start`` is the fp32 base entry training starts from and
    ``start_sha256`` its weights hash; ``key`` the run's cache key."""

    spec: RunSpec
    model: ModelSpec
    device: str
    start: Path
    start_sha256: str
    mask_sha256: str | None
    key: str


def resolve(
    spec: RunSpec,
    cache: RunCache,
    *,
    model: ModelSpec | None = None,
    device: str | None = None,
) -> ResolvedRun:
    """Resolve ``spec`` against ``cache``. ``model`` and ``device``, when the caller resolved
    them already (a session trains one model on one device), are taken as given."""
    model = model if model is not None else models.resolve_model(spec.model)
    device = device if device is not None else models.resolve_device(spec.device)
    filled = spec.resolved(builtin=model.is_builtin)
    mask_sha256 = None
    if filled.mask is not None:
        if not Path(filled.mask).is_file():
            raise OptionError(f"--mask {filled.mask}: no such file; write one with diff --masks")
        mask_sha256 = sha256_file(Path(filled.mask))
    start, start_sha256 = base_entry(model, "float32", cache, verified=False)
    keyed = {**filled.to_dict(), "model": model.name, "mask": mask_sha256, "device": device}
    key = cache_key({"kind": "run", "spec": keyed, "base": start_sha256, "versions": versions()})
    return ResolvedRun(filled, model, device, start, start_sha256, mask_sha256, key)
