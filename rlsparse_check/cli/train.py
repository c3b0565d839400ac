"""The ``base`` and ``train`` subcommands: write a base checkpoint, or train and write a run.

    rlsparse-check base --model tiny-qwen2 [--save-dtype bfloat16] --out DIR
    rlsparse-check train --algo grpo [--seed --steps --lr --beta --max-grad-norm | --no-clip
        --iterations --task --mask MASKS.npz --device --no-cache --cache-dir] --out DIR
    rlsparse-check train --algo ppo|prime [--ppo-epochs --mini-batches --critic-lr --clip-range
        --gamma --lam (PPO)] ... --out DIR

Every option of ``train`` left out takes the value :class:`~rlsparse_check.recipes.RunSpec` gives
it (steps, rate and coefficient: the algorithm's usual ones for the model); the options restate
no default (:func:`spec_from_args`).

Runs are cached by content (``--cache-dir``, default ``$RLSPARSE_CACHE`` or
``~/.cache/rlsparse-check``); ``--no-cache`` trains afresh. Progress (step, reward, time left)
goes to stderr: a bar on a terminal, a few plain lines when piped.
Under ``accelerate launch`` every process trains and the main one writes and prints the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os

from rlsparse_check.models import MODEL_HELP
from rlsparse_check.recipes.spec import ALGOS, ONPOLICY, RunSpec
from rlsparse_check.recipes.store import SAVE_DTYPES
from rlsparse_check.tasks import TASK_HELP

__all__ = ["register", "spec_from_args"]

#: RunSpec fields set by the option of the same name (``--batch-size`` -> ``batch_size``).
SPEC_OPTIONS = (
    "model",
    "algo",
    "task",
    "seed",
    "steps",
    "lr",
    "beta",
    "iterations",
    "batch_size",
    "num_generations",
    "weight_decay",
    "save_dtype",
    "keep_master",
    "mask",
    "device",
    "ppo_epochs",
    "mini_batches",
    "critic_lr",
    "gamma",
    "lam",
    "clip_range",
    "eval_samples",
    "micro_batch",
)
USUAL = "default: the algorithm's usual value"
#: RunSpec's own defaults, quoted in the help (never restated).
DEFAULT = {f.name: f.default for f in dataclasses.fields(RunSpec)}


def register(sub: argparse._SubParsersAction) -> None:
    base = sub.add_parser(
        "base",
        help="write the base checkpoint of a model",
        description="Write the base checkpoint of --model to --out.",
    )
    _common(base)
    base.set_defaults(run=_run_base)
    _one_line_errors(base)

    train = sub.add_parser(
        "train",
        help="fine-tune a model with an RL or SFT recipe",
        description="Train --model with --algo and write the run to --out.",
    )
    _common(train)
    train.add_argument(
        "--keep-master",
        action="store_true",
        default=None,
        help="also save the fp32 master weights of a bf16 run in OUT/master",
    )
    train.add_argument("--algo", required=True, choices=ALGOS, help="training algorithm")
    train.add_argument("--seed", type=int, help=f"seed of everything (default {DEFAULT['seed']})")
    train.add_argument("--steps", type=int, help=f"optimizer steps ({USUAL})")
    train.add_argument("--task", help=f"data set: {TASK_HELP}")
    train.add_argument("--lr", type=_positive, help=f"learning rate ({USUAL})")
    train.add_argument("--beta", type=_nonneg, help=f"KL / preference coefficient ({USUAL})")
    clip = train.add_mutually_exclusive_group()
    clip.add_argument(
        "--max-grad-norm",
        type=_positive,
        help=f"gradient clipping norm (default {DEFAULT['max_grad_norm']:g})",
    )
    clip.add_argument("--no-clip", action="store_true", help="no gradient clipping")
    train.add_argument(
        "--iterations",
        type=int,
        help="updates per generated batch, >1 is off-policy (GRPO/RLOO; default "
        f"{DEFAULT['iterations']})",
    )
    train.add_argument(
        "--batch-size",
        type=int,
        help=f"prompts/examples per step (default {DEFAULT['batch_size']})",
    )
    train.add_argument(
        "--num-generations",
        type=int,
        help="completions per prompt (GRPO/RLOO/PPO/PRIME; samples for preference data; "
        f"default {DEFAULT['num_generations']})",
    )
    train.add_argument(
        "--weight-decay",
        type=_nonneg,
        help=f"AdamW weight decay (default {DEFAULT['weight_decay']:g})",
    )
    train.add_argument(
        "--mask",
        metavar="MASKS.npz",
        help="train only inside this mask (from rlsparse-check diff --masks)",
    )
    train.add_argument(
        "--eval-samples",
        type=int,
        help="completions sampled per eval problem (default: enough for a standard error of "
        "at most 0.02)",
    )
    train.add_argument(
        "--micro-batch",
        type=int,
        metavar="N",
        help="GRPO/RLOO: a step's completions N at a time, gradients accumulated and layers "
        "checkpointed (default: all at once on the built-in models, 8 on others)",
    )
    train.add_argument(
        "--device",
        choices=("cpu", "cuda", "auto"),
        help=f"device to train on (default {DEFAULT['device']})",
    )
    _onpolicy(train.add_argument_group(f"PPO and PRIME ({USUAL})"))
    train.set_defaults(run=_run_train)
    _one_line_errors(train)


def _onpolicy(group: argparse._ArgumentGroup) -> None:
    ppo, prime = ONPOLICY["ppo"], ONPOLICY["prime"]
    group.add_argument(
        "--ppo-epochs",
        type=int,
        help=f"epochs per rollout batch (ppo {ppo['ppo_epochs']}, prime {prime['ppo_epochs']})",
    )
    group.add_argument(
        "--mini-batches",
        type=int,
        help=f"policy updates per epoch (ppo {ppo['mini_batches']}, prime {prime['mini_batches']})",
    )
    group.add_argument(
        "--critic-lr",
        type=_positive,
        help=f"PPO critic / PRIME reward-model learning rate (ppo {ppo['critic_lr']:g} x --lr, "
        f"prime {prime['critic_lr']:g} x --lr)",
    )
    group.add_argument(
        "--clip-range",
        type=_positive,
        help=f"clipped-surrogate epsilon, also PPO's value clip (default {ppo['clip_range']})",
    )
    group.add_argument("--gamma", type=_nonneg, help=f"PPO discount (default {ppo['gamma']})")
    group.add_argument("--lam", type=_nonneg, help=f"PPO GAE lambda (default {ppo['lam']})")


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Bad options: one line on stderr (no usage block) and exit status 2."""

    def error(message: str) -> None:
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        help=f"{MODEL_HELP} (default {DEFAULT['model']})",
    )
    parser.add_argument(
        "--save-dtype",
        choices=SAVE_DTYPES,
        help=f"storage dtype of the saved weights (default {DEFAULT['save_dtype']})",
    )
    parser.add_argument("--out", required=True, help="folder to write the checkpoint to")
    parser.add_argument("--no-cache", action="store_true", help="do not use the run cache")
    parser.add_argument("--cache-dir", default=None, help="run cache folder")


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text}: must be positive")
    return value


