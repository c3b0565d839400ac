"""The plan before training: runs, cached or not, estimates, --budget's suggestions; and the
sessions that must train nothing (--collect-only, --plan, a blown --budget)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_recipes_estimate import PROBE

from rlsparse_check.design import design
from rlsparse_check.plugin import plan as planning
from rlsparse_check.plugin.options import Settings
from rlsparse_check.recipes import RunSpec, run
from rlsparse_check.recipes.estimate import run_seconds

ROOT = Path(__file__).resolve().parents[1]


def fake_factory(settings: Settings) -> Any:
    def spec(condition: Any, seed: int) -> RunSpec:
        return RunSpec(
            model=settings.model, algo=condition.algo, seed=seed, **dict(condition.fields)
        )

    return SimpleNamespace(
        settings=settings, design=design(settings), cache=None, spec=spec, resolved=spec
    )


def test_plan_lists_every_run_with_its_cache_state_and_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run, "lookup", lambda spec, cache: object() if spec.seed == 0 else None)
    factory = fake_factory(Settings(seeds=2, algos=("grpo",)))
    plan = planning.make_plan(factory, {"C8"}, PROBE, workers=4)
    assert [(r.label, r.cached) for r in plan.runs] == [("grpo-seed0", True), ("grpo-seed1", False)]
    assert plan.runs[1].steps == 150 and plan.runs[1].seconds == run_seconds(PROBE, "grpo", 150)
    assert plan.workers == 1  # one run to train
    assert plan.wall == pytest.approx(plan.runs[1].seconds + PROBE.startup)
    lines = planning.plan_lines(plan, PROBE, "2 local worker(s) on cpu0, cpu1")
    assert "grpo-seed0  grpo       150  2e-06    yes     -" in lines[1]
    assert lines[-1].startswith(
        "estimate: 1 of 2 runs to train, 3.8 min of training, about 3.9 min"
    )


def test_each_run_pays_for_its_eval_and_the_base_eval_once_at_the_probed_decode_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An estimate that ignored the eval's size (problems x (samples + 1 greedy)) fails here."""
    import dataclasses

    monkeypatch.setattr(run, "lookup", lambda spec, cache: None)
    probe = dataclasses.replace(PROBE, decode=0.01, scaled="grpo steps of 8 of 64 completions")
    plans = {}
    for samples in (2, 8):
        factory = fake_factory(Settings(seeds=1, algos=("grpo",)))
        factory.spec = factory.resolved = lambda c, seed, f=factory.spec, k=samples: (
            dataclasses.replace(f(c, seed), eval_samples=k)
        )
        plans[samples] = planning.make_plan(factory, {"C8"}, probe, workers=1)
    runs = {k: p.runs[0] for k, p in plans.items()}
    assert (runs[2].evals, runs[8].evals) == (100 * 3, 100 * 9)  # add: 100 eval problems
    assert runs[8].seconds - runs[2].seconds == pytest.approx(0.01 * 600)
    assert runs[2].seconds == pytest.approx(run_seconds(PROBE, "grpo", 150) + 3.0)
    assert plans[8].before == pytest.approx(9.0)  # the base's full eval, once
    assert plans[8].wall == pytest.approx(runs[8].seconds + PROBE.startup + 9.0)
    lines = planning.plan_lines(plans[8], probe, "1 local worker(s) on cpu0")
    assert "eval 0.01 s per completion" in lines[-4]
    assert lines[-3].startswith(
        "evals estimated from the probe: its seconds per completion x each run's eval of 900 "
        "completions (eval problems x (samples + 1 greedy)), and the base's full eval once"
    )
    assert lines[-2].startswith("bounded probe (grpo steps of 8 of 64 completions): steps scaled")
    unbounded = planning.plan_lines(plans[8], PROBE, "1 local worker(s) on cpu0")
    assert not any(line.startswith("bounded probe") for line in unbounded)


def test_masked_runs_come_in_a_second_wave_and_count_as_not_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run, "lookup", lambda spec, cache: object())
    plan = planning.make_plan(fake_factory(Settings(seeds=1)), {"C4"}, PROBE, workers=2)
    masked = [r for r in plan.runs if r.wave == 1]
    assert masked and all(not r.cached and r.seconds > 0 for r in masked)
    assert all(r.cached for r in plan.runs if r.wave == 0)


def fake_estimate(settings: Settings, claims: set[str]) -> planning.Plan:
    d = design(settings)
    return planning.Plan([], settings.seeds * d.rl_steps * len(d.algos) * len(claims), 1)


