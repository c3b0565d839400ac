"""Training recipes: RL (TRL GRPO/RLOO/DPO/KTO/SimPO/ORPO; PPO and PRIME written here), SFT,
masked fine-tuning, run cache.

Public API (torch is imported only when a run is built)::

    from rlsparse_check.recipes import RunSpec, train, base_checkpoint, RunCache
    run = train(RunSpec(algo="grpo", seed=0, steps=20))   # cached under $RLSPARSE_CACHE
    run.path / "model.safetensors", run.record.eval["gain"]
"""

from rlsparse_check.recipes.base import base_checkpoint
from rlsparse_check.recipes.cache import RunCache
from rlsparse_check.recipes.record import RUN_JSON_KEYS, RunRecord
from rlsparse_check.recipes.resolved import ResolvedRun, resolve
from rlsparse_check.recipes.run import Run, train
from rlsparse_check.recipes.spec import ALGOS, DEFAULTS, ONPOLICY, RL_ALGOS, SFT_ALGOS, RunSpec

__all__ = [
    "ALGOS",
    "DEFAULTS",
    "ONPOLICY",
    "RL_ALGOS",
    "SFT_ALGOS",
    "RUN_JSON_KEYS",
    "ResolvedRun",
    "Run",
    "RunCache",
    "RunRecord",
    "RunSpec",
    "base_checkpoint",
    "resolve",
    "train",
]
