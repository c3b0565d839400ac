import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp

from rlsparse_check.errors import CheckpointError, StatsInputError
from rlsparse_check.masks import NO_LAYER, MaskSet, kind_of, layer_of, summarize

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None)


@pytest.mark.parametrize(
    "name, layer",
    [
        ("model.layers.0.self_attn.q_proj.weight", 0),
        ("model.layers.17.mlp.down_proj.weight", 17),
        ("model.layers.3.input_layernorm.weight", 3),
        ("transformer.h.11.attn.c_attn.weight", 11),
        ("transformer.h.2.ln_1.bias", 2),
        ("model.embed_tokens.weight", None),
        ("model.norm.weight", None),
        ("lm_head.weight", None),
        ("transformer.wte.weight", None),
    ],
)
def test_layer_of_reads_the_block_index(name, layer):
    assert layer_of(name) == layer


@pytest.mark.parametrize(
    "name, kind",
    [
        ("model.layers.0.self_attn.q_proj.weight", "attention"),
        ("model.layers.0.self_attn.k_proj.bias", "attention"),
        ("model.layers.0.self_attn.o_proj.weight", "attention"),
        ("model.layers.0.mlp.gate_proj.weight", "mlp"),
        ("model.layers.0.mlp.up_proj.weight", "mlp"),
        ("model.layers.0.mlp.down_proj.weight", "mlp"),
        ("model.layers.0.input_layernorm.weight", "norm"),
        ("model.layers.0.post_attention_layernorm.weight", "norm"),
        ("model.layers.0.self_attn.q_norm.weight", "norm"),
        ("model.norm.weight", "norm"),
        ("model.embed_tokens.weight", "embedding"),
        ("lm_head.weight", "embedding"),
        ("transformer.h.0.attn.c_attn.weight", "attention"),
        ("transformer.h.0.attn.c_proj.weight", "attention"),
        ("transformer.h.0.mlp.c_fc.weight", "mlp"),
        ("transformer.h.0.mlp.c_proj.bias", "mlp"),
        ("transformer.h.0.ln_1.weight", "norm"),
        ("transformer.ln_f.weight", "norm"),
        ("transformer.wte.weight", "embedding"),
        ("transformer.wpe.weight", "embedding"),
        ("score.weight", "other"),
    ],
)
def test_kind_of_sorts_qwen2_llama_and_gpt2_names(name, kind):
    assert kind_of(name) == kind


COUNTS = {
    "model.embed_tokens.weight": (100, 10),
    "model.layers.0.self_attn.q_proj.weight": (40, 4),
    "model.layers.0.input_layernorm.weight": (10, 0),
    "model.layers.10.mlp.up_proj.weight": (50, 25),
    "model.layers.2.mlp.up_proj.weight": (50, 5),
    "model.norm.weight": (10, 0),
}


def test_summary_by_layer_adds_counts_in_numeric_block_order():
    summary = summarize(COUNTS, by="layer")
    assert list(summary) == ["0", "2", "10", NO_LAYER]
    assert summary["0"] == {"numel": 50, "changed": 4, "sparsity": 1 - 4 / 50}
    assert summary[NO_LAYER] == {"numel": 110, "changed": 10, "sparsity": 1 - 10 / 110}


def test_summary_by_kind_lists_kinds_in_fixed_order():
    summary = summarize(COUNTS, by="kind")
    assert list(summary) == ["attention", "mlp", "embedding", "norm"]
    assert summary["mlp"]["changed"] == 30 and summary["norm"]["sparsity"] == 1.0


def test_summary_by_tensor_keeps_every_tensor_and_empty_groups_are_fully_sparse():
    summary = summarize({"b": (0, 0), "a": (4, 1)}, by="tensor")
    assert summary == {
        "a": {"numel": 4, "changed": 1, "sparsity": 0.75},
        "b": {"numel": 0, "changed": 0, "sparsity": 1.0},
    }


def test_an_unknown_grouping_is_refused():
    with pytest.raises(StatsInputError, match="by='block'"):
        summarize(COUNTS, by="block")


def test_mask_set_counts_and_densities_are_known_answers():
    masks = MaskSet.from_dense({"a": np.array([[True, False, True]]), "b": np.zeros(5, np.bool_)})
    assert masks.names == ["a", "b"] and "a" in masks and len(masks) == 2
    assert (masks.count("a"), masks.numel("a"), masks.shape("a")) == (2, 3, (1, 3))
    assert masks.density("a") == pytest.approx(2 / 3) and masks.density("b") == 0.0
    assert (masks.total_count(), masks.total_numel()) == (2, 8)
    assert masks.packed("a").tolist() == [0b10100000]


@SETTINGS
@given(hnp.arrays(np.bool_, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9)))
def test_packed_masks_give_back_the_dense_mask(mask):
    masks = MaskSet.from_dense({"m": mask})
    np.testing.assert_array_equal(masks.dense("m"), mask)
    assert masks.count("m") == np.count_nonzero(mask)


def test_masks_survive_a_save_and_load_under_the_exact_path(tmp_path):
    rng = np.random.default_rng(0)
    dense = {"x": rng.random((7, 3)) < 0.3, "y.z": rng.random(13) < 0.5}
    path = MaskSet.from_dense(dense).save(tmp_path / "masks.npz")
    loaded = MaskSet.load(path)
    assert [p.name for p in tmp_path.iterdir()] == ["masks.npz"]
    for name, mask in dense.items():
        np.testing.assert_array_equal(loaded.dense(name), mask)
        assert loaded.count(name) == np.count_nonzero(mask)


def test_loading_a_file_that_is_not_a_mask_file_says_how_to_make_one(tmp_path):
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(
        CheckpointError, match="bad.npz: not a mask file.*rlsparse-check diff --masks"
    ):
        MaskSet.load(tmp_path / "bad.npz")


def test_non_boolean_masks_and_unknown_names_are_refused():
    with pytest.raises(StatsInputError, match="dtype int64"):
        MaskSet.from_dense({"a": np.array([0, 1])})
    with pytest.raises(StatsInputError, match="no mask for tensor 'q'"):
        MaskSet.from_dense({"a": np.array([True])}).count("q")