def test_budget_suggestions_each_carry_the_estimate_they_would_give() -> None:
    paths = {"C1": "claims/test_c1.py", "C7": "claims/test_c7.py"}
    settings = Settings(seeds=3)  # 150 steps, 5 algorithms: 4500 "seconds" for two claims
    assert planning.over_budget(settings, {"C1", "C7"}, 1000, fake_estimate, paths) == [
        "  --seeds 1: about 25.0 min (still over)",
        "  --steps 18: about 9.0 min",
        "  --algos grpo: about 15.0 min",
    ]
    assert planning.over_budget(settings, {"C1", "C7"}, 2500, fake_estimate, paths) == [
        "  --seeds 1: about 25.0 min",
        "  --steps 75: about 37.5 min",
        "  --algos grpo,ppo: about 30.0 min",
        "  only C1 (claims/test_c1.py): about 37.5 min",
    ]


def test_when_no_single_way_fits_the_plan_names_the_claims_that_fit_them_together() -> None:
    paths = {"C1": "claims/test_c1.py", "C7": "claims/test_c7.py"}
    settings = Settings(seeds=3)  # fewest single asks: 900 (grpo), 30 (--steps 1): all over 20
    lines = planning.over_budget(settings, {"C1", "C7"}, 20, fake_estimate, paths)
    assert all(line.endswith("(still over)") for line in lines[:3]) and len(lines) == 4
    assert lines[3] == (
        "  together: --seeds 2 --algos grpo --steps 9, only C1 (claims/test_c1.py): about 18 s; "
        "9 of the recipe's 150 steps: runs that do not learn in them leave the claims guarded by "
        "learning undecided"
    )
    lines = planning.over_budget(settings, {"C1", "C7"}, 1, fake_estimate, paths)
    assert len(lines) == 3 and not any("together" in line for line in lines)


def test_clock() -> None:
    assert [planning.clock(s) for s in (42, 750, 7200)] == ["42 s", "12.5 min", "2.0 h"]


def claims_session(tmp: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "claims/test_c8_layers.py", "-p", "no:randomly"]
    command += [
        "--seeds",
        "1",
        "--algos",
        "grpo",
        "--steps",
        "4",
        "--cache-dir",
        str(tmp / "cache"),
    ]
    command += ["--report-dir", str(tmp / "report"), *args]
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_collect_only_trains_nothing(tmp_path: Path) -> None:
    done = claims_session(tmp_path, "--collect-only", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_c8_layers.py::" in done.stdout and "train " not in done.stdout
    assert not (tmp_path / "cache").exists()


def trained_runs(cache: Path) -> list[Path]:
    return list(cache.glob("entries/*/run.json"))


@pytest.mark.slow
def test_plan_probes_once_prints_the_runs_and_trains_nothing(tmp_path: Path) -> None:
    first = claims_session(tmp_path, "--plan")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "probing tiny-qwen2 on cpu" in first.stdout
    assert "grpo-seed0  grpo         4" in first.stdout
    assert "estimate: 1 of 1 runs to train" in first.stdout
    assert list((tmp_path / "cache" / "probes").glob("*.json"))
    second = claims_session(tmp_path, "--plan")
    assert second.returncode == 0 and "probing" not in second.stdout
    assert "estimate: 1 of 1 runs to train" in second.stdout
    over = claims_session(tmp_path, "--budget", "1s")
    assert over.returncode == 2, over.stdout + over.stderr
    assert "over --budget 1 s; nothing was trained" in over.stdout
    assert "--steps 1: about" in over.stdout and "(still over)" in over.stdout
    assert trained_runs(tmp_path / "cache") == []
    assert not (tmp_path / "report").exists()


def test_the_base_accuracy_is_said_before_training_and_kept_for_the_next_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlsparse_check.models import resolve_model
    from rlsparse_check.plugin import pretrain
    from rlsparse_check.recipes import RunCache, base_checkpoint, sampling
    from rlsparse_check.recipes import headroom as measured

    cache = RunCache(tmp_path / "cache")
    settings = Settings(seeds=1, algos=("grpo",), plan=True)
    factory = fake_factory(settings)
    factory.cache, factory.model = cache, resolve_model(settings.model)
    factory.resolved = lambda condition, seed: factory.spec(condition, seed).resolved(builtin=True)
    factory.base = lambda dtype: base_checkpoint(settings.model, dtype, cache=cache)
    lines: list[str] = []
    reporter = SimpleNamespace(write_line=lambda text, **_: lines.append(text))
    config = SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=lambda name: reporter))
    calls = []
    real = sampling.evaluate

    def counted(*args: Any, **kw: Any) -> dict:
        calls.append(args)
        return real(*args, **kw)

    monkeypatch.setattr(sampling, "evaluate", counted)
    pretrain._say_headroom(config, settings, factory)
    pretrain._say_headroom(config, settings, factory)
    assert len(calls) == 1  # the second session reads the stored figure
    first = measured.base_accuracy(settings.model, "add", cache=cache)["accuracy"]
    # the built-in model's plan: the full eval, the figure every run's "before" reads
    assert lines == [f"rlsparse-check: base eval accuracy {100 * first:.1f}% on add"] * 2
    assert sorted(p.parent.name for p in cache.root.rglob("*.json") if "evals" in p.parts) == [
        "evals"
    ]  # one store
    assert not (cache.root / "headroom").exists()
    assert 0.05 < first < 0.9  # the built-in base leaves room: no warning line


