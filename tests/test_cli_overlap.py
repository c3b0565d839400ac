"""End-to-end tests of ``rlsparse-check overlap`` on small checkpoints with planted update masks.

A tuned checkpoint is the base with the lowest stored bit of the planted entries flipped, so its
update mask is known exactly; the three planted scenarios are those of the hidden checks.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rlsparse_check.checkpoints import decode_bf16, encode_bf16, write_safetensors
from rlsparse_check.cli import main
from rlsparse_check.masks import MaskSet
from rlsparse_check.overlap import overlap_arrays, overlap_checkpoints, pair_overlap

SHAPES = {
    "model.layers.0.mlp.up_proj.weight": (120, 100),
    "model.layers.1.self_attn.q_proj.weight": (100, 100),
    "model.norm.weight": (100,),
}
TOP_KEYS = (
    "overlap_ab",
    "overlap_ba",
    "jaccard",
    "chance_ab",
    "chance_ba",
    "p_independent",
    "p_stratified",
)


def base_weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {n: rng.normal(0, 0.05, size=s).astype(np.float32) for n, s in SHAPES.items()}


def as_stored(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The base weights as the bf16 checkpoint stores them (ties as the null sees them)."""
    return {n: decode_bf16(encode_bf16(w)) for n, w in weights.items()}


def write_set(folder, weights, masks_list, dtype="bfloat16"):
    """Write base.safetensors and t<i>.safetensors (planted masks); return their paths."""
    base = write_safetensors(folder / "base.safetensors", weights, dtype=dtype)
    paths = []
    for i, masks in enumerate(masks_list):
        tuned = {}
        for name, w in weights.items():
            if dtype == "bfloat16":
                tuned[name] = encode_bf16(w) ^ masks[name].astype(np.uint16)
            else:
                tuned[name] = (w.view(np.uint32) ^ masks[name].astype(np.uint32)).view(np.float32)
        paths.append(str(write_safetensors(folder / f"t{i}.safetensors", tuned, dtype=dtype)))
    return str(base), paths


def draw(weights, seed, f=lambda w: 0.6 * np.exp(-np.abs(w) / 0.03), shared=0.0, common=None):
    rng = np.random.default_rng(seed)
    out = {}
    for name, w in weights.items():
        m = rng.random(w.shape) < f(w)
        if shared:
            m |= common[name]
        out[name] = m
    return out


def run_json(tmp_path, *args, capsys=None):
    out = tmp_path / "overlap.json"
    rc = main(["overlap", *args, "--json", str(out)])
    assert rc == 0
    return json.loads(out.read_text())


def test_two_checkpoints_give_the_planted_figures_at_the_top_level(tmp_path, capsys):
    w = base_weights()
    a, b = draw(w, 1), draw(w, 2)
    base, paths = write_set(tmp_path, w, [a, b])
    data = run_json(tmp_path, base, *paths)
    expected = overlap_arrays(a, b, as_stored(w)).to_json()
    for key in TOP_KEYS + ("count_a", "count_b", "both", "ratio_stratified", "z_stratified"):
        assert data[key] == pytest.approx(expected[key]), key
    assert len(data["pairs"]) == 1 and data["pairs"][0]["overlap_ab"] == data["overlap_ab"]
    assert set(data["tensors"]) == set(SHAPES) and list(data["layers"]) == ["0", "1", "none"]
    assert data["bins"] == "auto" and data["seed"] == 0 and data["correction"] == "holm"
    assert data["tuned"] == paths and data["base"] == base
    table = capsys.readouterr().out
    assert "A-B" in table and "chance" in table
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # atomic write


def test_magnitude_only_masks_beat_the_independent_null_but_not_the_stratified_one(tmp_path):
    w = base_weights(3)
    base, paths = write_set(tmp_path, w, [draw(w, 4), draw(w, 5)])
    data = run_json(tmp_path, base, *paths)
    assert data["p_independent"] < 1e-6 and data["ratio_independent"] > 1.3
    assert data["p_stratified"] > 0.05 and data["ratio_stratified"] == pytest.approx(1, abs=0.05)


