"""The settings of a claims session: every option merged and validated (by
:mod:`rlsparse_check.plugin.options`) into one frozen record the plugin keeps in
``config.stash`` and the fixtures read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rlsparse_check.recipes.cache import default_root
from rlsparse_check.thresholds import defaults

__all__ = ["Settings"]

_T = defaults()


@dataclass(frozen=True)
class Settings:
    """Everything a claim test may read about how it was asked to run."""

    model: str = "tiny-qwen2"
    device: str = "auto"
    report_dir: Path = Path("reports/latest")
    base: Path | None = None
    tuned: tuple[Path, ...] = ()
    seeds: int = 3
    steps: int | None = None  # None: each recipe's default
    algos: tuple[str, ...] = ()  # empty: each claim's default algorithms
    task: str | None = None  # None: the model's default task
    sparsity_range: tuple[float, float] = _T["sparsity-range"]
    sparsity_atol: float = _T["sparsity-atol"]
    alpha: float = _T["alpha"]
    sparser_margin: float = _T["sparser-margin"]
    min_overlap_excess: float = _T["min-overlap-excess"]
    min_stratified_excess: float = _T["min-stratified-excess"]
    equivalence_margin: float = _T["equivalence-margin"]
    recovery_margin: float = _T["recovery-margin"]
    max_update_distance: float = _T["max-update-distance"]
    min_rank_ratio: float = _T["min-rank-ratio"]
    rank_reference_margin: float = _T["rank-reference-margin"]
    min_active_blocks: float = _T["min-active-blocks"]
    block_active_fraction: float = _T["block-active-fraction"]
    max_block_cv: float = _T["max-block-cv"]
    max_norm_updated: float = _T["max-norm-updated"]
    max_eval_se: float = _T["max-eval-se"]
    max_prediction_error: float = _T["max-prediction-error"]
    min_kl_term: float = _T["min-kl-term"]
    min_clipped_share: float = _T["min-clipped-share"]
    min_ratio_spread: float = _T["min-ratio-spread"]
    correction: str = "holm"
    baseline: Path | None = None
    drift_tolerance: float = 0.05
    no_cache: bool = False
    cache_dir: Path = field(default_factory=default_root)
    # where and how the runs are trained (see _RUN_OPTIONS)
    plan: bool = False
    budget: float | None = None  # seconds
    executor: str = "local"
    ray_address: str = "auto"
    ray_timeout: float = 4 * 3600.0
    devices: tuple[str, ...] = ()  # empty: every visible GPU
    runs_per_device: int = 1

    @property
    def mode(self) -> str:
        """``"checkpoints"`` when --base/--tuned are given (no training), else ``"training"``."""
        return "checkpoints" if self.base is not None else "training"

    @property
    def resolved_device(self) -> str:
        """``auto`` means cuda when an NVIDIA driver is present, else cpu (torch is not imported
        here; the training recipes check CUDA for real)."""
        if self.device != "auto":
            return self.device
        return "cuda" if Path("/proc/driver/nvidia/version").exists() else "cpu"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Path):
                data[key] = str(value)
            elif isinstance(value, tuple):
                data[key] = [str(v) if isinstance(v, Path) else v for v in value]
        data["mode"] = self.mode
        data["resolved_device"] = self.resolved_device
        return data
