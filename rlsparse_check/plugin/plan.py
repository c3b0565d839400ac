"""The plan of a training-mode session before it trains: which runs, cached or not, and an
estimate of their time and memory (``--plan``), and the ``--budget`` check.

The runs come from the design (:func:`rlsparse_check.design.conditions_for`) exactly as the
up-front trainer will ask for them; nothing is trained here but the short probe of
:mod:`rlsparse_check.recipes.estimate`. A run's estimate holds its eval (the probe's seconds per
eval completion x the completions of its eval); the wall time adds the base's full eval, once.
A masked run (C4) trains inside the update mask of its full run, which exists only once that
run is trained: it is listed as not cached. When the estimate of the runs to train is over
``--budget``, :func:`over_budget` computes, for each way of asking for less (fewer seeds, fewer
steps, fewer algorithms, fewer claims), the estimate it would give.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rlsparse_check.recipes.estimate import Probe, run_seconds, wall_seconds

__all__ = [
    "CPU_HOUR",
    "Planned",
    "Plan",
    "check_memory",
    "clock",
    "fitting_lines",
    "make_plan",
    "memory_warning",
    "over_budget",
    "plan_lines",
]


@dataclass(frozen=True)
class Planned:
    label: str
    algo: str
    steps: int
    lr: float
    wave: int  # 0: usual runs; 1: masked runs, after the runs whose masks they need
    cached: bool
    seconds: float  # estimate; 0 when cached
    evals: int = 0  # completions its eval decodes


@dataclass(frozen=True)
class Plan:
    runs: list[Planned]
    wall: float
    workers: int
    before: float = 0.0  # the base's full eval, once before training (in ``wall``)

    @property
    def to_train(self) -> list[Planned]:
        return [r for r in self.runs if not r.cached]

    @property
    def work(self) -> float:
        return sum(r.seconds for r in self.runs)


def eval_completions(spec: Any) -> int:
    """Completions one eval of the resolved run ``spec`` decodes: each eval problem's sampled
    ones (``eval_samples``, by default :func:`~rlsparse_check.recipes.sampling.eval_samples`)
    and a greedy one (:func:`~rlsparse_check.recipes.sampling.evaluate`)."""
    from rlsparse_check.recipes.sampling import eval_samples
    from rlsparse_check.tasks import get_task

    problems = len(get_task(spec.task).eval)
    samples = spec.eval_samples if spec.eval_samples is not None else eval_samples(problems)
    return problems * (samples + 1)


def clock(seconds: float) -> str:
    """``42 s``, ``12.5 min``, ``3.2 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _bytes(n: float) -> str:
    return f"{n / 1024**3:.2f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def make_plan(
    factory: Any, claims: Iterable[str], probe: Probe, workers: int, memo: dict | None = None
) -> Plan:
    """The runs ``claims`` need under ``factory``'s settings, with their estimates."""
    from rlsparse_check.design import conditions_for
    from rlsparse_check.models import resolve_model
    from rlsparse_check.recipes.run import lookup

    memo = {} if memo is None else memo
    builtin = resolve_model(factory.settings.model).is_builtin
    runs = []
    for condition in conditions_for(set(claims), factory.design):
        for seed in range(factory.settings.seeds):
            if condition.mask:
                spec, cached = factory.resolved(condition, seed), False
            else:
                spec = factory.spec(condition, seed)
                if spec not in memo:
                    memo[spec] = lookup(spec, factory.cache) is not None
                cached = memo[spec]
            r = spec.resolved(builtin=builtin)
            evals = eval_completions(r)
            seconds = 0.0 if cached else run_seconds(probe, r.algo, r.steps, evals)
            wave = 1 if condition.mask else 0
            label = condition.label(seed)
            runs.append(Planned(label, r.algo, r.steps, r.lr, wave, cached, seconds, evals))
    waves = [[r.seconds for r in runs if r.wave == w and not r.cached] for w in (0, 1)]
    workers = max(1, min(workers, max(len(w) for w in waves)))
    todo = [r for r in runs if not r.cached]
    before = probe.decode * todo[0].evals if todo else 0.0
    return Plan(runs, wall_seconds(waves, workers, probe.startup) + before, workers, before)


def plan_lines(plan: Plan, probe: Probe, where: str, per_worker_runs: int = 1) -> list[str]:
    width = max([len(r.label) for r in plan.runs] + [5])
    lines = [f"  {'run':<{width}}  {'algo':<8} {'steps':>5}  {'lr':<8} {'cached':<6}  estimate"]
    for r in plan.runs:
        est = "-" if r.cached else clock(r.seconds)
        cached = "yes" if r.cached else "no"
        lines.append(
            f"  {r.label:<{width}}  {r.algo:<8} {r.steps:>5}  {r.lr:<8.2g} {cached:<6}  {est}"
        )
    probed = ", ".join(
        f"{a} {probe.per_step[a]:.2f} s/step + {probe.overhead[a]:.1f} s" for a in probe.per_step
    )
    lines.append(
        f"probe ({probe.model} on {probe.device}): {probed}; eval {probe.decode:.3g} s per "
        f"completion; worker start {probe.startup:.1f} s; peak memory "
        f"{_bytes(probe.peak_bytes)} per run ({probe.memory})"
    )
    todo = plan.to_train
    evals = sorted({r.evals for r in todo})
    lines.append(
        "evals estimated from the probe: its seconds per completion x each run's eval of "
        f"{' or '.join(map(str, evals)) or 0} completions (eval problems x (samples + 1 greedy)), "
        f"and the base's full eval once before training, about {clock(plan.before)} (counted "
        "in the wall time; skipped when already stored)"
    )
    if probe.scaled:
        lines.append(
            f"bounded probe ({probe.scaled}): steps scaled linearly to the runs' settings, so "
            "per-step figures are estimates; its peak memory is a bounded step's (longer "
            "completions need more)"
        )
    lines.append(
        f"estimate: {len(todo)} of {len(plan.runs)} runs to train, {clock(plan.work)} of "
        f"training, about {clock(plan.wall)} on {plan.workers} worker(s) ({where}); peak memory "
        f"{_bytes(probe.peak_bytes)} per run, {_bytes(probe.peak_bytes * plan.workers)} with "
        f"{plan.workers} at once"
        + (f" ({per_worker_runs} per device)" if per_worker_runs > 1 else "")
    )
    return lines


