"""Your own problems as a task: ``jsonl:PATH[:max_new_tokens=N,shots=N]``.

One JSON object per line: ``{"prompt": ..., "answer": ..., "split": "train" | "eval"}`` with
``split`` optional (lines without one are split with a fixed seed, :data:`EVAL_FRACTION` to
eval; the prompts' demonstrations, ``shots`` of them (default 2), are then drawn from train
and dropped from it); blank lines are skipped.
The reward is math-verify's equivalence of the completion's last
``<answer>...</answer>`` with the answer (``verify(parse(gold), parse(pred))``, gold first), so
``0.5``, ``1/2`` and ``\\frac{1}{2}`` agree; a completion without the tags scores 0. The file's
sha256 and the math-verify version enter the run cache key. Any bad line stops the run before
anything trains, with one message naming the file and the line.
"""

from __future__ import annotations

import hashlib
import json
import random
from importlib import metadata
from pathlib import Path
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.tasks.problem import SPLIT_SEED, Problem, Task, int_setting
from rlsparse_check.tasks.prompts import SHOTS, demonstrations, extract_answer, prompt_identity

__all__ = ["EVAL_FRACTION", "MIN_EVAL", "MIN_TRAIN", "MAX_NEW_TOKENS", "build", "verify_answer"]

EVAL_FRACTION = 0.25
MIN_EVAL = 10  # fewer eval problems cannot show an accuracy change (one problem = 0.1)
MIN_TRAIN = 2  # one batch of two prompts
MAX_NEW_TOKENS = 256
_SPLITS = ("train", "eval")


def build(spec: str, path_text: str, settings: dict[str, Any]) -> Task:
    """The task ``spec`` from the JSONL file ``path_text``."""
    path = Path(path_text).expanduser()
    settings = dict(settings)
    max_new_tokens = int_setting(spec, settings, "max_new_tokens", MAX_NEW_TOKENS, 1)
    shots = int_setting(spec, settings, "shots", SHOTS, 0)
    if settings:
        raise OptionError(
            f"--task {spec}: unknown setting(s) {sorted(settings)}; only max_new_tokens and shots"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise OptionError(
            f"--task {spec}: cannot read {path} ({error.strerror}); give a JSONL file with one "
            '{"prompt": ..., "answer": ...} per line'
        ) from None
    split: dict[str, list[Problem]] = {"train": [], "eval": []}
    unsplit: list[Problem] = []
    lines = data.decode("utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        problem, where = _row(path, number, line)
        (split[where] if where else unsplit).append(problem)
    if not (unsplit or split["train"] or split["eval"]):
        raise OptionError(
            f'{path}: no problems (empty file); write one {{"prompt": ..., "answer": ...}} per line'
        )
    random.Random(f"{SPLIT_SEED}:jsonl").shuffle(unsplit)
    n_eval = round(len(unsplit) * EVAL_FRACTION)
    split["eval"] += unsplit[:n_eval]
    split["train"] += unsplit[n_eval:]
    shown, train = demonstrations(split["train"], shots)
    split["train"] = list(train)
    for where, least in (("eval", MIN_EVAL), ("train", MIN_TRAIN)):
        if len(split[where]) < least:
            aside = (
                f" (after the {len(shown)} shown as demonstrations)"
                if shown and where == "train"
                else ""
            )
            raise OptionError(
                f"{path}: {len(split[where])} {where} problems{aside}, at least {least} needed; "
                f'add problems or mark more lines "split": "{where}"'
            )
    return Task(
        name=spec,
        description=f"problems of {path.name}",
        train=tuple(split["train"]),
        eval=tuple(split["eval"]),
        kind="jsonl",
        max_new_tokens=max_new_tokens,
        shots=shown,
        identity=(
            ("sha256", hashlib.sha256(data).hexdigest()),
            ("math-verify", _version("math-verify")),
            prompt_identity(shots),
        ),
        scorer=_score,
    )


def _row(path: Path, number: int, line: str) -> tuple[Problem, str | None]:
    where = f"{path} line {number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise OptionError(
            f"{where}: not valid JSON ({error.msg}); fix or remove the line"
        ) from None
    if not isinstance(row, dict):
        raise OptionError(f'{where}: expected an object {{"prompt": ..., "answer": ...}}')
    values = {}
    for key in ("prompt", "answer"):
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and key == "answer":
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise OptionError(f"{where}: {key!r} is missing or empty; give it a non-empty string")
        values[key] = value
    split = row.get("split")
    if split is not None and split not in _SPLITS:
        raise OptionError(f'{where}: "split" is {split!r}; use "train" or "eval" or leave it out')
    return Problem(values["prompt"], values["answer"]), split


def verify_answer(gold: str, prediction: str) -> bool:
    """math-verify's equivalence of ``prediction`` with ``gold`` (gold first; no signal-based
    timeouts, so it works outside the main thread)."""
    from math_verify import parse, verify

    target = parse(gold, parsing_timeout=None)
    guess = parse(prediction, parsing_timeout=None)
    return bool(target and guess and verify(target, guess, timeout_seconds=None))


def _score(completion: str, problem: Problem) -> float:
    answer = extract_answer(completion)
    if not answer:
        return 0.0
    try:
        return 1.0 if verify_answer(problem.answer, answer) else 0.0
    except Exception:  # math-verify failing on odd input: not a correct answer
        return 0.0


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "missing"
