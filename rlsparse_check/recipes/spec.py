"""What a training run is: :class:`RunSpec` and the usual defaults of each algorithm.

Learning rates for the embedded tiny model mirror the ratio of published recipes (CLAIMS.md: RL
around 5e-7, SFT around 5e-6, i.e. SFT ten times the RL rate), scaled up so that a 20-step CPU run
of a 0.8 M-parameter model learns something: RL 2e-5 and SFT 2e-4. For other models the same
ratio applies at the published scale (``HUB_LR``). ``beta`` is each algorithm's own coefficient
(GRPO/RLOO: KL penalty; DPO/KTO/SimPO: preference temperature; ORPO: odds-ratio weight) with
TRL's defaults.

PPO and PRIME (written here on torch + transformers, TRL has neither) take a learning rate of
1e-6 on every model, the published per-step rate of verl's recipes, and their own knobs
(:data:`ONPOLICY`). For PPO ``beta`` is the per-token KL coefficient (TRL's PPOConfig
``kl_coef`` 0.05); for PRIME it is the implicit PRM's coefficient (verl's ``beta_train`` 0.05;
PRIME's KL coefficient is 0).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.models import DEFAULT_MODEL
from rlsparse_check.recipes.store import SAVE_DTYPES
from rlsparse_check.tasks import DEFAULT_TASK, TASKS

__all__ = ["ALGOS", "RL_ALGOS", "SFT_ALGOS", "DEFAULTS", "HUB_LR", "ONPOLICY", "RunSpec"]

RL_ALGOS = ("grpo", "rloo", "dpo", "kto", "simpo", "orpo", "ppo", "prime")
SFT_ALGOS = ("sft", "sft-self")
ALGOS = RL_ALGOS + SFT_ALGOS

#: Per-algorithm defaults for the embedded tiny models: lr and beta (None: no such coefficient).
DEFAULTS: dict[str, dict[str, float | None]] = {
    "grpo": {"lr": 2e-5, "beta": 0.0},
    "rloo": {"lr": 2e-5, "beta": 0.05},
    "ppo": {"lr": 1e-6, "beta": 0.05},
    "prime": {"lr": 1e-6, "beta": 0.05},
    "dpo": {"lr": 2e-5, "beta": 0.1},
    "kto": {"lr": 2e-5, "beta": 0.1},
    "simpo": {"lr": 2e-5, "beta": 2.0},
    "orpo": {"lr": 2e-5, "beta": 0.1},
    "sft": {"lr": 2e-4, "beta": None},
    "sft-self": {"lr": 2e-4, "beta": None},
}
#: Learning rates used for models that are not built in (published scale; SFT = 10 x RL).
HUB_LR = {"rl": 5e-7, "sft": 5e-6}

#: Knobs of the recipes written here, with their defaults (``critic_lr`` as a multiple of
#: ``lr``). PPO: TRL's PPOConfig (num_ppo_epochs 4, num_mini_batches 1, gamma 1.0, lam 0.95,
#: cliprange 0.2) and verl's critic rate (critic 1e-5 beside actor 1e-6). PRIME: verl's PRIME
#: recipe (ppo_epochs 1 over one mini-batch, clip 0.2, PRM lr = actor lr 1e-6); no GAE there.
ONPOLICY: dict[str, dict[str, float]] = {
    "ppo": {
        "ppo_epochs": 4,
        "mini_batches": 1,
        "critic_lr": 10.0,
        "gamma": 1.0,
        "lam": 0.95,
        "clip_range": 0.2,
    },
    "prime": {"ppo_epochs": 1, "mini_batches": 1, "critic_lr": 1.0, "clip_range": 0.2},
}


@dataclass(frozen=True)
class RunSpec:
    """One training run. Every field enters the run cache key (``mask`` by content).

    ``batch_size`` is the number of prompts (RL) or examples (SFT, preference pairs) per step,
    the same for every algorithm, so ``steps x batch_size`` is the data budget. GRPO/RLOO draw
    ``num_generations`` completions per prompt; ``iterations`` > 1 reuses each generated batch
    for that many updates (off-policy). ``max_grad_norm=None`` turns clipping off.

    PPO and PRIME (:data:`ONPOLICY`; None takes the algorithm's default, other algorithms
    leave them None): ``steps`` counts policy updates, as for the TRL trainers; each rollout
    batch (``batch_size`` prompts x ``num_generations`` samples) serves ``ppo_epochs`` epochs of
    ``mini_batches`` updates. ``critic_lr`` is the rate of PPO's value model or PRIME's implicit
    PRM; ``gamma`` and ``lam`` are PPO's GAE discount and lambda; ``clip_range`` is the clipped
    surrogate's epsilon (and PPO's value clip).
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
    ppo_epochs: int | None = None
    mini_batches: int | None = None
    critic_lr: float | None = None
    gamma: float | None = None
    lam: float | None = None
    clip_range: float | None = None

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
        for ok, message in checks + self._onpolicy_checks():
            if not ok:
                raise OptionError(message)

    def _onpolicy_checks(self) -> list[tuple[bool, str]]:
        knobs = ONPOLICY.get(self.algo, {})
        given = {f.name: getattr(self, f.name) for f in _ONPOLICY_FIELDS}
        flag = {name: "--" + name.replace("_", "-") for name in given}
        checks = [
            (value is None or name in knobs, f"{flag[name]}: applies to {_users(name)} only")
            for name, value in given.items()
        ]
        if self.algo in ONPOLICY:
            checks.append(
                (self.iterations == 1, f"--iterations: {self.algo} reuses rollouts by --ppo-epochs")
            )
        for name in ("ppo_epochs", "mini_batches"):
            value = given[name]
            checks.append((value is None or value >= 1, f"{flag[name]} {value}: at least 1"))
        for name in ("critic_lr", "clip_range"):
            value = given[name]
            checks.append((value is None or value > 0, f"{flag[name]} {value}: must be positive"))
        for name in ("gamma", "lam"):
            value = given[name]
            checks.append((value is None or 0 <= value <= 1, f"{flag[name]} {value}: in [0, 1]"))
        return checks

    @property
    def is_rl(self) -> bool:
        return self.algo in RL_ALGOS

    def resolved(self, builtin: bool = True) -> RunSpec:
        """A copy with ``lr`` and ``beta`` filled in from the algorithm's defaults."""
        defaults = DEFAULTS[self.algo]
        lr = self.lr
        if lr is None:
            published = builtin or self.algo in ONPOLICY  # PPO/PRIME: 1e-6 on every model
            lr = defaults["lr"] if published else HUB_LR["rl" if self.is_rl else "sft"]
        beta = defaults["beta"] if self.beta is None else self.beta
        knobs = {}
        for name, default in ONPOLICY.get(self.algo, {}).items():
            value = getattr(self, name)
            if value is None:
                value = float(f"{lr * default:.12g}") if name == "critic_lr" else default
            knobs[name] = value
        return dataclasses.replace(self, lr=lr, beta=beta, **knobs)

    def to_dict(self) -> dict[str, Any]:
        """Every field, less the PPO/PRIME knobs of the algorithms that have none."""
        out = dataclasses.asdict(self)
        for f in _ONPOLICY_FIELDS:
            if f.name not in ONPOLICY.get(self.algo, {}):
                del out[f.name]
        return out


_ONPOLICY_FIELDS = [f for f in dataclasses.fields(RunSpec) if f.name in ONPOLICY["ppo"]]


def _users(name: str) -> str:
    return " and ".join(algo for algo, knobs in ONPOLICY.items() if name in knobs)
