"""Rollouts and the per-token arithmetic of the on-policy recipes, and the TRL 1.16 internals
they import (not public API: these tests fail first when a TRL release changes them)."""

from __future__ import annotations

import pytest
import recipes_support

from rlsparse_check.recipes import base_checkpoint
from rlsparse_check.recipes.rollout import (
    Rollout,
    clipped_policy_loss,
    masked_mean,
    masked_whiten,
    roll_out,
    token_logprobs,
)
from rlsparse_check.tasks import Problem, reward

torch = pytest.importorskip("torch")
run_cache = recipes_support.run_cache

#: Prompts of three token lengths, so the batch has left padding.
PROBLEMS = [Problem("3+4=", "7"), Problem("12+7=", "19"), Problem("15+16=", "31")]


@pytest.fixture(scope="module")
def models(run_cache):
    from rlsparse_check.models import load_model

    start = base_checkpoint("tiny-qwen2", "float32", cache=run_cache)
    policy, tokenizer = load_model(start)
    reference, _ = load_model(start)
    return policy, reference, tokenizer


@pytest.fixture(scope="module")
def rollout(models):
    policy, _, tokenizer = models
    return roll_out(policy, tokenizer, PROBLEMS, k=4, generator=torch.Generator().manual_seed(3))


def test_trl_selective_log_softmax_is_log_softmax_then_gather():
    from trl.trainer.utils import selective_log_softmax

    logits = torch.randn(2, 3, 11, generator=torch.Generator().manual_seed(0))
    index = torch.tensor([[0, 5, 10], [3, 3, 7]])
    expected = logits.log_softmax(-1).gather(-1, index[..., None])[..., 0]
    torch.testing.assert_close(selective_log_softmax(logits, index), expected)


def test_trl_entropy_from_logits_is_the_entropy_of_the_softmax():
    from trl.trainer.utils import entropy_from_logits

    logits = torch.randn(2, 3, 11, generator=torch.Generator().manual_seed(1))
    logp = logits.log_softmax(-1)
    torch.testing.assert_close(entropy_from_logits(logits), -(logp.exp() * logp).sum(-1))


def test_trl_pad_pads_on_the_side_it_is_told():
    from trl.trainer.utils import pad

    rows = [torch.tensor([1, 2, 3]), torch.tensor([4])]
    assert pad(rows, 0, "left").tolist() == [[1, 2, 3], [0, 0, 4]]
    assert pad(rows, 9, "right").tolist() == [[1, 2, 3], [4, 9, 9]]


def test_trl_disable_dropout_sets_every_dropout_to_zero():
    from trl.trainer.utils import disable_dropout_in_model

    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout(0.3), torch.nn.Dropout(0.1))
    disable_dropout_in_model(net)
    assert [m.p for m in net if isinstance(m, torch.nn.Dropout)] == [0.0, 0.0]


def test_a_rollout_holds_k_scored_completions_per_prompt_ending_at_eos(rollout, models):
    tokenizer = models[2]
    eos = tokenizer.eos_token_id
    assert len(rollout) == 12 and rollout.group == 4
    assert rollout.prompt_width == 6 and rollout.mask.shape == rollout.completions.shape
    for row in range(len(rollout)):
        length = int(rollout.mask[row].sum())
        tokens = rollout.completions[row, :length].tolist()
        assert eos not in tokens[:-1] and rollout.mask[row, length:].sum() == 0
        text = tokenizer.decode([t for t in tokens if t != eos], skip_special_tokens=True)
        assert rollout.scores[row] == reward(text, PROBLEMS[row // 4].answer)


def test_left_padding_changes_no_log_probability(rollout, models):
    policy = models[0]
    together = token_logprobs(policy, rollout)
    for row in (0, 5, 11):
        keep = rollout.attention_mask[row].bool()
        prompt = int(rollout.attention_mask[row, : rollout.prompt_width].sum())
        alone = Rollout(
            rollout.input_ids[row][keep][None],
            torch.ones(1, int(keep.sum()), dtype=torch.long),
            torch.arange(int(keep.sum()))[None],
            rollout.mask[row][rollout.mask[row].bool()][None],
            rollout.scores[row : row + 1],
            prompt_width=prompt,
            group=1,
        )
        width = alone.mask.shape[1]
        torch.testing.assert_close(
            token_logprobs(policy, alone)[0], together[row, :width], atol=1e-5, rtol=0
        )


def test_the_kl_term_is_zero_when_the_policy_is_the_reference(rollout, models):
    from rlsparse_check.recipes.ppo import kl_rewards

    policy, reference, _ = models
    with torch.no_grad():
        logp, ref = token_logprobs(policy, rollout), token_logprobs(reference, rollout)
    rewards, kl = kl_rewards(logp, ref, rollout.scores, rollout.mask, rollout.last, beta=0.05)
    assert (kl == 0).all()
    expected = torch.zeros_like(rewards)
    expected[torch.arange(len(rollout)), rollout.last] = rollout.scores
    assert torch.equal(rewards, expected)


@pytest.mark.parametrize(
    "advantage, ratio",
    [(1.0, 1.5), (1.0, 1.2001), (-1.0, 0.5), (-2.0, 0.79)],
    ids=["A>0 above", "A>0 just above", "A<0 below", "A<0 just below"],
)
def test_the_clipped_loss_has_no_gradient_once_the_ratio_leaves_the_range(advantage, ratio):
    old = torch.zeros(1, 1)
    logp = torch.full((1, 1), float(torch.log(torch.tensor(ratio))), requires_grad=True)
    loss, clipped = clipped_policy_loss(
        logp, old, torch.full((1, 1), advantage), torch.ones(1, 1), 0.2
    )
    loss.backward()
    assert logp.grad.item() == 0.0 and clipped.item() == 1.0


@pytest.mark.parametrize("advantage, ratio", [(1.0, 0.5), (1.0, 1.1), (-1.0, 1.5), (-1.0, 0.9)])
def test_inside_the_range_or_against_the_advantage_the_gradient_is_minus_a_times_ratio(
    advantage, ratio
):
    old = torch.zeros(1, 1)
    logp = torch.full((1, 1), float(torch.log(torch.tensor(ratio))), requires_grad=True)
    loss, clipped = clipped_policy_loss(
        logp, old, torch.full((1, 1), advantage), torch.ones(1, 1), 0.2
    )
    loss.backward()
    assert logp.grad.item() == pytest.approx(-advantage * ratio) and clipped.item() == 0.0


def test_masked_mean_and_whitening_use_only_masked_entries():
    values = torch.tensor([[1.0, 2.0, 100.0], [3.0, 4.0, -50.0]])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0]])
    assert masked_mean(values, mask).item() == 2.5
    white = masked_whiten(values, mask)
    kept = white[mask.bool()]
    assert kept.mean().item() == pytest.approx(0.0, abs=1e-6)
    assert kept.var(unbiased=True).item() == pytest.approx(1.0, rel=1e-5)
    assert masked_mean(values, torch.zeros_like(mask)).item() == 0.0