def test_a_small_common_subset_is_found_by_the_stratified_null(tmp_path):
    w = base_weights(6)
    rng = np.random.default_rng(7)
    common = {n: rng.random(x.shape) < 0.03 for n, x in w.items()}
    masks = [draw(w, s, shared=0.03, common=common) for s in (8, 9)]
    base, paths = write_set(tmp_path, w, masks)
    data = run_json(tmp_path, base, *paths)
    assert data["p_stratified"] < 1e-6 and data["ratio_stratified"] > 1.05


def test_independent_uniform_masks_are_significant_under_neither_null(tmp_path):
    w = base_weights(10)
    uniform = lambda x: np.full(x.shape, 0.3)  # noqa: E731
    base, paths = write_set(tmp_path, w, [draw(w, 11, uniform), draw(w, 12, uniform)])
    data = run_json(tmp_path, base, *paths)
    assert data["p_independent"] > 0.05 and data["p_stratified"] > 0.05
    # per-tensor densities of B weighted by A's entries: the global density up to noise
    assert data["chance_ab"] == pytest.approx(data["density_b"], abs=0.01)


def test_three_checkpoints_give_all_pairs_corrected_and_no_pair_at_the_top(tmp_path, capsys):
    w = base_weights()
    base, paths = write_set(tmp_path, w, [draw(w, s) for s in (1, 2, 3)])
    data = run_json(tmp_path, base, *paths, "--correction", "bh")
    assert [(p["a"], p["b"]) for p in data["pairs"]] == [
        (paths[0], paths[1]),
        (paths[0], paths[2]),
        (paths[1], paths[2]),
    ]
    assert "overlap_ab" not in data and data["correction"] == "bh"
    for p in data["pairs"]:
        assert p["p_stratified_adjusted"] >= p["p_stratified"] and p["correction"] == "bh"
    assert "B-C" in capsys.readouterr().out


def test_unchanged_checkpoints_have_empty_masks_with_zero_overlap_and_p_one(tmp_path):
    w = base_weights()
    empty = {n: np.zeros(x.shape, bool) for n, x in w.items()}
    base, paths = write_set(tmp_path, w, [empty, empty])
    data = run_json(tmp_path, base, *paths)
    assert data["overlap_ab"] == data["jaccard"] == 0.0
    assert data["p_independent"] == data["p_stratified"] == 1.0


def test_float32_checkpoints_are_stratified_by_their_values(tmp_path):
    w = base_weights()
    a, b = draw(w, 1), draw(w, 2)
    base, paths = write_set(tmp_path, w, [a, b], dtype="float32")
    data = run_json(tmp_path, base, *paths, "--bins", "20")
    expected = overlap_arrays(a, b, w, bins=20).to_json()
    assert data["p_stratified"] == pytest.approx(expected["p_stratified"])
    assert data["bins"] == 20


def test_pair_overlap_on_mask_sets_equals_the_array_result(tmp_path):
    w = base_weights()
    a, b = draw(w, 1), draw(w, 2)
    base, _ = write_set(tmp_path, w, [])
    result = pair_overlap(MaskSet.from_dense(a), MaskSet.from_dense(b), base, seed=4)
    expected = overlap_arrays(a, b, as_stored(w))
    assert result.p_stratified == pytest.approx(expected.p_stratified)
    assert result.to_json()["seed"] == 4


def test_the_permutation_check_is_seeded_and_recorded(tmp_path):
    w = base_weights()
    base, paths = write_set(tmp_path, w, [draw(w, 1), draw(w, 2)])
    first = overlap_checkpoints(base, paths, seed=5, permutations=50).to_json()
    again = overlap_checkpoints(base, paths, seed=5, permutations=50).to_json()
    # seed 5: 23 of the 50 within-bin permutations reach the observed overlap, (1 + 23) / 51
    assert first["p_permutation"] == again["p_permutation"] == 24 / 51
    assert first["permutations"] == 50 and first["seed"] == 5


