"""What a training run is: :class:`RunSpec` and the usual defaults of each algorithm.

Learning rates for the embedded tiny model mirror the ratio of published recipes (CLAIMS.md: RL
around 5e-7, SFT around 5e-6, i.e. SFT ten times the RL rate), scaled up so that a 20-step CPU run
of a 0.8 M-parameter model learns something: RL 2e-5 and SFT 2e-4. For other models the same
ratio applies at the published scale (``HUB_LR``). ``beta`` is each algorithm's own coefficient
(GRPO/RLOO: KL penalty; DPO/KTO/SimPO: preference temperature; ORPO: odds-ratio weight) with
TRL's defaults.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.models import DEFAULT_MODEL
from rlsparse_check.recipes.store import SAVE_DTYPES
from rlsparse_check.tasks import DEFAULT_TASK, TASKS

__all__ = ["ALGOS", "RL_ALGOS", "SFT_ALGOS", "DEFAULTS", "HUB_LR", "RunSpec"]

RL_ALGOS = ("grpo", "rloo", "dpo", "kto", "simpo", "orpo", "ppo")
SFT_ALGOS = ("sft", "sft-self")
ALGOS = RL_ALGOS + SFT_ALGOS

#: Per-algorithm defaults for the embedded tiny models: lr and beta (None: no such coefficient).
DEFAULTS: dict[str, dict[str, float | None]] = {
    "grpo": {"lr": 2e-5, "beta": 0.0},
    "rloo": {"lr": 2e-5, "beta": 0.05},
    "ppo": {"lr": 2e-5, "beta": 0.05},
    "dpo": {"lr": 2e-5, "beta": 0.1},
    "kto": {"lr": 2e-5, "beta": 0.1},
    "simpo": {"lr": 2e-5, "beta": 2.0},
    "orpo": {"lr": 2e-5, "beta": 0.1},
    "sft": {"lr": 2e-4, "beta": None},
    "sft-self": {"lr": 2e-4, "beta": None},
}
#: Learning rates used for models that are not built in (published scale; SFT = 10 x RL).
HUB_LR = {"rl": 5e-7, "sft": 5e-6}


@dataclass(frozen=True)
class RunSpec:
    """One training run. Every field enters the run cache key (``mask`` by content).

    ``batch_size`` is the number of prompts (RL) or examples (SFT, preference pairs) per step,
    the same for every algorithm, so ``steps x batch_size`` is the data budget. GRPO/RLOO draw
    ``num_generations`` completions per prompt; ``iterations`` > 1 reuses each generated batch
    for that many updates (off-policy). ``max_grad_norm=None`` turns clipping off.
    """

    model: str = DEFAULT_MODEL
    algo: str = "grpo"
    task: str = DEFAULT_TASK
    seed: int = 0
    steps: int = 20
    lr: float | None = None
    beta: float | None = None
    max_grad_norm: float | None = 1.0
    iterations: int = 1
    batch_size: int = 8
    num_generations: int = 8
    weight_decay: float = 0.0
    save_dtype: str = "bfloat16"
    mask: str | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        checks = [
            (self.algo in ALGOS, f"--algo {self.algo!r}: choose one of {', '.join(ALGOS)}"),
            (self.task in TASKS, f"--task {self.task!r}: choose one of {', '.join(TASKS)}"),
            (self.steps >= 1, f"--steps {self.steps}: must be at least 1"),
            (self.batch_size >= 2, f"batch_size {self.batch_size}: must be at least 2"),
            (self.num_generations >= 2, f"num_generations {self.num_generations}: at least 2"),
            (self.iterations >= 1, f"--iterations {self.iterations}: must be at least 1"),
            (self.lr is None or self.lr > 0, f"--lr {self.lr}: must be positive"),
            (self.beta is None or self.beta >= 0, f"--beta {self.beta}: must be >= 0"),
            (
                self.max_grad_norm is None or self.max_grad_norm > 0,
                f"--max-grad-norm {self.max_grad_norm}: must be positive (or --no-clip)",
            ),
            (self.weight_decay >= 0, f"weight_decay {self.weight_decay}: must be >= 0"),
            (
                self.save_dtype in SAVE_DTYPES,
                f"--save-dtype {self.save_dtype!r}: choose one of {', '.join(SAVE_DTYPES)}",
            ),
            (
                self.device in ("cpu", "cuda", "auto"),
                f"--device {self.device!r}: choose cpu, cuda or auto",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise OptionError(message)

    @property
    def is_rl(self) -> bool:
        return self.algo in RL_ALGOS

    def resolved(self, builtin: bool = True) -> RunSpec:
        """A copy with ``lr`` and ``beta`` filled in from the algorithm's defaults."""
        defaults = DEFAULTS[self.algo]
        lr = self.lr
        if lr is None:
            lr = defaults["lr"] if builtin else HUB_LR["rl" if self.is_rl else "sft"]
        beta = defaults["beta"] if self.beta is None else self.beta
        return dataclasses.replace(self, lr=lr, beta=beta)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
