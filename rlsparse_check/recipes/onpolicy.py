"""The training loop PPO and PRIME share, with the surface
:func:`~rlsparse_check.recipes.execute.execute` expects of a trainer (as TRL's have it):
``train()``, ``model``, ``accelerator``, ``args``, ``state.log_history``, transformers callbacks
(the mask guard restores after each ``on_optimizer_step`` and ``on_step_end``) and
``remove_callback`` (:func:`~rlsparse_check.recipes.trainer.drop_printer` removes the printer).
The recipes build it from a :class:`~rlsparse_check.recipes.trainer.Job`: the resolved spec, the
fp32 start weights (``base_path``, also what :func:`frozen_copy` loads) and the device.

Each rollout batch takes the next ``batch_size`` prompts of the task's seeded training draw
(split evenly over the processes of an ``accelerate launch``) and samples ``num_generations``
completions per prompt with the policy, scored by the task's verifier
(:func:`~rlsparse_check.recipes.rollout.roll_out`); the recipe turns the rollout into per-row
tensors (:meth:`OnPolicyTrainer.prepare`: advantages, old log-probs ...), then it serves
``ppo_epochs`` epochs of ``mini_batches`` policy updates (:meth:`OnPolicyTrainer.update`);
``steps`` counts updates, as TRL's ``max_steps`` does. Master weights stay in fp32 (bf16
autocast only on GPUs that support it), AdamW at a constant rate (no weight decay on biases and
norms, as the transformers Trainer), gradient clipping when ``max_grad_norm`` is set. Every random
draw is seeded by (seed, rollout, process).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from rlsparse_check.errors import TrainingError
from rlsparse_check.recipes.rollout import Rollout, roll_out
from rlsparse_check.recipes.trainer import Job, bf16_autocast
from rlsparse_check.tasks import draw, get_task
from rlsparse_check.tasks.prompts import rendered

__all__ = ["OnPolicyArgs", "OnPolicyTrainer", "frozen_copy"]

SAMPLE, SHUFFLE = 0, 1  # the two kinds of seeded draws

#: Rollout batches in a row with nothing to learn from before a run gives up.
MAX_EMPTY_ROLLOUTS = 50


@dataclass
class OnPolicyArgs:
    """The trainer's view of its knobs (read into run.json's ``trainer_args``)."""

    learning_rate: float
    critic_learning_rate: float
    max_steps: int
    per_device_train_batch_size: int  # prompts per process per rollout batch
    num_generations: int
    ppo_epochs: int
    num_mini_batches: int
    cliprange: float
    beta: float
    max_grad_norm: float  # 0.0: no clipping
    weight_decay: float
    seed: int
    bf16: bool
    gamma: float | None = None
    lam: float | None = None
    lr_scheduler_type: str = "constant"
    optim: str = "adamw_torch"


def frozen_copy(job: Job) -> Any:
    """A frozen copy of the starting weights (a reference model)."""
    from trl.trainer.utils import disable_dropout_in_model

    from rlsparse_check.models import load_model

    model = load_model(job.base_path, job.device)[0].eval().requires_grad_(False)
    disable_dropout_in_model(model)
    return model


class OnPolicyTrainer:
    """Subclasses set up their extra models in :meth:`setup` and write :meth:`prepare` and
    :meth:`update`."""

    def __init__(self, job: Job) -> None:
        import torch
        from accelerate import Accelerator
        from transformers import TrainerControl, TrainerState
        from transformers.trainer_callback import PrinterCallback
        from trl.trainer.utils import disable_dropout_in_model

        spec = job.spec
        bf16 = bf16_autocast(job.device)
        self.accelerator = Accelerator(
            cpu=job.device == "cpu", mixed_precision="bf16" if bf16 else "no"
        )
        world = self.accelerator.num_processes
        if spec.batch_size % world:
            raise TrainingError(
                f"batch_size {spec.batch_size}: must divide evenly over the {world} processes"
            )
        self.job, self.tokenizer = job, job.tokenizer
        self.args = OnPolicyArgs(
            learning_rate=spec.lr,
            critic_learning_rate=spec.critic_lr,
            max_steps=spec.steps,
            per_device_train_batch_size=spec.batch_size // world,
            num_generations=spec.num_generations,
            ppo_epochs=spec.ppo_epochs,
            num_mini_batches=spec.mini_batches,
            cliprange=spec.clip_range,
            beta=spec.beta,
            max_grad_norm=spec.max_grad_norm or 0.0,
            weight_decay=spec.weight_decay,
            seed=spec.seed,
            bf16=bf16,
            gamma=spec.gamma,
            lam=spec.lam,
        )
        self.state = TrainerState(max_steps=spec.steps, logging_steps=1)
        self.state.is_world_process_zero = self.accelerator.is_main_process
        self.state.is_local_process_zero = self.accelerator.is_local_main_process
        self.control = TrainerControl()
        self.callbacks = [*job.callbacks, PrinterCallback()]  # drop_printer removes it
        disable_dropout_in_model(job.model)
        torch.manual_seed(spec.seed)  # any head a recipe initialises (e.g. PPO's value head)
        self.setup()
        self.model, self.optimizer = self.accelerator.prepare(
            job.model, self.adamw(job.model, spec.lr)
        )

    # -- written by each recipe ------------------------------------------------------------
    def setup(self) -> None:
        """Build the recipe's other models (reference, critic, reward model)."""

    def prepare(self, rollout: Rollout) -> dict[str, Any] | None:
        """Per-row tensors the updates need (advantages, old log-probs ...), or None when the
        rollout has nothing to learn from (on every process alike)."""
        raise NotImplementedError

    def update(self, batch: Rollout, part: dict[str, Any]) -> dict[str, float]:
        """One policy update (and the recipe's other models) on a mini-batch; its figures."""
        raise NotImplementedError

    # -- shared parts ------------------------------------------------------------------------
    def adamw(self, model: Any, lr: float) -> Any:
        """AdamW at ``lr`` over the trainable parameters (no decay on biases and norms)."""
        import torch

        params = [p for p in model.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        rest = [p for p in params if p.ndim < 2]
        groups = [
            {"params": decay, "weight_decay": self.args.weight_decay},
            {"params": rest, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr)

    def step(self, model: Any, optimizer: Any) -> float:
        """Clip (when ``max_grad_norm`` is set), step and zero; returns the gradient norm."""
        limit = self.args.max_grad_norm or math.inf
        norm = self.accelerator.clip_grad_norm_(model.parameters(), limit)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(norm)

    def unwrapped(self, model: Any) -> Any:
        return self.accelerator.unwrap_model(model)

    def mean(self, values: dict[str, Any]) -> dict[str, float]:
        """Figures averaged over the processes."""
        import torch

        if not values:
            return {}
        stacked = torch.tensor([float(v) for v in values.values()], device=self.accelerator.device)
        return dict(zip(values, self.accelerator.reduce(stacked, "mean").tolist(), strict=True))

    def remove_callback(self, callback: Any) -> None:
        """Remove a callback instance, or every callback of a class."""
        self.callbacks = [
            c
            for c in self.callbacks
            if c is not callback and not (isinstance(callback, type) and isinstance(c, callback))
        ]

    def _fire(self, event: str, **kwargs: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, event)(self.args, self.state, self.control, **kwargs)

    def _generator(self, *parts: int) -> Any:
        import numpy as np
        import torch

        seed = np.random.SeedSequence([self.args.seed, *parts]).generate_state(1)[0]
        return torch.Generator(device="cpu").manual_seed(int(seed))

    def _log(self, figures: dict[str, float]) -> None:
        self.state.log_history.append({**figures, "step": self.state.global_step})
        self._fire("on_log", logs=figures)

    # -- the loop ------------------------------------------------------------------------------
    def train(self) -> None:
        import torch

        a, job = self.args, self.job
        began = time.perf_counter()
        per_rollout = a.ppo_epochs * a.num_mini_batches
        local = a.per_device_train_batch_size
        rank = self.accelerator.process_index
        task = get_task(job.spec.task)
        train_set = task.train
        prompts: list[Any] = []
        losses: list[float] = []
        rollout_index = empty = 0
        batch_size = job.spec.batch_size
        self._fire("on_train_begin")
        while self.state.global_step < a.max_steps:
            if len(prompts) < (rollout_index + 1) * batch_size:  # draw is prefix-stable
                need = max(2 * len(prompts), math.ceil(a.max_steps / per_rollout) * batch_size)
                prompts = draw(train_set, need, a.seed)
            start = rollout_index * batch_size + rank * local
            problems = rendered(task, prompts[start : start + local], self.tokenizer)
            policy = self.unwrapped(self.model)
            rollout = roll_out(
                policy,
                self.tokenizer,
                problems,
                k=a.num_generations,
                generator=self._generator(SAMPLE, rollout_index, rank),
                max_new_tokens=task.max_new_tokens,
                task=task,
            )
            with self.accelerator.autocast():
                prepared = self.prepare(rollout)
            rollout_index += 1
            if prepared is None:
                empty += 1
                if empty >= MAX_EMPTY_ROLLOUTS:
                    raise TrainingError(
                        f"{job.spec.algo}: {empty} rollout batches in a row gave nothing to learn "
                        f"from on task {job.spec.task!r}; use another base or task"
                    )
                continue
            empty = 0
            reward = self.mean({"reward": rollout.scores.mean()})
            for epoch in range(a.ppo_epochs):
                seed = self._generator(SHUFFLE, rollout_index, epoch, rank)
                order = torch.randperm(len(rollout), generator=seed)
                for index in torch.tensor_split(order, a.num_mini_batches):
                    if self.state.global_step >= a.max_steps:
                        break
                    index = index.to(rollout.input_ids.device)
                    self._fire("on_step_begin")
                    with self.accelerator.autocast():
                        part = {name: value[index] for name, value in prepared.items()}
                        figures = self.update(rollout.rows(index), part)
                    self._fire("on_optimizer_step")
                    self.state.global_step += 1
                    self.state.epoch = self.state.global_step / a.max_steps
                    self._fire("on_step_end")
                    figures = self.mean(figures)
                    losses.append(figures["loss"])
                    self._log({**reward, **figures, "learning_rate": a.learning_rate})
        examples = rollout_index * batch_size
        self.data_used = {
            "rollouts": rollout_index,
            "examples": examples,
            "examples_per_step": examples / max(self.state.global_step, 1),
        }
        runtime = time.perf_counter() - began
        summary = {
            "train_runtime": runtime,
            "train_steps_per_second": self.state.global_step / runtime,
            "train_samples_per_second": rollout_index * batch_size * a.num_generations / runtime,
            "train_loss": sum(losses) / max(len(losses), 1),
            "epoch": self.state.epoch,
        }
        self._log(summary)
        self._fire("on_train_end")
