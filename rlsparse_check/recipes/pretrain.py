"""Deterministic pretraining of the embedded tiny models on the synthetic tasks.

The embedded base must be *competent but imperfect* so that RL has a signal: it is trained on the
train split of every task until it solves about half of the held-out addition problems,
then its weights are rounded to bfloat16, like a published bf16 checkpoint. The shipped bases in
``rlsparse_check/data/<model>/`` were written by :func:`build_base`; ``python -m
rlsparse_check.recipes.pretrain MODEL OUT_DIR`` rebuilds them. Pretraining runs on one thread with
deterministic kernels, so a rebuild on the same machine is bit for bit the same whatever its
cores; another CPU's kernels (torch's CPU capability: AVX2, AVX-512...) round differently, and
over 360 steps the trajectory drifts to a base of the same competence with other bits (a base
built elsewhere, rebuilt on an AVX2 machine: 99% of entries differ, sampled add accuracy 0.389
against 0.418). ``build.json`` records the sha256 of ``model.safetensors`` and the CPU
capability it was built with.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rlsparse_check.tasks import TASKS, draw, get_task

__all__ = ["PRETRAIN", "BUILD_RECORD", "pretrain", "build_base"]

BUILD_RECORD = "build.json"  # recipe, versions and sha256 of model.safetensors

#: Pretraining recipe (part of the base's identity: changing it changes the base hash).
PRETRAIN = {
    "seed": 1234,
    "steps": 360,
    "batch_size": 64,
    "lr": 1e-3,
    "weight_decay": 0.0,
    "warmup_steps": 20,
    "threads": 1,  # one thread: the float reduction order, hence the bits, do not depend on cores
}


def _batches(tokenizer: Any, steps: int, batch_size: int, seed: int) -> list[tuple[Any, Any]]:
    import torch

    problems = [p for name in TASKS for p in get_task(name).train]
    drawn = draw(problems, steps * batch_size, seed)
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    out = []
    for start in range(0, len(drawn), batch_size):
        rows, labels = [], []
        for problem in drawn[start : start + batch_size]:
            prompt = tokenizer(problem.prompt, add_special_tokens=False)["input_ids"]
            answer = tokenizer(problem.answer, add_special_tokens=False)["input_ids"] + [eos]
            rows.append(prompt + answer)
            labels.append([-100] * len(prompt) + answer)  # loss on the answer only
        width = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
        lab = torch.tensor([r + [-100] * (width - len(r)) for r in labels])
        out.append((ids, lab))
    return out


def pretrain(name: str, *, log: bool = False) -> tuple[Any, Any]:
    """Build the built-in model ``name`` from its config and pretrain it (fp32, CPU)."""
    import torch
    from transformers import AutoModelForCausalLM

    from rlsparse_check.models import build_config, build_tokenizer

    r = PRETRAIN
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(r["threads"])
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(r["seed"])
        tokenizer = build_tokenizer()
        model = AutoModelForCausalLM.from_config(build_config(name), dtype=torch.float32)
        model.train()
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=r["lr"], weight_decay=r["weight_decay"]
        )
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min(1.0, (step + 1) / r["warmup_steps"])
        )
        for step, (ids, labels) in enumerate(
            _batches(tokenizer, r["steps"], r["batch_size"], r["seed"])
        ):
            loss = model(input_ids=ids, labels=labels).loss
            loss.backward()
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            if log and step % 50 == 0:
                print(f"step {step} loss {loss.item():.4f}", file=sys.stderr)
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
    model.eval()
    return model, tokenizer


def build_base(name: str, out: Path) -> Path:
    """Pretrain ``name`` and write it to ``out`` in bfloat16 (weights, config, tokenizer)."""
    import torch

    from rlsparse_check.atomic import write_json
    from rlsparse_check.recipes.quiet import quiet
    from rlsparse_check.recipes.store import save_checkpoint, sha256_file

    model, tokenizer = pretrain(name)
    with quiet():
        folder = save_checkpoint(model.to(torch.float32), tokenizer, Path(out), "bfloat16")
    write_json(
        folder / BUILD_RECORD,
        {
            "model": name,
            "recipe": PRETRAIN,
            "model_safetensors_sha256": sha256_file(folder / "model.safetensors"),
            "versions": {"torch": torch.__version__, "transformers": _version("transformers")},
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "rebuild": f"python -m rlsparse_check.recipes.pretrain {name} OUT_DIR",
        },
    )
    return folder


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":  # pragma: no cover - maintenance script
    if len(sys.argv) != 3:
        sys.exit("usage: python -m rlsparse_check.recipes.pretrain MODEL OUT_DIR")
    folder = build_base(sys.argv[1], Path(sys.argv[2]))
    print((folder / BUILD_RECORD).read_text())