def test_a_real_model_plan_says_its_base_accuracy_is_a_bounded_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlsparse_check.plugin import pretrain
    from rlsparse_check.recipes import RunCache, base
    from rlsparse_check.recipes import headroom as measured

    limits = []

    def fake_eval(folder: Any, sha: str, spec: Any, device: str, root: Any, limit=None) -> dict:
        limits.append(limit)
        return {"accuracy": 0.125, "n": limit, "of": 200, "bounded": True}

    monkeypatch.setattr(measured, "base_eval", fake_eval)
    monkeypatch.setattr(base, "base_entry", lambda *a, **k: (tmp_path, "0" * 64))
    lines: list[str] = []
    reporter = SimpleNamespace(write_line=lambda text, **_: lines.append(text))
    config = SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=lambda n: reporter))
    for plan, bounded in ((True, measured.PLAN_PROBLEMS), (False, None)):
        settings = Settings(seeds=1, algos=("grpo",), plan=plan)
        factory = fake_factory(settings)
        factory.cache, factory.model = RunCache(tmp_path), SimpleNamespace(is_builtin=False)
        factory.resolved = lambda c, seed, f=factory: f.spec(c, seed).resolved(builtin=True)
        pretrain._say_headroom(config, settings, factory)
        assert limits[-1] == bounded
    assert lines[0] == (
        "rlsparse-check: base eval accuracy 12.5% on add on 16 of 200 eval problems, greedy "
        "(plan estimate; the full eval runs when training starts)"
    )
    monkeypatch.setattr(
        measured,
        "base_eval",
        lambda *a, **k: {"accuracy": 0.5, "n": 12, "cut": 4, "of": 200, "bounded": True},
    )
    settings = Settings(seeds=1, algos=("grpo",), plan=True)
    pretrain._say_headroom(config, settings, factory)
    assert lines[-1] == (
        "rlsparse-check: base eval accuracy 50.0% on add on 12 of 200 eval problems, greedy, "
        "4 cut by its time cap (plan estimate; the full eval runs when training starts)"
    )


def test_the_bounded_eval_is_a_seeded_greedy_subset_stored_apart(tmp_path: Path) -> None:
    from rlsparse_check.models import resolve_model
    from rlsparse_check.recipes import RunCache, RunSpec
    from rlsparse_check.recipes.base import base_entry
    from rlsparse_check.recipes.headroom import base_eval

    cache = RunCache(tmp_path)
    folder, sha = base_entry(resolve_model("tiny-qwen2"), "bfloat16", cache)
    spec = RunSpec(model="tiny-qwen2", algo="grpo", seed=0, device="cpu", task="add")
    small = base_eval(folder, sha, spec, "cpu", tmp_path, limit=8)
    again = base_eval(folder, sha, spec, "cpu", tmp_path, limit=8)
    assert (small["n"], small["of"], small["bounded"]) == (8, 100, True)
    assert small == again and small["accuracy"] == small["greedy"]
    assert len(list((tmp_path / "evals").glob("*.json"))) == 1


def test_a_base_at_its_ceiling_is_named_with_the_option_that_changes_the_difficulty():
    from rlsparse_check.tasks import headroom_message

    assert headroom_message("add", 0.5) is None
    high = headroom_message("rg:chain_sum", 0.97)
    low = headroom_message("rg:chain_sum", 0.01)
    assert "--task" in high and "--task" in low and high != low
    assert high == (
        "base eval accuracy 0.97 on task rg:chain_sum is above 0.9: almost every sampled group "
        "is all right, so there is no gain left to measure, and the claims cannot be decided; "
        "make the task harder, e.g. --task "
        "rg:chain_sum:min_terms=6,max_terms=8,min_digits=3,max_digits=4"
    )
    assert low == (
        "base eval accuracy 0.01 on task rg:chain_sum is below 0.05: almost every sampled group "
        "is all wrong, so RL gets no signal, and the claims cannot be decided; make the task "
        "easier, e.g. --task rg:chain_sum:min_terms=2,max_terms=3,min_digits=1,max_digits=2"
    )
