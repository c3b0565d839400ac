"""PPO: generalised advantage estimation, rewards, value loss, and runs end to end."""

from __future__ import annotations

import math

import pytest
import recipes_support

from rlsparse_check.recipes import RunSpec, train
from rlsparse_check.recipes.ppo import clipped_value_loss, gae, kl_rewards

torch = pytest.importorskip("torch")
run_cache = recipes_support.run_cache
trained = recipes_support.trained
one_thread = recipes_support.one_thread


def test_gae_matches_a_hand_computed_four_step_example():
    # gamma 0.9, lambda 0.8 (gamma * lambda = 0.72), V after the last token = 0:
    # deltas  = [0.1 + 0.9*0.4 - 0.5, -0.2 + 0.9*0.3 - 0.4, 0 + 0.9*0.2 - 0.3, 1 - 0.2]
    #         = [-0.04, -0.33, -0.12, 0.8]
    # A_3 = 0.8; A_2 = -0.12 + 0.72*0.8 = 0.456; A_1 = -0.33 + 0.72*0.456 = -0.00168;
    # A_0 = -0.04 + 0.72*(-0.00168) = -0.0412096; returns = A + V
    rewards = torch.tensor([[0.1, -0.2, 0.0, 1.0]], dtype=torch.float64)
    values = torch.tensor([[0.5, 0.4, 0.3, 0.2]], dtype=torch.float64)
    advantages, returns = gae(rewards, values, torch.ones_like(rewards), gamma=0.9, lam=0.8)
    expected = torch.tensor([[-0.0412096, -0.00168, 0.456, 0.8]], dtype=torch.float64)
    torch.testing.assert_close(advantages, expected)
    torch.testing.assert_close(returns, expected + values)


def test_gae_ignores_whatever_lies_after_the_last_token():
    rewards = torch.tensor([[0.1, -0.2, 0.0, 1.0, 7.0, 7.0]], dtype=torch.float64)
    values = torch.tensor([[0.5, 0.4, 0.3, 0.2, 9.0, 9.0]], dtype=torch.float64)
    mask = torch.tensor([[1, 1, 1, 1, 0, 0]], dtype=torch.float64)
    padded, padded_returns = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    plain, plain_returns = gae(rewards[:, :4], values[:, :4], mask[:, :4], gamma=0.9, lam=0.8)
    assert torch.equal(padded[:, :4], plain) and (padded[:, 4:] == 0).all()
    assert torch.equal(padded_returns[:, :4], plain_returns) and (padded_returns[:, 4:] == 0).all()


def test_with_gamma_and_lambda_one_the_advantage_is_the_reward_to_go_minus_the_value():
    rewards = torch.tensor([[0.0, 0.0, 1.0]])
    values = torch.tensor([[0.2, 0.5, 0.7]])
    advantages, _ = gae(rewards, values, torch.ones_like(rewards), gamma=1.0, lam=1.0)
    torch.testing.assert_close(advantages, torch.tensor([[0.8, 0.5, 0.3]]))


def test_the_score_lands_on_each_rows_last_token_beside_the_kl_penalty():
    logp = torch.tensor([[-1.0, -2.0, -3.0], [-1.0, -1.0, 0.0]])
    ref = torch.tensor([[-1.5, -2.0, -2.0], [-2.0, -1.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    scores, last = torch.tensor([1.0, 0.0]), torch.tensor([2, 1])
    rewards, kl = kl_rewards(logp, ref, scores, mask, last, beta=0.1)
    torch.testing.assert_close(kl, torch.tensor([[0.5, 0.0, -1.0], [1.0, 0.0, 0.0]]))
    torch.testing.assert_close(rewards, torch.tensor([[-0.05, 0.0, 1.1], [-0.1, 0.0, 0.0]]))


def test_the_value_loss_takes_the_worse_of_the_clipped_and_unclipped_errors():
    old, returns, mask = torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0, 2.0]]), torch.ones(1, 2)
    # 1.5 moved 0.5 from 1.0, clipped to 1.2: max(0.25, 0.64); 1.1 stays inside: 0.81 twice
    loss, clipped = clipped_value_loss(torch.tensor([[1.5, 1.1]]), old, returns, mask, 0.2)
    assert loss.item() == pytest.approx(0.5 * (0.64 + 0.81) / 2)
    assert clipped.item() == 0.5


def test_ppo_trains_its_planned_updates_and_records_its_knobs(trained):
    run = trained(algo="ppo", steps=4, ppo_epochs=2, mini_batches=2, gamma=0.99)
    steps = [e for e in run.record.log_history if "value_loss" in e]
    assert [e["step"] for e in steps] == [1, 2, 3, 4]
    # known values of the first update (1 rollout, 2 epochs x 2 mini-batches: 4 updates): the
    # policy and the critic have not moved yet, so the ratio is exactly 1 (approx KL 0) and no
    # value is clipped; every later update starts from a moved policy
    assert (steps[0]["approx_kl"], steps[0]["value_clip_ratio"]) == (0.0, 0.0)
    assert min(e["approx_kl"] for e in steps[1:]) > 0
    # scores lie in [0, 1] and a fresh value head starts near 0: half a squared error below 1
    assert all(math.isfinite(e["loss"]) and 0 < e["value_loss"] < 1 for e in steps)
    assert run.record.data["rollouts"] == 1 and run.record.data["examples"] == 8
    used = run.record.trainer_args
    assert (used["ppo_epochs"], used["num_mini_batches"], used["gamma"]) == (2, 2, 0.99)
    assert used["critic_learning_rate"] == pytest.approx(10 * used["learning_rate"])
    assert run.record.hyperparameters["lam"] == 0.95
    assert steps[0]["kl"] == 0.0  # the first rollout comes from the reference itself


def test_ppo_with_the_same_seed_gives_the_same_bits_and_another_seed_does_not():
    spec = RunSpec(algo="ppo", steps=3, device="cpu", seed=5, lr=1e-4)
    one, two = train(spec, cache=None), train(spec, cache=None)
    other = train(RunSpec(algo="ppo", steps=3, device="cpu", seed=6, lr=1e-4), cache=None)
    assert one.weights.read_bytes() == two.weights.read_bytes()
    assert other.record.weights_sha256 != one.record.weights_sha256


@pytest.mark.slow
def test_ppo_raises_the_eval_reward_significantly_in_the_published_rate_regime(trained, one_thread):
    # lr 2e-6 x 150 steps (the lr x steps of 1e-6 x 300); measured on seeds 0-2: greedy 0.46 ->
    # 0.69, 0.70, 0.65; sampled +0.056, +0.054, +0.043 (paired t over problems p 0.0003, 0.0017,
    # 0.0067). One seed here (every claims run tests all of them over seeds).
    from rlsparse_check.measures.learning import run_gain

    run = trained(algo="ppo", steps=150, lr=2e-6, seed=0)
    gain = run_gain(run.record.eval)
    assert gain["gain"] > 0 and gain["p"] < 0.05, gain
    ev = run.record.eval
    assert ev["after"]["greedy"] - ev["before"]["greedy"] >= 0.1, ev
