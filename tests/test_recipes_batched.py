"""Batched decoding with left padding: the same greedy completions as decoding each prompt
alone, the same sampled completions for the same seed, the caller's random state untouched, a
row cut at the closed answer, and the built-in tasks never routed through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlsparse_check.models import load_model
from rlsparse_check.recipes import batched
from rlsparse_check.recipes.batched import generate_batched
from rlsparse_check.recipes.sampling import generate
from tests.tasks_support import tiny_bpe_model  # noqa: F401  (a fixture)

PROMPTS = ["What is 3 + 4?", "What is 120 + 7 + 45 + 9?", "1 + 2 =", "What is 999 + 1 + 2?"]


@pytest.fixture(scope="module")
def loaded(tiny_bpe_model: Path):  # noqa: F811
    return load_model(tiny_bpe_model)


def test_left_padded_greedy_gives_each_prompt_its_own_unpadded_completion(loaded) -> None:
    model, tokenizer = loaded
    assert len({len(tokenizer(p)["input_ids"]) for p in PROMPTS}) == len(PROMPTS)  # all padded
    together = generate_batched(model, tokenizer, PROMPTS, max_new_tokens=12, stop=())
    alone = [generate(model, tokenizer, [p], max_new_tokens=12, use_cache=True)[0] for p in PROMPTS]
    assert together == alone
    assert all(len(set(texts)) == 1 and len(texts) == 1 for texts in together)


def test_prompts_sharing_a_long_prefix_decode_as_each_alone(loaded) -> None:
    model, tokenizer = loaded
    head = (
        "Solve the problem. What is 5 + 5? <answer>10</answer> What is 2 + 2? <answer>4</answer> "
    )
    prompts = [head + p for p in PROMPTS]
    ids = [tokenizer(p)["input_ids"] for p in prompts]
    shared = next(i for i in range(len(ids[0])) if len({tuple(x[: i + 1]) for x in ids}) > 1)
    assert shared > 20  # the rows' common prefix is most of each prompt
    together = generate_batched(model, tokenizer, prompts, max_new_tokens=12, stop=())
    alone = [generate(model, tokenizer, [p], max_new_tokens=12, use_cache=True)[0] for p in prompts]
    assert together == alone


def test_the_shared_pass_gives_each_row_the_next_token_logits_of_its_prompt_alone(loaded) -> None:
    import torch

    model, tokenizer = loaded
    model.eval()
    head = "Solve it. What is 5 + 5? <answer>10</answer> What is 2 + 2? <answer>4</answer> "
    ids = [tokenizer(head + p)["input_ids"] for p in PROMPTS]
    inputs = batched._shared(model, ids, 2, tokenizer.pad_token_id, torch.device("cpu"))
    assert inputs["cache"].get_seq_length() > 20
    with torch.no_grad():
        first = model.generate(
            **inputs, max_new_tokens=1, do_sample=False, output_logits=True,
            return_dict_in_generate=True, pad_token_id=tokenizer.pad_token_id,
        ).logits[0]  # fmt: skip
        alone = torch.stack([model(torch.tensor([p])).logits[0, -1] for p in ids])
    assert torch.allclose(first, alone.repeat_interleave(2, dim=0), atol=1e-5)


def test_sampling_is_seeded_and_leaves_the_callers_random_state_alone(loaded) -> None:
    import torch

    model, tokenizer = loaded
    kwargs = {"k": 3, "greedy": False, "max_new_tokens": 10, "stop": (), "rows": 4}
    torch.manual_seed(5)
    first = generate_batched(model, tokenizer, PROMPTS, seed=7, **kwargs)
    after = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(torch.rand(3), after)  # generation drew nothing from the caller's state
    assert generate_batched(model, tokenizer, PROMPTS, seed=7, **kwargs) == first
    other = generate_batched(model, tokenizer, PROMPTS, seed=8, **kwargs)
    assert other != first
    assert [len(texts) for texts in first] == [3] * len(PROMPTS)


def test_sampled_rows_sharing_one_prompt_pass_draw_what_repeated_prompts_draw(loaded) -> None:
    import torch
    from transformers import GenerationConfig

    model, tokenizer = loaded
    model.eval()
    k, rows = 3, 6  # two prompts a batch, both padded
    shared = generate_batched(
        model, tokenizer, PROMPTS, k=k, greedy=False, seed=3, max_new_tokens=10, stop=(), rows=rows
    )
    eos = tokenizer.eos_token_id
    config = GenerationConfig(
        max_new_tokens=10, do_sample=True, top_k=0, top_p=1.0, num_return_sequences=k,
        eos_token_id=eos, pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    order = sorted(range(len(PROMPTS)), key=lambda i: (len(tokenizer(PROMPTS[i])["input_ids"]), i))
    repeated: list[list[str]] = [[] for _ in PROMPTS]
    tokenizer.padding_side = "left"
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(3)
        for start in range(0, len(order), rows // k):
            members = order[start : start + rows // k]
            batch = tokenizer([PROMPTS[i] for i in members], return_tensors="pt", padding=True)
            made = model.generate(**batch, generation_config=config)
            for index, row in enumerate(made[:, batch["input_ids"].shape[1] :].tolist()):
                text = tokenizer.decode(batched.until_eos(row, eos), skip_special_tokens=True)
                repeated[members[index // k]].append(text)
    assert shared == repeated
    assert len({t for texts in shared for t in texts}) > len(PROMPTS)  # the rows differ


def test_a_row_ends_where_a_stop_string_closes_it(loaded) -> None:
    model, tokenizer = loaded
    prompt = PROMPTS[:1]
    head = generate_batched(model, tokenizer, prompt, max_new_tokens=3, stop=())[0][0]
    free = generate_batched(model, tokenizer, prompt, max_new_tokens=20, stop=())[0][0]
    assert head and free.startswith(head) and len(free) > len(head)
    cut = generate_batched(model, tokenizer, prompt, max_new_tokens=20, stop=(head,))[0][0]
    # it stops as soon as the generated text holds the stop string (tokens may overlap it)
    assert free.startswith(cut) and len(head) - 1 <= len(cut) <= len(head)
    assert batched.STOP == ("</answer>",)  # the tasks' answers close with this


def test_progress_is_reported_after_each_batch(loaded) -> None:
    model, tokenizer = loaded
    seen: list[tuple[int, int]] = []
    generate_batched(
        model,
        tokenizer,
        PROMPTS,
        k=2,
        greedy=False,
        max_new_tokens=3,
        rows=4,
        stop=(),
        report=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(4, 8), (8, 8)]


def test_the_built_in_tasks_keep_the_exact_length_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from rlsparse_check.recipes.base import DATA
    from rlsparse_check.recipes.sampling import evaluate
    from rlsparse_check.tasks import get_task

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a built-in task was decoded in padded batches")

    monkeypatch.setattr(batched, "generate_batched", refuse)
    model, tokenizer = load_model(DATA / "tiny-qwen2")
    result = evaluate(model, tokenizer, get_task("add").eval[:8], get_task("add"), 2)
    assert result["n"] == 8 and result["samples"] == 2
