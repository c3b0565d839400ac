"""Masked fine-tuning: every entry outside the mask stays bit-identical, weight decay included."""

from __future__ import annotations

import numpy as np
import pytest
import recipes_support

from rlsparse_check.errors import TrainingError
from rlsparse_check.recipes.masked import MaskGuard

run_cache = recipes_support.run_cache  # session fixtures shared by the recipe tests
trained = recipes_support.trained


def _random_masks(named: dict[str, tuple[int, ...]], density: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {name: rng.random(shape) < density for name, shape in named.items()}


def test_adamw_with_weight_decay_moves_only_masked_entries():
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    masks = _random_masks({n: tuple(p.shape) for n, p in model.named_parameters()}, 0.3, 1)
    masks.pop("2.bias")  # a parameter missing from the mask is frozen whole
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    guard = MaskGuard(model, masks)
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-2, weight_decay=0.5
    )
    for _ in range(5):
        loss = model(torch.randn(32, 8)).pow(2).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        guard.restore()
        optimizer.zero_grad()
    for name, param in model.named_parameters():
        keep = torch.from_numpy(masks.get(name, np.zeros(param.shape, bool)))
        assert torch.equal(param[~keep], before[name][~keep]), name
        assert bool((param[keep] != before[name][keep]).all()), name


def test_a_mask_of_the_wrong_shape_is_refused():
    import torch

    model = torch.nn.Linear(3, 2)
    with pytest.raises(TrainingError, match="mask of weight has shape"):
        MaskGuard(model, {"weight": np.ones((2, 2), bool)})
    with pytest.raises(TrainingError, match="none of the model's parameters"):
        MaskGuard(model, {"other": np.ones((2, 2), bool)})


@pytest.mark.parametrize("algo", ["sft", "grpo", "ppo", "prime"])
def test_masked_training_leaves_every_entry_outside_the_mask_bit_identical(
    algo,
    trained,
    run_cache,
    tmp_path,
):
    from rlsparse_check.checkpoints import open_checkpoint
    from rlsparse_check.masks import MaskSet
    from rlsparse_check.recipes import base_checkpoint

    base = open_checkpoint(base_checkpoint("tiny-qwen2", "float32", cache=run_cache))
    shapes = {name: base.spec(name).shape for name in base.names}
    masks = _random_masks(shapes, 0.2, seed=7)
    path = MaskSet.from_dense(masks).save(tmp_path / "masks.npz")
    run = trained(
        algo=algo, steps=4, mask=str(path), save_dtype="float32", weight_decay=0.1, lr=1e-3
    )
    tuned = open_checkpoint(run.path)
    for name in base.names:
        same = base.raw(name) == tuned.raw(name)
        inside, nonzero = masks[name], base.values(name) != 0
        # the trained weights themselves: unchanged outside the mask, bit for bit
        assert same[~inside].all(), name
        # and changed inside it: weight decay alone (lr 1e-3 x 0.1 per step, far above fp32's
        # resolution) moves every non-zero masked entry of the saved fp32 weights
        assert not same[inside & nonzero].any(), (name, int(same[inside & nonzero].sum()))
    assert run.record.mask["trainable"] == sum(int(m.sum()) for m in masks.values())
