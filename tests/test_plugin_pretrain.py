"""The up-front training of the claims suite: the order of a wave's runs."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from rlsparse_check.design import Condition
from rlsparse_check.plugin.options import Settings
from rlsparse_check.plugin.pretrain import _cost
from rlsparse_check.recipes import RunCache
from rlsparse_check.recipes.factory import RunFactory


def test_runs_cost_by_the_nominal_probe_unless_a_probe_estimated_them(tmp_path):
    factory = RunFactory(Settings(model="tiny-qwen2", device="cpu"), RunCache(tmp_path))
    grpo, sft = Condition("grpo"), Condition("sft")
    long_grpo = Condition("grpo", "s300", (("steps", 300), ("lr", 1e-6)))
    kl = Condition("grpo", "kl0.2", (("beta", 0.2),))
    costs = {c.label(0): _cost(factory, c, 0, {}) for c in (grpo, sft, long_grpo, kl)}
    assert costs == {
        "grpo-seed0": 150 * 6.0,
        "sft-seed0": 150 * 1.0,
        "grpo-s300-seed0": 300 * 6.0,
        "grpo-kl0.2-seed0": 150 * 6.0,  # the plan's estimate: beta is not in it
    }
    assert sorted(costs, key=lambda label: -costs[label])[0] == "grpo-s300-seed0"
    assert _cost(factory, sft, 0, {"sft-seed0": 4321.0}) == 4321.0


def _session_under_budget(budget: str, monkeypatch: Any, hours: float) -> list:
    """``_estimates`` of a session whose plan needs ``hours`` under ``--budget budget``:
    the exit it asks for (None when it lets the session train)."""
    import dataclasses

    from rlsparse_check.plugin import plan as planning
    from rlsparse_check.plugin import pretrain
    from rlsparse_check.plugin.run_options import parse_duration
    from rlsparse_check.recipes import estimate

    wall = hours * 3600
    planned = planning.Plan(
        [planning.Planned("grpo-seed0", "grpo", 9, 1e-6, 0, False, wall)], wall, 1
    )
    monkeypatch.setattr(estimate, "cached_probe", lambda *a: SimpleNamespace(peak_bytes=0))
    monkeypatch.setattr(planning, "make_plan", lambda *a, **k: planned)
    monkeypatch.setattr(planning, "over_budget", lambda *a: [])
    exits = []
    monkeypatch.setattr(pytest, "exit", lambda text, returncode=0: exits.append((returncode, text)))
    settings = dataclasses.replace(
        Settings(model="tiny-qwen2", device="cpu"), budget=parse_duration("budget", budget)
    )
    workers = SimpleNamespace(device="cpu", probe_slot=lambda: None, count=lambda n: 1)
    config = SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=lambda name: None))
    factory = SimpleNamespace(
        cache=SimpleNamespace(root="unused"), settings=settings, design=_DESIGN, resolved=_none
    )
    pretrain._estimates(config, settings, factory, {"C1"}, {}, workers)
    return exits


def test_a_budget_in_hours_lets_a_shorter_plan_train_and_a_shorter_budget_stops_it(monkeypatch):
    assert _session_under_budget("6h", monkeypatch, 2.0) == []
    assert _session_under_budget("21600", monkeypatch, 2.0) == []  # seconds
    stopped = _session_under_budget("30m", monkeypatch, 2.0)
    assert [code for code, _ in stopped] == [2]
    assert "about 2.0 h" in stopped[0][1] and "over --budget 30.0 min" in stopped[0][1]
    assert [c for c, _ in _session_under_budget("7199", monkeypatch, 2.0)] == [2]


def _plan_output(monkeypatch: Any, capsys: Any, hours: float, builtin: bool, budget=None) -> str:
    """What ``--plan`` prints for a session whose runs need ``hours`` on the CPU."""
    import dataclasses

    from rlsparse_check.plugin import memory, pretrain
    from rlsparse_check.plugin import plan as planning
    from rlsparse_check.recipes import estimate

    wall = hours * 3600
    planned = planning.Plan(
        [planning.Planned("grpo-seed0", "grpo", 9, 1e-6, 0, False, wall)], wall, 1
    )
    asked = []
    monkeypatch.setattr(estimate, "cached_probe", lambda *a: SimpleNamespace(peak_bytes=0))
    monkeypatch.setattr(planning, "make_plan", lambda *a, **k: planned)
    monkeypatch.setattr(planning, "plan_lines", lambda *a: ["  the runs"])
    monkeypatch.setattr(memory, "memory_warning", lambda *a: None)
    monkeypatch.setattr(memory, "available_memory", lambda device: [1 << 40])
    monkeypatch.setattr(
        planning,
        "over_budget",
        lambda s, c, b, e, p: asked.append(b) or ["  only C7: about 50 min"],
    )

    def stop(text: str, returncode: int = 0) -> None:
        print(f"exit {returncode}")
        raise _Exited

    monkeypatch.setattr(pytest, "exit", stop)
    settings = dataclasses.replace(
        Settings(model="tiny-qwen2", device="cpu"), plan=True, budget=budget
    )
    workers = SimpleNamespace(
        device="cpu", probe_slot=lambda: None, count=lambda n: 1, describe=lambda n: "here"
    )
    config = SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=lambda name: None))
    factory = SimpleNamespace(
        cache=SimpleNamespace(root="unused"),
        settings=settings,
        model=SimpleNamespace(is_builtin=builtin),
        design=_DESIGN,
        resolved=_none,
    )
    with pytest.raises(_Exited):
        pretrain._estimates(config, settings, factory, {"C1", "C7"}, {}, workers)
    return capsys.readouterr().out + f"asked {asked}"


class _Exited(Exception):
    pass


def test_a_cpu_plan_of_a_real_model_says_which_claims_fit_in_an_hour(monkeypatch, capsys):
    out = _plan_output(monkeypatch, capsys, 3.0, builtin=False)
    assert "what fits in 60.0 min (on this CPU):\n  only C7: about 50 min\nexit 0" in out
    assert out.endswith("asked [3600.0]")
    assert "what fits" not in _plan_output(monkeypatch, capsys, 0.5, builtin=False)
    assert "what fits" not in _plan_output(monkeypatch, capsys, 3.0, builtin=True)
    given = _plan_output(monkeypatch, capsys, 3.0, builtin=True, budget=1800.0)
    assert "what fits in 30.0 min (--budget)" in given and given.endswith("asked [1800.0]")


def _none(*args: Any) -> None:
    return None


_DESIGN = SimpleNamespace(primary="grpo", usual=_none)
