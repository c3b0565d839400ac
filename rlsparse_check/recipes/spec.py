"""What a training run is: :class:`RunSpec` and the usual recipe of each algorithm.

The regime (CLAIMS.md): Adam moves each weight by about the learning rate per step whatever the
model size, and a bf16 entry changes when its total movement passes half a ULP of its value, so
per-step learning rates transfer across models whose weight magnitudes are alike. The recipes
therefore use the published per-step rates (:data:`PUBLISHED_LR`: RL about 1e-6, preference
methods 5e-7 to 1e-6, SFT ten times RL) for as many steps as the runs need to learn
(:data:`PUBLISHED_STEPS`). Hub models and local folders use them directly. The built-in tiny
models take :data:`BUILTIN_RATE_FACTOR` times the rate for that fraction of the steps: in this
small-step regime the outcome follows lr x steps (measured on tiny-qwen2, GRPO, seed 0: 1e-6 for
300 steps and 2e-6 for 150 steps gave the same eval accuracy, 0.70 from 0.46, and the same
bitwise sparsity, 0.333), and every claims run checks that equivalence again. ``beta`` is each
algorithm's own coefficient (GRPO/RLOO/PPO: KL penalty; DPO/KTO/SimPO: preference temperature;
ORPO: odds-ratio weight) with TRL's defaults.

PPO and PRIME (written here on torch + transformers, TRL has neither) have their own knobs
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
from rlsparse_check.tasks import check_task, default_task, is_builtin_task, task_identity

__all__ = [
    "ALGOS",
    "RL_ALGOS",
    "SFT_ALGOS",
    "DEFAULTS",
    "PUBLISHED_LR",
    "PUBLISHED_STEPS",
    "BUILTIN_RATE_FACTOR",
    "ONPOLICY",
    "MICRO_BATCH",
    "RunSpec",
]

RL_ALGOS = ("grpo", "rloo", "dpo", "kto", "simpo", "orpo", "ppo", "prime")
SFT_ALGOS = ("sft", "sft-self")
ALGOS = RL_ALGOS + SFT_ALGOS

#: Published per-step learning rates of each algorithm family.
PUBLISHED_LR: dict[str, float] = {
    "grpo": 1e-6,
    "rloo": 1e-6,
    "ppo": 1e-6,
    "prime": 1e-6,
    "dpo": 5e-7,
    "kto": 5e-7,
    "simpo": 1e-6,
    "orpo": 1e-6,
    "sft": 1e-5,
    "sft-self": 1e-5,
}
#: Steps at the published rate each algorithm needs to learn significantly on the default task
#: (measured on tiny-qwen2; the preference methods' gain fades when they run much longer).
PUBLISHED_STEPS: dict[str, int] = {
    "grpo": 300,
    "rloo": 300,
    "ppo": 300,
    "prime": 300,
    "dpo": 200,
    "kto": 400,
    "simpo": 100,
    "orpo": 200,
    "sft": 300,
    "sft-self": 300,
}
#: Built-in tiny models: this multiple of the published rate for this fraction of the steps.
BUILTIN_RATE_FACTOR = 2.0
_BETA: dict[str, float | None] = {
    "grpo": 0.0,
    "rloo": 0.05,
    "ppo": 0.05,
    "prime": 0.05,
    "dpo": 0.1,
    "kto": 0.1,
    "simpo": 2.0,
    "orpo": 0.1,
    "sft": None,
    "sft-self": None,
}
#: The usual recipe of each algorithm on the built-in tiny models: lr, steps and beta (None: no
#: such coefficient).
DEFAULTS: dict[str, dict[str, Any]] = {
    algo: {
        "lr": float(f"{PUBLISHED_LR[algo] * BUILTIN_RATE_FACTOR:.6g}"),
        "steps": max(1, round(PUBLISHED_STEPS[algo] / BUILTIN_RATE_FACTOR)),
        "beta": _BETA[algo],
    }
    for algo in ALGOS
}

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

#: Completions per forward/backward pass of GRPO/RLOO on models other than the built-ins (with
#: gradient accumulation and checkpointing): 64 completions of up to 256 tokens through 30 layers
#: at once need more than 24 GB. The built-in tiny models train their batch in one pass (None).
MICRO_BATCH = 8
_MICRO_ALGOS = ("grpo", "rloo")


@dataclass(frozen=True)
class RunSpec:
    """One training run. Every field enters the run cache key (``mask`` by content; a task
    other than add/sub also by its identity). ``task`` None takes the model's default
    (:func:`~rlsparse_check.tasks.default_task`: add on the built-in models).

    ``batch_size`` is the number of prompts (RL) or examples (SFT, preference pairs) per step,
    the same for every algorithm, so ``steps x batch_size`` is the data budget. GRPO/RLOO draw
    ``num_generations`` completions per prompt; ``iterations`` > 1 reuses each generated batch
    for that many updates (off-policy). ``max_grad_norm=None`` turns clipping off.
    ``keep_master`` also saves the fp32 master weights of a bf16 run in ``master/`` (the same
    training seen in fp32: what storage precision hides, at no second run's cost).
    ``eval_samples`` sets the completions sampled per eval problem (None: as many as keep the
    eval's standard error at most 0.02, :func:`~rlsparse_check.recipes.sampling.eval_samples`);
    fewer make a cheaper, noisier eval on a large model. ``micro_batch`` (GRPO/RLOO): a step's
    completions that many at a time, gradients accumulated, layers checkpointed (None: all at
    once on the built-in models, :data:`MICRO_BATCH` on others).

    PPO and PRIME (:data:`ONPOLICY`; None takes the algorithm's default, other algorithms
    leave them None): ``steps`` counts policy updates, as for the TRL trainers; each rollout
    batch (``batch_size`` prompts x ``num_generations`` samples) serves ``ppo_epochs`` epochs of
    ``mini_batches`` updates. ``critic_lr`` is the rate of PPO's value model or PRIME's implicit
    PRM; ``gamma`` and ``lam`` are PPO's GAE discount and lambda; ``clip_range`` is the clipped
    surrogate's epsilon (and PPO's value clip).
    """

    model: str = DEFAULT_MODEL
    algo: str = "grpo"
    task: str | None = None
    seed: int = 0
    steps: int | None = None
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
    keep_master: bool = False
    eval_samples: int | None = None
    micro_batch: int | None = None

    def __post_init__(self) -> None:
        checks = [
            (self.algo in ALGOS, f"--algo {self.algo!r}: choose one of {', '.join(ALGOS)}"),
            (self.steps is None or self.steps >= 1, f"--steps {self.steps}: must be at least 1"),
            (self.batch_size >= 2, f"batch_size {self.batch_size}: must be at least 2"),
            (self.num_generations >= 2, f"num_generations {self.num_generations}: at least 2"),
            (self.iterations >= 1, f"--iterations {self.iterations}: must be at least 1"),
            (self.lr is None or self.lr > 0, f"--lr {self.lr}: must be positive"),
            (self.beta is None or self.beta >= 0, f"--beta {self.beta}: must be >= 0"),
            (
                self.max_grad_norm is None or self.max_grad_norm > 0,
                f"--max-grad-norm {self.max_grad_norm}: must be positive (or --no-clip)",
            ),
            (
                self.eval_samples is None or self.eval_samples >= 1,
                f"--eval-samples {self.eval_samples}: must be at least 1",
            ),
            (
                self.micro_batch is None
                or (
                    self.micro_batch >= 1
                    and (self.batch_size * self.num_generations) % self.micro_batch == 0
                ),
                f"micro_batch {self.micro_batch}: must divide batch_size x num_generations "
                f"({self.batch_size * self.num_generations})",
            ),
            (
                self.micro_batch is None or self.algo in _MICRO_ALGOS,
                f"micro_batch: applies to {' and '.join(_MICRO_ALGOS)} only",
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
        if self.task is not None:
            check_task(self.task)  # bad names, settings or input files stop here, up front

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

    def resolved(self, builtin: bool = True) -> RunSpec:
        """A copy with ``lr``, ``steps`` and ``beta`` filled in from the algorithm's usual
        recipe: the built-in models' (:data:`DEFAULTS`) or, for other models, the published
        rate and steps; and ``task`` from the model's default
        (:func:`~rlsparse_check.tasks.default_task`)."""
        task = self.task or default_task(builtin, self.model)
        if builtin and not is_builtin_task(task):
            raise OptionError(
                f"--task {task}: the built-in tiny models read only digits and +-=; use add or "
                "sub with them, or --model a hub id or local folder for this task"
            )
        usual = DEFAULTS[self.algo]
        lr = self.lr if self.lr is not None else usual["lr"] if builtin else PUBLISHED_LR[self.algo]
        steps = self.steps
        if steps is None:
            steps = usual["steps"] if builtin else PUBLISHED_STEPS[self.algo]
        beta = usual["beta"] if self.beta is None else self.beta
        knobs = {}
        for name, default in ONPOLICY.get(self.algo, {}).items():
            value = getattr(self, name)
            if value is None:
                value = float(f"{lr * default:.12g}") if name == "critic_lr" else default
            knobs[name] = value
        micro = self.micro_batch
        if micro is None and not builtin and self.algo in _MICRO_ALGOS:
            completions = self.batch_size * self.num_generations
            micro = MICRO_BATCH if completions % MICRO_BATCH == 0 else None
        return dataclasses.replace(
            self, task=task, lr=lr, steps=steps, beta=beta, micro_batch=micro, **knobs
        )

    def to_dict(self) -> dict[str, Any]:
        """Every field, less the PPO/PRIME knobs of the algorithms that have none, ``keep_master``
        when off, ``eval_samples`` and ``micro_batch`` when unset (other runs keep their cache
        keys); tasks other than the built-in ones add ``task_identity`` (the version of the
        library that draws and scores the problems, or the input file's hash)."""
        out = dataclasses.asdict(self)
        if self.task is not None and not is_builtin_task(self.task):
            out["task_identity"] = task_identity(self.task)
        for f in _ONPOLICY_FIELDS:
            if f.name not in ONPOLICY.get(self.algo, {}):
                del out[f.name]
        if not self.keep_master:
            del out["keep_master"]
        if self.eval_samples is None:
            del out["eval_samples"]
        if self.micro_batch is None:
            del out["micro_batch"]
        return out


_ONPOLICY_FIELDS = [f for f in dataclasses.fields(RunSpec) if f.name in ONPOLICY["ppo"]]


def _users(name: str) -> str:
    return " and ".join(algo for algo, knobs in ONPOLICY.items() if name in knobs)
