"""PRIME: implicit process rewards, the PRM's loss, leave-one-out returns, and runs end to end."""

from __future__ import annotations

import math

import pytest
import recipes_support

from rlsparse_check.recipes import RunSpec, base_checkpoint, train
from rlsparse_check.recipes.prime import (
    accuracy_filter,
    implicit_token_rewards,
    leave_one_out,
    prime_returns,
    prm_loss,
    process_rewards,
)
from rlsparse_check.recipes.rollout import roll_out, token_logprobs
from rlsparse_check.tasks import get_task

torch = pytest.importorskip("torch")
run_cache = recipes_support.run_cache
trained = recipes_support.trained
one_thread = recipes_support.one_thread


def test_the_implicit_reward_of_a_sequence_is_the_sum_of_its_token_rewards():
    generator = torch.Generator().manual_seed(0)
    prm, ref = torch.randn(3, 5, generator=generator), torch.randn(3, 5, generator=generator)
    mask = torch.tensor([[1.0] * 5, [1.0] * 3 + [0.0] * 2, [1.0] + [0.0] * 4])
    tokens = implicit_token_rewards(prm, ref, mask, beta=0.05)
    sequence = 0.05 * ((prm - ref) * mask).sum(1)
    torch.testing.assert_close(tokens.sum(1), sequence)
    assert (tokens[mask == 0] == 0).all()


def test_a_prm_equal_to_the_reference_gives_zero_process_rewards(run_cache):
    from rlsparse_check.models import load_model

    start = base_checkpoint("tiny-qwen2", "float32", cache=run_cache)
    (prm, tokenizer), (ref, _) = load_model(start), load_model(start)
    problems = get_task("add").train[:6]
    rollout = roll_out(prm, tokenizer, problems, k=4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        tokens = implicit_token_rewards(
            token_logprobs(prm, rollout), token_logprobs(ref, rollout), rollout.mask, 0.05
        )
    assert (tokens == 0).all()
    assert (process_rewards(tokens, rollout.last) == 0).all()


def test_the_prm_loss_is_the_cross_entropy_of_the_sigmoid_of_the_implicit_reward():
    prm = torch.tensor([[0.0, 2.0], [1.0, -1.0], [3.0, 3.0]])
    ref = torch.zeros(3, 2)
    mask = torch.tensor([[1.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    scores, weights = torch.tensor([1.0, 0.0, 1.0]), torch.tensor([1.0, 1.0, 0.0])
    beta = 0.5
    # implicit rewards 0.5 * [2, 1, 6]; the third row has weight 0
    p1, p2 = 1 / (1 + math.exp(-1.0)), 1 / (1 + math.exp(-0.5))
    expected = (-math.log(p1) - math.log(1 - p2)) / 2
    loss = prm_loss(prm, ref, mask, scores, beta, weights)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_the_accuracy_filter_keeps_prompts_solved_between_a_fifth_and_four_fifths_of_the_time():
    scores = torch.tensor([0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1], dtype=torch.float32)
    # accuracies 0, 0.25, 0.5, 1
    assert accuracy_filter(scores, 4).tolist() == [0.0] * 4 + [1.0] * 8 + [0.0] * 4


def test_leave_one_out_subtracts_the_mean_of_the_other_samples():
    # one group of 3 outcome rewards on the last tokens: 1, 0, 0
    rewards = torch.tensor([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    at_last = torch.tensor([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    out = leave_one_out(rewards, at_last, 3)
    torch.testing.assert_close(out[:, 1], torch.tensor([1.0, -0.5, -0.5]))
    assert (out[:, 0] == 0).all()


def test_leave_one_out_on_token_rewards_moves_each_mean_to_its_leave_one_out_advantage():
    rewards = torch.tensor([[0.2, 0.4, 0.0], [0.1, 0.0, 0.0], [0.3, 0.3, 0.3], [0.0, 0.0, 0.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    out = leave_one_out(rewards, mask, 2)  # groups (0, 1) and (2, 3)
    means = (rewards * mask).sum(1) / mask.sum(1)
    loo = torch.stack([means[0] - means[1], means[1] - means[0], means[2] - means[3], -means[2]])
    torch.testing.assert_close((out * mask).sum(1) / mask.sum(1), loo)
    assert (out[mask == 0] == 0).all()


def test_returns_accumulate_process_and_outcome_advantages_from_the_end():
    process = torch.zeros(2, 3)
    mask = torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    scores, last = torch.tensor([1.0, 0.0]), torch.tensor([2, 1])
    returns = prime_returns(process, scores, mask, last, group=2)
    # outcome advantages +1 / -1 (leave-one-out of 1 and 0), weighted 5, on the last tokens
    torch.testing.assert_close(returns, torch.tensor([[5.0, 5.0, 5.0], [-5.0, -5.0, 0.0]]))


def test_process_rewards_drop_the_last_token_and_scale_by_the_largest_reverse_sum():
    tokens = torch.tensor([[1.0, -3.0, 7.0], [2.0, 2.0, 0.0]])
    out = process_rewards(tokens, torch.tensor([2, 1]))
    # without the last tokens: [[1, -3, 0], [2, 0, 0]]; reverse sums [[-2, -3, 0], [2, 0, 0]]
    torch.testing.assert_close(out, torch.tensor([[1.0, -3.0, 0.0], [2.0, 0.0, 0.0]]) / 3.000001)


def test_prime_trains_and_records_its_prm_and_filter(trained):
    run = trained(algo="prime", steps=3)
    steps = [e for e in run.record.log_history if "prm_loss" in e]
    assert [e["step"] for e in steps] == [1, 2, 3]
    assert all(0 < e["kept_fraction"] <= 1 and e["prm_loss"] > 0 for e in steps)
    used = run.record.trainer_args
    assert (used["ppo_epochs"], used["beta"]) == (1, 0.05)
    assert used["critic_learning_rate"] == used["learning_rate"] == 2e-6


def test_prime_with_the_same_seed_gives_the_same_bits_and_another_seed_does_not():
    spec = RunSpec(algo="prime", steps=3, device="cpu", seed=5, lr=1e-4)
    one, two = train(spec, cache=None), train(spec, cache=None)
    other = train(RunSpec(algo="prime", steps=3, device="cpu", seed=6, lr=1e-4), cache=None)
    assert one.weights.read_bytes() == two.weights.read_bytes()
    assert other.record.weights_sha256 != one.record.weights_sha256


@pytest.mark.slow
def test_prime_raises_greedy_accuracy_in_the_published_rate_regime(trained, one_thread):
    # lr 2e-6 x 150 steps (the lr x steps of 1e-6 x 300); measured on seeds 0-2: greedy 0.46 ->
    # 0.63, 0.66, 0.64; sampled 0.418 -> 0.450, 0.465, 0.451 (+0.033 to +0.048, each with a
    # standard error of 0.023: one run's sampled gain alone is not significant, p 0.08, 0.02,
    # 0.08; over the three seeds it is, and every claims run checks it so). One seed here, on
    # the margin of half its measured greedy rise: a PRIME that does not learn leaves greedy
    # accuracy where it was (the same base, the same problems, no sampling).
    run = trained(algo="prime", steps=150, lr=2e-6, seed=0)
    ev = run.record.eval
    assert ev["after"]["greedy"] - ev["before"]["greedy"] >= 0.08, ev
