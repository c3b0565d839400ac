"""The plan of a training-mode session before it trains: which runs, cached or not, and an
estimate of their time and memory (``--plan``), and the ``--budget`` check.

The runs come from the design (:func:`rlsparse_check.design.conditions_for`) exactly as the
up-front trainer will ask for them; nothing is trained here but the short probe of
:mod:`rlsparse_check.recipes.estimate`. A run's estimate holds its eval (the probe's seconds per
eval completion x the completions of its eval); the wall time adds the base's full eval, once.
A masked run (C4) trains inside the update mask of its full run, which exists only once that
run is trained: it is listed as not cached. When the estimate of the runs to train is over
``--budget``, :func:`over_budget` computes, for each way of asking for less (fewer seeds, fewer
steps, fewer algorithms, fewer claims), the estimate it would give; when none fits alone, the
claims that fit them together (two seeds, the primary algorithm, the most steps that fit).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rlsparse_check.plugin.memory import bytes_text
from rlsparse_check.recipes.estimate import Probe, run_seconds, wall_seconds

__all__ = [
    "CPU_HOUR",
    "Planned",
    "Plan",
    "clock",
    "fitting_lines",
    "make_plan",
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
        f"{bytes_text(probe.peak_bytes)} per run ({probe.memory})"
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
        f"{bytes_text(probe.peak_bytes)} per run, "
        f"{bytes_text(probe.peak_bytes * plan.workers)} with {plan.workers} at once"
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
    """Ways to ask for less, each with the estimate it gives (the largest that fits first); when
    no single way fits, the claims that fit them together (:func:`_together`)."""
    from rlsparse_check.design import design

    out = []

    def fits(candidates: Iterable[tuple[str, Any, set[str]]]) -> bool:
        last = None
        for text, changed, chosen in candidates:
            wall = estimate(changed, chosen).wall
            last = (text, wall)
            if wall <= budget:
                out.append(f"  {text}: about {clock(wall)}")
                return True
        if last is not None:
            out.append(f"  {last[0]}: about {clock(last[1])} (still over)")
        return False

    by_seeds = fits(
        (f"--seeds {n}", dataclasses.replace(settings, seeds=n), claims)
        for n in range(settings.seeds - 1, 0, -1)
    )
    d = design(settings)
    steps = [s for s in (d.rl_steps // 2**k for k in range(1, 8)) if s >= 1]
    by_steps = fits((f"--steps {s}", dataclasses.replace(settings, steps=s), claims) for s in steps)
    algos = [a for a in d.algos if a != d.primary]
    by_algos = fits(
        (
            f"--algos {','.join([d.primary, *algos[:k]])}",
            dataclasses.replace(settings, algos=(d.primary, *algos[:k])),
            claims,
        )
        for k in range(len(algos) - 1, -1, -1)
    )
    chosen = _claims_within(settings, claims, budget, estimate)
    if chosen and len(chosen) < len(claims):
        wall = clock(estimate(settings, set(chosen)).wall)
        out.append(f"  {_only(chosen, paths)}: about {wall}")
    elif not (by_seeds or by_steps or by_algos):
        out.extend(_together(settings, d, claims, budget, estimate, paths, steps))
    return out


def _claims_within(
    settings: Any, claims: set[str], budget: float, estimate: Callable[[Any, set[str]], Plan]
) -> list[str]:
    """The claims, cheapest alone first, whose runs together fit ``budget`` (maybe none)."""
    chosen: list[str] = []
    for claim in sorted(claims, key=lambda c: (estimate(settings, {c}).wall, c)):
        if estimate(settings, {*chosen, claim}).wall > budget:
            break
        chosen.append(claim)
    return chosen


def _only(chosen: list[str], paths: dict[str, str]) -> str:
    files = " ".join(sorted({paths.get(c, c) for c in chosen}))
    return f"only {', '.join(chosen)} ({files})"


#: The fewest seeds a claim is decided on: its intervals are t intervals over seeds.
MIN_SEEDS = 2


def _together(
    settings: Any,
    d: Any,
    claims: set[str],
    budget: float,
    estimate: Callable[[Any, set[str]], Plan],
    paths: dict[str, str],
    steps: list[int],
) -> list[str]:
    """The most steps (the recipe's ``d.rl_steps``, then ``steps``) at which some claims fit
    ``budget`` with :data:`MIN_SEEDS` seeds and the primary algorithm of design ``d`` alone, and
    which claims (none: [])."""
    least = dataclasses.replace(settings, seeds=min(settings.seeds, MIN_SEEDS), algos=(d.primary,))
    for n in [d.rl_steps, *steps]:
        fewer = least if n == d.rl_steps else dataclasses.replace(least, steps=n)
        if chosen := _claims_within(fewer, claims, budget, estimate):
            flags = f"--seeds {fewer.seeds} --algos {d.primary}"
            short = ""
            if n != d.rl_steps:
                flags += f" --steps {n}"
                short = (
                    f"; {n} of the recipe's {d.rl_steps} steps: runs that do not learn in them "
                    "leave the claims guarded by learning undecided"
                )
            wall = clock(estimate(fewer, set(chosen)).wall)
            return [f"  together: {flags}, {_only(chosen, paths)}: about {wall}{short}"]
    return []


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