def _nonneg(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be >= 0")
    return value


def _cache(args: argparse.Namespace) -> object:
    from rlsparse_check.recipes import RunCache

    if args.no_cache:
        return None
    return RunCache(args.cache_dir) if args.cache_dir else RunCache()


def _run_base(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rlsparse_check.recipes import base_checkpoint
    from rlsparse_check.recipes.store import publish

    given = {k: getattr(args, k) for k in ("model", "save_dtype") if getattr(args, k) is not None}
    spec = RunSpec(**given)  # the model and storage dtype a run would train and save in
    folder = publish(
        base_checkpoint(spec.model, spec.save_dtype, cache=_cache(args)), Path(args.out)
    )
    print(f"base checkpoint of {spec.model} ({spec.save_dtype}) written to {folder}")
    return 0


def spec_from_args(args: argparse.Namespace) -> RunSpec:
    """The :class:`~rlsparse_check.recipes.RunSpec` of the ``train`` options: the options
    given, every other field left to the RunSpec's own default."""
    given = {name: getattr(args, name) for name in SPEC_OPTIONS}
    fields = {name: value for name, value in given.items() if value is not None}
    if args.no_clip:
        fields["max_grad_norm"] = None
    elif args.max_grad_norm is not None:
        fields["max_grad_norm"] = args.max_grad_norm
    return RunSpec(**fields)


def _run_train(args: argparse.Namespace) -> int:
    from rlsparse_check.recipes import train

    spec = spec_from_args(args)
    run = train(spec, cache=_cache(args), out=args.out, progress=True)
    ev = run.record.eval
    summary = {
        "out": str(run.path),
        "cached": run.cached,
        "algo": spec.algo,
        "reward_before": ev["before"]["reward"],
        "reward_after": ev["after"]["reward"],
        "weights_sha256": run.record.weights_sha256,
    }
    if os.environ.get("RANK", "0") == "0":  # the main process of an accelerate launch
        print(json.dumps(summary))
    return 0
