"""The ``base`` and ``train`` subcommands: write a base checkpoint, or train and write a run.

    rlsparse-check base --model tiny-qwen2 [--save-dtype bfloat16] --out DIR
    rlsparse-check train --algo grpo --seed 0 --steps 20 [--lr --beta --max-grad-norm | --no-clip
        --iterations --task --mask MASKS.npz --device --no-cache --cache-dir] --out DIR
    rlsparse-check train --algo ppo|prime [--ppo-epochs --mini-batches --critic-lr --clip-range
        --gamma --lam (PPO)] ... --out DIR

Runs are cached by content (``--cache-dir``, default ``$RLSPARSE_CACHE`` or
``~/.cache/rlsparse-check``); ``--no-cache`` trains afresh. Progress (step, reward, time left)
goes to stderr: a bar on a terminal, a few plain lines when piped.
Under ``accelerate launch`` every process trains and the main one writes and prints the run.
"""

from __future__ import annotations

import argparse
import json
import os

from rlsparse_check.errors import OptionError
from rlsparse_check.recipes.spec import ALGOS, ONPOLICY
from rlsparse_check.recipes.store import SAVE_DTYPES
from rlsparse_check.tasks import DEFAULT_HUB_TASK

__all__ = ["register"]


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
        help="also save the fp32 master weights of a bf16 run in OUT/master",
    )
    train.add_argument("--algo", required=True, choices=ALGOS, help="training algorithm")
    train.add_argument("--seed", type=int, default=0, help="seed of everything (default 0)")
    train.add_argument("--steps", type=int, default=20, help="optimizer steps (default 20)")
    train.add_argument(
        "--task",
        default=None,
        help="data set: add or sub (built-in models; default add), rg:NAME[:key=value,...] "
        "(reasoning-gym) or jsonl:PATH (default for other models: "
        f"{DEFAULT_HUB_TASK})",
    )
    train.add_argument(
        "--lr",
        type=_positive,
        default=None,
        help="learning rate (default: the algorithm's usual one)",
    )
    train.add_argument(
        "--beta",
        type=_nonneg,
        default=None,
        help="KL / preference coefficient (default: the algorithm's)",
    )
    clip = train.add_mutually_exclusive_group()
    clip.add_argument(
        "--max-grad-norm", type=_positive, default=1.0, help="gradient clipping norm (default 1.0)"
    )
    clip.add_argument("--no-clip", action="store_true", help="no gradient clipping")
    train.add_argument(
        "--iterations",
        type=int,
        default=1,
        help="updates per generated batch, >1 is off-policy (GRPO/RLOO)",
    )
    train.add_argument("--batch-size", type=int, default=8, help="prompts/examples per step")
    train.add_argument(
        "--num-generations",
        type=int,
        default=8,
        help="completions per prompt (GRPO/RLOO/PPO/PRIME; samples for preference data)",
    )
    train.add_argument("--weight-decay", type=_nonneg, default=0.0, help="AdamW weight decay")
    train.add_argument(
        "--mask",
        default=None,
        metavar="MASKS.npz",
        help="train only inside this mask (from rlsparse-check diff --masks)",
    )
    train.add_argument("--device", default="auto", choices=("cpu", "cuda", "auto"))
    _onpolicy(train.add_argument_group("PPO and PRIME (default: the algorithm's usual value)"))
    train.set_defaults(run=_run_train)
    _one_line_errors(train)


def _onpolicy(group: argparse._ArgumentGroup) -> None:
    ppo, prime = ONPOLICY["ppo"], ONPOLICY["prime"]
    group.add_argument(
        "--ppo-epochs",
        type=int,
        default=None,
        help=f"epochs per rollout batch (ppo {ppo['ppo_epochs']}, prime {prime['ppo_epochs']})",
    )
    group.add_argument(
        "--mini-batches", type=int, default=None, help="policy updates per epoch (default 1)"
    )
    group.add_argument(
        "--critic-lr",
        type=_positive,
        default=None,
        help=f"PPO critic / PRIME reward-model learning rate (ppo {ppo['critic_lr']:g} x --lr, "
        f"prime {prime['critic_lr']:g} x --lr)",
    )
    group.add_argument(
        "--clip-range",
        type=_positive,
        default=None,
        help=f"clipped-surrogate epsilon, also PPO's value clip (default {ppo['clip_range']})",
    )
    group.add_argument(
        "--gamma", type=_nonneg, default=None, help=f"PPO discount (default {ppo['gamma']})"
    )
    group.add_argument(
        "--lam", type=_nonneg, default=None, help=f"PPO GAE lambda (default {ppo['lam']})"
    )


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Bad options: one line on stderr (no usage block) and exit status 2."""

    def error(message: str) -> None:
        parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")

    parser.error = error  # type: ignore[method-assign]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default="tiny-qwen2",
        help="tiny-qwen2 (default), tiny-llama, a local folder or a hub id",
    )
    parser.add_argument(
        "--save-dtype",
        default="bfloat16",
        choices=SAVE_DTYPES,
        help="storage dtype of the saved weights (default bfloat16)",
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

    folder = publish(
        base_checkpoint(args.model, args.save_dtype, cache=_cache(args)), Path(args.out)
    )
    print(f"base checkpoint of {args.model} ({args.save_dtype}) written to {folder}")
    return 0


def _run_train(args: argparse.Namespace) -> int:
    from rlsparse_check.recipes import RunSpec, train

    if args.steps < 1:
        raise OptionError(f"--steps {args.steps}: must be at least 1")
    spec = RunSpec(
        model=args.model,
        algo=args.algo,
        task=args.task,
        seed=args.seed,
        steps=args.steps,
        lr=args.lr,
        beta=args.beta,
        max_grad_norm=None if args.no_clip else args.max_grad_norm,
        iterations=args.iterations,
        batch_size=args.batch_size,
        num_generations=args.num_generations,
        weight_decay=args.weight_decay,
        save_dtype=args.save_dtype,
        keep_master=args.keep_master,
        mask=args.mask,
        device=args.device,
        ppo_epochs=args.ppo_epochs,
        mini_batches=args.mini_batches,
        critic_lr=args.critic_lr,
        gamma=args.gamma,
        lam=args.lam,
        clip_range=args.clip_range,
    )
    run = train(spec, cache=_cache(args), out=args.out, progress=True)
    ev = run.record["eval"]
    summary = {
        "out": str(run.path),
        "cached": run.cached,
        "algo": spec.algo,
        "reward_before": ev["before"]["reward"],
        "reward_after": ev["after"]["reward"],
        "weights_sha256": run.record["weights_sha256"],
    }
    if os.environ.get("RANK", "0") == "0":  # the main process of an accelerate launch
        print(json.dumps(summary))
    return 0
