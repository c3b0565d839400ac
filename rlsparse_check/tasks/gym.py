"""reasoning-gym data sets as tasks: ``rg:NAME[:key=value,...]``.

The train and eval sets are two data sets of the library drawn with fixed, distant seeds (the
split is part of the task); eval questions that also occur in train are dropped from train,
so the two are disjoint, and the prompts' demonstrations (``shots=N``, default 2) are drawn from
train and dropped from it. The reward is the data set's own scorer on the completion's last
``<answer>...</answer>`` (reasoning-gym's ``extract_answer``), counted as a full score only:
1 when it scores 1.0, else 0 (the scorers give partial credit, e.g. countdown 0.01 for a wrong
answer). The reasoning-gym version is pinned (:data:`RG_VERSION`) and enters the run cache key,
with the settings, since a new version may draw other problems.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from rlsparse_check.errors import OptionError
from rlsparse_check.tasks.problem import SPLIT_SEED, Problem, Task, int_setting
from rlsparse_check.tasks.prompts import SHOTS, demonstrations, prompt_identity

__all__ = [
    "RG_VERSION",
    "TRAIN_SIZE",
    "EVAL_SIZE",
    "MAX_NEW_TOKENS",
    "build",
    "check",
    "installed_version",
]

RG_VERSION = "0.1.25"
TRAIN_SIZE = 2000
EVAL_SIZE = 200  # a 0.05 accuracy change is about 1.4 standard errors at p = 0.5
MAX_NEW_TOKENS = 256  # room for a short working before the answer
#: Item i of a data set is drawn from seed + i, so the eval seed lies far beyond the train items'.
EVAL_SEED = SPLIT_SEED + 10_000_019


def installed_version() -> str | None:
    try:
        return metadata.version("reasoning-gym")
    except metadata.PackageNotFoundError:
        return None


def check(spec: str, name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Validate ``spec`` without drawing its problems (data sets draw items on demand, some
    slowly); the settings for the library, less ``max_new_tokens`` and ``shots``."""
    version = installed_version()
    if version != RG_VERSION:
        found = "is not installed" if version is None else f"{version} is installed"
        raise OptionError(
            f"--task {spec}: needs reasoning-gym=={RG_VERSION} ({found}); "
            "run pip install 'rlsparse-check[tasks]'"
        )
    from reasoning_gym.factory import DATASETS

    if name not in DATASETS:
        raise OptionError(
            f"--task {spec}: no reasoning-gym data set {name!r}; choose one of "
            f"{', '.join(sorted(DATASETS))}"
        )
    settings = dict(settings)
    int_setting(spec, settings, "max_new_tokens", MAX_NEW_TOKENS, 1)
    int_setting(spec, settings, "shots", SHOTS, 0)
    _create(spec, name, 1, SPLIT_SEED, settings)
    return settings


def _create(spec: str, name: str, size: int, seed: int, settings: dict[str, Any]) -> Any:
    import reasoning_gym

    try:
        return reasoning_gym.create_dataset(name, size=size, seed=seed, **settings)
    except (TypeError, ValueError, AssertionError) as error:
        raise OptionError(
            f"--task {spec}: reasoning-gym rejects the settings ({error}); see the {name} "
            "data set's config class for its settings"
        ) from error


def build(spec: str, name: str, settings: dict[str, Any]) -> Task:
    """The task ``spec`` (``rg:NAME:...``) of data set ``name`` with ``settings``."""
    version = RG_VERSION
    max_new_tokens = settings.get("max_new_tokens", MAX_NEW_TOKENS)
    shots = settings.get("shots", SHOTS)
    settings = check(spec, name, settings)
    held = _create(spec, name, EVAL_SIZE, EVAL_SEED, settings)
    pool = _create(spec, name, TRAIN_SIZE, SPLIT_SEED, settings)
    entries: dict[str, tuple[Any, dict[str, Any]]] = {}
    eval_set = [_problem(held, i, "eval", entries) for i in range(len(held))]
    seen = {p.prompt for p in eval_set}
    train_set = [_problem(pool, i, "train", entries) for i in range(len(pool))]
    demos, train_set = demonstrations([p for p in train_set if p.prompt not in seen], shots)
    if len(train_set) < 2:
        raise OptionError(
            f"--task {spec}: only {len(train_set)} train problems differ from the eval ones; "
            "widen the settings"
        )

    def scorer(completion: str, problem: Problem) -> float:
        from reasoning_gym.utils import extract_answer

        data_set, entry = entries[problem.ref]
        answer = extract_answer(completion)
        if answer is None:
            return 0.0
        try:
            return 1.0 if data_set.score_answer(answer, entry) == 1.0 else 0.0
        except Exception:  # a scorer that cannot read the answer (e.g. sympy parse errors)
            return 0.0

    shown = ", ".join(f"{k}={v}" for k, v in sorted(settings.items())) or "default settings"
    return Task(
        name=spec,
        description=f"reasoning-gym {name} ({shown})",
        train=tuple(train_set),
        eval=tuple(eval_set),
        kind="rg",
        max_new_tokens=max_new_tokens,
        shots=demos,
        identity=(("reasoning-gym", version), prompt_identity(shots)),
        scorer=scorer,
    )


def _problem(data_set: Any, index: int, split: str, entries: dict[str, Any]) -> Problem:
    entry = data_set[index]
    ref = f"{split}/{index}"
    entries[ref] = (data_set, entry)
    answer = entry.get("answer")
    return Problem(str(entry["question"]), "" if answer is None else str(answer), ref)
