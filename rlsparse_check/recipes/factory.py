"""The runs of a training-mode claims session: a cached run factory over the recipes.

:class:`RunFactory` trains (or takes from the run cache) the run of a
:class:`~rlsparse_check.design.Condition` for a seed and returns it as a
:class:`~rlsparse_check.cases.CheckpointCase` against the base stored in the same dtype. Model,
device, steps and the cache come from the session's options; every run is seeded (seeds are the
unit of replication). Each case's ``meta`` holds the run's record (spec, seed, hashes, eval
before/after, cache key), ``learned`` (the eval gain of this run is significant, exact McNemar
test) and ``gain``.

When the session trains a built-in tiny model on the CPU, every process pins torch and the BLAS
pools to one thread (:data:`TINY_MODEL_THREADS`): the 0.8 M-parameter model gains nothing from
more, and busy-waiting pools larger than the free cores make it many times slower.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rlsparse_check.cases import CheckpointCase
from rlsparse_check.design import Condition, Design, design
from rlsparse_check.measures.learning import run_gain

__all__ = ["RunFactory", "TINY_MODEL_THREADS", "tiny_on_cpu"]

#: torch CPU threads for runs of the built-in tiny models (see the module docstring).
TINY_MODEL_THREADS = 1
#: Keys of run.json kept in a case's meta (the rest -- log history, versions, which the report's
#: provenance carries -- stays in the run folder, whose path is kept too).
RECORD_KEYS = (
    "spec",
    "mask",
    "master",
    "wall_time_s",
    "train_time_s",
    "weights_sha256",
    "cache_key",
)


def _summary(run: Any) -> dict[str, Any]:
    record = run.record
    out = {key: record[key] for key in RECORD_KEYS if key in record}
    out["eval"] = {
        side: {k: v for k, v in record["eval"][side].items() if k != "rewards"}
        for side in ("before", "after")
    }
    out["eval"].update({k: v for k, v in record["eval"].items() if k.startswith("gain")})
    out["base_weights_sha256"] = record["base"]["weights_sha256"]
    out["device"] = record["device"]["kind"]
    out["path"] = str(run.path)
    out["cached"] = bool(run.cached)
    return out


def tiny_on_cpu(settings: Any) -> bool:
    """Whether the session trains a built-in tiny model on the CPU (one thread per run)."""
    from rlsparse_check.models import resolve_device, resolve_model

    return resolve_model(settings.model).is_builtin and resolve_device(settings.device) == "cpu"


class RunFactory:
    """Trains (or loads from the run cache) the runs of this session; memoised per spec."""

    def __init__(
        self, settings: Any, cache: Any, *, publish_to: Any = None, alpha: float = 0.05
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.publish_to = publish_to  # --no-cache: copy fresh runs into the usual cache
        self.alpha = alpha
        self.design: Design = design(settings)
        self._runs: dict[Any, Any] = {}
        self._cases: dict[tuple[Condition, int], CheckpointCase] = {}
        self._made_from: dict[str, tuple[Condition, int]] = {}
        self._bases: dict[str, Path] = {}
        if tiny_on_cpu(settings):
            from rlsparse_check.recipes.threads import pin_threads

            pin_threads(TINY_MODEL_THREADS)

    # -- specs and runs -----------------------------------------------------------------------
    def spec(self, condition: Condition, seed: int) -> Any:
        """The :class:`~rlsparse_check.recipes.RunSpec` of ``condition`` for ``seed``."""
        from rlsparse_check.recipes import RunSpec

        s = self.settings
        fields: dict[str, Any] = {"model": s.model, "algo": condition.algo, "seed": seed}
        fields["device"] = s.device
        if s.steps is not None:
            fields["steps"] = s.steps
        if self.design.keep_master:
            fields["keep_master"] = True
        fields.update(condition.fields)
        if condition.mask:
            fields["mask"] = str(self.mask_for(condition, seed))
        return RunSpec(**fields)

    def resolved(self, condition: Condition, seed: int) -> Any:
        """The spec of ``condition`` with its rate, steps and coefficient filled in (the mask
        left out: it changes none of them)."""
        from rlsparse_check.models import resolve_model

        spec = self.spec(Condition(condition.algo, condition.variant, condition.fields), seed)
        return spec.resolved(builtin=resolve_model(self.settings.model).is_builtin)

    def run(self, spec: Any) -> Any:
        """Train ``spec`` once per session (cached across sessions unless --no-cache)."""
        if spec not in self._runs:
            from rlsparse_check.recipes import train

            run = train(spec, cache=self.cache)
            if self.publish_to is not None and not run.cached:
                path = self.publish_to.put(run.record["cache_key"], run.path)
                run = dataclasses.replace(run, path=path)
            self._runs[spec] = run
        return self._runs[spec]

    def base(self, save_dtype: str = "bfloat16") -> Path:
        """The base checkpoint of the session's model, stored in ``save_dtype``."""
        if save_dtype not in self._bases:
            from rlsparse_check.recipes import base_checkpoint

            path = base_checkpoint(self.settings.model, save_dtype, cache=self.cache)
            self._bases[save_dtype] = Path(path)
        return self._bases[save_dtype]

    def case(self, condition: Condition, seed: int) -> CheckpointCase:
        """The run of ``condition`` for ``seed`` as a case against its base."""
        key = (condition, seed)
        if key not in self._cases:
            spec = self.spec(condition, seed)
            run = self.run(spec)
            gain = run_gain(run.record["eval"], alpha=self.alpha)
            meta = {
                "source": "training",
                "algo": condition.algo,
                "seed": seed,
                "task": spec.task,
                "variant": condition.variant or "usual",
                "save_dtype": spec.save_dtype,
                "learned": gain["significant"],
                "gain": gain,
                "record": _summary(run),
            }
            tuned = Path(run.path)
            self._cases[key] = CheckpointCase(
                condition.label(seed), self.base(spec.save_dtype), tuned, meta
            )
            self._made_from[condition.label(seed)] = key
        return self._cases[key]

    def seeds(self, condition: Condition) -> list[CheckpointCase]:
        """One case per seed (``--seeds`` of them)."""
        return [self.case(condition, seed) for seed in range(self.settings.seeds)]

    def fp32(self, case: CheckpointCase) -> CheckpointCase:
        """The same run saved in float32 (the fp32 master weights), against the fp32 base."""
        condition, seed = self._made_from[case.label]
        master = case.meta["record"].get("master")
        if not master:
            return self.case(self.design.fp32(condition), seed)
        meta = {**case.meta, "save_dtype": "float32", "variant": f"{case.meta['variant']}-fp32"}
        tuned = case.tuned / master
        return CheckpointCase(f"{case.label}-fp32", self.base("float32"), tuned, meta)

    # -- masks (C4) ---------------------------------------------------------------------------
    def mask_root(self) -> Path:
        root = Path(self.cache.root) / "masks"
        root.mkdir(parents=True, exist_ok=True)
        return root

    def mask_for(self, condition: Condition, seed: int) -> Path:
        """The mask a masked condition trains in: the update mask of the usual run of the same
        algorithm and seed, or a random mask with its per-tensor counts."""
        full = self.case(Condition(condition.algo), seed)
        return self.update_mask(full) if condition.mask == "rl" else self.random_mask(full, seed)

    def update_mask(self, case: CheckpointCase) -> Path:
        """The bitwise update mask of ``case`` as a MaskSet ``.npz`` (written once, atomically)."""
        path = self.mask_root() / f"update-{case.meta['record']['weights_sha256'][:24]}.npz"
        if not path.is_file():
            from rlsparse_check.diff import diff_checkpoints

            diff_checkpoints(case.base, case.tuned, keep_masks=True).masks.save(path)
        return path

    def random_mask(self, case: CheckpointCase, seed: int) -> Path:
        """A random mask with exactly the per-tensor counts of ``case``'s update mask."""
        from rlsparse_check.masks import MaskSet
        from rlsparse_check.measures.recovery import random_like

        source = self.update_mask(case)
        path = source.with_name(f"random{seed}-{source.name}")
        if not path.is_file():
            random_like(MaskSet.load(source), seed).save(path)
        return path