def test_checkpoints_of_different_shapes_exit_2_with_one_line(tmp_path, capsys):
    w = base_weights()
    base, paths = write_set(tmp_path, w, [draw(w, 1), draw(w, 2)])
    other = dict(w, **{"model.norm.weight": np.zeros(7, np.float32)})
    odd = write_safetensors(tmp_path / "odd.safetensors", other, dtype="bfloat16")
    assert main(["overlap", base, paths[0], str(odd)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "model.norm.weight" in err


def test_a_tensor_missing_on_one_side_needs_skip_missing(tmp_path, capsys):
    w = base_weights()
    base, paths = write_set(tmp_path, w, [draw(w, 1)])
    part = {n: x for n, x in w.items() if n != "model.norm.weight"}
    short = write_safetensors(tmp_path / "short.safetensors", part, dtype="bfloat16")
    assert main(["overlap", base, paths[0], str(short)]) == 2
    assert "skip" in capsys.readouterr().err
    data = run_json(tmp_path, base, paths[0], str(short), "--skip-missing")
    assert "model.norm.weight" not in data["tensors"] and data["skipped"] == ["model.norm.weight"]


@pytest.mark.parametrize("args", [["--bins", "0"], ["--bins", "many"], ["--correction", "none"]])
def test_bad_options_are_usage_errors(tmp_path, args):
    with pytest.raises(SystemExit) as exit_info:
        main(["overlap", "b", "t1", "t2", *args])
    assert exit_info.value.code == 2


def test_a_negative_tolerance_and_a_single_checkpoint_exit_2(tmp_path, capsys):
    w = base_weights()
    base, paths = write_set(tmp_path, w, [draw(w, 1), draw(w, 2)])
    assert main(["overlap", base, *paths, "--atol", "-1"]) == 2
    assert main(["overlap", base, paths[0]]) == 2
    assert "two" in capsys.readouterr().err


@pytest.mark.parametrize("dtype", ["bfloat16", "float32"])
def test_large_tensors_streamed_in_chunks_give_the_array_result(tmp_path, monkeypatch, dtype):
    from rlsparse_check.overlap import stream

    monkeypatch.setattr(stream, "CHUNK_ELEMS", 4096)  # many chunks, the last one partial
    rng = np.random.default_rng(20)
    w = {"model.layers.0.mlp.up_proj.weight": rng.normal(0, 0.05, (301, 233)).astype(np.float32)}
    a, b = draw(w, 21), draw(w, 22)
    base, paths = write_set(tmp_path, w, [a, b], dtype=dtype)
    data = overlap_checkpoints(base, paths).to_json()
    stored = as_stored(w) if dtype == "bfloat16" else w
    expected = overlap_arrays(a, b, stored).to_json()
    for key in ("both", "count_a", "strata", "expected_stratified", "p_stratified"):
        assert data[key] == pytest.approx(expected[key]), key


def test_json_and_table_carry_the_attainable_maximum_and_the_excess_in_either_order(
    tmp_path, capsys
):
    w = base_weights()
    a = draw(w, 1)
    rng = np.random.default_rng(3)
    b = {n: m & (rng.random(m.shape) < 0.5) for n, m in a.items()}  # B inside A
    base, paths = write_set(tmp_path, w, [a, b])
    forward = run_json(tmp_path, base, *paths)
    backward = run_json(tmp_path, base, *paths[::-1])
    for data in (forward, backward):
        assert (
            data["attainable"] == data["both"] == data["count_b" if data is forward else "count_a"]
        )
        assert data["excess_stratified"] == pytest.approx(1.0)
        room = data["attainable"] - data["expected_stratified"]
        assert data["variance_stratified"] > 1.0
        assert data["excess_stratified_sd"] == pytest.approx(
            math.sqrt(data["variance_stratified"]) / room
        )
        assert data["p_stratified_method"] in ("exact", "saddlepoint", "edgeworth", "bound")
        for row in [*data["tensors"].values(), *data["layers"].values()]:
            assert {"attainable", "excess_stratified", "excess_independent"} <= set(row)
    for key in ("attainable", "excess_stratified", "excess_independent", "p_stratified"):
        assert forward[key] == backward[key], key
    assert "excess" in capsys.readouterr().out
