"""The experiment design of the training-mode suite: conditions, labels and the regime."""

from __future__ import annotations

import pytest

from rlsparse_check.design import Condition, Design, conditions_for, design
from rlsparse_check.plugin.options import Settings


def test_the_default_design_runs_at_twice_the_published_rate_for_half_the_steps():
    d = design(Settings())
    assert d.algos == ("grpo", "ppo", "prime", "dpo", "simpo") and d.primary == "grpo"
    assert (d.rl_lr, d.published_lr, d.rate_factor) == (2e-6, 1e-6, 2.0)
    assert d.sft_lr == pytest.approx(10 * d.rl_lr)
    invariance = dict(d.invariance().fields)
    assert invariance["lr"] == 1e-6 and invariance["steps"] == 2 * d.rl_steps


def test_the_primary_algorithm_is_the_first_online_one():
    assert design(Settings(algos=("dpo", "rloo"))).primary == "rloo"
    assert design(Settings(algos=("dpo",))).primary == "grpo"


def test_labels_name_algorithm_variant_and_seed():
    assert Condition("grpo").label(0) == "grpo-seed0"
    assert Condition("grpo", "kl0.05", (("beta", 0.05),)).label(2) == "grpo-kl0.05-seed2"


def test_the_frontier_covers_the_rising_part_for_rl_and_sft_at_the_rl_rate():
    d = design(Settings(steps=30))
    frontier = d.frontier()
    assert [n for n, _ in frontier["grpo"]] == [2, 5, 10, 20, 30]
    assert [n for n, _ in design(Settings()).frontier()["sft"]] == [10, 25, 50, 100, 150]
    assert frontier["grpo"][-1][1] == Condition("grpo")  # the top rung is the usual run
    assert all(dict(c.fields)["lr"] == d.rl_lr for _, c in frontier["sft"])


def test_c5_varies_kl_clipping_and_policy_and_ppo_kl_when_ppo_runs():
    d = design(Settings())
    assert list(d.variants()) == ["kl0.05", "kl0.2", "ppo-kl0", "ppo-kl0.2", "noclip", "offpolicy2"]
    assert list(design(Settings(algos=("grpo",))).variants()) == [
        "kl0.05",
        "kl0.2",
        "noclip",
        "offpolicy2",
    ]


def test_a_model_at_the_published_rate_needs_no_invariance_runs():
    d = Design(
        algos=("grpo",),
        primary="grpo",
        rl_lr=1e-6,
        rl_steps=300,
        published_lr=1e-6,
        sft_lr=1e-5,
        usual_beta={"grpo": 0.0},
    )
    assert d.invariance() is None
    assert conditions_for({"regime"}, d) == [Condition("grpo")]


def test_each_claim_asks_only_for_its_runs_without_repeats():
    d = design(Settings())
    c7 = conditions_for({"C7"}, d)
    assert {c.algo for c in c7} == set(d.algos) and not any(c.variant for c in c7)
    c4 = conditions_for({"C4"}, d)
    assert {c.mask for c in c4} == {"", "rl", "random"}
    assert d.invariance() in conditions_for({"regime"}, d)
    assert d.invariances()["sft"] == Condition(
        "sft", "lr1e-05-s300", (("lr", 1e-5), ("steps", 300))
    )  # SFT at its published rate (half the built-in one) for twice the steps
    assert d.invariances()["sft"] in conditions_for({"regime"}, d)
    pairs = d.rate_pairs()
    assert dict(pairs["grpo"]["short"].fields) == {"lr": 2e-5, "steps": 15}
    assert pairs["sft"]["high"] == d.sft_usual() and dict(pairs["sft"]["low"].fields)["lr"] == 2e-6
    assert Condition("sft-self", "lr2e-06", (("lr", 2e-6), ("steps", 150))) in conditions_for(
        {"C6"}, d
    )
    every = conditions_for({f"C{i}" for i in range(1, 10)} | {"regime"}, d)
    assert len(every) == len(set(every))
    assert every.index(Condition("grpo", "rlmask", mask="rl")) > every.index(Condition("grpo"))


def test_only_tests_of_the_claims_suite_name_claims():
    from rlsparse_check.plugin.pretrain import claims_of

    assert claims_of(
        [
            "claims/test_c1_sparsity_range.py::test_x[grpo]",
            "claims/test_regime.py::test_y",
            "tests/test_regime.py::test_z",
            "tests/test_c1_like.py::t",
        ]
    ) == {"C1", "regime"}


def test_c3_pairs_a_second_data_set_the_model_can_read():
    from rlsparse_check.design import SECOND_HUB_TASK, second_task
    from rlsparse_check.tasks import DEFAULT_HUB_TASK, MODEL_TASKS, get_task

    builtin = design(Settings()).second_task()
    assert builtin == Condition("grpo", "sub", (("task", "sub"),))
    assert second_task(DEFAULT_HUB_TASK) == second_task("jsonl:mine.jsonl") == SECOND_HUB_TASK
    assert second_task(SECOND_HUB_TASK) == DEFAULT_HUB_TASK
    small, beside = MODEL_TASKS["smollm2-135m"]
    assert (second_task(small), second_task(beside)) == (beside, small)
    hub = Design(("grpo",), "grpo", 1e-6, 300, 1e-6, 1e-5, {}, second=SECOND_HUB_TASK)
    assert hub.second_task() == Condition("grpo", "basic_arithmetic", (("task", SECOND_HUB_TASK),))
    assert hub.second_task().label(1) == "grpo-basic_arithmetic-seed1"
    problem = get_task(SECOND_HUB_TASK).eval[0]
    assert problem.prompt.startswith("Calculate") and problem.answer.lstrip("-").isdigit()
