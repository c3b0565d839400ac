"""Plot data for claim tests, from counts with known answers."""

from __future__ import annotations

from rlsparse_check.figures import layer_kind_heatmap, overlap_bars, tolerance_series


def test_the_heatmap_is_sparsity_per_block_and_module_kind():
    counts = {
        "model.layers.0.self_attn.q_proj.weight": (100, 25),
        "model.layers.0.mlp.up_proj.weight": (200, 100),
        "model.layers.1.self_attn.q_proj.weight": (100, 0),
        "model.embed_tokens.weight": (1000, 10),
    }
    data = layer_kind_heatmap(counts, title="t")
    assert data["layers"] == [0, 1] and data["title"] == "t"
    grid = dict(zip(data["kinds"], zip(*data["sparsity"], strict=True), strict=True))
    assert grid["attention"] == (0.75, 1.0)
    assert grid["mlp"] == (0.5, None)


def test_tolerance_series_names_bitwise_and_carries_the_claimed_band():
    ((title, spec),) = tolerance_series({"ckpt": {0.0: 0.6, 1e-5: 0.9}}, (0.685, 0.96)).items()
    assert title == "Sparsity by comparison tolerance"
    assert spec["lines"]["ckpt"] == {"x": ["bitwise", "1e-05"], "y": [0.6, 0.9]}
    assert spec["reference"] == {"label": "claimed range", "y": [0.685, 0.96]}


def test_overlap_bars_take_each_pair_s_observed_and_chance_levels():
    row = {
        "a": "s0",
        "b": "s1",
        "overlap_ab": 0.6,
        "chance_ab": 0.3,
        "chance_ab_stratified": 0.4,
        "excess_stratified": 0.33,
        "attainable": 0.9,
    }
    assert overlap_bars([row]) == [
        {
            "pair": "s0 vs s1",
            "observed": 0.6,
            "chance_independent": 0.3,
            "chance_stratified": 0.4,
            "excess": 0.33,
            "attainable": 0.9,
        }
    ]
