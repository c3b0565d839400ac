"""The data sets the recipes build from a task's problems: SFT targets, in-distribution SFT,
preference pairs and labelled samples. ``score(completion, problem)`` is the task's verifier
(:meth:`~rlsparse_check.tasks.problem.Task.score`); the built-in exact reward by default."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rlsparse_check.tasks.builtin import reward
from rlsparse_check.tasks.problem import Problem

__all__ = ["sft_examples", "self_sft_examples", "preference_pairs", "kto_examples"]

Score = Callable[[str, Problem], float]


def _exact(completion: str, problem: Problem) -> float:
    return reward(completion, problem.answer)


def sft_examples(
    problems: Sequence[Problem], target: Callable[[Problem], str] | None = None
) -> list[dict[str, str]]:
    """SFT on external targets: each prompt with its true answer (``target(problem)``: the
    completion to train on, the bare answer by default)."""
    return [{"prompt": p.prompt, "completion": target(p) if target else p.answer} for p in problems]


def self_sft_examples(
    problems: Sequence[Problem], samples: Sequence[Sequence[str]], score: Score = _exact
) -> list[dict[str, str]]:
    """In-distribution SFT: each prompt with the model's own first correct sample (prompts the
    model never solved are left out)."""
    out = []
    for problem, completions in zip(problems, samples, strict=True):
        correct = [c for c in completions if score(c, problem) == 1.0]
        if correct:
            out.append({"prompt": problem.prompt, "completion": correct[0]})
    return out


def preference_pairs(
    problems: Sequence[Problem], samples: Sequence[Sequence[str]], score: Score = _exact
) -> list[dict[str, str]]:
    """DPO/SimPO/ORPO pairs from the model's own samples: chosen = a correct sample, rejected =
    an incorrect one. Prompts whose samples are all correct or all wrong give no pair."""
    out = []
    for problem, completions in zip(problems, samples, strict=True):
        good = [c for c in completions if score(c, problem) == 1.0]
        bad = [c for c in completions if score(c, problem) == 0.0]
        if good and bad:
            out.append({"prompt": problem.prompt, "chosen": good[0], "rejected": bad[0]})
    return out


def kto_examples(
    problems: Sequence[Problem], samples: Sequence[Sequence[str]], score: Score = _exact
) -> list[dict[str, object]]:
    """KTO data: the model's own samples labelled by the verifier (one correct and one incorrect
    per prompt where both exist, so the labels stay balanced)."""
    out: list[dict[str, object]] = []
    for pair in preference_pairs(problems, samples, score):
        out.append({"prompt": pair["prompt"], "completion": pair["chosen"], "label": True})
        out.append({"prompt": pair["prompt"], "completion": pair["rejected"], "label": False})
    return out