def over_budget(
    settings: Any,
    claims: set[str],
    budget: float,
    estimate: Callable[[Any, set[str]], Plan],
    paths: dict[str, str],
) -> list[str]:
    """Ways to ask for less, each with the estimate it gives (the largest that fits first)."""
    from rlsparse_check.design import design

    out = []

    def fits(candidates: Iterable[tuple[str, Any, set[str]]]) -> None:
        last = None
        for text, changed, chosen in candidates:
            wall = estimate(changed, chosen).wall
            last = (text, wall)
            if wall <= budget:
                out.append(f"  {text}: about {clock(wall)}")
                return
        if last is not None:
            out.append(f"  {last[0]}: about {clock(last[1])} (still over)")

    fits(
        (f"--seeds {n}", dataclasses.replace(settings, seeds=n), claims)
        for n in range(settings.seeds - 1, 0, -1)
    )
    d = design(settings)
    steps = [s for s in (d.rl_steps // 2**k for k in range(1, 8)) if s >= 1]
    fits((f"--steps {s}", dataclasses.replace(settings, steps=s), claims) for s in steps)
    algos = [a for a in d.algos if a != d.primary]
    fits(
        (
            f"--algos {','.join([d.primary, *algos[:k]])}",
            dataclasses.replace(settings, algos=(d.primary, *algos[:k])),
            claims,
        )
        for k in range(len(algos) - 1, -1, -1)
    )
    alone = sorted(claims, key=lambda c: (estimate(settings, {c}).wall, c))
    chosen: list[str] = []
    for claim in alone:
        if estimate(settings, {*chosen, claim}).wall > budget:
            break
        chosen.append(claim)
    if chosen and len(chosen) < len(claims):
        files = " ".join(sorted({paths.get(c, c) for c in chosen}))
        out.append(
            f"  only {', '.join(chosen)} ({files}): about "
            f"{clock(estimate(settings, set(chosen)).wall)}"
        )
    return out


#: ``--plan`` on a CPU for a model other than the built-ins, without ``--budget``: what fits in
#: this many seconds (an hour: a session a CPU user can wait for) is shown beside the plan.
CPU_HOUR = 3600.0


def fitting_lines(
    settings: Any, claims: set[str], plan: Plan, estimate: Any, paths: dict, cpu_real: bool
) -> list[str]:
    """``--plan``'s ways to ask for less that fit ``--budget``, or :data:`CPU_HOUR` for a model
    other than the built-ins on a CPU (``cpu_real``); none when the plan fits."""
    within = settings.budget or (CPU_HOUR if cpu_real else None)
    if not within or plan.wall <= within:
        return []
    given = "--budget" if settings.budget else "on this CPU"
    ways = over_budget(settings, claims, within, estimate, paths)
    return [
        f"rlsparse-check: what fits in {clock(within)} ({given}):",
        *(ways or ["  none found: raise --budget or add workers"]),
    ]


#: A session's runs must leave this share of the free memory unused: the probe's peak is a short
#: run's, and a longer one (longer completions, a fuller optimizer state) can reach beyond it.
MEMORY_SAFETY = 1.25


def available_memory(device: str) -> list[int]:
    """Free bytes where the runs will train: the CPU's available memory (psutil, which reads
    ``/proc/meminfo`` MemAvailable), or each GPU's total memory."""
    if device == "cuda":
        import torch

        count = torch.cuda.device_count()
        return [torch.cuda.get_device_properties(i).total_memory for i in range(count)]
    import psutil

    return [int(psutil.virtual_memory().available)]


def memory_warning(probe: Probe, per_device: int, available: list[int]) -> str | None:
    """None when ``per_device`` runs of the probe's peak (times :data:`MEMORY_SAFETY`) fit the
    smallest device's ``available`` bytes, else what does not fit and the options that would."""
    if not available or probe.peak_bytes <= 0:
        return None
    free = min(available)
    need = per_device * probe.peak_bytes * MEMORY_SAFETY
    if need <= free:
        return None
    runs = f"{per_device} run(s) per device" if per_device > 1 else "one run"
    return (
        f"{runs} at the probe's peak memory {_bytes(probe.peak_bytes)} ({probe.memory}) x "
        f"{MEMORY_SAFETY} safety need {_bytes(need)}, over the {_bytes(free)} available on "
        f"{probe.device}; nothing was trained. Options that would fit: --runs-per-device 1, "
        "fewer --num-generations or a smaller micro-batch, a smaller --eval-samples, "
        "or a GPU (--device cuda)"
    )


def check_memory(probe: Probe, per_device: int, device: str) -> None:
    """Stop before training (:class:`OptionError`, exit 2) when the runs would not fit."""
    from rlsparse_check.errors import OptionError

    if warning := memory_warning(probe, per_device, available_memory(device)):
        raise OptionError(f"memory: {warning}")
