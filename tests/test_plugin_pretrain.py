"""The up-front training of the claims suite: the order of a wave's runs."""

from __future__ import annotations

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
